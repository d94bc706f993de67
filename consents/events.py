"""The append-only, hash-chained history: the only way events are written.

Each consent has its own chain: an event's hash covers the previous event's hash and the event's
canonical content, and the consent row keeps the head. Editing or deleting any event breaks the chain.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from consents import clock
from consents.canonical import canonical_json, sha256_hex
from consents.db import db
from consents.models import Consent, ConsentEvent, ConsentRequest, User

GENESIS = "0" * 64


def event_content(*, consent_id: int, request_id: int | None, kind: str, actor: str, actor_user_id: int | None,
                  created_at: datetime, ip: str | None, user_agent: str | None, data: dict, prev_hash: str) -> dict:
    """The fields an event's hash covers, in a stable form."""
    return {
        "consent_id": consent_id, "request_id": request_id, "kind": kind, "actor": actor,
        "actor_user_id": actor_user_id, "created_at": created_at.isoformat(timespec="microseconds"),
        "ip": ip, "user_agent": user_agent, "data": data, "prev_hash": prev_hash,
    }


def hash_event(event: ConsentEvent) -> str:
    """Recompute the chain hash of a stored or new event."""
    return sha256_hex(canonical_json(event_content(
        consent_id=event.consent_id, request_id=event.request_id, kind=event.kind, actor=event.actor,
        actor_user_id=event.actor_user_id, created_at=event.created_at, ip=event.ip,
        user_agent=event.user_agent, data=event.data or {}, prev_hash=event.prev_hash,
    )))


def lock_head(consent_id: int) -> str:
    """Return the consent's chain head, locking its row so concurrent writers queue instead of forking."""
    head = db.session.execute(
        select(Consent.head_hash).where(Consent.id == consent_id).with_for_update()
    ).scalar_one()
    return head or GENESIS


def record_event(consent: Consent, kind: str, *, actor: str = "system", user: User | None = None,
                 request: ConsentRequest | None = None, ip: str | None = None,
                 user_agent: str | None = None, data: dict | None = None) -> ConsentEvent:
    """Append one event to the consent's chain in the current transaction (never updated, never deleted)."""
    event = ConsentEvent(
        consent_id=consent.id,
        request_id=request.id if request is not None else None,
        kind=kind,
        actor="user" if user is not None else actor,
        actor_user_id=user.id if user is not None else None,
        created_at=clock.now(),
        ip=ip,
        user_agent=(user_agent or "")[:500] or None,
        data=data or {},
        prev_hash=lock_head(consent.id),
    )
    event.hash = hash_event(event)
    consent.head_hash = event.hash
    db.session.add(event)
    return event


def history(consent: Consent) -> list[ConsentEvent]:
    """Return the consent's events, oldest first."""
    return ConsentEvent.query.filter_by(consent_id=consent.id).order_by(ConsentEvent.id).all()
