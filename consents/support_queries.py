"""Read side of the support console: searches across every sender, one recipient's consents, the audit log."""
from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from consents.db import db
from consents.exports import _local, neutralise
from consents.models import Consent, Contact, Sender
from consents.queries import PER_PAGE
from consents.staff_models import Staff, StaffAudit

FIELDS = ("email", "name", "sender")
MIN_SUBSTRING = 3  # a name or company searched by fewer letters would match half the base
AUDIT_HEADER = ("date", "membre", "action", "cible", "expéditeur", "consentement", "motif", "IP", "détails")


@dataclass
class Results:
    """One page of rows with what pagination links need."""

    rows: list
    page: int
    total: int
    per_page: int = PER_PAGE
    too_short: bool = False
    extra: dict = field(default_factory=dict)

    @property
    def pages(self) -> int:
        """Number of pages (at least 1)."""
        return max(1, math.ceil(self.total / self.per_page))


def _escape(text: str) -> str:
    """LIKE wildcards in a searched text matched as themselves."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_condition(field_name: str, q: str):
    """The SQL condition of a search, or None when the text is too short to search by."""
    q = " ".join((q or "").split()).lower()
    if field_name == "email" and q:
        # A prefix (or the whole address) reads the contact email index (varchar_pattern_ops on PostgreSQL).
        return Contact.email.like(_escape(q) + "%", escape="\\")
    if field_name == "sender" and q.replace(" ", "").isdigit() and len(q.replace(" ", "")) == 9:
        return Sender.siren == q.replace(" ", "")
    if len(q) < MIN_SUBSTRING:
        return None
    if field_name == "name":
        # The manager's trigram index on search_text (email and name) serves any substring.
        return Consent.search_text.like("%" + _escape(q) + "%", escape="\\")
    if field_name == "sender":
        return func.lower(Sender.legal_name).like("%" + _escape(q) + "%", escape="\\")
    return None


def search_consents(field_name: str, q: str, page: int = 1) -> Results:
    """Consents of every sender matching a search, newest change first: rows of (consent, sender)."""
    condition = search_condition(field_name if field_name in FIELDS else "email", q)
    if condition is None:
        return Results(rows=[], page=1, total=0, too_short=bool((q or "").strip()))
    matches = (select(Consent.id).join(Contact, Contact.id == Consent.contact_id)
               .join(Sender, Sender.id == Consent.sender_id).where(condition))
    total = db.session.execute(select(func.count()).select_from(matches.subquery())).scalar_one()
    page = max(1, min(page, max(1, math.ceil(total / PER_PAGE))))
    rows = db.session.execute(
        select(Consent, Sender).join(Contact, Contact.id == Consent.contact_id)
        .join(Sender, Sender.id == Consent.sender_id).where(condition)
        .order_by(Consent.changed_at.desc(), Consent.id.desc()).offset((page - 1) * PER_PAGE).limit(PER_PAGE)
    ).all()
    return Results(rows=rows, page=page, total=total)


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
