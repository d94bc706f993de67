"""The rule of art. L100 CPCE: may a sender send this contact an LRE or an avis électronique now, why, since when."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from flask_babel import format_date, gettext as _, lazy_gettext as _l
from sqlalchemy import and_, false, func, or_, select
from sqlalchemy.orm import lazyload

from consents import clock
from consents.db import db
from consents.evidence_models import Proof
from consents.models import ACCEPTED, PENDING, REFUSED, REVOKED, Consent, Contact
from consents.rules import RuleError, normalise_email

LRE, AVIS = "lre", "avis"
MAIL_TYPES = (LRE, AVIS)
PROFESSIONAL = "professionnel"  # administrations are asked like private persons, as AR24 does
PAPER = "paper"  # the recipient chose paper delivery (status written by the LRO choice)

_SCOPE_COLUMN = {LRE: Consent.scope_lre, AVIS: Consent.scope_avis}
_PREFIX = {LRE: _l("LRE"), AVIS: _l("Avis")}
_REFUSALS = {
    "pending": _l("non — en attente"),
    "refused": _l("non — refusé"),
    "expired": _l("non — délai de réponse expiré"),
    "revoked": _l("non — consentement retiré"),
    "paper": _l("non — courrier papier demandé"),
    "not_in_scope": _l("non — consentement donné pour un autre usage"),
    "unknown": _l("non — aucun consentement"),
}


@dataclass(frozen=True)
class Verdict:
    """Whether a mail type may be sent electronically to a contact, the reason code, and since when (which proof)."""

    mail_type: str
    allowed: bool
    reason: str
    since: datetime | None
    proof_id: int | None

    def label(self) -> str:
        """The translated badge text, e.g. «LRE : oui — consentement du 3 mars 2026»."""
        prefix = _PREFIX[self.mail_type]
        if self.reason == "consent":
            return _("%(type)s : oui — consentement du %(date)s", type=prefix, date=format_date(self.since, "long"))
        if self.reason == "not_required":
            return _("%(type)s : pas de consentement requis — professionnel", type=prefix)
        return _("%(type)s : %(why)s", type=prefix, why=_REFUSALS[self.reason])


def check_mail_type(mail_type: str) -> str:
    """Return the mail type or raise RuleError when it is neither 'lre' nor 'avis'."""
    if mail_type not in MAIL_TYPES:
        raise RuleError(_l("Type d'envoi inconnu : lre ou avis."))
    return mail_type


def verdict(contact: Contact | None, consent: Consent | None, mail_type: str, at: datetime | None = None) -> Verdict:
    """The rule for one contact and mail type at `at` (now by default), from rows already loaded: no query."""
    check_mail_type(mail_type)
    at = at or clock.now()
    if contact is None:
        return Verdict(mail_type, False, "unknown", None, None)
    if consent is not None and consent.status == PAPER:  # the recipient's choice of paper wins, even over the law
        return Verdict(mail_type, False, "paper", consent.decided_at or consent.changed_at, None)
    if contact.kind == PROFESSIONAL and mail_type == LRE:
        return Verdict(mail_type, True, "not_required", None, None)
    if consent is None:
        return Verdict(mail_type, False, "unknown", None, None)
    reason, since = _state(consent, at)
    if reason == ACCEPTED:
        if not getattr(consent, _SCOPE_COLUMN[mail_type].key):
            return Verdict(mail_type, False, "not_in_scope", since, None)
        return Verdict(mail_type, True, "consent", since, None)
    return Verdict(mail_type, False, reason, since, None)


def _state(consent: Consent, at: datetime) -> tuple[str, datetime | None]:
    """The consent's reason code as of `at` and when that state began."""
    if consent.status == PENDING:
        if consent.deadline is not None and consent.deadline <= at:
            return "expired", consent.deadline
        return "pending", consent.changed_at
    if consent.status == REFUSED:
        # Answers and manual adds clear the deadline; the nightly expiry keeps it.
        if consent.deadline is not None:
            return "expired", consent.deadline
        return "refused", consent.decided_at or consent.changed_at
    if consent.status == REVOKED:
        return "revoked", consent.revoked_at or consent.changed_at
    if consent.withdrawal_requested_at is not None:  # the recipient withdrew; the sender has yet to record it
        return "revoked", consent.withdrawal_requested_at
    return ACCEPTED, consent.decided_at


def check(sender_id: int, email: str, mail_type: str) -> Verdict:
    """The verdict for one sender's address, in one indexed query; raises RuleError for a bad address or type."""
    check_mail_type(mail_type)
    latest_proof = (select(func.max(Proof.id)).where(Proof.consent_id == Consent.id)
                    .correlate(Consent).scalar_subquery())
    row = db.session.execute(
        select(Contact, Consent, latest_proof)
        .outerjoin(Consent, Consent.contact_id == Contact.id)
        .options(lazyload(Consent.contact))  # the contact is already in the row
        .where(Contact.sender_id == sender_id, Contact.email == normalise_email(email))
    ).first()
    if row is None:
        return verdict(None, None, mail_type)
    found = verdict(row[0], row[1], mail_type)
    return replace(found, proof_id=row[2]) if found.reason == "consent" else found


def sendable_filter(sender_id: int, mail_type: str) -> list:
    """SQL conditions on Consent selecting what verdict() allows now for a sender and mail type."""
    consented = and_(Consent.status == ACCEPTED, _SCOPE_COLUMN[check_mail_type(mail_type)].is_(True),
                     Consent.withdrawal_requested_at.is_(None))
    professional = false()
    if mail_type == LRE:
        professional = and_(Consent.status != PAPER, Consent.contact_id.in_(
            select(Contact.id).where(Contact.sender_id == sender_id, Contact.kind == PROFESSIONAL)))
    return [Consent.sender_id == sender_id, or_(consented, professional)]
