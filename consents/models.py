"""Database models of the consent domain; times are naive UTC."""
from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import and_, case, or_
from sqlalchemy.ext.hybrid import hybrid_property

from consents import clock
from consents.db import db
from consents.sealed import reveal

KINDS = ("particulier", "professionnel", "administration")
PENDING, ACCEPTED, REFUSED, REVOKED, PAPER = "pending", "accepted", "refused", "revoked", "paper"
STATUSES = (ACCEPTED, REFUSED, PENDING, REVOKED, PAPER)


class Sender(db.Model):
    """An organisation that asks for consents; its legal name is what recipients see."""

    id = db.Column(db.Integer, primary_key=True)
    legal_name = db.Column(db.String(200), nullable=False)
    siren = db.Column(db.String(9))
    created_at = db.Column(db.DateTime, nullable=False, default=clock.now)


class User(UserMixin, db.Model):
    """A person who logs in: a sender's owner or member (support comes later)."""

    id = db.Column(db.Integer, primary_key=True)
    sender_id = db.Column(db.Integer, db.ForeignKey("sender.id"), nullable=False, index=True)
    email = db.Column(db.String(254), nullable=False, unique=True)
    password_hash = db.Column(db.String(256), nullable=False)
    role = db.Column(db.String(20), nullable=False, default="owner")
    created_at = db.Column(db.DateTime, nullable=False, default=clock.now)
    # Part of the id a session cookie carries: bumped at logout and password change, it voids every older cookie.
    session_version = db.Column(db.Integer, nullable=False, default=0, server_default="0")
    email_confirmed_at = db.Column(db.DateTime)  # none until the owner of the address follows the emailed link

    sender = db.relationship(Sender)

    def get_id(self) -> str:
        """The session's user id: the account and its current session version."""
        return f"{self.id}:{self.session_version}"


class AccountToken(db.Model):
    """A single-use link sent to an account's address (a password reset), kept only as its SHA-256."""

    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("user.id"), nullable=False, index=True)
    purpose = db.Column(db.String(20), nullable=False)
    token_hash = db.Column(db.String(64), nullable=False, unique=True)
    created_at = db.Column(db.DateTime, nullable=False, default=clock.now)
    expires_at = db.Column(db.DateTime, nullable=False)
    used_at = db.Column(db.DateTime)

    user = db.relationship(User)


class AskBatch(db.Model):
    """One submission of the ask form, for one or many recipients: its emails' progress is shown."""

    id = db.Column(db.Integer, primary_key=True)
    sender_id = db.Column(db.Integer, db.ForeignKey("sender.id"), nullable=False, index=True)
    created_by_id = db.Column(db.Integer, db.ForeignKey("user.id"))
    created_at = db.Column(db.DateTime, nullable=False, default=clock.now)
    reminders_enabled = db.Column(db.Boolean, nullable=False, default=True)


class Contact(db.Model):
    """A recipient in one sender's book, unique per sender and normalised email."""

    __table_args__ = (db.UniqueConstraint("sender_id", "email", name="uq_contact_sender_email"),
                      db.Index("ix_contact_sender_kind", "sender_id", "kind", "id"))  # «Envoi LRE possible»: professionals

    id = db.Column(db.Integer, primary_key=True)
    sender_id = db.Column(db.Integer, db.ForeignKey("sender.id"), nullable=False)
    email = db.Column(db.String(254), nullable=False)
    name = db.Column(db.String(200), nullable=False, default="")
    kind = db.Column(db.String(20), nullable=False, default="particulier")
    created_at = db.Column(db.DateTime, nullable=False, default=clock.now)


class Consent(db.Model):
    """The current state of one contact's consent to one sender."""

    __table_args__ = (
        db.UniqueConstraint("contact_id", name="uq_consent_contact_id"),
        db.Index("ix_consent_sender_changed", "sender_id", "changed_at", "id"),
        db.Index("ix_consent_sender_status", "sender_id", "status", "deadline"),
        db.Index("ix_consent_pending_deadline", "deadline",
                 postgresql_where=db.text("status = 'pending'"), sqlite_where=db.text("status = 'pending'")),
        db.Index("ix_consent_sender_bounced", "sender_id",
                 postgresql_where=db.text("bounced_at IS NOT NULL"), sqlite_where=db.text("bounced_at IS NOT NULL")),
        db.Index("ix_consent_sender_withdrawal", "sender_id",
                 postgresql_where=db.text("withdrawal_requested_at IS NOT NULL"),
                 sqlite_where=db.text("withdrawal_requested_at IS NOT NULL")),
        *(db.Index(f"ix_consent_sender_{scope}_given", "sender_id", "changed_at", "id",  # consents.l100.sendable
                   postgresql_where=db.text(f"status = 'accepted' AND {scope} AND withdrawal_requested_at IS NULL"),
                   sqlite_where=db.text(f"status = 'accepted' AND {scope} AND withdrawal_requested_at IS NULL"))
          for scope in ("scope_lre", "scope_avis")),
    )

    id = db.Column(db.Integer, primary_key=True)
    sender_id = db.Column(db.Integer, db.ForeignKey("sender.id"), nullable=False)
    contact_id = db.Column(db.Integer, db.ForeignKey("contact.id"), nullable=False)
    status = db.Column(db.String(20), nullable=False, default=PENDING)
    scope_lre = db.Column(db.Boolean, nullable=False, default=True)
    scope_avis = db.Column(db.Boolean, nullable=False, default=False)
    channel = db.Column(db.String(20), nullable=False, default="email")
    deadline = db.Column(db.DateTime)
    decided_at = db.Column(db.DateTime)
    revoked_at = db.Column(db.DateTime)
    changed_at = db.Column(db.DateTime, nullable=False, default=clock.now)
    bounced_at = db.Column(db.DateTime)  # the latest request's email was refused for good
    withdrawal_requested_at = db.Column(db.DateTime)  # the recipient asked to withdraw; the sender has not recorded it
    head_hash = db.Column(db.String(64))  # hash of the newest event in this consent's chain
    # Denormalised from the contact so the manager's search and sort need no join.
    search_text = db.Column(db.String(460), nullable=False, default="")

    contact = db.relationship(Contact, lazy="joined")
    requests = db.relationship("ConsentRequest", back_populates="consent", order_by="ConsentRequest.id")

    @hybrid_property
    def effective_status(self) -> str:
        """Status as the law reads it now: a pending consent past its deadline is refused."""
        if self.status == PENDING and self.deadline is not None and self.deadline <= clock.now():
            return REFUSED
        return self.status

    @effective_status.inplace.expression
    @classmethod
    def _effective_status_expression(cls):
        expired = and_(cls.status == PENDING, cls.deadline <= clock.now())
        return case((expired, REFUSED), else_=cls.status)

    @property
    def expired(self) -> bool:
        """True when the refusal comes from an unanswered deadline rather than an answer."""
        return self.status == PENDING and self.effective_status == REFUSED

    @classmethod
    def status_filter(cls, status: str):
        """SQL condition selecting consents whose effective status is `status`."""
        at = clock.now()
        if status == PENDING:
            return and_(cls.status == PENDING, or_(cls.deadline.is_(None), cls.deadline > at))
        if status == REFUSED:
            return or_(cls.status == REFUSED, and_(cls.status == PENDING, cls.deadline <= at))
        return cls.status == status

    @property
    def scope_label_keys(self) -> list[str]:
        """The scope as a list of keys: 'lre', 'avis'."""
        return [k for k, on in (("lre", self.scope_lre), ("avis", self.scope_avis)) if on]


class ConsentRequest(db.Model):
    """One ask sent to a recipient, reachable only through its secret token."""

    __table_args__ = (
        db.Index("ix_consent_request_consent_latest", "consent_id", "id"),
        db.Index("ix_consent_request_sender_created", "sender_id", "created_at",  # the manager's funnel
                 postgresql_include=["channel", "sent_at", "opened_at", "answer"]),
        db.Index("ix_consent_request_open_deadline", "deadline",
                 postgresql_where=db.text("answered_at IS NULL"), sqlite_where=db.text("answered_at IS NULL")),
    )

    id = db.Column(db.Integer, primary_key=True)
    consent_id = db.Column(db.Integer, db.ForeignKey("consent.id"), nullable=False, index=True)
    sender_id = db.Column(db.Integer, db.ForeignKey("sender.id"), nullable=False)
    requested_by_id = db.Column(db.Integer, db.ForeignKey("user.id"))
    channel = db.Column(db.String(20), nullable=False, default="email")
    scope_lre = db.Column(db.Boolean, nullable=False, default=True)
    scope_avis = db.Column(db.Boolean, nullable=False, default=False)
    delay_days = db.Column(db.Integer, nullable=False)
    deadline = db.Column(db.DateTime, nullable=False)
    created_at = db.Column(db.DateTime, nullable=False, default=clock.now)
    sent_at = db.Column(db.DateTime)
    opened_at = db.Column(db.DateTime)
    answered_at = db.Column(db.DateTime)
    answer = db.Column(db.String(20))
    last_reminded_at = db.Column(db.DateTime)
    link_id = db.Column(db.Integer, db.ForeignKey("share_link.id"), index=True)  # channel «lien»: the link used
    reminders_enabled = db.Column(db.Boolean, nullable=False, default=True, server_default=db.true())
    auto_reminded_at = db.Column(db.DateTime)
    batch_id = db.Column(db.Integer, db.ForeignKey("ask_batch.id"), index=True)
    paper_offered = db.Column(db.Boolean, nullable=False, default=False, server_default=db.false())  # LRO: paper too

    consent = db.relationship(Consent, back_populates="requests")
    sender = db.relationship(Sender)
    requested_by = db.relationship(User)

    @property
    def is_open(self) -> bool:
        """True while the recipient can still answer."""
        return self.answered_at is None and self.deadline > clock.now()


class RequestToken(db.Model):
    """A secret link to a request, kept only as its SHA-256; a reminder adds one, the first stays valid."""

    id = db.Column(db.Integer, primary_key=True)
    request_id = db.Column(db.Integer, db.ForeignKey("consent_request.id"), nullable=False, index=True)
    token_hash = db.Column(db.String(64), nullable=False, unique=True)
    created_at = db.Column(db.DateTime, nullable=False, default=clock.now)

    request = db.relationship(ConsentRequest)


class ConsentEvent(db.Model):
    """One line of a consent's append-only history."""

    __table_args__ = (
        db.Index("ix_consent_event_expired_at", "created_at",
                 postgresql_where=db.text("kind = 'expired'"), sqlite_where=db.text("kind = 'expired'")),
    )

    id = db.Column(db.Integer, primary_key=True)
    consent_id = db.Column(db.Integer, db.ForeignKey("consent.id"), nullable=False, index=True)
    request_id = db.Column(db.Integer, db.ForeignKey("consent_request.id"))
    kind = db.Column(db.String(30), nullable=False)
    actor = db.Column(db.String(20), nullable=False)  # user, recipient, system
    actor_user_id = db.Column(db.Integer, db.ForeignKey("user.id"))
    created_at = db.Column(db.DateTime, nullable=False, default=clock.now)
    ip = db.Column(db.String(45))
    user_agent = db.Column(db.String(500))
    data = db.Column(db.JSON, nullable=False, default=dict)
    prev_hash = db.Column(db.String(64), nullable=False)
    hash = db.Column(db.String(64), nullable=False)

    actor_user = db.relationship(User)


class OutboundEmail(db.Model):
    """An email waiting to leave or already sent: written with the change that causes it."""

    __table_args__ = (
        db.Index("ix_outbound_email_unsent", "id",
                 postgresql_where=db.text("sent_at IS NULL AND failed_at IS NULL"),
                 sqlite_where=db.text("sent_at IS NULL AND failed_at IS NULL")),
        db.Index("ix_outbound_email_handed_off", "id",
                 postgresql_where=db.text("sent_at IS NOT NULL AND claimed_at IS NOT NULL"),
                 sqlite_where=db.text("sent_at IS NOT NULL AND claimed_at IS NOT NULL")),
    )

    id = db.Column(db.Integer, primary_key=True)
    sender_id = db.Column(db.Integer, db.ForeignKey("sender.id"), index=True)
    request_id = db.Column(db.Integer, db.ForeignKey("consent_request.id"), index=True)
    kind = db.Column(db.String(30), nullable=False)
    to = db.Column(db.String(254), nullable=False)
    subject = db.Column(db.String(300), nullable=False)
    text_body = db.Column(db.Text, nullable=False)
    html_body = db.Column(db.Text, nullable=False)
    created_at = db.Column(db.DateTime, nullable=False, default=clock.now)
    sent_at = db.Column(db.DateTime)
    attempts = db.Column(db.Integer, nullable=False, default=0)
    last_error = db.Column(db.String(500))
    claimed_at = db.Column(db.DateTime)  # a worker is sending it; still set after sent_at: its history is due
    failed_at = db.Column(db.DateTime)  # refused for good (SMTP 5xx): never retried
    batch_id = db.Column(db.Integer, db.ForeignKey("ask_batch.id"), index=True)
    dedup_key = db.Column(db.String(120), unique=True)  # one email per key, e.g. a sender's daily digest
    link_secret = db.Column(db.Text)  # the personal link, sealed (consents.sealed); the bodies hold a marker

    @property
    def sent_text(self) -> str:
        """The plain-text body as it leaves, its personal link in place."""
        return reveal(self.text_body, self.link_secret)

    @property
    def sent_html(self) -> str:
        """The HTML body as it leaves, its personal link in place."""
        return reveal(self.html_body, self.link_secret, html=True)


def utc_iso(at: datetime | None) -> str | None:
    """Format a naive UTC datetime as ISO 8601 with a Z."""
    return at.strftime("%Y-%m-%dT%H:%M:%SZ") if at else None


class EmailAttachment(db.Model):
    """A file attached to an outbox email: stored bytes, or a proof's certificate rendered at send time."""

    id = db.Column(db.Integer, primary_key=True)
    email_id = db.Column(db.Integer, db.ForeignKey("outbound_email.id"), nullable=False, index=True)
    filename = db.Column(db.String(200), nullable=False)
    mimetype = db.Column(db.String(100), nullable=False)
    content = db.Column(db.LargeBinary)
    proof_id = db.Column(db.Integer, db.ForeignKey("proof.id"))
