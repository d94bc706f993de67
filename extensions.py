"""Every Flask extension, created unbound and initialised by the app factory; the languages; the Redis handle."""
from __future__ import annotations

import redis
from flask import current_app
from flask_babel import Babel
from flask_htmx import HTMX
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mailman import Mail
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

from consents.db import db

babel = Babel()
csrf = CSRFProtect()
htmx = HTMX()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
login_manager = LoginManager()
mail = Mail()
migrate = Migrate()

LANGUAGES = ("fr", "en")
_redis_connections: dict[str, redis.Redis] = {}


def get_redis(url: str | None = None) -> redis.Redis:
    """Return a Redis connection for REDIS_URL; 'fakeredis://' gives the in-process stand-in."""
    url = url or current_app.config["REDIS_URL"]
    if url not in _redis_connections:
        if url.startswith("fakeredis://"):
            import fakeredis  # the embedded default and the tests only: production never loads it

            _redis_connections[url] = fakeredis.FakeRedis()
        else:
            _redis_connections[url] = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
    return _redis_connections[url]

__all__ = ["LANGUAGES", "babel", "csrf", "db", "get_redis", "htmx", "limiter", "login_manager", "mail", "migrate"]
