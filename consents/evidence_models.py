"""Database models of the evidence: signing keys, signed receipts of acceptances, checkpoints of the chains."""
from __future__ import annotations

from consents import clock
from consents.db import db
from consents.models import Consent
from consents.timestamps import is_demo_token


class SigningKey(db.Model):
    """A public key that signed receipts, kept after a rotation so old signatures stay verifiable."""

    kid = db.Column(db.String(32), primary_key=True)
    public_key = db.Column(db.String(64), nullable=False)  # raw Ed25519 key, base64url without padding
    created_at = db.Column(db.DateTime, nullable=False, default=clock.now)


class Proof(db.Model):
    """The signed receipt of one accepted consent, and its RFC 3161 token once the TSA answered."""

    __table_args__ = (db.Index("ix_proof_consent_latest", "consent_id", "id"),)

    id = db.Column(db.Integer, primary_key=True)
    uuid = db.Column(db.String(36), nullable=False, unique=True)
    consent_id = db.Column(db.Integer, db.ForeignKey("consent.id"), nullable=False, index=True)
    event_id = db.Column(db.Integer, db.ForeignKey("consent_event.id"), nullable=False, unique=True)
    receipt = db.Column(db.Text, nullable=False)  # the canonical JSON, exactly the signed bytes
    receipt_sha256 = db.Column(db.String(64), nullable=False, index=True)
    key_id = db.Column(db.String(32), db.ForeignKey("signing_key.kid"), nullable=False)
    signature = db.Column(db.String(100), nullable=False)  # Ed25519 over the receipt, base64
    tsr = db.Column(db.LargeBinary)  # the TSA's DER TimeStampResp, as `openssl ts -verify -in` reads it
    timestamped_at = db.Column(db.DateTime)  # genTime of the token
    timestamp_attempts = db.Column(db.Integer, nullable=False, default=0)
    timestamp_error = db.Column(db.String(500))
    withdrawal_token_hash = db.Column(db.String(64), unique=True)
    created_at = db.Column(db.DateTime, nullable=False, default=clock.now)

    consent = db.relationship(Consent)

    @property
    def demo_timestamp(self) -> bool:
        """True when `make run`'s demonstration authority stamped it: every page showing the stamp says so."""
        return is_demo_token(self.tsr)


class Checkpoint(db.Model):
    """The heads of every consent's chain at one moment, timestamped so history before it cannot be rewritten."""

    id = db.Column(db.Integer, primary_key=True)
    created_at = db.Column(db.DateTime, nullable=False, default=clock.now)
    heads = db.Column(db.Text, nullable=False)  # canonical JSON {consent_id: head_hash}
    heads_sha256 = db.Column(db.String(64), nullable=False)
    tsr = db.Column(db.LargeBinary)  # added once (the database refuses any other change)
    timestamped_at = db.Column(db.DateTime)


class EvidenceFile(db.Model):
    """A file a sender keeps as evidence of a consent obtained offline (a signed lease, an AG's minutes)."""

    id = db.Column(db.Integer, primary_key=True)
    sender_id = db.Column(db.Integer, db.ForeignKey("sender.id"), nullable=False, index=True)
    uploaded_by_id = db.Column(db.Integer, db.ForeignKey("user.id"))
    filename = db.Column(db.String(200), nullable=False)
    mimetype = db.Column(db.String(100), nullable=False)
    size = db.Column(db.Integer, nullable=False)
    sha256 = db.Column(db.String(64), nullable=False)
    storage_key = db.Column(db.String(200), nullable=False)
    created_at = db.Column(db.DateTime, nullable=False, default=clock.now)


class ImportFile(db.Model):
    """A spreadsheet a sender uploaded: previewed, then imported (ask or record) by a job that reports progress."""

    id = db.Column(db.Integer, primary_key=True)
    sender_id = db.Column(db.Integer, db.ForeignKey("sender.id"), nullable=False, index=True)
    uploaded_by_id = db.Column(db.Integer, db.ForeignKey("user.id"), nullable=False)
    filename = db.Column(db.String(200), nullable=False)
    size = db.Column(db.Integer, nullable=False)
    sha256 = db.Column(db.String(64), nullable=False)
    storage_key = db.Column(db.String(200), nullable=False)
    encoding = db.Column(db.String(20), nullable=False)
    separator = db.Column(db.String(1), nullable=False)
    created_at = db.Column(db.DateTime, nullable=False, default=clock.now)
    action = db.Column(db.String(20))  # ask or record, once chosen
    options = db.Column(db.JSON)  # what the chosen action needs: delay and scope, or source, date and evidence
    started_at = db.Column(db.DateTime)
    finished_at = db.Column(db.DateTime)
    total = db.Column(db.Integer, nullable=False, default=0, server_default="0")
    processed = db.Column(db.Integer, nullable=False, default=0, server_default="0")
    created = db.Column(db.Integer, nullable=False, default=0, server_default="0")
    skipped = db.Column(db.Integer, nullable=False, default=0, server_default="0")
    rejected = db.Column(db.Integer, nullable=False, default=0, server_default="0")
    result_key = db.Column(db.String(200))  # the result file (every row: created, skipped or rejected, and why)
    error = db.Column(db.String(500))
