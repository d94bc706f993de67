"""Enqueueing: emails in jobs of twenty, a lone email under its own id, retries with backoff, Redis down tolerated."""
from rq.job import Job

from consents.lifecycle import request_consents
from consents.rules import Recipient
from jobs.queue import EMAIL_CHUNK, chunk_key, dispatch_emails, enqueue, get_queue, get_redis, retry_email


def _ask(user, count):
    """Ask `count` recipients in one batch without enqueueing; return their outbox ids."""
    recipients = [Recipient(f"r{n}@example.fr", "", "particulier") for n in range(count)]
    return request_consents(user.sender, user, recipients, 15, lre=True, avis=False).email_ids


def test_twenty_one_emails_make_a_shared_job_and_a_lone_one(sender_user, run_jobs, mail_outbox):
    ids = _ask(sender_user, EMAIL_CHUNK + 1)
    assert dispatch_emails(ids) == 21
    shared_id, lone_id = get_queue().job_ids
    shared = Job.fetch(shared_id, connection=get_redis())
    assert shared.func_name == "jobs.email.send_emails" and shared.args == (ids[:20],)
    assert lone_id == f"email-{ids[20]}"
    assert all(get_redis().get(chunk_key(i)).decode() == shared_id for i in ids[:20])
    assert get_redis().get(chunk_key(ids[20])) is None
    run_jobs()
    assert len(mail_outbox) == 21 and len({m.to[0] for m in mail_outbox}) == 21


def test_nothing_to_send_enqueues_nothing(app):
    assert dispatch_emails([]) == 0 and get_queue().job_ids == []


def test_an_email_failing_in_a_shared_job_gets_its_own_job_with_backoff(app):
    retry_email(42)
    job = Job.fetch("email-42", connection=get_redis())
    assert job.get_status() == "scheduled" and job.args == (42,)
    assert job.retries_left == 3 and job.retry_intervals == [300, 1800, 7200]


def test_enqueue_returns_none_when_redis_is_unreachable(app):
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    assert enqueue("jobs.proofs.timestamp_proof", 1, job_id="timestamp-1") is None
    assert enqueue("jobs.proofs.timestamp_proof", 1, delay=30) is None
    retry_email(7)
