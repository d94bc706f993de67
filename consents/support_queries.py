"""Read side of the support console: searches across every sender, one recipient's consents, the audit log."""
from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, func, select

from consents.db import db
from consents.exports import _local, neutralise
from consents.models import Consent, Contact, Sender
from consents.queries import PER_PAGE, matching
from consents.staff_models import Staff, StaffAudit

FIELDS = ("email", "name", "sender")
MIN_SUBSTRING = 3  # a name or company searched by fewer letters would match half the base
MAX_MATCHES = 1000  # addresses or names matching more than this ask for a narrower search
AUDIT_HEADER = ("date", "membre", "action", "cible", "expéditeur", "consentement", "motif", "IP", "détails")


@dataclass
class Results:
    """One page of rows with what pagination links need."""

    rows: list
    page: int
    total: int
    per_page: int = PER_PAGE
    too_short: bool = False
    capped: bool = False  # more matches than MAX_MATCHES: only the first are listed

    @property
    def pages(self) -> int:
        """Number of pages (at least 1)."""
        return max(1, math.ceil(self.total / self.per_page))


def _escape(text: str) -> str:
    """LIKE wildcards in a searched text matched as themselves."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _matching_ids(field_name: str, q: str) -> tuple[str, list[int]] | None:
    """What a search matches, found through its index before any join: ("consent", ids) for an address or a name,
    ("sender", ids) for a company; None when the text is too short to search by. At most MAX_MATCHES + 1 ids."""
    q = " ".join((q or "").split()).lower()
    digits = q.replace(" ", "")
    if field_name == "email" and q:
        # A prefix (or the whole address) reads the contact email index (varchar_pattern_ops on PostgreSQL).
        found = select(Consent.id).join(Contact, Contact.id == Consent.contact_id).where(
            Contact.email.like(_escape(q) + "%", escape="\\"))
        return "consent", list(db.session.execute(found.limit(MAX_MATCHES + 1)).scalars())
    if field_name == "sender" and digits.isdigit() and len(digits) == 9:
        return "sender", list(db.session.execute(select(Sender.id).where(Sender.siren == digits)).scalars())
    if len(q) < MIN_SUBSTRING:
        return None
    if field_name == "name":
        # The manager's trigram index on search_text (email and name) serves any substring.
        found = select(Consent.id).where(Consent.search_text.like("%" + _escape(q) + "%", escape="\\"))
        return "consent", list(db.session.execute(found.limit(MAX_MATCHES + 1)).scalars())
    if field_name == "sender":
        found = select(Sender.id).where(func.lower(Sender.legal_name).like("%" + _escape(q) + "%", escape="\\"))
        return "sender", list(db.session.execute(found.limit(MAX_MATCHES + 1)).scalars())
    return None


def search_consents(field_name: str, q: str, page: int = 1) -> Results:
    """Consents of every sender matching a search, newest change first: rows of (consent, sender).

    Matches are found first by their own index, then the page is read by id (or, for senders, along the
    manager's (sender_id, changed_at) index), so a join never makes the planner scan the whole table. An address
    or a name matching more than MAX_MATCHES consents shows the first ones and asks for a narrower search.
    """
    matched = _matching_ids(field_name if field_name in FIELDS else "email", q)
    if matched is None:
        return Results(rows=[], page=1, total=0, too_short=bool((q or "").strip()))
    kind, ids = matched
    capped = len(ids) > MAX_MATCHES
    ids = ids[:MAX_MATCHES]
    if not ids:
        return Results(rows=[], page=1, total=0)
    if kind == "consent":
        scope = matching(select(Consent, Sender).join(Sender, Sender.id == Consent.sender_id), Consent.id, ids,
                         Integer)
        total = len(ids)
    else:
        # A plain IN: with one sender the page is a backward walk of (sender_id, changed_at), the count index-only.
        scope = select(Consent, Sender).join(Sender, Sender.id == Consent.sender_id).where(Consent.sender_id.in_(ids))
        total = db.session.execute(select(func.count()).select_from(Consent)
                                   .where(Consent.sender_id.in_(ids))).scalar_one()
    page = max(1, min(page, max(1, math.ceil(total / PER_PAGE))))
    rows = db.session.execute(scope.order_by(Consent.changed_at.desc(), Consent.id.desc())
                              .offset((page - 1) * PER_PAGE).limit(PER_PAGE)).all()
    return Results(rows=rows, page=page, total=total, capped=capped)


def recipient_consents(email: str) -> list[tuple[Consent, Sender]]:
    """Every consent of one address, whatever the sender: rows of (consent, sender)."""
    return db.session.execute(
        select(Consent, Sender).join(Contact, Contact.id == Consent.contact_id)
        .join(Sender, Sender.id == Consent.sender_id).where(Contact.email == email)
        .order_by(Sender.legal_name, Consent.id)
    ).all()


@dataclass(frozen=True)
class AuditFilter:
    """What an admin narrows the audit log to."""

    staff_id: int | None = None
    action: str = ""
    target: str = ""
    since: date | None = None
    until: date | None = None

    def conditions(self) -> list:
        """The SQL conditions of the filter."""
        found = []
        if self.staff_id is not None:
            found.append(StaffAudit.staff_id == self.staff_id)
        if self.action:
            found.append(StaffAudit.action == self.action)
        if self.target:
            found.append(StaffAudit.target.like(_escape(self.target.lower()) + "%", escape="\\"))
        if self.since:
            found.append(StaffAudit.created_at >= datetime.combine(self.since, time()))
        if self.until:
            found.append(StaffAudit.created_at < datetime.combine(self.until + timedelta(days=1), time()))
        return found


def audit_page(audit_filter: AuditFilter, page: int = 1) -> Results:
    """One page of the audit log, newest first."""
    conditions = audit_filter.conditions()
    total = db.session.execute(select(func.count()).select_from(StaffAudit).where(*conditions)).scalar_one()
    page = max(1, min(page, max(1, math.ceil(total / PER_PAGE))))
    rows = db.session.execute(
        select(StaffAudit).where(*conditions).order_by(StaffAudit.id.desc())
        .offset((page - 1) * PER_PAGE).limit(PER_PAGE)
    ).scalars().all()
    return Results(rows=rows, page=page, total=total)


def audit_lines(audit_filter: AuditFilter, time_zone: str = "Europe/Paris") -> Iterator[str]:
    """The filtered audit log as CSV text (UTF-8 with BOM, `;`), oldest first, streamed."""
    staff_emails = dict(db.session.execute(select(Staff.id, Staff.email)).all())
    rows = db.session.execute(select(StaffAudit).where(*audit_filter.conditions()).order_by(StaffAudit.id)
                              .execution_options(yield_per=2000)).scalars()
    zone, buffer = ZoneInfo(time_zone), io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow(AUDIT_HEADER)
    for count, row in enumerate(rows, start=1):
        writer.writerow([neutralise(str(cell)) for cell in (
            _local(row.created_at, zone), staff_emails.get(row.staff_id, ""), row.action, row.target,
            row.sender_id or "", row.consent_id or "", row.reason, row.ip or "",
            " ".join(f"{key}={value}" for key, value in sorted((row.data or {}).items())))])
        if count % 2000 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
