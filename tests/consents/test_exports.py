"""The CSV export: the manager's filter and search, Excel's French dialect, formulas neutralised, streamed."""
from __future__ import annotations

import csv
import io

from conftest import accept_one, ask
from consents.exports import CHUNK, export_lines, neutralise
from consents.evidence_models import Proof
from consents.models import Consent


def _rows(sender_id, **filters) -> list[list[str]]:
    """The exported CSV, parsed back."""
    text = "".join(export_lines(sender_id, status=filters.get("status"), q=filters.get("q", ""), link_id=None))
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


def test_export_follows_filter_and_search(logged_in, sender_user):
    accept_one(logged_in, email="marie@example.fr", name="Marie")
    ask(logged_in, email="jean@example.fr", name="Jean")
    header, *rows = _rows(sender_user.sender_id)
    assert header[:4] == ["email", "nom", "type", "statut"] and header[-1] == "identifiant de preuve"
    assert {r[0] for r in rows} == {"marie@example.fr", "jean@example.fr"}
    [accepted] = _rows(sender_user.sender_id, status="accepted")[1:]
    assert accepted[0] == "marie@example.fr" and accepted[3] == "Accepté"
    assert accepted[-1] == Proof.query.one().uuid and accepted[6] == ""
    [pending] = _rows(sender_user.sender_id, q="jean")[1:]
    assert pending[3] == "En attente" and pending[6] != "" and pending[-1] == ""


def test_cells_that_a_spreadsheet_would_run_are_neutralised(logged_in, sender_user):
    ask(logged_in, email="x@example.fr", name="=HYPERLINK(\"http://evil\")")
    [row] = _rows(sender_user.sender_id)[1:]
    assert row[1] == "'=HYPERLINK(\"http://evil\")"
    assert [neutralise(v) for v in ("+33", "-1", "@a", "ok")] == ["'+33", "'-1", "'@a", "ok"]


def test_the_export_comes_in_chunks(logged_in, sender_user):
    from consents.lifecycle import request_consents
    from consents.rules import Recipient

    recipients = [Recipient(f"r{i}@example.fr", f"R {i}", "particulier") for i in range(CHUNK + 5)]
    request_consents(sender_user.sender, sender_user, recipients, 10, lre=True, avis=False)
    chunks = list(export_lines(sender_user.sender_id, status=None, q="", link_id=None))
    assert len(chunks) == 2 and sum(c.count("\r\n") for c in chunks) == CHUNK + 6
    assert Consent.query.count() == CHUNK + 5
