"""Database models of webhooks: a sender's endpoints, the messages a change causes, their deliveries."""
from __future__ import annotations

from consents import clock
from consents.db import db
from consents.models import Sender


class WebhookEndpoint(db.Model):
    """A URL of a sender's software that hears about the consent changes it subscribed to."""

    id = db.Column(db.Integer, primary_key=True)
    sender_id = db.Column(db.Integer, db.ForeignKey("sender.id"), nullable=False, index=True)
    url = db.Column(db.String(500), nullable=False)
    secret = db.Column(db.Text, nullable=False)  # the whsec_ secret, sealed (consents.sealed)
    events = db.Column(db.JSON, nullable=False, default=list)  # message types, e.g. ["consentement.accepte"]
    active = db.Column(db.Boolean, nullable=False, default=True)
    created_at = db.Column(db.DateTime, nullable=False, default=clock.now)
    failing_since = db.Column(db.DateTime)  # first failure since the last success
    disabled_at = db.Column(db.DateTime)  # switched off after failing for WEBHOOK_DISABLE_AFTER

    sender = db.relationship(Sender)


class WebhookMessage(db.Model):
    """One change told to a sender's endpoints; its id is the `webhook-id` of every delivery of it."""

    __table_args__ = (db.Index("ix_webhook_message_consent_seq", "consent_id", "sequence"),)

    id = db.Column(db.Integer, primary_key=True)
    sender_id = db.Column(db.Integer, db.ForeignKey("sender.id"), nullable=False)
    consent_id = db.Column(db.Integer, db.ForeignKey("consent.id"))  # none for a «Tester» message
    event_id = db.Column(db.Integer, db.ForeignKey("consent_event.id"))
    type = db.Column(db.String(60), nullable=False)
    sequence = db.Column(db.Integer, nullable=False, default=0)  # per consent: 1, 2, 3…
    payload = db.Column(db.Text, nullable=False)  # the exact JSON body that is signed
    created_at = db.Column(db.DateTime, nullable=False, default=clock.now)


class WebhookDelivery(db.Model):
    """One message to one endpoint: its attempts, their last result, when the next one is due."""

    __table_args__ = (
        db.UniqueConstraint("message_id", "endpoint_id", name="uq_webhook_delivery_message"),
        db.Index("ix_webhook_delivery_endpoint", "endpoint_id", "id"),
        db.Index("ix_webhook_delivery_due", "next_attempt_at",
                 postgresql_where=db.text("next_attempt_at IS NOT NULL"),
                 sqlite_where=db.text("next_attempt_at IS NOT NULL")),
    )

    id = db.Column(db.Integer, primary_key=True)
    message_id = db.Column(db.Integer, db.ForeignKey("webhook_message.id"), nullable=False)
    endpoint_id = db.Column(db.Integer, db.ForeignKey("webhook_endpoint.id"), nullable=False)
    consent_id = db.Column(db.Integer, index=True)  # copied from the message: the dispatcher finds new ones by it
    created_at = db.Column(db.DateTime, nullable=False, default=clock.now)
    next_attempt_at = db.Column(db.DateTime)  # none once delivered or given up
    attempts = db.Column(db.Integer, nullable=False, default=0)
    claimed_at = db.Column(db.DateTime)  # a worker is sending it: others keep off
    last_attempt_at = db.Column(db.DateTime)
    response_code = db.Column(db.Integer)
    last_error = db.Column(db.String(300))
    delivered_at = db.Column(db.DateTime)
    failed_at = db.Column(db.DateTime)  # every retry of the schedule failed

    message = db.relationship(WebhookMessage, lazy="joined")
    endpoint = db.relationship(WebhookEndpoint)

    @property
    def state(self) -> str:
        """delivered, failed or pending."""
        return "delivered" if self.delivered_at else "failed" if self.failed_at else "pending"
