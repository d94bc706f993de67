"""The end of a consent: the recipient's request to withdraw, and its revocation recorded by the sender or support."""
from __future__ import annotations

import json
from datetime import date

from flask_babel import lazy_gettext as _l
from consents import clock
from consents.db import db
from consents.emails import compose
from consents.events import first_event_after, record_event
from consents.evidence_models import Proof
from consents.models import ACCEPTED, REVOKED, Consent, ConsentEvent, Sender, User
from consents.outcome import Outcome
from consents.proof_emails import queue_support_revocation_notice, queue_withdrawal_notice
from consents.receipts import consent_proof
from consents.rules import RuleError
from consents.staff_models import Staff

REVOCATION_SOURCES = ("email", "courrier", "telephone", "demande_en_ligne", "autre")
ONLINE = "demande_en_ligne"
MAX_NOTE = 1000


def request_withdrawal(proof: Proof, *, message: str, ip: str | None, user_agent: str | None) -> Outcome:
    """Record the recipient's request to withdraw, flag the consent for the sender and notify the sender's users."""
    consent = proof.consent
    outcome = Outcome(consent_ids=[consent.id])
    record_event(consent.id, "withdrawal_requested", actor="recipient", ip=ip, user_agent=user_agent,
                 data={"receipt_id": proof.uuid, "message": message[:MAX_NOTE]})
    if consent.status == ACCEPTED:
        consent.withdrawal_requested_at = clock.now()
    outcome.wrote(*queue_withdrawal_notice(proof, db.session.get(Sender, consent.sender_id), message[:MAX_NOTE]))
    db.session.commit()
    return outcome


def withdrawal_requested(proof: Proof) -> bool:
    """True when the recipient already asked to withdraw this consent since it was given."""
    return first_event_after(proof.consent_id, proof.event_id, "withdrawal_requested") is not None


def pending_withdrawal(consent: Consent) -> ConsentEvent | None:
    """The recipient's withdrawal request the sender has not recorded yet, with its message."""
    if consent.withdrawal_requested_at is None:
        return None
    return (ConsentEvent.query.filter_by(consent_id=consent.id, kind="withdrawal_requested")
            .order_by(ConsentEvent.id.desc()).first())


def check_revocation(consent: Consent, *, requested_on: date, source: str, note: str = "") -> str:
    """Refuse a revocation the rules forbid; return the note, cleaned."""
    if consent.effective_status != ACCEPTED:
        raise RuleError(_l("Seul un consentement accepté peut être révoqué."))
    if source not in REVOCATION_SOURCES:
        raise RuleError(_l("Indiquez comment la demande de retrait est arrivée."))
    note = " ".join((note or "").split())
    if len(note) > MAX_NOTE:
        raise RuleError(_l("La note ne doit pas dépasser %(n)d caractères.", n=MAX_NOTE))
    if requested_on > clock.now().date():
        raise RuleError(_l("La date de la demande ne peut pas être dans le futur."))
    if consent.decided_at is not None and requested_on < consent.decided_at.date():
        raise RuleError(_l("La date de la demande ne peut pas précéder le consentement (%(date)s).",
                           date=consent.decided_at.date().strftime("%d/%m/%Y")))
    return note


def revoke_consent(consent: Consent, *, user: User | None = None, staff: Staff | None = None, requested_on: date,
                   source: str, note: str = "", reason: str = "", reference: str = "") -> Outcome:
    """Record that the recipient withdrew their consent: «Révoqué» at once, an event, and an email to them.

    Recorded by the sender's `user`, or by support's `staff` with a reason and the request's reference, in which
    case each user of the sender is told by email as well.
    """
    note = check_revocation(consent, requested_on=requested_on, source=source, note=note)
    at = clock.now()
    proof = consent_proof(consent)
    consent.status, consent.revoked_at, consent.changed_at, consent.withdrawal_requested_at = REVOKED, at, at, None
    data = {"requested_on": requested_on.isoformat(), "source": source, "note": note,
            "by": "support" if staff is not None else "sender", "receipt_id": proof.uuid if proof else None}
    if staff is not None:
        data.update(staff_id=staff.id, reason=reason, reference=reference)
    record_event(consent.id, "revoked", user=user, actor="support" if staff is not None else "system", data=data)
    sender = db.session.get(Sender, consent.sender_id)
    outcome = Outcome(consent_ids=[consent.id])
    outcome.wrote(compose(
        "revocation", "revocation_confirmed", to=consent.contact.email, sender=sender,
        language=answer_language(proof), contact=consent.contact, proof=proof, requested_on=requested_on,
        by_support=staff is not None,
        subject=_l("Votre consentement à %(sender)s est retiré", sender=sender.legal_name)))
    if staff is not None:
        outcome.wrote(*queue_support_revocation_notice(consent, sender, data))
    db.session.commit()
    return outcome


def answer_language(proof: Proof | None) -> str:
    """The language the recipient answered in, as their receipt records it (French when unknown)."""
    return (json.loads(proof.receipt).get("language") or "fr") if proof is not None else "fr"
