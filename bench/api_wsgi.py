"""WSGI entry of the API benchmark: the real app with rate limits counted in Redis, plus a bare route."""
from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for path in (ROOT, ROOT / "bench"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from app import create_app  # noqa: E402
from wsgi_bench import bench_config  # noqa: E402


def api_config(database_url: str, redis_url: str, quotas: bool = True) -> dict:
    """The bench configuration with per-key rate limits counted in Redis as in production (never reached); `quotas`
    False switches every rate limit off, to show what counting costs."""
    return bench_config(database_url, redis_url) | {
        "RATELIMIT_ENABLED": quotas, "RATELIMIT_STORAGE_URI": redis_url, "API_RATE_LIMIT": "1000000 per minute",
    }


def build_app():
    """The app from BENCH_DATABASE_URL and BENCH_REDIS_URL, with /bench/bare."""
    application = create_app(api_config(os.environ["BENCH_DATABASE_URL"], os.environ["BENCH_REDIS_URL"],
                                        quotas=os.environ.get("BENCH_API_QUOTAS", "on") == "on"))

    @application.route("/bench/bare")
    def bench_bare():
        """The cheapest page the app can serve, as a reference."""
        return "ok"

    return application


app = build_app() if "BENCH_DATABASE_URL" in os.environ else None
