"""Scheduled jobs: nightly expiry and digests, automatic reminders, the outbox sweeper."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

from rq.job import Job, JobStatus

from consents import clock
from consents.deadlines import expire_overdue, queue_expiry_digests, send_due_reminders
from consents.outbox import CLAIM_TIMEOUT, history_due, record_sent, sweepable
from consents.outcome import Outcome
from consents.webhook_deliveries import due_deliveries
from extensions import get_redis
from jobs.dispatch import dispatch
from jobs.email import message_id_for
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
    """True when the job still waits, retries later, or runs on a worker that showed a sign of life lately."""
    try:
        job = Job.fetch(job_id, connection=get_redis())
    except Exception:  # no such job (expired, never enqueued): the sweeper must enqueue its emails
        return False
    status = job.get_status(refresh=False)
    if status != JobStatus.STARTED:
        return status in LIVE_STATES
    # RQ keeps a killed worker's job «started» for the job's whole time limit (30 min for a batch); the send jobs
    # beat before each email, so one silent for a claim's lifetime died with its worker.
    beat = job.last_heartbeat
    return beat is not None and _naive_utc(beat) > clock.now() - CLAIM_TIMEOUT


def _naive_utc(at: datetime) -> datetime:
    """A time from Redis as the naive UTC of consents.clock."""
    return at.astimezone(timezone.utc).replace(tzinfo=None) if at.tzinfo else at


def sweep_outbox() -> int:
    """Enqueue every unsent email that has no live job (Redis was down, a worker died…); finish dead workers' history."""
    for email_id in history_due():
        record_sent(email_id, message_id_for)
    missing = [email_id for email_id in sweepable() if not _has_live_job(email_id)]
    return len(dispatch(Outcome(email_ids=missing)).email_ids)


def sweep_webhooks() -> int:
    """Enqueue every webhook delivery due for a minute that no worker holds (Redis was down, a worker died…)."""
    return dispatch_webhooks(due_deliveries(clock.now() - SWEEP_GRACE))
