"""Read-side queries of the manager: lists, counts and one sender's contacts."""
from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import and_, func, select

from consents import clock
from consents.db import db
from consents.models import PENDING, REFUSED, STATUSES, Consent, ConsentRequest

PER_PAGE = 25
INVALID = "invalid"  # filter: the latest request's email was refused for good
FILTERS = (*STATUSES, INVALID)


@dataclass
class Page:
    """One page of consents with what pagination links need."""

    items: list[Consent]
    page: int
    total: int
    per_page: int = PER_PAGE

    @property
    def pages(self) -> int:
        """Number of pages (at least 1)."""
        return max(1, math.ceil(self.total / self.per_page))


def status_counts(sender_id: int) -> dict[str, int]:
    """Count a sender's consents by effective status, expired pending ones as refused."""
    # Grouping on the raw column keeps an index-only scan; expired pending rows are counted aside.
    expired = func.count().filter(and_(Consent.status == PENDING, Consent.deadline <= clock.now()))
    rows = db.session.execute(
        select(Consent.status, func.count(), expired).where(Consent.sender_id == sender_id).group_by(Consent.status)
    ).all()
    counts = dict.fromkeys(FILTERS, 0)
    for status, total, n_expired in rows:
        counts[status] = counts.get(status, 0) + total - n_expired
        counts[REFUSED] += n_expired
    # Counted apart so the query above stays index-only; a partial index makes this one cheap.
    counts[INVALID] = db.session.execute(
        select(func.count()).select_from(Consent).where(Consent.sender_id == sender_id, Consent.bounced_at.is_not(None))
    ).scalar_one()
    return counts


def _like_pattern(q: str) -> str:
    """Escape LIKE wildcards in the searched text."""
    escaped = q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def list_consents(sender_id: int, *, status: str | None = None, q: str = "", page: int = 1,
                  counts: dict[str, int] | None = None, link_id: int | None = None) -> Page:
    """Return one page of a sender's consents, newest change first (optionally only those from a share link)."""
    conditions = [Consent.sender_id == sender_id]
    if link_id is not None:
        conditions.append(select(ConsentRequest.id).where(ConsentRequest.consent_id == Consent.id,
                                                          ConsentRequest.link_id == link_id).exists())
    if status == INVALID:
        conditions.append(Consent.bounced_at.is_not(None))
    elif status in STATUSES:
        conditions.append(Consent.status_filter(status))
    q = " ".join(q.split())
    if q:
        conditions.append(Consent.search_text.like(_like_pattern(q), escape="\\"))
    if counts is not None and not q and link_id is None:
        total = counts[status] if status in FILTERS else sum(counts[s] for s in STATUSES)
    else:
        total = db.session.execute(select(func.count()).select_from(Consent).where(*conditions)).scalar_one()
    page = max(1, min(page, max(1, math.ceil(total / PER_PAGE))))
    order = (Consent.changed_at.desc(), Consent.id.desc())
    # Page through ids only (an index-only scan), then load the page's rows with their contacts.
    page_ids = (select(Consent.id).where(*conditions).order_by(*order)
                .offset((page - 1) * PER_PAGE).limit(PER_PAGE).subquery())
    items = db.session.execute(
        select(Consent).join(page_ids, Consent.id == page_ids.c.id).order_by(*order)
    ).scalars().all()
    return Page(items=list(items), page=page, total=total)


def sender_consent(sender_id: int, consent_id: int) -> Consent | None:
    """Return a consent only if it belongs to the sender (others are invisible)."""
    return Consent.query.filter_by(id=consent_id, sender_id=sender_id).first()
