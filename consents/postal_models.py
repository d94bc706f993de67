"""Database model of the postal addresses recipients give when they choose paper letters (LRO)."""
from __future__ import annotations

from consents import clock
from consents.db import db


def envelope_lines(line1: str, line2: str, postcode: str, town: str) -> list[str]:
    """An address as it is written on an envelope: its lines, the empty one left out."""
    return [line for line in (line1, line2, f"{postcode} {town}") if line]


class PostalAddress(db.Model):
    """The address a recipient gave with one paper choice; a later choice adds a row, none is overwritten."""

    __table_args__ = (db.Index("ix_postal_address_consent_latest", "consent_id", "id"),)

    id = db.Column(db.Integer, primary_key=True)
    consent_id = db.Column(db.Integer, db.ForeignKey("consent.id"), nullable=False)
    event_id = db.Column(db.Integer, db.ForeignKey("consent_event.id"), nullable=False, unique=True)
    line1 = db.Column(db.String(200), nullable=False)
    line2 = db.Column(db.String(200), nullable=False, default="")
    postcode = db.Column(db.String(5), nullable=False)
    town = db.Column(db.String(100), nullable=False)
    created_at = db.Column(db.DateTime, nullable=False, default=clock.now)

    @property
    def lines(self) -> list[str]:
        """The address as it is written on an envelope."""
        return envelope_lines(self.line1, self.line2, self.postcode, self.town)
