"""WSGI entry of the benchmark: the real app on the bench database, plus a bare route on the same app."""
from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402

BENCH_SECRET_KEY = "bench-secret-key-that-is-long-enough-0123456789"


def bench_config(database_url: str, redis_url: str = "fakeredis://") -> dict:
    """Testing-like configuration: no rate limit, locmem mail, CSRF on; fakeredis unless a Redis is named."""
    return {
        "APP_ENV": "testing",
        "SECRET_KEY": BENCH_SECRET_KEY,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "REDIS_URL": redis_url,
        "RATELIMIT_ENABLED": False,
        "RATELIMIT_STORAGE_URI": "memory://",
        "MAIL_BACKEND": "locmem",
        "BASE_URL": "http://127.0.0.1",
        "DEV_OUTBOX": False,
    }


def build_app():
    """Create the app from BENCH_DATABASE_URL (and BENCH_REDIS_URL) and register /bench/bare on it."""
    application = create_app(bench_config(os.environ["BENCH_DATABASE_URL"],
                                          os.environ.get("BENCH_REDIS_URL", "fakeredis://")))

    @application.route("/bench/bare")
    def bench_bare():
        """The cheapest page the app can serve, as a reference."""
        return "ok"

    return application


app = build_app() if "BENCH_DATABASE_URL" in os.environ else None
