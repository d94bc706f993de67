"""The outbox's delivery state: who may send a row, what a success or a refusal records."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select, text, update

from consents import clock
from consents.db import db
from consents.events import record_event
from consents.models import Consent, ConsentRequest, OutboundEmail

CLAIM_TIMEOUT = timedelta(minutes=10)
SWEEP_GRACE = timedelta(minutes=1)


def claim(email_id: int) -> bool:
    """Reserve an unsent email for this worker; False when it left already or another worker holds it."""
    at = clock.now()
    if db.session.get_bind().dialect.name == "postgresql":
        # Losing a claim in a crash is harmless (the row is simply unclaimed): skip the wait for the disk.
        db.session.execute(text("SET LOCAL synchronous_commit = off"))
    claimed = db.session.execute(
        update(OutboundEmail)
        .where(OutboundEmail.id == email_id, OutboundEmail.sent_at.is_(None), OutboundEmail.failed_at.is_(None),
               or_(OutboundEmail.claimed_at.is_(None), OutboundEmail.claimed_at < at - CLAIM_TIMEOUT))
        .values(claimed_at=at, attempts=OutboundEmail.attempts + 1)
    ).rowcount
    db.session.commit()
    return bool(claimed)


def mark_sent(email: OutboundEmail, message_id: str) -> None:
    """Record that an email left, and the 'sent' event of its request."""
    at = clock.now()
    email.sent_at, email.claimed_at = at, None
    if email.request_id is not None:
        request = db.session.get(ConsentRequest, email.request_id)
        if request.sent_at is None:
            request.sent_at = at
        record_event(request.consent, "sent", request=request,
                     data={"email_kind": email.kind, "message_id": message_id, "to": email.to})
    db.session.commit()


def mark_sent_only(email_id: int) -> None:
    """Record that an email left, and nothing else: the fallback when the full record failed after sending."""
    db.session.rollback()
    db.session.execute(update(OutboundEmail).where(OutboundEmail.id == email_id)
                       .values(sent_at=clock.now(), claimed_at=None))
    db.session.commit()


def mark_retry(email: OutboundEmail, error: str) -> None:
    """Release a temporarily failed email so the next attempt can take it."""
    email.claimed_at, email.last_error = None, error[:500]
    db.session.commit()


def mark_refused(email: OutboundEmail, error: str) -> None:
    """Record a permanent refusal: never retried; the request's address is flagged «adresse invalide»."""
    at = clock.now()
    email.failed_at, email.claimed_at, email.last_error = at, None, error[:500]
    if email.request_id is not None:
        request = db.session.get(ConsentRequest, email.request_id)
        consent = db.session.get(Consent, request.consent_id)
        consent.bounced_at = at
        record_event(consent, "bounced", request=request, data={"error": error[:200], "to": email.to})
    db.session.commit()


def sweepable(at: datetime | None = None, limit: int = 5000) -> list[int]:
    """Ids of emails that should have left by now and are not being sent."""
    at = at or clock.now()
    return list(db.session.execute(
        select(OutboundEmail.id)
        .where(OutboundEmail.sent_at.is_(None), OutboundEmail.failed_at.is_(None),
               OutboundEmail.created_at < at - SWEEP_GRACE,
               or_(OutboundEmail.claimed_at.is_(None), OutboundEmail.claimed_at < at - CLAIM_TIMEOUT))
        .order_by(OutboundEmail.id).limit(limit)
    ).scalars())


def batch_progress(batch_id: int) -> dict[str, int]:
    """Sent, failed and remaining emails of one ask batch."""
    rows = OutboundEmail.query.with_entities(OutboundEmail.sent_at, OutboundEmail.failed_at).filter_by(batch_id=batch_id)
    sent = failed = remaining = 0
    for sent_at, failed_at in rows:
        if sent_at is not None:
            sent += 1
        elif failed_at is not None:
            failed += 1
        else:
            remaining += 1
    return {"sent": sent, "failed": failed, "remaining": remaining, "total": sent + failed + remaining}
