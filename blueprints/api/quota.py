"""Per-key request quotas of the API: one Redis round trip per request, and the headers that tell the caller."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache

from flask import current_app
from limits import RateLimitItem, parse
from redis.exceptions import RedisError

from extensions import get_redis


@dataclass(frozen=True)
class Quota:
    """Where one key stands in its current window."""

    limit: int
    remaining: int
    reset_in: int  # seconds until the window closes

    @property
    def exceeded(self) -> bool:
        """True when this request is one too many."""
        return self.remaining < 0

    def headers(self) -> dict[str, str]:
        """The RateLimit headers of every answer, plus Retry-After once the quota is spent."""
        headers = {"RateLimit-Limit": str(self.limit), "RateLimit-Remaining": str(max(self.remaining, 0)),
                   "RateLimit-Reset": str(self.reset_in)}
        if self.exceeded:
            headers["Retry-After"] = str(self.reset_in)
        return headers


@lru_cache(maxsize=8)
def _limit(text: str) -> RateLimitItem:
    """The parsed API_RATE_LIMIT (Flask-Limiter syntax, e.g. «1200 per minute»)."""
    return parse(text)


def count_request(token: str) -> Quota | None:
    """Count one request of the presented key (a digest, never the key); None when quotas are off or Redis is away."""
    if not current_app.config["RATELIMIT_ENABLED"]:
        return None
    item = _limit(current_app.config["API_RATE_LIMIT"])
    name = "api-quota:" + hashlib.sha256(token.encode("utf-8")).hexdigest()[:32]
    redis = get_redis()
    try:
        # One round trip: a window opens at its first hit and closes when its counter expires (a fixed window).
        hits, left = redis.pipeline(transaction=False).incr(name).ttl(name).execute()
        if left < 0:  # the window's first hit (or a crash before its expiry was set)
            left = item.get_expiry()
            redis.expire(name, left)
    except RedisError:
        # A quota that cannot be counted must not stop the letters: answer, and say so in the log.
        current_app.logger.warning("API quotas not counted: Redis unavailable", exc_info=True)
        return None
    return Quota(item.amount, item.amount - int(hits), int(left))
