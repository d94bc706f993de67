"""The paper-or-electronic choice (LRO): the sender offers it, the recipient picks paper with a postal address and
gets a receipt of certain date, the manager reads «Papier», the export and the contact page give the address."""
from __future__ import annotations

import csv
import io
import json
import re

import pytest

from conftest import latest_email, link_from
from consents.evidence_models import Proof
from consents.models import Consent, ConsentEvent, ConsentRequest
from consents.postal import check_postcode
from consents.postal_models import PostalAddress
from consents.receipts import PAPER_PROFILE, PROFILE
from consents.rules import RuleError
from consents.verification import Bundle, verify_bundle
from consents.receipts import proof_file

ADDRESS = {"line1": "12 rue des Lilas", "line2": "Bâtiment B, 3e étage", "postcode": "75011", "town": "Paris"}


def offer_choice(client, email="marie.dupont@example.fr", name="Marie Dupont"):
    """Ask one recipient with «Proposer le choix papier / électronique»; return their link's path."""
    response = client.post("/gestionnaire/demander", data={"email": email, "name": name, "kind": "particulier",
                                                           "mode": "lro", "scope": "lre", "delay": "15"})
    assert response.status_code == 200, response.get_data(as_text=True)
    return link_from(latest_email("request").sent_text)


def choose_paper(client, path, **address):
    """Answer «Recevoir par courrier papier» with an address."""
    return client.post(path, data={"reponse": "papier", **(ADDRESS | address)},
                       headers={"User-Agent": "Mozilla/5.0 (Android 14)"}, environ_base={"REMOTE_ADDR": "203.0.113.9"})


@pytest.mark.parametrize("raw, expected", [
    ("75011", "75011"), ("01000", "01000"), ("95000", "95000"), ("20000", "20000"), ("20200", "20200"),
    ("97400", "97400"), ("97600", "97600"), ("98000", "98000"), (" 69 003 ", "69003"),
])
def test_french_postcodes_are_accepted(raw, expected):
    assert check_postcode(raw) == expected


@pytest.mark.parametrize("raw", ["", "7501", "750111", "75O11", "00100", "96000", "99100", "97900", "98400"])
def test_other_postcodes_are_refused(raw):
    with pytest.raises(RuleError):
        check_postcode(raw)


def test_the_recipient_sees_two_equal_choices(app, logged_in, client):
    path = offer_choice(logged_in)
    assert "courrier papier" in latest_email("request").sent_text
    page = client.get(path).get_data(as_text=True)
    assert "Recevoir par voie électronique" in page and "Recevoir par courrier papier" in page
    assert "J'accepte" not in page and "Je refuse" not in page
    for field in ("Numéro et voie", "Code postal", "Commune"):
        assert field in page


def test_paper_gives_a_signed_receipt_the_status_and_the_address(app, logged_in, client, run_jobs, mail_outbox,
                                                                tsa):
    path = offer_choice(logged_in)
    response = choose_paper(client, path)
    assert response.status_code == 303
    assert "Vous avez choisi le courrier papier." in client.get(path).get_data(as_text=True)

    consent = Consent.query.one()
    assert consent.status == "paper" and consent.effective_status == "paper" and consent.channel == "lro"
    address = PostalAddress.query.one()
    assert address.lines == ["12 rue des Lilas", "Bâtiment B, 3e étage", "75011 Paris"]
    event = ConsentEvent.query.filter_by(kind="paper_chosen").one()
    assert event.data["address"] == ADDRESS and event.ip == "203.0.113.9" and address.event_id == event.id

    # The receipt of certain date: signed, then timestamped by the TSA, then emailed with its certificate.
    run_jobs()
    proof = Proof.query.one()
    receipt = json.loads(proof.receipt)
    assert receipt["profile"] == PAPER_PROFILE and receipt["collectionMethod"] == "lro"
    assert receipt["paperChoice"]["postalAddress"] == ADDRESS and "2025-1292" in receipt["paperChoice"]["notice"]
    assert proof.tsr is not None and proof.timestamped_at is not None
    verdict = verify_bundle(Bundle(receipt=proof.receipt.encode(), signature=json.loads(proof_file(proof, "recu.sig.json")[0]),
                                   tsr=proof.tsr))
    assert (verdict.signature, verdict.timestamp, verdict.in_history) == ("valid", "valid", True)
    [mail] = [m for m in mail_outbox if "courrier papier" in m.subject]
    assert mail.to == ["marie.dupont@example.fr"] and "75011 Paris" in mail.body and proof.uuid in mail.body
    assert "/retrait/" not in mail.body  # nothing to withdraw
    [(filename, content, _type)] = mail.attachments
    assert content.startswith(b"%PDF")

    # The manager: «Papier», its own count and filter; the contact page shows the address.
    counts = logged_in.get("/gestionnaire/compteurs").get_data(as_text=True)
    assert re.search(r"Papier\s*<span class=\"count\">1</span>", counts), counts
    listed = logged_in.get("/gestionnaire?statut=paper").get_data(as_text=True)
    assert "marie.dupont@example.fr" in listed and "chip-paper" in listed
    assert "marie.dupont@example.fr" not in logged_in.get("/gestionnaire?statut=refused").get_data(as_text=True)
    contact = logged_in.get(f"/gestionnaire/contacts/{consent.id}").get_data(as_text=True)
    assert "12 rue des Lilas" in contact and "75011 Paris" in contact and "Courrier papier choisi" in contact

    # The export: «Papier» and the address, in its own columns.
    export = logged_in.get("/gestionnaire/export.csv").get_data(as_text=True)
    header, row = list(csv.reader(io.StringIO(export.lstrip("\ufeff")), delimiter=";"))
    line = dict(zip(header, row))
    assert line["statut"] == "Papier" and line["identifiant de preuve"] == proof.uuid
    assert (line["adresse ligne 1"], line["adresse ligne 2"], line["code postal"], line["ville"]) == (
        "12 rue des Lilas", "Bâtiment B, 3e étage", "75011", "Paris")


def test_choosing_electronic_is_an_ordinary_acceptance(app, logged_in, client, run_jobs, mail_outbox):
    path = offer_choice(logged_in)
    assert client.post(path, data={"reponse": "accepter"}).status_code == 303
    run_jobs()
    consent, proof = Consent.query.one(), Proof.query.one()
    assert consent.status == "accepted" and consent.channel == "email"
    assert json.loads(proof.receipt)["profile"] == PROFILE and PostalAddress.query.count() == 0
    assert [m for m in mail_outbox if "consentement donné" in m.subject]


@pytest.mark.parametrize("field, value, message", [
    ("postcode", "99999", "ne correspond à aucun département français"),
    ("postcode", "7501", "5 chiffres"),
    ("town", "", "Indiquez la commune."),
    ("line1", "  ", "Indiquez le numéro et la voie."),
])
def test_a_bad_address_is_explained_and_nothing_is_stored(app, logged_in, client, field, value, message):
    path = offer_choice(logged_in)
    response = choose_paper(client, path, **{field: value})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and message in page and "<details class=\"paper-choice\" open>" in page
    assert 'value="12 rue des Lilas"' in page or field == "line1"  # what was typed is kept
    assert Consent.query.one().status == "pending" and PostalAddress.query.count() == 0 and Proof.query.count() == 0


def test_a_bad_postcode_is_explained_in_english_when_the_browser_asks(app, logged_in, client):
    path = offer_choice(logged_in)
    response = client.post(path, data={"reponse": "papier", **(ADDRESS | {"postcode": "00000"})},
                           headers={"Accept-Language": "en"})
    assert response.status_code == 422 and "does not match any French département" in response.get_data(as_text=True)


def test_a_second_paper_answer_changes_nothing(app, logged_in, client):
    path = offer_choice(logged_in)
    choose_paper(client, path)
    choose_paper(client, path, line1="1 autre rue")
    assert ConsentEvent.query.filter_by(kind="paper_chosen").count() == 1 and Proof.query.count() == 1


def test_paper_is_not_offered_by_a_plain_request(app, logged_in, client):
    logged_in.post("/gestionnaire/demander", data={"email": "jean@example.fr", "name": "Jean", "kind": "particulier",
                                                   "scope": "lre", "delay": "15"})
    path = link_from(latest_email("request").sent_text)
    assert ConsentRequest.query.one().paper_offered is False
    assert choose_paper(client, path).status_code == 400
    assert Consent.query.one().status == "pending"


def test_paper_then_electronic_through_a_new_request(app, logged_in, client):
    choose_paper(client, offer_choice(logged_in))
    response = logged_in.post("/gestionnaire/demander", data={
        "email": "marie.dupont@example.fr", "name": "Marie Dupont", "kind": "particulier", "mode": "lro",
        "scope": "lre", "delay": "15"})
    assert "a choisi le courrier papier le" in response.get_data(as_text=True)  # asked again only once confirmed
    assert ConsentRequest.query.count() == 1
    logged_in.post("/gestionnaire/demander", data={
        "email": "marie.dupont@example.fr", "name": "Marie Dupont", "kind": "particulier", "mode": "lro",
        "scope": "lre", "delay": "15", "again": "1"})
    client.post(link_from(latest_email("request").sent_text), data={"reponse": "accepter"})
    consent = Consent.query.one()
    assert consent.status == "accepted"
    assert [e.kind for e in ConsentEvent.query.order_by(ConsentEvent.id) if e.kind != "opened"] == [
        "requested", "paper_chosen", "requested", "accepted"]


def test_the_withdrawal_link_lets_the_recipient_ask_for_paper(app, logged_in, client, run_jobs, mail_outbox):
    offer_choice(logged_in)
    client.post(link_from(latest_email("request").sent_text), data={"reponse": "accepter"})
    run_jobs()
    path = re.search(r"http://consent\.test(/retrait/[A-Za-z0-9_\-]+)", latest_email("receipt").sent_text).group(1)
    page = client.get(path).get_data(as_text=True)
    assert "Recevoir désormais par courrier papier" in page
    bad = client.post(f"{path}/papier", data=ADDRESS | {"postcode": "96000"})
    assert bad.status_code == 422 and "ne correspond à aucun département français" in bad.get_data(as_text=True)
    assert client.post(f"{path}/papier", data=ADDRESS).status_code == 303
    assert client.post(f"{path}/papier", data=ADDRESS | {"town": "Lyon"}).status_code == 303  # a double submit
    consent = Consent.query.one()
    assert consent.status == "paper" and PostalAddress.query.one().town == "Paris"
    assert "Votre choix du courrier papier a été transmis" in client.get(path).get_data(as_text=True)
    run_jobs()
    consent_proof, paper_proof = Proof.query.order_by(Proof.id).all()
    assert json.loads(paper_proof.receipt)["paperChoice"]["via"] == "retrait"
    # The consent's own receipt now says, to anyone who checks it, that paper was chosen since.
    status = client.get(f"/verifier/recu/{consent_proof.uuid}").get_data(as_text=True)
    assert "Courrier papier choisi le" in status
    subjects = [m.subject for m in mail_outbox]
    assert any("courrier papier demandé" in s for s in subjects)
    [notice] = [m for m in mail_outbox if "demande le retrait" in m.subject]
    assert notice.to == ["gerant@martin-gestion.fr"] and "12 rue des Lilas" in notice.body


def test_a_pasted_list_can_be_offered_the_choice(app, logged_in):
    response = logged_in.post("/gestionnaire/demander-plusieurs", data={
        "recipients": "a@example.fr;Anne;particulier\nb@example.fr;Bruno;particulier", "mode": "lro",
        "scope": "lre", "delay": "15"})
    assert response.status_code == 200
    assert [r.paper_offered for r in ConsentRequest.query.order_by(ConsentRequest.id)] == [True, True]
    assert all(e.data.get("offer") == "lro" for e in ConsentEvent.query.filter_by(kind="requested"))
