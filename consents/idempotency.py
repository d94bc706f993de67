"""Idempotent API requests: the reply to a request with an Idempotency-Key is kept per key and replayed."""
from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from consents import clock
from consents.api_models import ApiKey, IdempotentReply
from consents.canonical import sha256_hex
from consents.db import db

MAX_KEY = 200


def stored_reply(key: ApiKey, idempotency_key: str) -> IdempotentReply | None:
    """The reply kept for this API key and Idempotency-Key, if any."""
    return IdempotentReply.query.filter_by(api_key_id=key.id, idempotency_key=idempotency_key).first()


def same_request(reply: IdempotentReply, body: bytes) -> bool:
    """True when a replayed key comes with the body it first came with."""
    return reply.request_hash == sha256_hex(body)


def keep_reply(key: ApiKey, idempotency_key: str, body: bytes, status_code: int, reply: dict) -> None:
    """Keep a reply for later replays; when a concurrent request kept one first, that one stands."""
    db.session.add(IdempotentReply(api_key_id=key.id, idempotency_key=idempotency_key, request_hash=sha256_hex(body),
                                   status_code=status_code, body=reply, created_at=clock.now()))
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
