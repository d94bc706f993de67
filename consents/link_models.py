"""Database models of share links: the public link, its visitors' confirmations, its daily visits."""
from __future__ import annotations

from consents import clock
from consents.db import db
from consents.models import ConsentRequest, Sender


class ShareLink(db.Model):
    """A public consent link a sender embeds in newsletters, on a website or on paper (QR code)."""

    id = db.Column(db.Integer, primary_key=True)
    sender_id = db.Column(db.Integer, db.ForeignKey("sender.id"), nullable=False, index=True)
    created_by_id = db.Column(db.Integer, db.ForeignKey("user.id"))
    slug = db.Column(db.String(24), nullable=False, unique=True)  # random: reveals nothing about anyone
    label = db.Column(db.String(100), nullable=False)
    scope_lre = db.Column(db.Boolean, nullable=False, default=True)
    scope_avis = db.Column(db.Boolean, nullable=False, default=False)
    active = db.Column(db.Boolean, nullable=False, default=True)
    created_at = db.Column(db.DateTime, nullable=False, default=clock.now)

    sender = db.relationship(Sender)


class LinkConfirmation(db.Model):
    """A visitor's request through a share link, waiting for the address owner's answer (double opt-in)."""

    __table_args__ = (db.Index("ix_link_confirmation_link_created", "link_id", "created_at"),)  # the funnel

    id = db.Column(db.Integer, primary_key=True)
    link_id = db.Column(db.Integer, db.ForeignKey("share_link.id"), nullable=False, index=True)
    email = db.Column(db.String(254), nullable=False)
    name = db.Column(db.String(200), nullable=False, default="")
    kind = db.Column(db.String(20), nullable=False)
    token_hash = db.Column(db.String(64), nullable=False, unique=True)
    created_at = db.Column(db.DateTime, nullable=False, default=clock.now)
    expires_at = db.Column(db.DateTime, nullable=False)
    ip = db.Column(db.String(45))
    user_agent = db.Column(db.String(500))
    request_id = db.Column(db.Integer, db.ForeignKey("consent_request.id"))  # set once the owner answered

    link = db.relationship(ShareLink)
    request = db.relationship(ConsentRequest)


class LinkVisit(db.Model):
    """How many times a share link's page was opened on one day."""

    __table_args__ = (db.UniqueConstraint("link_id", "day", name="uq_link_visit_link_day"),)

    id = db.Column(db.Integer, primary_key=True)
    link_id = db.Column(db.Integer, db.ForeignKey("share_link.id"), nullable=False)
    day = db.Column(db.Date, nullable=False)
    visits = db.Column(db.Integer, nullable=False, default=0)
