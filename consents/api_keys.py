"""API keys: created and shown once, kept as an HMAC-SHA256 under a server secret, revoked, checked per request."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, or_, select, update

from consents import clock
from consents.api_models import SCOPES, ApiKey
from consents.db import db, read_one
from consents.l100 import Verdict, row_verdict, with_verdict_columns
from consents.models import Sender, User
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


@dataclass(frozen=True)
class PresentedKey:
    """The live key a request presented: what every API call needs of it, read without building ORM objects."""

    id: int
    sender_id: int
    created_by_id: int
    scopes: str

    def allows(self, scope: str) -> bool:
        """True when the key was given this scope."""
        return scope in self.scopes.split()

    @property
    def sender(self) -> Sender:
        """The sender the key acts for."""
        return db.session.get(Sender, self.sender_id)

    @property
    def created_by(self) -> User:
        """The user who made the key: changes made through it are recorded in their name."""
        return db.session.get(User, self.created_by_id)


_LIVE_KEY = (select(ApiKey.id, ApiKey.sender_id, ApiKey.created_by_id, ApiKey.scopes, ApiKey.last_used_at)
             .where(ApiKey.key_hash == bindparam("key_hash"), ApiKey.revoked_at.is_(None)))
_LIVE_KEY_AND_VERDICT = with_verdict_columns(_LIVE_KEY, ApiKey.sender_id)


def authenticate(token: str) -> PresentedKey | None:
    """The live key a Bearer token names, with its last use noted; None for an unknown or revoked key."""
    return _presented(_read_key(token, _LIVE_KEY))


def authenticate_and_check(token: str, email: str, mail_type: str) -> tuple[PresentedKey | None, Verdict | None]:
    """The live key and, in the same read, its sender's L100 verdict for a normalised address: called before every
    letter, so one round trip to the database."""
    row = _read_key(token, _LIVE_KEY_AND_VERDICT, email=email)
    key = _presented(row)
    return key, (row_verdict(row, mail_type) if key else None)


def _read_key(token: str, statement, **params):
    """The row of the live key a token names, None for a token that cannot be one of ours."""
    if not token.startswith(PREFIX) or len(token) > 100:
        return None
    return read_one(statement, key_hash=key_hash(token), **params)


def _presented(row) -> PresentedKey | None:
    """The key of a row read by _read_key(), its last use noted at most once a minute."""
    if row is None:
        return None
    at = clock.now()
    if row.last_used_at is None or at - row.last_used_at >= TOUCH_EVERY:
        # Conditional, so concurrent requests of one key write it once.
        db.session.execute(update(ApiKey).where(ApiKey.id == row.id, or_(
            ApiKey.last_used_at.is_(None), ApiKey.last_used_at <= at - TOUCH_EVERY)).values(last_used_at=at))
        db.session.commit()
    return PresentedKey(row.id, row.sender_id, row.created_by_id, row.scopes)
