"""The per-sender counts by stored status that database triggers keep as deltas (migration 0009)."""
from __future__ import annotations

from sqlalchemy import delete, func, select

from consents.db import db
from consents.models import STATUSES, ConsentCount


def stored_counts(sender_id: int) -> dict[str, int]:
    """A sender's consents by stored status: the sum of its delta rows."""
    row = db.session.execute(
        select(*(func.coalesce(func.sum(getattr(ConsentCount, s)), 0) for s in STATUSES))
        .where(ConsentCount.sender_id == sender_id)
    ).one()
    return dict(zip(STATUSES, (int(n) for n in row)))


def merge_counts(limit: int = 1000) -> int:
    """Fold each sender's delta rows into one, so reading stays a short sum; return how many senders."""
    senders = db.session.execute(
        select(ConsentCount.sender_id).group_by(ConsentCount.sender_id).having(func.count() > 1).limit(limit)
    ).scalars().all()
    for sender_id in senders:
        # Summing exactly the rows this DELETE removed: a delta committed meanwhile is either among them or kept.
        removed = db.session.execute(
            delete(ConsentCount).where(ConsentCount.sender_id == sender_id)
            .returning(*(getattr(ConsentCount, s) for s in STATUSES))
        ).all()
        totals = {s: sum(row[i] for row in removed) for i, s in enumerate(STATUSES)}
        db.session.add(ConsentCount(sender_id=sender_id, **totals))
        db.session.commit()
    return len(senders)
