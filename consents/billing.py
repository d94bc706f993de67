"""Billing: one charge per consent obtained through the platform, monthly totals with VAT, statements closed once.

VAT is computed on a month's HT total and rounded half up to the cent (EN 16931 BR-CO-17), so a month's TTC
can differ from n × 1,19 €. Statement numbers come from one locked counter row, never from a sequence, so
they are gap-free and chronological (CGI art. 242 nonies A).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from consents import clock
from consents.billing_models import Charge, Statement, StatementCounter
from consents.db import db
from consents.evidence_models import Proof
from consents.models import Consent, ConsentRequest, Contact
from consents.rules import RuleError

PRICE_HT = Decimal("0.99")
VAT_RATE = Decimal("0.20")
CENT = Decimal("0.01")
# A statement covers a French calendar month, whatever time zone the pages are shown in.
BILLING_ZONE = ZoneInfo("Europe/Paris")
NUMBER_PREFIX = "REL-"


def charge_acceptance(consent: Consent, request: ConsentRequest, proof: Proof) -> Charge:
    """Charge the consent a request just obtained, in the acceptance's own transaction."""
    charge = Charge(sender_id=consent.sender_id, consent_id=consent.id, contact_id=consent.contact_id,
                    request_id=request.id, proof_uuid=proof.uuid, amount_ht=PRICE_HT, created_at=clock.now())
    db.session.add(charge)
    return charge


@dataclass(frozen=True)
class Totals:
    """A month's count of consents obtained and its amounts, VAT on the HT total."""

    consents: int
    ht: Decimal

    @property
    def vat(self) -> Decimal:
        """VAT at 20 % of the HT total, rounded half up to the cent."""
        return (self.ht * VAT_RATE).quantize(CENT, rounding=ROUND_HALF_UP)

    @property
    def ttc(self) -> Decimal:
        """The HT total plus its VAT."""
        return self.ht + self.vat


def totals_for(consents: int) -> Totals:
    """The totals of a month of `consents` charges at today's price."""
    return Totals(consents, PRICE_HT * consents)


def month_of(at: datetime) -> date:
    """The first day of the French calendar month a naive UTC time falls in."""
    return at.replace(tzinfo=timezone.utc).astimezone(BILLING_ZONE).date().replace(day=1)


def next_month(month: date) -> date:
    """The first day of the following month."""
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def previous_month(month: date) -> date:
    """The first day of the preceding month."""
    return date(month.year - (month.month == 1), (month.month - 2) % 12 + 1, 1)


def utc_bounds(month: date) -> tuple[datetime, datetime]:
    """The naive UTC times a French calendar month starts at (included) and ends at (excluded)."""
    def start(day: date) -> datetime:
        return datetime(day.year, day.month, 1, tzinfo=BILLING_ZONE).astimezone(timezone.utc).replace(tzinfo=None)

    return start(month), start(next_month(month))


def local_time(at: datetime) -> datetime:
    """A naive UTC time in the billing zone, as a statement prints it."""
    return at.replace(tzinfo=timezone.utc).astimezone(BILLING_ZONE)


def _in_month(sender_id: int, month: date):
    """The SQL conditions selecting one sender's charges of one month."""
    start, end = utc_bounds(month)
    return Charge.sender_id == sender_id, Charge.created_at >= start, Charge.created_at < end


def _totals(rows) -> Totals:
    """Totals from (unit price, count) pairs, summed exactly in Decimal whatever the database returns."""
    return Totals(sum(count for _price, count in rows),
                  sum((Decimal(price) * count for price, count in rows), Decimal("0.00")))


def month_totals(sender_id: int, month: date) -> Totals:
    """One sender's totals for one month (so far, for the current one)."""
    return _totals(db.session.execute(select(Charge.amount_ht, func.count()).where(*_in_month(sender_id, month))
                                      .group_by(Charge.amount_ht)).all())


def statements(sender_id: int) -> list[Statement]:
    """A sender's statements, the latest month first."""
    return Statement.query.filter_by(sender_id=sender_id).order_by(Statement.month.desc()).all()


def find_statement(sender_id: int, month: date) -> Statement | None:
    """A sender's statement of one month, or None while the month is open or had no charge."""
    return Statement.query.filter_by(sender_id=sender_id, month=month).first()


def statement_lines(statement: Statement) -> list[tuple[datetime, str, str, str, Decimal]]:
    """The charges a statement covers, oldest first: (UTC time, email, name, proof id, HT amount)."""
    return db.session.execute(
        select(Charge.created_at, Contact.email, Contact.name, Charge.proof_uuid, Charge.amount_ht)
        .join(Contact, Contact.id == Charge.contact_id)
        .where(*_in_month(statement.sender_id, statement.month)).order_by(Charge.created_at, Charge.id)
    ).all()


def _lock_counter() -> StatementCounter:
    """The numbering counter, created on first use and locked until the transaction ends."""
    insert = postgresql_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    db.session.execute(insert(StatementCounter).values(id=1, last_number=0).on_conflict_do_nothing())
    return db.session.execute(select(StatementCounter).where(StatementCounter.id == 1).with_for_update()
                              .execution_options(populate_existing=True)).scalar_one()


def close_month(month: date) -> list[Statement]:
    """Issue, in one transaction, the statement of every sender charged in a month that has ended and has none yet.

    Closing a month again issues nothing; closings run at once queue on the counter and issue each statement once.
    """
    month = month.replace(day=1)
    start, end = utc_bounds(month)
    if end > clock.now():
        raise RuleError(_l("Un mois ne peut être clos qu'une fois terminé."))
    try:
        counter = _lock_counter()  # taken first: the query below then sees every statement a concurrent closing made
        closed = select(Statement.sender_id).where(Statement.month == month)
        rows = db.session.execute(
            select(Charge.sender_id, Charge.amount_ht, func.count())
            .where(Charge.created_at >= start, Charge.created_at < end, Charge.sender_id.not_in(closed))
            .group_by(Charge.sender_id, Charge.amount_ht).order_by(Charge.sender_id)).all()
        per_sender: dict[int, list] = {}
        for sender_id, price, count in rows:
            per_sender.setdefault(sender_id, []).append((price, count))
        issued = []
        for sender_id, prices in per_sender.items():
            totals = _totals(prices)
            counter.last_number += 1
            issued.append(Statement(number=f"{NUMBER_PREFIX}{counter.last_number:06d}", sender_id=sender_id,
                                    month=month, consents=totals.consents, total_ht=totals.ht, vat_rate=VAT_RATE,
                                    vat=totals.vat, total_ttc=totals.ttc, issued_at=clock.now()))
        db.session.add_all(issued)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return issued
