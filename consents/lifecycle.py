"""State changes of consents: each function is one transaction that writes its history."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import update
from sqlalchemy.orm import joinedload

from consents import clock
from consents.billing import charge_acceptance
from consents.db import db
from consents.emails import queue_request_email
from consents.events import event_time, record_event
from consents.l100 import LRE, consent_needed
from consents.links import public_url
from consents.outcome import Outcome
from consents.receipts import issue_proof
from consents.models import (
    ACCEPTED, PAPER, PENDING, REFUSED, REVOKED, AskBatch, Consent, ConsentEvent, ConsentRequest, Contact, RequestToken,
    Sender, User,
)
from consents.queries import consents_by_contact, contacts_by_email
from consents.rules import Recipient, RuleError, check_delay
from consents.staff_models import Staff
from consents.texts import ConsentText

REMIND_COOLDOWN = timedelta(hours=24)


def hash_token(token: str) -> str:
    """Return the SHA-256 under which a request token is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token(request: ConsentRequest) -> str:
    """Create a 192-bit random token for `request`, store its hash and return it."""
    token = secrets.token_urlsafe(24)
    db.session.add(RequestToken(request_id=request.id, token_hash=hash_token(token), created_at=clock.now()))
    return token


def contact_search_text(contact: Contact | Recipient) -> str:
    """The lower-case text the manager's search matches against."""
    return f"{contact.email} {contact.name}".lower()[:460]


@dataclass(frozen=True)
class PastRefusal:
    """A recipient's explicit «no»: a refusal they answered, a consent they withdrew, paper chosen; when and how."""

    recipient: Recipient
    status: str  # refused, revoked or paper
    at: datetime
    how: str  # the answer's channel (email, lien) or the revocation's source (courrier, telephone…)


def past_refusal(consent: Consent | None, recipient: Recipient) -> PastRefusal | None:
    """The explicit refusal or revocation a new ask would go against (an unanswered deadline is not one)."""
    if consent is None:
        return None
    if consent.status == REVOKED:
        event = (ConsentEvent.query.filter_by(consent_id=consent.id, kind="revoked")
                 .order_by(ConsentEvent.id.desc()).first())
        return PastRefusal(recipient, REVOKED, consent.revoked_at, (event.data or {}).get("source", "") if event else "")
    if consent.status in (REFUSED, PAPER) and consent.decided_at is not None:
        return PastRefusal(recipient, consent.status, consent.decided_at, consent.channel)
    return None


@dataclass
class AskOutcome(Outcome):
    """What happened to each recipient of one ask, and what it wrote."""

    asked: list[Recipient] = field(default_factory=list)
    already_accepted: list[Recipient] = field(default_factory=list)
    already_pending: list[Recipient] = field(default_factory=list)
    professional_lre_only: list[Recipient] = field(default_factory=list)
    needs_confirmation: list[PastRefusal] = field(default_factory=list)
    batch_id: int | None = None


def request_consents(sender: Sender, user: User, recipients: list[Recipient], delay_days, *,
                     lre: bool, avis: bool, reminders: bool = True, again: bool = False,
                     paper: bool = False) -> AskOutcome:
    """Ask each recipient for consent and queue their emails, all in one transaction.

    With `paper` the recipient chooses between electronic (consent) and paper letters (LRO).
    A recipient who refused, withdrew or chose paper is asked again only when `again` says the sender confirmed it.
    """
    delay = check_delay(delay_days)
    if not (lre or avis):
        raise RuleError(_l("Choisissez au moins un usage : LRE ou avis électronique."))
    at = clock.now()
    outcome = AskOutcome()
    emails = [r.email for r in recipients]
    contacts = contacts_by_email(sender.id, emails)
    consents = consents_by_contact([c.id for c in contacts.values()]) if contacts else {}
    batch = AskBatch(sender_id=sender.id, created_by_id=user.id, created_at=at, reminders_enabled=reminders)
    try:
        db.session.add(batch)
        db.session.flush()
        for recipient in recipients:
            contact = contacts.get(recipient.email)
            if contact is None:
                contact = Contact(sender_id=sender.id, email=recipient.email, name=recipient.name,
                                  kind=recipient.kind, created_at=at)
                db.session.add(contact)
                db.session.flush()
            else:
                contact.name = recipient.name or contact.name
                contact.kind = recipient.kind
            consent = consents.get(contact.id)
            if consent is not None and consent.effective_status == ACCEPTED:
                outcome.already_accepted.append(recipient)
                continue
            if consent is not None and consent.effective_status == PENDING:
                outcome.already_pending.append(recipient)
                continue
            refusal = past_refusal(consent, recipient)
            if refusal is not None and not again:
                outcome.needs_confirmation.append(refusal)
                continue
            if consent is None:
                consent = Consent(sender_id=sender.id, contact_id=contact.id, contact=contact)
                db.session.add(consent)
                db.session.flush()
            elif consent.expired:
                _record_expiry(consent)
            if lre and not avis and not consent_needed(recipient.kind, LRE):
                outcome.professional_lre_only.append(recipient)
            request = ConsentRequest(
                consent=consent, sender_id=sender.id, requested_by_id=user.id, channel="email",
                scope_lre=lre, scope_avis=avis, delay_days=delay, deadline=at + timedelta(days=delay),
                created_at=at, batch_id=batch.id, reminders_enabled=reminders, paper_offered=paper,
            )
            db.session.add(request)
            db.session.flush()
            consent.status, consent.deadline, consent.channel = PENDING, request.deadline, "email"
            consent.scope_lre, consent.scope_avis = lre, avis
            consent.changed_at, consent.search_text, consent.bounced_at = at, contact_search_text(contact), None
            offer = {"offer": "lro"} if paper else {}  # the history says that paper was offered too
            record_event(consent.id, "requested", user=user, request_id=request.id,
                         data={"delay_days": delay, "deadline": event_time(request.deadline),
                               "scope": consent.scope_label_keys, "kind": contact.kind, **offer})
            link = public_url("recipient.answer", token=new_token(request))
            email = queue_request_email(request, sender, link)
            email.batch_id = batch.id
            outcome.wrote(email)
            outcome.consent_ids.append(consent.id)
            outcome.asked.append(recipient)
        outcome.batch_id = batch.id
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return outcome


def _record_expiry(consent: Consent) -> None:
    """Turn a pending consent past its deadline into a refusal, with its «expiré» event."""
    request = consent.requests[-1] if consent.requests else None
    consent.status, consent.changed_at = REFUSED, consent.deadline
    record_event(consent.id, "expired", request_id=request.id if request else None,
                 data={"deadline": event_time(consent.deadline)})


def find_request(token: str) -> ConsentRequest | None:
    """Return the request a token opens, or None, loading its consent, contact and sender in the same query."""
    return (
        ConsentRequest.query.join(RequestToken, RequestToken.request_id == ConsentRequest.id)
        .options(joinedload(ConsentRequest.consent), joinedload(ConsentRequest.sender))
        .filter(RequestToken.token_hash == hash_token(token or "")).first()
    )


def open_request(request: ConsentRequest, *, ip: str | None, user_agent: str | None) -> Outcome:
    """Record the first opening of a request's page (later openings change nothing)."""
    outcome = Outcome()
    if request.opened_at is not None:
        return outcome
    at = clock.now()
    claimed = db.session.execute(
        update(ConsentRequest).where(ConsentRequest.id == request.id, ConsentRequest.opened_at.is_(None))
        .values(opened_at=at)
    ).rowcount
    if claimed:
        record_event(request.consent_id, "opened", actor="recipient", request_id=request.id, ip=ip,
                     user_agent=user_agent)
        outcome.consent_ids.append(request.consent_id)
    db.session.commit()
    return outcome


class RequestExpired(Exception):
    """The deadline passed before the recipient answered."""


def answer_request(request: ConsentRequest, *, accept: bool, text: ConsentText, ip: str | None,
                   user_agent: str | None) -> Outcome:
    """Record the recipient's answer once; the outcome names no consent when an answer was already recorded."""
    outcome = Outcome()
    if request.answered_at is not None:
        return outcome
    at = clock.now()
    if request.deadline <= at:
        raise RequestExpired()
    answer = ACCEPTED if accept else REFUSED
    # The conditional update makes a double click or a second tab a no-op, even when concurrent.
    claimed = db.session.execute(
        update(ConsentRequest).where(ConsentRequest.id == request.id, ConsentRequest.answered_at.is_(None))
        .values(answered_at=at, answer=answer)
    ).rowcount
    if not claimed:
        db.session.rollback()
        return outcome
    consent = request.consent
    consent.status, consent.decided_at, consent.changed_at = answer, at, at
    consent.deadline, consent.channel, consent.withdrawal_requested_at = None, request.channel, None
    event = record_event(consent.id, answer, actor="recipient", request_id=request.id, ip=ip,
                         user_agent=user_agent, data={
                             "text_version": text.version, "text_sha256": text.sha256, "language": text.language,
                             "scope": consent.scope_label_keys,
                         })
    outcome.consent_ids.append(consent.id)
    if accept:
        # Same transaction: no acceptance without its signed receipt and its charge.
        proof, *emails = issue_proof(consent, event, request)
        outcome.wrote(proof, *emails)
        charge_acceptance(consent, request, proof)
    db.session.commit()
    db.session.refresh(request)
    return outcome


def remind(consent: Consent, user: User | None = None, *, staff: Staff | None = None) -> Outcome:
    """Send the recipient of a pending consent a reminder with a fresh link (asked by the sender or by support)."""
    if consent.effective_status != PENDING or not consent.requests:
        raise RuleError(_l("Seule une demande en attente peut être relancée."))
    request = consent.requests[-1]
    at = clock.now()
    if request.last_reminded_at is not None and at - request.last_reminded_at < REMIND_COOLDOWN:
        raise RuleError(_l("Ce destinataire a déjà été relancé il y a moins de 24 heures."))
    request.last_reminded_at = at
    link = public_url("recipient.answer", token=new_token(request))
    outcome = Outcome()
    outcome.wrote(queue_request_email(request, consent_sender(consent), link, reminder=True))
    record_event(consent.id, "reminded", user=user, request_id=request.id, actor="support" if staff else "system",
                 data={"staff_id": staff.id} if staff else None)
    db.session.commit()
    return outcome


def consent_sender(consent: Consent) -> Sender:
    """Return the sender a consent belongs to."""
    return db.session.get(Sender, consent.sender_id)
