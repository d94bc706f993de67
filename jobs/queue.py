"""The one way to reach Redis and enqueue a job."""
from __future__ import annotations

import logging

import redis
from flask import current_app
from rq import Queue, Retry

log = logging.getLogger(__name__)
_connections: dict[str, redis.Redis] = {}
EMAIL_RETRY_INTERVALS = [60, 300, 1800, 7200]


def get_redis(url: str | None = None) -> redis.Redis:
    """Return a Redis connection for REDIS_URL; 'fakeredis://' gives the in-process stand-in."""
    url = url or current_app.config["REDIS_URL"]
    if url not in _connections:
        if url.startswith("fakeredis://"):
            import fakeredis
            _connections[url] = fakeredis.FakeRedis()
        else:
            _connections[url] = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
    return _connections[url]


def get_queue(name: str = "default") -> Queue:
    """Return the named RQ queue on the configured Redis."""
    return Queue(name, connection=get_redis())


def enqueue(func: str, *args, job_id: str | None = None, retry: Retry | None = None):
    """Enqueue `func` (a dotted path) by name; return the job, or None when Redis is unreachable."""
    try:
        return get_queue().enqueue(func, *args, job_id=job_id, retry=retry)
    except redis.exceptions.ConnectionError as exc:
        # The outbox row is committed already: it is not lost, only late.
        log.warning("Redis unreachable, %s(%s) left for later: %s", func, args, exc)
        return None


def dispatch_emails(email_ids: list[int]) -> int:
    """Enqueue the sending of committed outbox emails; return how many were enqueued."""
    queued = 0
    for email_id in email_ids:
        job = enqueue("jobs.email.send_email", email_id, job_id=f"email-{email_id}",
                      retry=Retry(max=len(EMAIL_RETRY_INTERVALS), interval=EMAIL_RETRY_INTERVALS))
        queued += job is not None
    return queued
