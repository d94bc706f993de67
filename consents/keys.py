"""The Ed25519 key that signs receipts: loading, dev-only generation, key ids and the published key set."""
from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from flask import current_app
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError

from consents import clock
from consents.db import db
from consents.evidence_models import SigningKey

DEV_KEY_FILE = "signing_key.pem"


class SigningKeyError(RuntimeError):
    """The signing key is missing or unreadable."""


@dataclass(frozen=True)
class Key:
    """A loaded private key with its key id."""

    kid: str
    private: Ed25519PrivateKey

    @property
    def public_raw(self) -> bytes:
        """The 32 raw bytes of the public key."""
        return self.private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def b64url(data: bytes) -> str:
    """Base64url without padding, as JWK writes keys."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Decode base64url with or without padding."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def key_id(public_raw: bytes) -> str:
    """The key id: the first 16 hex digits of the SHA-256 of the raw public key."""
    return hashlib.sha256(public_raw).hexdigest()[:16]


def _parse_private(text: bytes) -> Ed25519PrivateKey:
    """Read a PEM private key, or the base64 of 32 raw bytes (handy in an environment variable)."""
    text = text.strip()
    if text.startswith(b"-----BEGIN"):
        key = serialization.load_pem_private_key(text, password=None)
    else:
        key = Ed25519PrivateKey.from_private_bytes(base64.b64decode(text))
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError("the signing key must be an Ed25519 key")
    return key


def _dev_key_path() -> Path:
    """Generate the instance folder's key once (development and tests only) and return its path."""
    path = Path(current_app.instance_path) / DEV_KEY_FILE
    if not path.exists():
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        try:
            # O_EXCL: two processes starting together must not each write a different key.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
    return path


def load_key() -> Key:
    """The configured signing key: SIGNING_KEY (text), SIGNING_KEY_FILE (path), or the dev key outside production."""
    cached = current_app.extensions.get("signing_key")
    if cached is not None:
        return cached
    config = current_app.config
    if config.get("SIGNING_KEY"):
        raw = config["SIGNING_KEY"].encode("ascii")
    elif config.get("SIGNING_KEY_FILE"):
        raw = Path(config["SIGNING_KEY_FILE"]).read_bytes()
    elif config.get("APP_ENV") != "production":
        raw = _dev_key_path().read_bytes()
    else:
        raise SigningKeyError("SIGNING_KEY or SIGNING_KEY_FILE must be set in production")
    private = _parse_private(raw)
    public_raw = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    key = Key(key_id(public_raw), private)
    current_app.extensions["signing_key"] = key
    return key


def register_key(key: Key) -> None:
    """Record the public key in the key set (once), in the current transaction."""
    # The session holds the row it found or wrote: a batch of proofs then costs no query per proof (and no
    # flush per proof). A row written in a transaction that rolled back is no longer persistent: asked again.
    held = db.session.info.setdefault("signing_keys", {})
    if held.get(key.kid) is not None and inspect(held[key.kid]).persistent:
        return
    with db.session.no_autoflush:
        row = db.session.get(SigningKey, key.kid)
    if row is None:
        try:
            # A savepoint: a concurrent first signer may insert the same key; then ours is simply not needed.
            with db.session.begin_nested():
                row = SigningKey(kid=key.kid, public_key=b64url(key.public_raw), created_at=clock.now())
                db.session.add(row)
        except IntegrityError:
            return
    held[key.kid] = row


def public_key(kid: str) -> Ed25519PublicKey | None:
    """The public key with id `kid` from the key set, or None when we never used it."""
    row = db.session.get(SigningKey, kid)
    return Ed25519PublicKey.from_public_bytes(b64url_decode(row.public_key)) if row else None


def published_keys() -> dict:
    """Current and past public keys as a JWK set, newest first."""
    current = load_key().kid
    rows = SigningKey.query.order_by(SigningKey.created_at.desc(), SigningKey.kid).all()
    return {"keys": [
        {"kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "use": "sig", "kid": row.kid, "x": row.public_key,
         "created": row.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"), "current": row.kid == current}
        for row in rows
    ]}
