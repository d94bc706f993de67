"""Imports: files as French spreadsheets write them, every bad row explained, and never a refusal turned into consent."""
from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from conftest import accept_one, ask, latest_email, link_from
from consents.db import db
from consents.events import verify_chains
from consents.evidence_models import ImportFile, Proof
from consents.imports import ASK, RECORD, choose_action, parse, read_import, run_import, upload_import
from consents.models import ACCEPTED, PENDING, Consent, ConsentRequest, Contact
from consents.rules import RuleError
from consents.storage import evidence_store


def test_windows_1252_with_accents_and_semicolons():
    content = "Email;Nom;Type\r\nzoe@example.fr;Zoé Lefèvre;Particulier\r\nsyndic@example.fr;Cœur d'Alène SARL;pro\r\n"
    parsed = parse(content.encode("cp1252"))
    assert (parsed.encoding, parsed.separator, parsed.header) == ("cp1252", ";", True)
    assert [(r.email, r.name, r.kind) for _line, r in parsed.good] == [
        ("zoe@example.fr", "Zoé Lefèvre", "particulier"), ("syndic@example.fr", "Cœur d'Alène SARL", "professionnel")]


def test_excel_utf8_with_bom_and_tabs_and_columns_in_any_order():
    content = "\ufeffType\tAdresse e-mail\tNom\r\nadministration\tmairie@example.fr\tMairie\r\n\tlea@example.fr\tLéa\r\n"
    parsed = parse(content.encode("utf-8"))
    assert (parsed.encoding, parsed.separator) == ("utf-8-sig", "\t")
    assert [(line, r.email, r.kind) for line, r in parsed.good] == [
        (2, "mairie@example.fr", "administration"), (3, "lea@example.fr", "particulier")]


def test_every_bad_row_has_its_line_and_reason_and_good_rows_survive():
    content = ("a@example.fr,A,particulier\n"
               "pas-une-adresse,B,particulier\n"
               "\n"
               "c@example.fr,C,martien\n"
               "a@example.fr,A bis,particulier\n"
               "d@example.fr,D,professionnel\n")
    parsed = parse(content.encode(), separator=",")
    assert [r.email for _l, r in parsed.good] == ["a@example.fr", "d@example.fr"]
    assert [(e.line, e.reason[:20]) for e in parsed.bad] == [
        (2, "Adresse email invali"), (4, "Type inconnu « marti"), (5, "Adresse déjà présent")]


def test_unreadable_empty_and_oversized_files_are_refused(monkeypatch):
    import consents.imports as imports

    with pytest.raises(RuleError):
        parse(b"")
    monkeypatch.setattr(imports, "MAX_IMPORT_ROWS", 3)
    with pytest.raises(RuleError):
        parse(b"".join(f"r{i}@example.fr;R;particulier\n".encode() for i in range(4)))
    monkeypatch.setattr(imports, "MAX_IMPORT_BYTES", 10)
    with pytest.raises(RuleError):
        parse(b"a@example.fr;A;particulier\n")


def _upload(user, text: str) -> ImportFile:
    """Upload a file and return its import."""
    imported, _parsed = upload_import(user.sender, user, "liste.csv", text.encode("utf-8"))
    return imported


def _run(imported: ImportFile) -> None:
    """Run an import to its end, as the job does."""
    for _outcome in run_import(imported.id):
        pass


def test_record_never_turns_a_refusal_or_withdrawal_into_consent(logged_in, sender_user, client, frozen_now):
    accept_one(logged_in, email="deja@example.fr")
    ask(logged_in, email="attente@example.fr")
    ask(logged_in, email="non@example.fr")
    client.post(link_from(latest_email("request").sent_text), data={"reponse": "refuser"})
    imported = _upload(sender_user, "email;nom;type\n"
                                    "deja@example.fr;Déjà;particulier\nattente@example.fr;Att;particulier\n"
                                    "non@example.fr;Non;particulier\nnouveau@example.fr;Nouveau;particulier\n"
                                    "mauvaise adresse;X;particulier\n")
    choose_action(imported, RECORD, {"lre": True, "avis": False, "obtained_on": date(2026, 3, 12).isoformat(),
                                     "source": "assemblee_generale", "reference": "AG 12/03/2026 résolution 14"})
    _run(imported)
    imported = db.session.get(ImportFile, imported.id)
    assert (imported.created, imported.skipped, imported.rejected, imported.processed) == (1, 3, 1, 5)
    status = {c.contact.email: c.effective_status for c in Consent.query.all()}
    assert status == {"deja@example.fr": ACCEPTED, "attente@example.fr": PENDING, "non@example.fr": "refused",
                      "nouveau@example.fr": ACCEPTED}
    assert Consent.query.join(Contact).filter(Contact.email == "nouveau@example.fr").one().channel == "manuel"
    assert Proof.query.count() == 2 and verify_chains().breaks == []
    rows = list(csv.reader(io.StringIO(evidence_store().read(imported.result_key).decode("utf-8-sig")), delimiter=";"))
    results = {row[1]: (row[2], row[3]) for row in rows[1:]}
    assert results["nouveau@example.fr"] == ("créée", "")
    assert results["non@example.fr"][0] == "ignorée" and "jamais" in results["non@example.fr"][1]
    assert results["deja@example.fr"] == ("ignorée", "déjà accepté")
    assert rows[1][0] == "2"  # in line order


def test_ask_sends_requests_to_good_rows_once(logged_in, sender_user, run_jobs, mail_outbox):
    accept_one(logged_in, email="deja@example.fr")
    imported = _upload(sender_user, "deja@example.fr;Déjà;particulier\nun@example.fr;Un;particulier\n"
                                    "deux@example.fr;Deux;professionnel\n")
    choose_action(imported, ASK, {"lre": True, "avis": True, "delay": 10, "reminders": True})
    with pytest.raises(RuleError):
        choose_action(imported, RECORD, {})  # once only
    from jobs.imports import import_file

    import_file(imported.id)
    run_jobs()
    imported = db.session.get(ImportFile, imported.id)
    assert (imported.created, imported.skipped) == (2, 1)
    assert ConsentRequest.query.count() == 3  # the first ask, and the two new ones
    assert {m.to[0] for m in mail_outbox if "demande votre accord" in m.subject} >= {"un@example.fr", "deux@example.fr"}
    assert read_import(imported).rows == 3
