"""The one way to enqueue a job."""
from __future__ import annotations

import logging
from datetime import timedelta

import redis
from rq import Queue, Retry

from extensions import get_redis

log = logging.getLogger(__name__)
EMAIL_RETRY_INTERVALS = [60, 300, 1800, 7200]
EMAIL_CHUNK = 20  # emails per send job: the job's own cost in Redis and in the worker is shared by all of them
SECONDS_PER_EMAIL = 90  # a send job's time limit per email: two SMTP timeouts (30 s) and the database work
# How long the sweeper can find the chunk job holding an email. A queue left waiting longer than that gets those
# emails enqueued once more by the sweeper: harmless, the claim still sends each one once.
CHUNK_KEY_TTL = 24 * 3600
WEBHOOK_CHUNK = 20  # webhook deliveries per job


def get_queue(name: str = "default") -> Queue:
    """Return the named RQ queue on the configured Redis."""
    return Queue(name, connection=get_redis())


def enqueue(func: str, *args, job_id: str | None = None, retry: Retry | None = None, delay: int = 0):
    """Enqueue `func` (a dotted path) by name, now or after `delay` seconds; None when Redis is unreachable."""
    try:
        if delay:
            return get_queue().enqueue_in(timedelta(seconds=delay), func, *args, job_id=job_id, retry=retry)
        return get_queue().enqueue(func, *args, job_id=job_id, retry=retry)
    except redis.exceptions.ConnectionError as exc:
        # The outbox row is committed already: it is not lost, only late.
        log.warning("Redis unreachable, %s(%s) left for later: %s", func, args, exc)
        return None


def email_job_id(email_id: int) -> str:
    """The id of the job that sends one email alone (a single dispatch, or a retry)."""
    return f"email-{email_id}"


def chunk_key(email_id: int) -> str:
    """The Redis key naming the several-email job that holds an email, for the sweeper."""
    return f"email-chunk:{email_id}"


def dispatch_emails(email_ids: list[int]) -> int:
    """Enqueue committed outbox emails, up to EMAIL_CHUNK per job, in one Redis round trip; return how many."""
    chunks = [email_ids[i:i + EMAIL_CHUNK] for i in range(0, len(email_ids), EMAIL_CHUNK)]
    if not chunks:
        return 0
    queue = get_queue()
    try:
        with queue.connection.pipeline() as pipe:
            jobs = queue.enqueue_many([_email_job(chunk) for chunk in chunks], pipeline=pipe)
            for chunk, job in zip(chunks, jobs):
                if len(chunk) > 1:  # a lone email's job is found by its id
                    for email_id in chunk:
                        pipe.set(chunk_key(email_id), job.id, ex=CHUNK_KEY_TTL)
            pipe.execute()
    except redis.exceptions.ConnectionError as exc:
        # The outbox rows are committed already: the sweeper enqueues them later.
        log.warning("Redis unreachable, %d emails left for later: %s", len(email_ids), exc)
        return 0
    return len(email_ids)


def _email_job(chunk: list[int]):
    """What to enqueue for some emails: one email gets its own job with RQ's retries, several share one job."""
    if len(chunk) == 1:
        return Queue.prepare_data("jobs.email.send_email", args=(chunk[0],), job_id=email_job_id(chunk[0]),
                                  retry=Retry(max=len(EMAIL_RETRY_INTERVALS), interval=EMAIL_RETRY_INTERVALS))
    # Each email of the job is claimed and retried on its own (jobs.email.send_emails): no RQ retry here.
    return Queue.prepare_data("jobs.email.send_emails", args=(chunk,), timeout=SECONDS_PER_EMAIL * len(chunk))


def dispatch_webhooks(delivery_ids: list[int]) -> int:
    """Enqueue webhook deliveries, up to WEBHOOK_CHUNK per job, in one Redis round trip; return how many."""
    chunks = [delivery_ids[i:i + WEBHOOK_CHUNK] for i in range(0, len(delivery_ids), WEBHOOK_CHUNK)]
    if not chunks:
        return 0
    queue = get_queue()
    try:
        # A 10 s timeout per delivery bounds a job's time; a job's deliveries are claimed one by one.
        queue.enqueue_many([Queue.prepare_data("jobs.webhooks.deliver_webhooks", args=(chunk,),
                                               timeout=15 * len(chunk)) for chunk in chunks])
    except redis.exceptions.ConnectionError as exc:
        log.warning("Redis unreachable, %d webhook deliveries left for the sweeper: %s", len(delivery_ids), exc)
        return 0
    return len(delivery_ids)


def retry_email(email_id: int) -> None:
    """Give an email that failed inside a chunk its own job, with the backoff that job would have had."""
    first, *rest = EMAIL_RETRY_INTERVALS
    enqueue("jobs.email.send_email", email_id, job_id=email_job_id(email_id),
            retry=Retry(max=len(rest), interval=rest), delay=first)
