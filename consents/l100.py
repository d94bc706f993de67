"""The rule of art. L100 CPCE: may a sender send this contact an LRE or an avis électronique now, why, since when."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from flask_babel import format_date, gettext as _, lazy_gettext as _l
from sqlalchemy import and_, bindparam, func, or_, select, true

from consents import clock
from consents.db import read_one
from consents.evidence_models import Proof
from consents.models import ACCEPTED, PENDING, REFUSED, REVOKED, Consent, Contact, Sender
from consents.rules import Recipient, RuleError, normalise_email

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


def consent_needed(kind: str, mail_type: str) -> bool:
    """True unless the law lets the sender do without: an LRE to a professional."""
    return not (kind == PROFESSIONAL and mail_type == LRE)


def why_asked(kind: str, lre: bool, avis: bool) -> list:
    """Why a recipient of this kind is asked for this scope, in words that never overstate the law (lazy strings)."""
    if kind != PROFESSIONAL:
        return [_l("La loi (article L100 du Code des postes et des communications électroniques) exige votre accord "
                   "préalable.")]
    reasons = []
    if lre:
        reasons.append(_l("En tant que professionnel, la loi ne vous impose pas de donner votre accord pour recevoir "
                          "des lettres recommandées électroniques : il vous est demandé par choix de l'expéditeur."))
    if avis:
        reasons.append(_l("Votre accord est demandé avant tout envoi d'avis électronique."))
    return reasons


def needless_lre(recipients: list[Recipient], lre: bool) -> list[Recipient]:
    """The recipients an ask would ask for an LRE consent the law does not require of them (professionals)."""
    return [r for r in recipients if lre and not consent_needed(r.kind, LRE)]


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
    if not consent_needed(contact.kind, mail_type):
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


_LATEST_PROOF = select(func.max(Proof.id)).where(Proof.consent_id == Consent.id).correlate(Consent).scalar_subquery()


def with_verdict_columns(statement, sender_id):
    """`statement` plus the columns verdict() reads, of the address bound as :email in the book of `sender_id`."""
    # Columns, not entities: verdict() reads them off the row. Outer joins: an address not in the book still gives a
    # row, its `kind` NULL.
    return (statement.add_columns(Contact.kind, Consent.id.label("consent_id"), Consent.status, Consent.scope_lre,
                                  Consent.scope_avis, Consent.deadline, Consent.changed_at, Consent.decided_at,
                                  Consent.revoked_at, Consent.withdrawal_requested_at, _LATEST_PROOF.label("proof_id"))
            .outerjoin(Contact, and_(Contact.sender_id == sender_id, Contact.email == bindparam("email")))
            .outerjoin(Consent, Consent.contact_id == Contact.id))


def row_verdict(row, mail_type: str) -> Verdict:
    """The verdict of a row read with with_verdict_columns() (None: no such sender)."""
    if row is None or row.kind is None:
        return verdict(None, None, mail_type)
    found = verdict(row, row if row.consent_id is not None else None, mail_type)
    return replace(found, proof_id=row.proof_id) if found.reason == "consent" else found


_CHECK = with_verdict_columns(select(Sender.id).where(Sender.id == bindparam("sender_id")), Sender.id)


def check(sender_id: int, email: str, mail_type: str) -> Verdict:
    """The verdict for one sender's address, in one indexed read; raises RuleError for a bad address or type."""
    check_mail_type(mail_type)
    return row_verdict(read_one(_CHECK, sender_id=sender_id, email=normalise_email(email)), mail_type)


def sendable(sender_id: int, mail_type: str):
    """SQL condition on a sender's Consent rows selecting exactly those verdict() allows now for `mail_type`."""
    # Written as the partial indexes ix_consent_sender_scope_*_given read it (PostgreSQL turns `= true` into the column).
    consented = and_(Consent.status == ACCEPTED, _SCOPE_COLUMN[check_mail_type(mail_type)] == true(),
                     Consent.withdrawal_requested_at.is_(None))
    if mail_type == AVIS:
        return consented
    # Read through the (sender_id, kind) index of contact: the manager's list itself never joins contacts.
    professionals = select(Contact.id).where(Contact.sender_id == sender_id, Contact.kind == PROFESSIONAL)
    return or_(consented, and_(Consent.status != PAPER, Consent.contact_id.in_(professionals)))


def verdicts(consent: Consent) -> list[Verdict]:
    """The badges of one consent's row: LRE, then avis, as of now."""
    return [verdict(consent.contact, consent, mail_type) for mail_type in MAIL_TYPES]
