"""The recipient's copy: receipt email with the PDF attached, once, and a link to ask for withdrawal."""
import re

from conftest import accept_one
from consents.models import ConsentEvent, OutboundEmail
from consents.evidence_models import Proof
from jobs.email import send_email


def _withdrawal_path(body: str) -> str:
    match = re.search(r"http://consent\.test(/retrait/[A-Za-z0-9_\-]+)", body)
    assert match, body
    return match.group(1)


def test_recipient_gets_the_receipt_with_its_pdf(app, logged_in, run_jobs, mail_outbox):
    accept_one(logged_in)
    run_jobs()
    proof = Proof.query.one()
    [receipt] = [m for m in mail_outbox if "Votre reçu" in m.subject]
    assert receipt.to == ["marie.dupont@example.fr"] and "Cabinet Martin Gestion" in receipt.subject
    assert proof.uuid in receipt.body and "/retrait/" in receipt.body
    [(filename, content, mimetype)] = receipt.attachments
    assert filename == f"certificat-consentement-{proof.uuid}.pdf" and mimetype == "application/pdf"
    assert content.startswith(b"%PDF")
    html = receipt.alternatives[0][0]
    assert "Demander le retrait de mon consentement" in html
    # The outbox stays idempotent: sending the same row again sends nothing.
    email = OutboundEmail.query.filter_by(kind="receipt").one()
    assert send_email(email.id) != "sent"
    assert len([m for m in mail_outbox if "Votre reçu" in m.subject]) == 1


def test_withdrawal_request_is_recorded_and_reaches_the_sender(app, logged_in, client, run_jobs, mail_outbox):
    accept_one(logged_in)
    run_jobs()
    path = _withdrawal_path(OutboundEmail.query.filter_by(kind="receipt").one().sent_text)
    logged_in.post("/deconnexion")
    page = client.get(path).get_data(as_text=True)
    assert "Retirer votre consentement donné à Cabinet Martin Gestion" in page
    done = client.post(path, data={"message": "Je préfère le papier."}, environ_base={"REMOTE_ADDR": "198.51.100.4"})
    assert "Votre demande de retrait a été transmise" in done.get_data(as_text=True)
    event = ConsentEvent.query.filter_by(kind="withdrawal_requested").one()
    assert event.actor == "recipient" and event.ip == "198.51.100.4"
    assert event.data["message"] == "Je préfère le papier."
    run_jobs()
    [notice] = [m for m in mail_outbox if "retrait" in m.subject]
    assert notice.to == ["gerant@martin-gestion.fr"] and "Je préfère le papier." in notice.body
    # A second submission changes nothing and the page says it is done.
    client.post(path, data={"message": "encore"})
    assert ConsentEvent.query.filter_by(kind="withdrawal_requested").count() == 1
    assert client.get("/retrait/not-a-token").status_code == 404
