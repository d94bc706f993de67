"""The outbox's delivery state: who may send a row, what a success or a refusal records."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Row, bindparam, literal_column, or_, select, update

from consents import clock
from consents.db import db, skip_disk_wait
from consents.events import record_event
from consents.models import Consent, ConsentRequest, EmailAttachment, OutboundEmail

CLAIM_TIMEOUT = timedelta(minutes=10)
SWEEP_GRACE = timedelta(minutes=1)


_outbox = OutboundEmail.__table__
# SQLAlchemy renders SQLite's RETURNING without table names, so its subqueries name the claimed row's columns in full.
_this_email, _its_request = literal_column("outbound_email.id"), literal_column("outbound_email.request_id")

# Built once, in plain (Core) form: a worker runs it for every email, and building it costs more than running it.
# It claims and loads in one statement: the row, its request's consent and whether files go with it.
_CLAIM = (
    update(_outbox)
    .where(_outbox.c.id == bindparam("email_id"), _outbox.c.sent_at.is_(None), _outbox.c.failed_at.is_(None),
           or_(_outbox.c.claimed_at.is_(None), _outbox.c.claimed_at < bindparam("stale_before")))
    .values(claimed_at=bindparam("at"), attempts=_outbox.c.attempts + 1)
    .returning(_outbox.c.id, _outbox.c.kind, _outbox.c.to, _outbox.c.subject, _outbox.c.text_body,
               _outbox.c.html_body, _outbox.c.link_secret, _outbox.c.created_at, _outbox.c.request_id,
               select(ConsentRequest.consent_id).where(ConsentRequest.id == _its_request)
               .scalar_subquery().label("consent_id"),
               select(EmailAttachment.id).where(EmailAttachment.email_id == _this_email)
               .exists().label("has_attachments"))
)
_SENT = update(_outbox).where(_outbox.c.id == bindparam("email_id")).values(sent_at=bindparam("at"), claimed_at=None)
_REQUEST_SENT = (update(ConsentRequest.__table__)
                 .where(ConsentRequest.__table__.c.id == bindparam("request_id"),
                        ConsentRequest.__table__.c.sent_at.is_(None))
                 .values(sent_at=bindparam("at")))


def claim(email_id: int) -> Row | None:
    """Reserve an unsent email and return what sending it needs; None when it left, was refused or is held."""
    at = clock.now()
    skip_disk_wait()  # losing a claim in a crash is harmless: the row is simply unclaimed
    email = db.session.execute(_CLAIM, {"email_id": email_id, "at": at, "stale_before": at - CLAIM_TIMEOUT}).first()
    db.session.commit()
    return email


def mark_sent(email: Row, message_id: str) -> None:
    """Record that a claimed email left, and the 'sent' event of its request, in one transaction."""
    at = clock.now()
    db.session.execute(_SENT, {"email_id": email.id, "at": at})
    if email.request_id is not None:
        db.session.execute(_REQUEST_SENT, {"request_id": email.request_id, "at": at})
        record_event(email.consent_id, "sent", request_id=email.request_id,
                     data={"email_kind": email.kind, "message_id": message_id, "to": email.to})
    db.session.commit()


def mark_sent_only(email_id: int) -> None:
    """Record that an email left, and nothing else: the fallback when the full record failed after sending."""
    db.session.rollback()
    db.session.execute(_SENT, {"email_id": email_id, "at": clock.now()})
    db.session.commit()


def mark_retry(email: Row, error: str) -> None:
    """Release a temporarily failed email so the next attempt can take it."""
    _release(email.id, last_error=error[:500])
    db.session.commit()


def mark_refused(email: Row, error: str) -> None:
    """Record a permanent refusal: never retried; the request's address is flagged «adresse invalide»."""
    at = clock.now()
    _release(email.id, failed_at=at, last_error=error[:500])
    if email.request_id is not None:
        db.session.execute(update(Consent).where(Consent.id == email.consent_id).values(bounced_at=at))
        record_event(email.consent_id, "bounced", request_id=email.request_id,
                     data={"error": error[:200], "to": email.to})
    db.session.commit()


def _release(email_id: int, **outcome) -> None:
    """Clear an email's claim and record the outcome of the attempt, in the current transaction."""
    db.session.execute(update(_outbox).where(_outbox.c.id == email_id).values(claimed_at=None, **outcome))


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
