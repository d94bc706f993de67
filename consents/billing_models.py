"""Database models of billing: one charge per consent obtained, monthly statements and their numbering counter."""
from __future__ import annotations

from consents import clock
from consents.db import db


class Charge(db.Model):
    """The price of one consent obtained through the platform, written with the acceptance itself."""

    # With the amount in the index, a month's totals are read from the index alone.
    __table_args__ = (db.Index("ix_charge_sender_created", "sender_id", "created_at", "amount_ht"),)

    id = db.Column(db.Integer, primary_key=True)
    sender_id = db.Column(db.Integer, db.ForeignKey("sender.id"), nullable=False)
    consent_id = db.Column(db.Integer, db.ForeignKey("consent.id"), nullable=False, index=True)
    contact_id = db.Column(db.Integer, db.ForeignKey("contact.id"), nullable=False)
    # An accepted request is one acceptance: a double submit or a replay can never charge it twice.
    request_id = db.Column(db.Integer, db.ForeignKey("consent_request.id"), nullable=False, unique=True)
    proof_uuid = db.Column(db.String(36), nullable=False)  # the receipt number, as the statement prints it
    amount_ht = db.Column(db.Numeric(12, 2, asdecimal=True), nullable=False)
    created_at = db.Column(db.DateTime, nullable=False, default=clock.now)


class Statement(db.Model):
    """One sender's closed month: its totals frozen and a number from the one gap-free series."""

    __table_args__ = (db.UniqueConstraint("sender_id", "month", name="uq_statement_sender_month"),)

    id = db.Column(db.Integer, primary_key=True)
    number = db.Column(db.String(20), nullable=False, unique=True)
    sender_id = db.Column(db.Integer, db.ForeignKey("sender.id"), nullable=False)
    month = db.Column(db.Date, nullable=False)  # the first day of the month, French legal time
    consents = db.Column(db.Integer, nullable=False)
    total_ht = db.Column(db.Numeric(12, 2, asdecimal=True), nullable=False)
    vat_rate = db.Column(db.Numeric(5, 4, asdecimal=True), nullable=False)
    vat = db.Column(db.Numeric(12, 2, asdecimal=True), nullable=False)
    total_ttc = db.Column(db.Numeric(12, 2, asdecimal=True), nullable=False)
    issued_at = db.Column(db.DateTime, nullable=False, default=clock.now)


class StatementCounter(db.Model):
    """The last statement number given; its row is locked while a number is taken, so none is lost or shared."""

    id = db.Column(db.Integer, primary_key=True)
    last_number = db.Column(db.Integer, nullable=False, default=0)
