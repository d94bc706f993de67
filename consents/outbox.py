"""The outbox's delivery state: who may send a row, what a success or a refusal records."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Row, bindparam, literal_column, or_, select, update

from consents import clock
from consents.db import db, skip_disk_wait
from consents.events import chain_event, lock_head, record_event, write_events
from consents.models import Consent, ConsentRequest, EmailAttachment, OutboundEmail

# From claim to hand-off a worker needs at most two SMTP timeouts (30 s each) and its database work, about 90 s
# (jobs.queue.SECONDS_PER_EMAIL): a claim twice that old belongs to a worker that died, so its email may go again.
CLAIM_TIMEOUT = timedelta(minutes=3)
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
# The hand-off touches the email's own row and nothing else: no lock of any other row can hold it up.
_HANDED_OFF = (update(_outbox).where(_outbox.c.id == bindparam("email_id"), _outbox.c.sent_at.is_(None))
               .values(sent_at=bindparam("at")))
# Whoever clears the claim of a handed-off email writes its history: its worker, or the sweeper after a crash.
_HISTORY_TAKEN = (update(_outbox).where(_outbox.c.id == bindparam("email_id"), _outbox.c.sent_at.is_not(None),
                                        _outbox.c.claimed_at.is_not(None))
                  .values(claimed_at=None).returning(_outbox.c.id))
_HANDED_OFF_ROW = (select(_outbox.c.id, _outbox.c.kind, _outbox.c.to, _outbox.c.created_at, _outbox.c.request_id,
                          _outbox.c.sent_at, ConsentRequest.consent_id)
                   .outerjoin(ConsentRequest, ConsentRequest.id == _outbox.c.request_id)
                   .where(_outbox.c.id == bindparam("email_id")))
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


def record_hand_off(email_id: int) -> None:
    """Record at once, in a transaction of its own on the email's row only, that SMTP took it: never sent again.

    The claim stays until `record_sent` writes the history: a handed-off row still claimed has its history due.
    """
    db.session.rollback()  # a transaction of its own: nothing read while building the message rides along
    db.session.execute(_HANDED_OFF, {"email_id": email_id, "at": clock.now()})
    db.session.commit()


def record_sent(email_id: int, message_id: Callable[[Row], str]) -> bool:
    """Write a handed-off email's history once (its request's send time, a 'sent' event); False when done already."""
    email = db.session.execute(_HANDED_OFF_ROW, {"email_id": email_id}).first()
    if email is None or email.sent_at is None:
        return False
    # Every writer takes the consent's row before the email's: two writers queue, neither deadlocks.
    head = lock_head(email.consent_id) if email.consent_id is not None else None
    if db.session.execute(_HISTORY_TAKEN, {"email_id": email_id}).first() is None:
        db.session.rollback()  # another writer took it: the history is written once
        return False
    skip_disk_wait()  # lost in a crash, the history is simply due again: the sweeper writes it (history_due)
    if email.request_id is not None:
        db.session.execute(_REQUEST_SENT, {"request_id": email.request_id, "at": email.sent_at})
        write_events([chain_event(email.consent_id, "sent", prev_hash=head, at=clock.now(), request_id=email.request_id,
                                  data={"email_kind": email.kind, "message_id": message_id(email), "to": email.to})])
    db.session.commit()
    return True


def history_due(at: datetime | None = None, limit: int = 5000) -> list[int]:
    """Emails handed to SMTP whose worker did not write the history (it died, or the database failed it)."""
    at = at or clock.now()
    return list(db.session.execute(
        select(_outbox.c.id).where(_outbox.c.sent_at.is_not(None), _outbox.c.claimed_at.is_not(None),
                                   _outbox.c.sent_at < at - CLAIM_TIMEOUT)
        .order_by(_outbox.c.id).limit(limit)).scalars())


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
