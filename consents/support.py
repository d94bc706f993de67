"""What support staff do to consents, each step written to the audit log: revoke on request, resend, clear a bounce."""
from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l

from consents import clock
from consents.db import db
from consents.events import record_event
from consents.lifecycle import remind
from consents.models import Consent
from consents.outcome import Outcome
from consents.rules import RuleError
from consents.staff import create_staff, end_staff_sessions
from consents.staff_models import Staff, StaffAudit
from consents.withdrawals import MAX_NOTE, check_revocation, revoke_consent

MAX_REFERENCE = 200


def audit(staff: Staff | None, action: str, *, target: str = "", ip: str | None = None, reason: str = "",
          consent: Consent | None = None, sender_id: int | None = None, data: dict | None = None) -> StaffAudit:
    """Add one audit row to the current transaction (its writer commits it with what it records)."""
    row = StaffAudit(staff_id=staff.id if staff else None, action=action, target=(target or "")[:300], ip=ip,
                     reason=reason or "", created_at=clock.now(), data=data or {},
                     consent_id=consent.id if consent else None,
                     sender_id=consent.sender_id if consent else sender_id)
    db.session.add(row)
    return row


def record_access(staff: Staff | None, action: str, **fields) -> None:
    """Write the audit row of a search, a view or a sign-in at once."""
    audit(staff, action, **fields)
    db.session.commit()


def revoke_on_request(staff: Staff, consents: list[Consent], *, requested_on: date, source: str, reference: str,
                      reason: str, ip: str | None) -> Outcome:
    """Revoke consents of one recipient at their request, with the sender's own verb: each is checked before any
    is revoked; each revocation has its event, its emails and its audit row."""
    reason, reference = " ".join((reason or "").split()), " ".join((reference or "").split())
    if not consents:
        raise RuleError(_l("Choisissez au moins un consentement à révoquer."))
    if not reason:
        raise RuleError(_l("Indiquez le motif de la révocation."))
    if len(reason) > MAX_NOTE or len(reference) > MAX_REFERENCE:
        raise RuleError(_l("Le motif ou la référence est trop long."))
    if not reference:
        raise RuleError(_l("Indiquez la référence de la demande (ticket ou email)."))
    for consent in consents:
        check_revocation(consent, requested_on=requested_on, source=source)
    outcome = Outcome()
    for consent in consents:
        audit(staff, "revoke", target=consent.contact.email, ip=ip, reason=reason, consent=consent,
              data={"requested_on": requested_on.isoformat(), "source": source, "reference": reference})
        done = revoke_consent(consent, staff=staff, requested_on=requested_on, source=source, reason=reason,
                              reference=reference)
        outcome.consent_ids += done.consent_ids
        outcome.email_ids += done.email_ids
    return outcome


def resend_request(staff: Staff, consent: Consent, ip: str | None) -> Outcome:
    """Send a pending request's email again (a reminder with a fresh link), as the sender's «Relancer» does."""
    audit(staff, "resend", target=consent.contact.email, ip=ip, consent=consent)
    try:
        return remind(consent, staff=staff)
    except RuleError:
        db.session.rollback()
        raise


def clear_bounce(staff: Staff, consent: Consent, *, reason: str, ip: str | None) -> Outcome:
    """Lift «adresse invalide» once the recipient confirmed the address: an event the sender reads, an audit row."""
    reason = " ".join((reason or "").split())
    if consent.bounced_at is None:
        raise RuleError(_l("Cette adresse n'est pas marquée invalide."))
    if not reason:
        raise RuleError(_l("Indiquez comment le destinataire a confirmé son adresse."))
    consent.bounced_at = None
    record_event(consent.id, "bounce_cleared", actor="support",
                 data={"staff_id": staff.id, "reason": reason[:MAX_NOTE]})
    audit(staff, "clear_bounce", target=consent.contact.email, ip=ip, reason=reason[:MAX_NOTE], consent=consent)
    db.session.commit()
    return Outcome(consent_ids=[consent.id])


def add_staff(admin: Staff, email: str, role: str, ip: str | None) -> tuple[Staff, str]:
    """An admin creates a staff account; return it and its setup token."""
    staff, token = create_staff(email, role, created_by=admin)
    record_access(admin, "staff_create", target=staff.email, ip=ip, data={"role": role, "staff_id": staff.id})
    return staff, token


def disable_staff(admin: Staff, staff: Staff, ip: str | None) -> None:
    """Disable an account: its sessions end at once; its audit rows stay."""
    if staff.id == admin.id:
        raise RuleError(_l("Vous ne pouvez pas désactiver votre propre compte."))
    staff.disabled_at = staff.disabled_at or clock.now()
    end_staff_sessions(staff)
    record_access(admin, "staff_disable", target=staff.email, ip=ip, data={"staff_id": staff.id})
