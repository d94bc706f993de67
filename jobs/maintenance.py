"""Scheduled jobs: nightly expiry and digests, automatic reminders, the outbox sweeper."""
from __future__ import annotations

import logging
from datetime import timedelta

from rq.job import Job, JobStatus

from consents import clock
from consents.deadlines import expire_overdue, queue_expiry_digests, send_due_reminders
from consents.outbox import sweepable
from consents.outcome import Outcome
from consents.webhook_deliveries import due_deliveries
from extensions import get_redis
from jobs.dispatch import dispatch
from jobs.queue import chunk_key, dispatch_webhooks, email_job_id

log = logging.getLogger(__name__)
SWEEP_GRACE = timedelta(minutes=1)  # a delivery's own job usually starts well before this
LIVE_STATES = {JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.STARTED, JobStatus.DEFERRED}


def nightly_expiry() -> dict:
    """Refuse every pending consent past its deadline, then write each affected sender's digest."""
    at = clock.now()
    per_sender = expire_overdue(at)
    digests = dispatch(queue_expiry_digests(at.date()))
    dispatch_webhooks(due_deliveries(clock.now()))  # the expiries' webhooks leave now, not at the next sweep
    log.info("expired %d consents for %d senders", sum(per_sender.values()), len(per_sender))
    return {"expired": sum(per_sender.values()), "senders": len(per_sender), "digests": len(digests.email_ids)}


def send_reminders() -> int:
    """Queue and dispatch the automatic reminders that are due."""
    return len(dispatch(send_due_reminders()).email_ids)


def _has_live_job(email_id: int) -> bool:
    """True when a job that sends the email (its own, or the chunk holding it) waits, retries later or runs."""
    chunk_job_id = get_redis().get(chunk_key(email_id))
    job_ids = [email_job_id(email_id)] + ([chunk_job_id.decode()] if chunk_job_id else [])
    return any(_is_live(job_id) for job_id in job_ids)


def _is_live(job_id: str) -> bool:
    """True when the job still waits, retries later or runs."""
    try:
        job = Job.fetch(job_id, connection=get_redis())
    except Exception:  # no such job (expired, never enqueued): the sweeper must enqueue its emails
        return False
    return job.get_status(refresh=False) in LIVE_STATES


def sweep_outbox() -> int:
    """Enqueue every unsent email that has no live job (Redis was down, a worker died…)."""
    missing = [email_id for email_id in sweepable() if not _has_live_job(email_id)]
    return len(dispatch(Outcome(email_ids=missing)).email_ids)


def sweep_webhooks() -> int:
    """Enqueue every webhook delivery due for a minute that no worker holds (Redis was down, a worker died…)."""
    return dispatch_webhooks(due_deliveries(clock.now() - SWEEP_GRACE))
