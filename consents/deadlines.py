"""Deadlines: the nightly expiry of unanswered requests, the senders' digest, automatic reminders."""
from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, time, timedelta

from flask_babel import lazy_ngettext
from sqlalchemy import and_, func, select
from sqlalchemy.exc import IntegrityError

from consents import clock
from consents.db import db, skip_disk_wait
from consents.emails import compose, queue_request_email
from consents.events import chain_event, event_time, record_event, write_events
from consents.lifecycle import new_token
from consents.links import public_url
from consents.models import PENDING, REFUSED, Consent, ConsentEvent, ConsentRequest, Contact, OutboundEmail, Sender, User
from consents.outcome import Outcome

EXPIRY_BATCH = 5000
REMINDER_BATCH = 500
DIGEST_EXAMPLES = 20
MAX_REMINDER_LEAD = timedelta(days=3)


def expire_overdue(at: datetime | None = None, batch_size: int = EXPIRY_BATCH) -> Counter:
    """Refuse every pending consent past its deadline, one «expiré» event each; return counts per sender.

    Works in set-based batches, each committed: one SELECT that locks the batch, one multi-row INSERT of
    events and one UPDATE of the consents, so a million expiries never load a million objects. Rows another
    transaction holds are skipped and taken by the next run.
    """
    at = at or clock.now()
    per_sender: Counter = Counter()
    after = 0  # keyset: each batch starts past the last one instead of rescanning
    while rows := _lock_overdue(at, after, batch_size):
        after = rows[-1].id
        # The job is idempotent and re-run every night: a crash losing the last commits only leaves those
        # consents pending (they already read as refused) for the next run.
        skip_disk_wait()
        write_events([chain_event(row.id, "expired", prev_hash=row.head_hash, at=at, request_id=row.request_id,
                                  data={"deadline": event_time(row.deadline)}) for row in rows],
                     status=REFUSED, changed_at=Consent.__table__.c.deadline)
        db.session.commit()
        per_sender.update(row.sender_id for row in rows)
    return per_sender


def _lock_overdue(at: datetime, after: int, batch_size: int) -> list:
    """Lock the next batch of overdue consents with ids past `after`, with each one's latest request."""
    latest_request = (select(func.max(ConsentRequest.id)).where(ConsentRequest.consent_id == Consent.id)
                      .correlate(Consent).scalar_subquery())
    return db.session.execute(
        select(Consent.id, Consent.sender_id, Consent.head_hash, Consent.deadline, latest_request.label("request_id"))
        .where(Consent.status == PENDING, Consent.deadline <= at, Consent.id > after)
        .order_by(Consent.id).limit(batch_size).with_for_update(skip_locked=True, of=Consent)
    ).all()


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    """Start and end (UTC) of a calendar day."""
    start = datetime.combine(day, time.min)
    return start, start + timedelta(days=1)


def queue_expiry_digests(day: date) -> Outcome:
    """Write one digest email per sender whose requests expired on `day` (once per sender and day)."""
    start, end = _day_bounds(day)
    expired_today = and_(ConsentEvent.kind == "expired", ConsentEvent.created_at >= start, ConsentEvent.created_at < end)
    counts = db.session.execute(
        select(Consent.sender_id, func.count())
        .join(ConsentEvent, ConsentEvent.consent_id == Consent.id).where(expired_today).group_by(Consent.sender_id)
    ).all()
    # Up to 20 names per sender, in one pass over the day's expiries rather than one query per sender.
    rank = func.row_number().over(partition_by=Consent.sender_id, order_by=ConsentEvent.id).label("rank")
    ranked = (select(Consent.sender_id, Contact.email, Contact.name, rank)
              .join(ConsentEvent, ConsentEvent.consent_id == Consent.id).join(Contact, Contact.id == Consent.contact_id)
              .where(expired_today).subquery())
    examples = defaultdict(list)
    for sender_id, email, name in db.session.execute(
            select(ranked.c.sender_id, ranked.c.email, ranked.c.name).where(ranked.c.rank <= DIGEST_EXAMPLES)):
        examples[sender_id].append((email, name))
    outcome = Outcome()
    for sender_id, count in counts:
        key = f"expiry-digest:{sender_id}:{day.isoformat()}"
        if OutboundEmail.query.filter_by(dedup_key=key).first() is not None:
            continue
        email = _digest_email(db.session.get(Sender, sender_id), count, examples[sender_id], start, key)
        if email is None:
            continue
        try:
            db.session.flush()
            email_id = email.id
            db.session.commit()
        except IntegrityError:  # another run wrote the same digest a moment ago
            db.session.rollback()
            continue
        outcome.email_ids.append(email_id)
    return outcome


def _digest_email(sender: Sender, count: int, examples: list, day: datetime, key: str) -> OutboundEmail | None:
    """Add a sender's digest email (to the sender's users) to the session."""
    recipients = [u.email for u in User.query.filter_by(sender_id=sender.id)]
    if not recipients:
        return None
    subject = lazy_ngettext("%(num)d demande de consentement expirée sans réponse",
                            "%(num)d demandes de consentement expirées sans réponse", count)
    return compose("digest", "expiry_digest", to=", ".join(recipients)[:254], subject=subject, sender=sender,
                   dedup_key=key, count=count, examples=examples, day=day,
                   manager_url=public_url("sender.manager", statut="refused"))


def reminder_lead(delay_days: int) -> timedelta | None:
    """How long before the deadline the automatic reminder goes; None when the delay is too short."""
    if delay_days >= 10:
        return MAX_REMINDER_LEAD
    if delay_days >= 5:
        return timedelta(days=2)
    return None


def send_due_reminders(at: datetime | None = None, batch_size: int = REMINDER_BATCH) -> Outcome:
    """Queue the one automatic reminder of every unanswered request whose reminder time has come."""
    at = at or clock.now()
    outcome = Outcome()
    while True:
        candidates = (
            ConsentRequest.query.join(Consent, Consent.id == ConsentRequest.consent_id)
            .filter(ConsentRequest.answered_at.is_(None), ConsentRequest.deadline > at,
                    ConsentRequest.deadline <= at + MAX_REMINDER_LEAD,
                    ConsentRequest.auto_reminded_at.is_(None), ConsentRequest.reminders_enabled.is_(True),
                    ConsentRequest.delay_days >= 5, Consent.status == PENDING,
                    Consent.deadline == ConsentRequest.deadline)
            .order_by(ConsentRequest.deadline).limit(batch_size).all()
        )
        due = [r for r in candidates if r.deadline - reminder_lead(r.delay_days) <= at]
        if not due:
            return outcome
        for request in due:
            request.auto_reminded_at = at
            link = public_url("recipient.answer", token=new_token(request))
            sender = db.session.get(Sender, request.sender_id)
            outcome.wrote(queue_request_email(request, sender, link, reminder=True))
            record_event(request.consent_id, "reminded", request_id=request.id, data={"automatic": True})
        db.session.commit()
        if len(due) < len(candidates):
            return outcome
