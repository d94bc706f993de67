"""Database models of the API: senders' keys and the replies kept for idempotent requests."""
from __future__ import annotations

from consents import clock
from consents.db import db
from consents.models import Sender, User

SCOPES = ("read", "ask", "check")


class ApiKey(db.Model):
    """A key a sender's software presents as a Bearer token; only its HMAC is kept."""

    id = db.Column(db.Integer, primary_key=True)
    sender_id = db.Column(db.Integer, db.ForeignKey("sender.id"), nullable=False, index=True)
    created_by_id = db.Column(db.Integer, db.ForeignKey("user.id"), nullable=False)
    name = db.Column(db.String(100), nullable=False)
    prefix = db.Column(db.String(16), nullable=False)  # shown in lists so the sender can tell keys apart
    key_hash = db.Column(db.String(64), nullable=False, unique=True)
    scopes = db.Column(db.String(40), nullable=False)  # space-separated, from SCOPES
    created_at = db.Column(db.DateTime, nullable=False, default=clock.now)
    last_used_at = db.Column(db.DateTime)
    revoked_at = db.Column(db.DateTime)

    sender = db.relationship(Sender)
    created_by = db.relationship(User)


class IdempotentReply(db.Model):
    """The answer given to a request carrying an Idempotency-Key, replayed when the key comes again."""

    __table_args__ = (db.UniqueConstraint("api_key_id", "idempotency_key", name="uq_idempotent_reply_key"),)

    id = db.Column(db.Integer, primary_key=True)
    api_key_id = db.Column(db.Integer, db.ForeignKey("api_key.id"), nullable=False)
    idempotency_key = db.Column(db.String(200), nullable=False)
    request_hash = db.Column(db.String(64), nullable=False)  # the same key with another body is refused
    status_code = db.Column(db.Integer, nullable=False)
    body = db.Column(db.JSON, nullable=False)
    created_at = db.Column(db.DateTime, nullable=False, default=clock.now)
