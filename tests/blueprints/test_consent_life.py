"""The consent's whole life through the sender's pages: revoke, withdrawal requests, manual add, export, edit."""
from __future__ import annotations

import io
import re

from pypdf import PdfReader

from conftest import accept_one, ask, latest_email, link_from, login, make_sender
from consents.evidence_models import Proof
from consents.models import Consent, ConsentEvent, OutboundEmail

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _withdraw(client, run_jobs, message="Je préfère le papier."):
    """The recipient asks to withdraw from their receipt email's link."""
    run_jobs()
    path = re.search(r"http://consent\.test(/retrait/[\w\-]+)", latest_email("receipt").sent_text).group(1)
    return client.post(path, data={"message": message})


def test_withdrawal_request_lands_and_one_button_records_it(app, logged_in, run_jobs, mail_outbox):
    accept_one(logged_in)
    consent = Consent.query.one()
    _withdraw(app.test_client(), run_jobs)
    manager = logged_in.get("/gestionnaire").get_data(as_text=True)
    assert "Retrait demandé" in manager and 'chip-withdrawal' in manager
    listed = logged_in.get("/gestionnaire?statut=withdrawal").get_data(as_text=True)
    assert "marie.dupont@example.fr" in listed
    run_jobs()
    notice = latest_email("withdrawal_requested")
    assert f"/gestionnaire/contacts/{consent.id}" in notice.sent_text
    page = logged_in.get(f"/gestionnaire/contacts/{consent.id}").get_data(as_text=True)
    assert "Je préfère le papier." in page and "Enregistrer la révocation" in page
    form = logged_in.get(f"/gestionnaire/contacts/{consent.id}/revoquer").get_data(as_text=True)
    assert '<option selected value="demande_en_ligne">' in form
    step = logged_in.post(f"/gestionnaire/contacts/{consent.id}/revoquer",
                          data={"requested_on": Consent.query.one().decided_at.date().isoformat(),
                                "source": "demande_en_ligne", "note": ""})
    assert step.status_code == 200 and "Confirmez la révocation" in step.get_data(as_text=True)
    assert Consent.query.one().status == "accepted"  # nothing recorded before the confirmation
    done = logged_in.post(f"/gestionnaire/contacts/{consent.id}/revoquer",
                          data={"requested_on": Consent.query.one().decided_at.date().isoformat(),
                                "source": "demande_en_ligne", "note": "", "confirm": "1"})
    assert done.status_code == 302
    assert Consent.query.one().status == "revoked"
    assert "Révoqué" in logged_in.get("/gestionnaire?statut=revoked").get_data(as_text=True)
    assert "Enregistrer la révocation" not in logged_in.get(f"/gestionnaire/contacts/{consent.id}").get_data(as_text=True)
    assert OutboundEmail.query.filter_by(kind="revocation").one().to == "marie.dupont@example.fr"


def test_a_revoked_proof_says_so_everywhere(app, logged_in, client, frozen_now):
    accept_one(logged_in)
    consent, proof = Consent.query.one(), Proof.query.one()
    logged_in.post(f"/gestionnaire/contacts/{consent.id}/revoquer", data={
        "requested_on": frozen_now.now.date().isoformat(), "source": "courrier", "note": "LRAR", "confirm": "1"})
    status = client.get(f"/verifier/recu/{proof.uuid}").get_data(as_text=True)
    assert "Consentement révoqué le" in status
    pdf = logged_in.get(f"/gestionnaire/contacts/{consent.id}/preuve/certificat.pdf").data
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "RÉVOQUÉ" in text
    page = logged_in.get(f"/gestionnaire/contacts/{consent.id}").get_data(as_text=True)
    assert "Révoqué le" in page and "par courrier" in page and "Demander à nouveau" in page


def test_asking_again_after_a_refusal_warns_first(logged_in, client):
    ask(logged_in)
    client.post(link_from(latest_email("request").sent_text), data={"reponse": "refuser"})
    warned = ask(logged_in)
    body = warned.get_data(as_text=True)
    assert "a refusé le" in body and "Redemander quand même" in body and 'name="again"' in body
    assert ConsentEvent.query.filter_by(kind="requested").count() == 1
    confirmed = logged_in.post("/gestionnaire/demander", data={
        "email": "marie.dupont@example.fr", "name": "Marie Dupont", "kind": "particulier", "scope": "lre",
        "delay": "15", "again": "1"})
    assert confirmed.status_code == 200 and ConsentEvent.query.filter_by(kind="requested").count() == 2


def test_ask_many_holds_refusals_back_and_offers_to_ask_them(logged_in, client):
    ask(logged_in, email="non@example.fr", name="Non")
    client.post(link_from(latest_email("request").sent_text), data={"reponse": "refuser"})
    result = logged_in.post("/gestionnaire/demander-plusieurs", data={
        "recipients": "non@example.fr;Non;particulier\noui@example.fr;Oui;particulier", "scope": "lre", "delay": "10"})
    body = result.get_data(as_text=True)
    assert "oui@example.fr" in body and 'id="refusals"' in body and "non@example.fr a refusé" in body
    assert ConsentEvent.query.filter_by(kind="requested").count() == 2  # the first ask, and «oui»


def test_manual_add_with_a_pdf(logged_in, frozen_now):
    response = logged_in.post("/gestionnaire/ajouter", content_type="multipart/form-data", data={
        "email": "lea@example.fr", "name": "Léa", "kind": "particulier", "scope": "both",
        "obtained_on": frozen_now.now.date().isoformat(), "source": "contrat", "reference": "Bail n° 42",
        "evidence": (io.BytesIO(PDF), "bail.pdf")})
    assert response.status_code == 302
    consent = Consent.query.one()
    assert consent.status == "accepted" and consent.channel == "manuel" and consent.scope_avis
    page = logged_in.get(response.headers["Location"]).get_data(as_text=True)
    assert "Ajout manuel" in page and "bail.pdf" in page and "Bail n° 42" in page


def test_manual_add_explains_bad_files(logged_in, frozen_now):
    base = {"email": "lea@example.fr", "name": "Léa", "kind": "particulier", "scope": "lre",
            "obtained_on": frozen_now.now.date().isoformat(), "source": "contrat", "reference": ""}
    wrong = logged_in.post("/gestionnaire/ajouter", content_type="multipart/form-data",
                           data={**base, "evidence": (io.BytesIO(b"<html>"), "bail.pdf")})
    assert wrong.status_code == 422 and "PDF, une image JPEG ou PNG" in wrong.get_data(as_text=True)
    big = logged_in.post("/gestionnaire/ajouter", content_type="multipart/form-data",
                         data={**base, "evidence": (io.BytesIO(b"%PDF-" + b"0" * (11 * 1024 * 1024)), "big.pdf")})
    assert big.status_code == 422 and "10 Mio" in big.get_data(as_text=True)
    assert Consent.query.count() == 0


def test_export_csv_downloads_the_current_list(logged_in):
    accept_one(logged_in)
    ask(logged_in, email="jean@example.fr", name="Jean")
    response = logged_in.get("/gestionnaire/export.csv?statut=accepted")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.data.decode("utf-8")
    assert text.startswith("\ufeffemail;nom;type") and "marie.dupont@example.fr" in text and "jean@" not in text


def test_edit_contact_and_a_corrected_address_goes_to_the_ask_form(logged_in):
    ask(logged_in, name="Marie")
    consent = Consent.query.one()
    assert logged_in.post(f"/gestionnaire/contacts/{consent.id}/modifier",
                          data={"name": "Marie Curie", "kind": "administration"}).status_code == 302
    page = logged_in.get(f"/gestionnaire/contacts/{consent.id}").get_data(as_text=True)
    assert "Marie Curie" in page and "Contact modifié" in page
    prefilled = logged_in.get("/gestionnaire/demander?email=marie.curie@example.fr&nom=Marie+Curie&type=administration")
    body = prefilled.get_data(as_text=True)
    assert 'value="marie.curie@example.fr"' in body and '<option selected value="administration">' in body


def test_another_senders_consent_cannot_be_touched(app, logged_in):
    accept_one(logged_in)
    consent = Consent.query.one()
    make_sender("Autre Cabinet", "autre@example.fr")
    other = app.test_client()
    login(other, "autre@example.fr")
    for url in (f"/gestionnaire/contacts/{consent.id}/revoquer", f"/gestionnaire/contacts/{consent.id}/modifier"):
        assert other.get(url).status_code == 404
        assert other.post(url, data={"confirm": "1", "source": "email", "requested_on": "2026-01-01"}).status_code == 404
    assert Consent.query.one().status == "accepted"
