"""Read-side queries of the manager: lists, counts and one sender's contacts."""
from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import Integer, String, bindparam, func, null, select
from sqlalchemy.dialects.postgresql import ARRAY

from consents.db import db
from consents.l100 import MAIL_TYPES, sendable
from consents.models import STATUSES, Consent, ConsentRequest, Contact

PER_PAGE = 25
INVALID = "invalid"  # filter: the latest request's email was refused for good
WITHDRAWAL = "withdrawal"  # filter: the recipient asked to withdraw and the sender has not recorded it yet
FILTERS = (*STATUSES, INVALID, WITHDRAWAL)
LIST_FILTERS = (*FILTERS, *MAIL_TYPES)  # «Envoi LRE possible», «Envoi avis possible»: listed, not counted
_FLAGS = {INVALID: Consent.bounced_at, WITHDRAWAL: Consent.withdrawal_requested_at}


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


def status_counts(sender_id: int, link_id: int | None = None) -> dict[str, int]:
    """Count a sender's consents (or a link's) by effective status, expired pending ones as refused, and flags."""
    # One pass over the (sender_id, status, deadline) index: pending rows are split by their deadline.
    scope = manager_filter(sender_id, None, "", link_id)
    effective = Consent.effective_status.label("effective")
    counts = dict.fromkeys(FILTERS, 0)
    for status, n in db.session.execute(select(effective, func.count()).where(*scope).group_by(effective)):
        counts[status] += n
    # Each flag has its partial index, so these counts read only the flagged rows.
    flagged = [select(func.count()).select_from(Consent).where(*scope, column.is_not(None)).scalar_subquery()
               for column in _FLAGS.values()]
    counts.update(zip(_FLAGS, db.session.execute(select(*flagged)).one()))
    return counts


def _like_pattern(q: str) -> str:
    """Escape LIKE wildcards in the searched text."""
    escaped = q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def manager_filter(sender_id: int, status: str | None, q: str, link_id: int | None) -> list:
    """SQL conditions selecting the consents the manager shows for a filter, a search and a link."""
    conditions = [Consent.sender_id == sender_id]
    if link_id is not None:
        conditions.append(select(ConsentRequest.id).where(ConsentRequest.consent_id == Consent.id,
                                                          ConsentRequest.link_id == link_id).exists())
    if status in _FLAGS:
        conditions.append(_FLAGS[status].is_not(None))
    elif status in STATUSES:
        conditions.append(Consent.status_filter(status))
    elif status in MAIL_TYPES:
        conditions.append(sendable(sender_id, status))
    q = " ".join(q.split())
    if q:
        conditions.append(Consent.search_text.like(_like_pattern(q), escape="\\"))
    return conditions


def list_consents(sender_id: int, *, status: str | None = None, q: str = "", page: int = 1,
                  link_id: int | None = None) -> Page:
    """Return one page of a sender's consents, newest change first (optionally only those from a share link)."""
    q = " ".join(q.split())
    matches = select(Consent.id, Consent.changed_at).where(*manager_filter(sender_id, status, q, link_id))
    if q:
        # A search rechecks every row it matches: find the matches once, then count and page that set.
        found = matches.cte("matches").prefix_with("MATERIALIZED")
        rows = _page_rows(found, page, select(func.count()).select_from(found).scalar_subquery())
        if rows or page == 1:
            return Page(items=[row[0] for row in rows], page=page, total=rows[0][1] if rows else 0)
    # Without a search the count reads the index only; asked past the last page, the last page is shown.
    total = db.session.execute(select(func.count()).select_from(matches.subquery())).scalar_one()
    page = max(1, min(page, max(1, math.ceil(total / PER_PAGE))))
    return Page(items=[row[0] for row in _page_rows(matches.subquery(), page)], page=page, total=total)


def _page_rows(matches, page: int, total=None) -> list:
    """One page of `matches` (ids and change times), newest change first: rows of (consent, `total`)."""
    # Page through ids only (an index-only scan when nothing is searched), then load those rows and contacts.
    page_ids = (select(matches.c.id, (null() if total is None else total).label("total"))
                .order_by(matches.c.changed_at.desc(), matches.c.id.desc())
                .offset((page - 1) * PER_PAGE).limit(PER_PAGE).subquery())
    return db.session.execute(
        select(Consent, page_ids.c.total).join(page_ids, Consent.id == page_ids.c.id)
        .order_by(Consent.changed_at.desc(), Consent.id.desc())
    ).all()


def matching(query, column, values: list, type_):
    """`query` limited to rows whose `column` is one of `values` (a thousand of them, say)."""
    if db.session.get_bind().dialect.name != "postgresql":
        return query.where(column.in_(values))
    # The values as one array joined to the table: PostgreSQL hashes it, where a list of a thousand bound values
    # would be compared one by one with every row (and an import grows a table faster than the statistics that
    # would steer the planner to the index).
    wanted = func.unnest(bindparam(None, values, type_=ARRAY(type_))).table_valued("value").render_derived()
    return query.join(wanted, column == wanted.c.value)


def contacts_by_email(sender_id: int, emails: list[str]) -> dict[str, Contact]:
    """A sender's contacts among some addresses, by address."""
    query = matching(select(Contact).where(Contact.sender_id == sender_id), Contact.email, emails, String)
    return {c.email: c for c in db.session.execute(query).scalars()}


def consents_by_contact(contact_ids: list[int]) -> dict[int, Consent]:
    """The consents of some contacts, by contact id."""
    query = matching(select(Consent), Consent.contact_id, contact_ids, Integer)
    return {c.contact_id: c for c in db.session.execute(query).scalars()}


def sender_consent(sender_id: int, consent_id: int) -> Consent | None:
    """Return a consent only if it belongs to the sender (others are invisible)."""
    return Consent.query.filter_by(id=consent_id, sender_id=sender_id).first()
