"""API keys: created and shown once, kept as an HMAC-SHA256 under a server secret, revoked, checked per request."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, update

from consents import clock
from consents.api_models import SCOPES, ApiKey
from consents.db import db
from consents.models import User
from consents.rules import RuleError

PREFIX = "lre_"  # secret scanners recognise the keys by it
TOUCH_EVERY = timedelta(minutes=1)  # «last use» is exact to the minute: the hot path writes at most once a minute


def key_hash(token: str) -> str:
    """The HMAC-SHA256 under which a key is stored, keyed by a secret derived from SECRET_KEY."""
    server_secret = hashlib.sha256(b"api-keys:" + current_app.config["SECRET_KEY"].encode("utf-8")).digest()
    return hmac.new(server_secret, token.encode("utf-8"), hashlib.sha256).hexdigest()


def create_key(user: User, name: str, scopes: list[str]) -> tuple[ApiKey, str]:
    """Create a key for the user's sender; return it with its clear value, which is never stored nor shown again."""
    name = " ".join((name or "").split())[:100]
    if not name:
        raise RuleError(_l("Donnez un nom à la clé (par exemple le logiciel qui l'utilise)."))
    chosen = [scope for scope in SCOPES if scope in scopes]
    if not chosen:
        raise RuleError(_l("Choisissez au moins un droit pour la clé."))
    token = PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(sender_id=user.sender_id, created_by_id=user.id, name=name, prefix=token[:12],
                 key_hash=key_hash(token), scopes=" ".join(chosen), created_at=clock.now())
    db.session.add(key)
    db.session.commit()
    return key, token


def revoke_key(key: ApiKey) -> None:
    """Revoke a key at once: the next request presenting it is refused."""
    if key.revoked_at is None:
        key.revoked_at = clock.now()
        db.session.commit()


def sender_keys(sender_id: int) -> list[ApiKey]:
    """A sender's keys, newest first, revoked ones included."""
    return ApiKey.query.filter_by(sender_id=sender_id).order_by(ApiKey.id.desc()).all()


def authenticate(token: str) -> ApiKey | None:
    """The live key a Bearer token names, with its last use noted; None for an unknown or revoked key."""
    if not token.startswith(PREFIX) or len(token) > 100:
        return None
    key = ApiKey.query.filter_by(key_hash=key_hash(token)).first()
    if key is None or key.revoked_at is not None:
        return None
    at = clock.now()
    if key.last_used_at is None or at - key.last_used_at >= TOUCH_EVERY:
        # Conditional, so concurrent requests of one key write it once.
        db.session.execute(update(ApiKey).where(ApiKey.id == key.id, or_(
            ApiKey.last_used_at.is_(None), ApiKey.last_used_at <= at - TOUCH_EVERY)).values(last_used_at=at))
        db.session.commit()
    return key
