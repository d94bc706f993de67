"""Emails about proofs: the recipient's receipt with its certificate and withdrawal link, the senders' notice."""
import io
import re

from pypdf import PdfReader

from conftest import PASSWORD, accept_one, make_sender
from consents.db import db
from consents.models import EmailAttachment, OutboundEmail, Sender, User
from consents.evidence_models import Proof
from consents.proof_emails import email_attachments, queue_withdrawal_notice
from jobs.proofs import timestamp_proof


def _pdf_text(content):
    """The words of a PDF's first page."""
    return " ".join(PdfReader(io.BytesIO(content)).pages[0].extract_text().split())


def test_receipt_email_has_the_withdrawal_link_and_the_verification_link(logged_in):
    accept_one(logged_in)
    proof = Proof.query.one()
    email = OutboundEmail.query.filter_by(kind="receipt").one()
    assert email.to == "marie.dupont@example.fr" and email.dedup_key == f"receipt-{proof.uuid}"
    assert email.subject == "Votre reçu : consentement donné à Cabinet Martin Gestion"
    for body in (email.sent_text, email.sent_html):
        assert re.search(r"http://consent\.test/retrait/[A-Za-z0-9_\-]{20,}", body)
        assert f"http://consent.test/verifier/recu/{proof.uuid}" in body


def test_the_certificate_is_rendered_when_the_email_leaves(app, tsa, logged_in):
    accept_one(logged_in)
    proof = Proof.query.one()
    email = OutboundEmail.query.filter_by(kind="receipt").one()
    stored = EmailAttachment.query.filter_by(email_id=email.id).one()
    assert stored.content is None and stored.proof_id == proof.id
    [(name, content, mimetype)] = email_attachments(email)
    assert name == f"certificat-consentement-{proof.uuid}.pdf" and mimetype == "application/pdf"
    assert content.startswith(b"%PDF") and "Horodatage en attente" in _pdf_text(content)
    timestamp_proof(proof.id)
    [(_, later, _)] = email_attachments(email)
    assert "Horodatage RFC 3161 obtenu" in _pdf_text(later)


def test_withdrawal_notice_reaches_every_user_of_the_sender_only(logged_in, sender_user):
    make_sender("Autre syndic", "autre@syndic.example.fr")
    db.session.add(User(sender_id=sender_user.sender_id, email="assistante@martin-gestion.fr",
                        password_hash=PASSWORD, role="member"))
    db.session.commit()
    accept_one(logged_in)
    proof = Proof.query.one()
    emails = queue_withdrawal_notice(proof, db.session.get(Sender, sender_user.sender_id), "Je préfère le papier.")
    assert [e.to for e in emails] == ["gerant@martin-gestion.fr", "assistante@martin-gestion.fr"]
    for email in emails:
        assert email.id is not None and email.kind == "withdrawal_requested"
        assert email.subject == "Marie Dupont demande le retrait de son consentement"
        assert "Je préfère le papier." in email.sent_text
        assert f"http://consent.test/gestionnaire/contacts/{proof.consent_id}" in email.sent_text
