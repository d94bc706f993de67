"""The append-only history: the only way events are written."""
from __future__ import annotations

from consents import clock
from consents.db import db
from consents.models import Consent, ConsentEvent, ConsentRequest, User


def record_event(consent: Consent, kind: str, *, actor: str = "system", user: User | None = None,
                 request: ConsentRequest | None = None, ip: str | None = None,
                 user_agent: str | None = None, data: dict | None = None) -> ConsentEvent:
    """Add one history event to the current transaction (never updated, never deleted)."""
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
    )
    db.session.add(event)
    return event


def history(consent: Consent) -> list[ConsentEvent]:
    """Return the consent's events, oldest first."""
    return (
        ConsentEvent.query.filter_by(consent_id=consent.id)
        .order_by(ConsentEvent.created_at, ConsentEvent.id)
        .all()
    )
