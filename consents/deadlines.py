"""Deadlines: the nightly expiry of unanswered requests, the senders' digest, automatic reminders."""
from __future__ import annotations

from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, time, timedelta
from functools import partial

from flask import render_template
from flask_babel import force_locale
from flask_babel import ngettext
from sqlalchemy import Connection, Engine, Row, and_, bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from consents import clock
from consents.canonical import canonical_json, sha256_hex
from consents.db import db
from consents.emails import queue_request_email
from consents.events import GENESIS, event_content, record_event
from consents.lifecycle import new_token
from consents.links import public_url
from consents.models import (
    PENDING, REFUSED, Consent, ConsentEvent, ConsentRequest, Contact, OutboundEmail, Sender, User, utc_iso,
)

EXPIRY_BATCH = 5000
EXPIRY_PARTS = 2  # PostgreSQL: id ranges expired side by side, one connection each (a small server has 2 cores)
REMINDER_BATCH = 500
DIGEST_EXAMPLES = 20
MAX_REMINDER_LEAD = timedelta(days=3)


def expire_overdue(at: datetime | None = None, batch_size: int = EXPIRY_BATCH) -> Counter:
    """Refuse every pending consent past its deadline, one «expiré» event each; return counts per sender.

    Works in set-based batches: one SELECT, one multi-row INSERT of events and one UPDATE per batch,
    so a million expiries never load a million objects. Rows another transaction holds are skipped
    (PostgreSQL) and taken by the next run. On PostgreSQL the ids are split into EXPIRY_PARTS ranges
    expired side by side, each on its own connection: one thread hashes while the other's statements
    run, and both cores work.
    """
    at = at or clock.now()
    engine = db.engine
    ranges = _id_ranges(engine, at, EXPIRY_PARTS if engine.dialect.name == "postgresql" else 1)
    expire_range = partial(_expire_range, engine, at, batch_size)
    if len(ranges) <= 1:
        return sum(map(expire_range, ranges), Counter())
    with ThreadPoolExecutor(len(ranges)) as pool:
        return sum(pool.map(expire_range, ranges), Counter())


def _overdue(at: datetime):
    """SQL condition: a pending consent whose deadline has passed at `at`."""
    return and_(Consent.status == PENDING, Consent.deadline <= at)


def _id_ranges(engine: Engine, at: datetime, parts: int) -> list[tuple[int, int]]:
    """Split the ids of the overdue consents into up to `parts` contiguous ranges (first, last)."""
    with engine.connect() as conn:
        low, high = conn.execute(select(func.min(Consent.id), func.max(Consent.id)).where(_overdue(at))).one()
    if low is None:
        return []
    # Contiguous ranges, not id modulo: each connection then works on its own heap and index pages.
    step = (high - low) // parts + 1
    return [(first, min(first + step - 1, high)) for first in range(low, high + 1, step)]


def _expire_range(engine: Engine, at: datetime, batch_size: int, ids: tuple[int, int]) -> Counter:
    """Expire the overdue consents whose ids fall in one range, committing batch by batch."""
    per_sender: Counter = Counter()
    after, last = ids[0] - 1, ids[1]  # keyset: each batch starts past the last one instead of rescanning
    with engine.connect() as conn:
        while rows := _lock_overdue(conn, at, after, last, batch_size):
            after = rows[-1].id
            events = [_expiry_event(row, at) for row in rows]
            if conn.dialect.name == "postgresql":
                _write_expiries_postgres(conn, at, events)
            else:
                _write_expiries(conn, events)
            conn.commit()
            per_sender.update(row.sender_id for row in rows)
    return per_sender


def _lock_overdue(conn: Connection, at: datetime, after: int, last: int, batch_size: int) -> list:
    """Lock the next batch of overdue consents with ids in (after, last], with each one's latest request."""
    latest_request = (select(func.max(ConsentRequest.id)).where(ConsentRequest.consent_id == Consent.id)
                      .correlate(Consent).scalar_subquery())
    return conn.execute(
        select(Consent.id, Consent.sender_id, Consent.head_hash, Consent.deadline, latest_request.label("request_id"))
        .where(_overdue(at), Consent.id > after, Consent.id <= last)
        .order_by(Consent.id).limit(batch_size).with_for_update(skip_locked=True, of=Consent)
    ).all()


def _expiry_event(row: Row, at: datetime) -> dict:
    """The «expiré» event extending one consent's chain, with its hash."""
    content = event_content(
        consent_id=row.id, request_id=row.request_id, kind="expired", actor="system", actor_user_id=None,
        created_at=at, ip=None, user_agent=None, data={"deadline": utc_iso(row.deadline)},
        prev_hash=row.head_hash or GENESIS,
    )
    return {**content, "created_at": at, "hash": sha256_hex(canonical_json(content))}


def _write_expiries(conn: Connection, events: list[dict]) -> None:
    """Insert a batch's «expiré» events and refuse its consents (SQLite, or any database)."""
    conn.execute(insert(ConsentEvent.__table__), events)
    conn.execute(
        update(Consent.__table__).where(Consent.__table__.c.id == bindparam("consent_id"))
        .values(status=REFUSED, changed_at=Consent.__table__.c.deadline, head_hash=bindparam("hash")),
        [{"consent_id": e["consent_id"], "hash": e["hash"]} for e in events],
    )


# On PostgreSQL a batch travels as arrays in binary form (%(name)b: no per-element quoting in Python):
# two short statements whose plans are cached, however many rows. The event's data is built from the same
# deadline string its hash covers.
_INSERT_EXPIRED = """
    INSERT INTO consent_event (consent_id, request_id, kind, actor, actor_user_id, created_at, ip, user_agent,
                               data, prev_hash, hash)
    SELECT u.consent_id, u.request_id, 'expired', 'system', NULL, %(at)s, NULL, NULL,
           json_build_object('deadline', u.deadline), u.prev_hash, u.hash
    FROM unnest(CAST(%(consent_ids)b AS integer[]), CAST(%(request_ids)b AS integer[]), CAST(%(deadlines)b AS text[]),
                CAST(%(prevs)b AS text[]), CAST(%(hashes)b AS text[])) AS u(consent_id, request_id, deadline, prev_hash, hash)
"""
_REFUSE_EXPIRED = """
    UPDATE consent SET status = 'refused', changed_at = consent.deadline, head_hash = u.head
    FROM unnest(CAST(%(ids)b AS integer[]), CAST(%(heads)b AS text[])) AS u(id, head)
    WHERE consent.id = u.id
"""


def _write_expiries_postgres(conn: Connection, at: datetime, events: list[dict]) -> None:
    """Insert a batch's «expiré» events and refuse its consents, each in one statement."""
    # The job is idempotent and re-run every night: a crash losing the last commits only leaves those
    # consents pending (they already read as refused) for the next run, so skip the wait for the disk.
    conn.exec_driver_sql("SET LOCAL synchronous_commit = off")
    consent_ids = [e["consent_id"] for e in events]
    hashes = [e["hash"] for e in events]
    conn.exec_driver_sql(_INSERT_EXPIRED, {
        "at": at, "consent_ids": consent_ids, "request_ids": [e["request_id"] for e in events],
        "deadlines": [e["data"]["deadline"] for e in events],
        "prevs": [e["prev_hash"] for e in events], "hashes": hashes,
    })
    conn.exec_driver_sql(_REFUSE_EXPIRED, {"ids": consent_ids, "heads": hashes})


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    """Start and end (UTC) of a calendar day."""
    start = datetime.combine(day, time.min)
    return start, start + timedelta(days=1)


def queue_expiry_digests(day: date) -> list[int]:
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
    created = []
    for sender_id, count in counts:
        key = f"expiry-digest:{sender_id}:{day.isoformat()}"
        if OutboundEmail.query.filter_by(dedup_key=key).first() is not None:
            continue
        email = _digest_email(db.session.get(Sender, sender_id), count, examples[sender_id], start, key)
        if email is None:
            continue
        try:
            db.session.commit()
        except IntegrityError:  # another run wrote the same digest a moment ago
            db.session.rollback()
            continue
        created.append(email.id)
    return created


def _digest_email(sender: Sender, count: int, examples: list, day: datetime, key: str) -> OutboundEmail | None:
    """Add a sender's digest email (to the sender's users) to the session."""
    recipients = [u.email for u in User.query.filter_by(sender_id=sender.id)]
    if not recipients:
        return None
    context = dict(sender=sender, count=count, examples=examples, day=day,
                   manager_url=public_url("sender.manager", statut="refused"))
    with force_locale("fr"):
        email = OutboundEmail(
            sender_id=sender.id, kind="digest", to=", ".join(recipients)[:254], dedup_key=key,
            subject=ngettext("%(num)d demande de consentement expirée sans réponse",
                             "%(num)d demandes de consentement expirées sans réponse", count)[:300],
            text_body=render_template("emails/expiry_digest.txt", **context),
            html_body=render_template("emails/expiry_digest.html", **context),
        )
    db.session.add(email)
    return email


def reminder_lead(delay_days: int) -> timedelta | None:
    """How long before the deadline the automatic reminder goes; None when the delay is too short."""
    if delay_days >= 10:
        return MAX_REMINDER_LEAD
    if delay_days >= 5:
        return timedelta(days=2)
    return None


def send_due_reminders(at: datetime | None = None, batch_size: int = REMINDER_BATCH) -> list[int]:
    """Queue the one automatic reminder of every unanswered request whose reminder time has come."""
    at = at or clock.now()
    queued: list[int] = []
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
            return queued
        for request in due:
            request.auto_reminded_at = at
            link = public_url("recipient.answer", token=new_token(request))
            sender = db.session.get(Sender, request.sender_id)
            email = queue_request_email(request, sender, link, reminder=True)
            record_event(request.consent, "reminded", request=request, data={"automatic": True})
            db.session.flush()
            queued.append(email.id)
        db.session.commit()
        if len(due) < len(candidates):
            return queued
