"""Support staff, apart from senders: their accounts, single-use recovery codes and the append-only audit log."""
from __future__ import annotations

from consents import clock
from consents.db import db

SUPPORT, ADMIN = "support", "admin"
ROLES = (SUPPORT, ADMIN)


class Staff(db.Model):
    """A support or admin account: password and TOTP, set up through a single-use link."""

    id = db.Column(db.Integer, primary_key=True)
    email = db.Column(db.String(254), nullable=False, unique=True)
    role = db.Column(db.String(20), nullable=False, default=SUPPORT)
    password_hash = db.Column(db.String(256))  # none until the setup link is used
    totp_secret = db.Column(db.Text)  # sealed (consents.sealed): a database dump gives no second factor
    totp_last_step = db.Column(db.BigInteger)  # the last 30-second step accepted: a code is never accepted twice
    setup_token_hash = db.Column(db.String(64), unique=True)
    setup_expires_at = db.Column(db.DateTime)
    activated_at = db.Column(db.DateTime)
    disabled_at = db.Column(db.DateTime)
    created_at = db.Column(db.DateTime, nullable=False, default=clock.now)
    created_by_id = db.Column(db.Integer, db.ForeignKey("staff.id"))
    # Part of the id the session carries: bumped at logout and when disabled, it voids every older cookie.
    session_version = db.Column(db.Integer, nullable=False, default=0, server_default="0")

    @property
    def is_admin(self) -> bool:
        """True for an admin, who also manages staff and reads the audit log."""
        return self.role == ADMIN

    @property
    def active(self) -> bool:
        """True once set up and while not disabled."""
        return self.activated_at is not None and self.disabled_at is None


class StaffRecoveryCode(db.Model):
    """One recovery code, kept as its SHA-256; good for one sign-in."""

    id = db.Column(db.Integer, primary_key=True)
    staff_id = db.Column(db.Integer, db.ForeignKey("staff.id"), nullable=False, index=True)
    code_hash = db.Column(db.String(64), nullable=False)
    used_at = db.Column(db.DateTime)


class StaffAudit(db.Model):
    """One staff action (sign-in, search, view, revocation…): append-only, the database refuses UPDATE and DELETE."""

    __table_args__ = (db.Index("ix_staff_audit_staff_created", "staff_id", "created_at"),)

    id = db.Column(db.Integer, primary_key=True)
    staff_id = db.Column(db.Integer, db.ForeignKey("staff.id"))
    action = db.Column(db.String(40), nullable=False, index=True)
    target = db.Column(db.String(300), nullable=False, default="")
    sender_id = db.Column(db.Integer, db.ForeignKey("sender.id"), index=True)
    consent_id = db.Column(db.Integer, db.ForeignKey("consent.id"))
    reason = db.Column(db.Text, nullable=False, default="")
    ip = db.Column(db.String(45))
    created_at = db.Column(db.DateTime, nullable=False, default=clock.now, index=True)
    data = db.Column(db.JSON, nullable=False, default=dict)

    staff = db.relationship(Staff)
