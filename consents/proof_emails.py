"""Emails about proofs, composed as outbox rows: the recipient's receipt and the sender's withdrawal notice."""
from __future__ import annotations

import json

from flask_babel import lazy_gettext as _l

from consents.certificate import render_certificate
from consents.db import db
from consents.emails import compose
from consents.links import public_url
from consents.models import EmailAttachment, OutboundEmail, Sender, User
from consents.evidence_models import Proof
from consents.postal_models import envelope_lines


def certificate_filename(proof: Proof) -> str:
    """The PDF certificate's file name."""
    return f"certificat-consentement-{proof.uuid}.pdf"


def queue_receipt_email(proof: Proof, sender: Sender, withdrawal_token: str, language: str = "fr", *,
                        paper: bool = False) -> OutboundEmail:
    """Add the recipient's copy (certificate attached, withdrawal link), in the language they answered in.

    The copy of a paper choice has no withdrawal link: there is no consent to withdraw.
    """
    contact = proof.consent.contact
    common = {"to": contact.email, "sender": sender, "language": language, "contact": contact, "proof": proof,
              "dedup_key": f"receipt-{proof.uuid}",  # one receipt email per proof, however often this runs
              "verify_link": public_url("public.receipt_status", receipt_id=proof.uuid)}
    if paper:
        email = compose("paper_receipt", "paper_receipt", **common,
                        subject=_l("Votre reçu : courrier papier demandé à %(sender)s", sender=sender.legal_name),
                        address=envelope_lines(**json.loads(proof.receipt)["paperChoice"]["postalAddress"]))
    else:
        email = compose("receipt", "consent_receipt", **common,
                        subject=_l("Votre reçu : consentement donné à %(sender)s", sender=sender.legal_name),
                        secret=("withdrawal_link", public_url("recipient.withdraw", token=withdrawal_token)))
    db.session.flush()
    # The PDF is rendered when the email leaves, so it shows the timestamp if the TSA answered by then.
    db.session.add(EmailAttachment(email_id=email.id, filename=certificate_filename(proof),
                                   mimetype="application/pdf", proof_id=proof.id))
    return email


def queue_withdrawal_notice(proof: Proof, sender: Sender, message: str) -> list[OutboundEmail]:
    """Tell the sender's users that a recipient asks to withdraw their consent."""
    contact = proof.consent.contact
    link = public_url("sender.contact", consent_id=proof.consent_id)
    subject = _l("%(who)s demande le retrait de son consentement", who=contact.name or contact.email)
    return [compose("withdrawal_requested", "withdrawal_requested", to=user.email, subject=subject, sender=sender,
                    contact=contact, message=message, link=link)
            for user in User.query.filter_by(sender_id=sender.id).order_by(User.id)]


def queue_support_revocation_notice(consent, sender: Sender, revocation: dict) -> list[OutboundEmail]:
    """Tell each user of the sender that support revoked one of their consents, why, and on which request."""
    contact = consent.contact
    link = public_url("sender.contact", consent_id=consent.id)
    subject = _l("Le support a révoqué le consentement de %(who)s", who=contact.name or contact.email)
    return [compose("support_revocation", "support_revocation", to=user.email, subject=subject, sender=sender,
                    contact=contact, revocation=revocation, link=link)
            for user in User.query.filter_by(sender_id=sender.id).order_by(User.id)]


def email_attachments(email: OutboundEmail) -> list[tuple[str, bytes, str]]:
    """The files to attach to an outbox email: (name, bytes, type); a certificate is rendered now."""
    files = []
    for row in EmailAttachment.query.filter_by(email_id=email.id).order_by(EmailAttachment.id):
        content = row.content if row.content is not None else render_certificate(db.session.get(Proof, row.proof_id))
        files.append((row.filename, content, row.mimetype))
    return files
