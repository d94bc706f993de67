"""Scheduled jobs and delivery guarantees: sweeper, SMTP refusals and retries, progress, the jobs CLI."""
import socket
import time

import pytest
from aiosmtpd.controller import Controller

from conftest import ask, latest_email
from consents.db import db
from consents.events import verify_chains
from consents.models import Consent, ConsentEvent, OutboundEmail
from jobs.email import send_email
from jobs.maintenance import nightly_expiry, sweep_outbox
from jobs.queue import EMAIL_CHUNK, chunk_key, get_queue, get_redis


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Sink:
    """An SMTP server refusing some recipients for good, some once for now, and failing DATA a number of times."""

    def __init__(self, refuse=(), busy=(), temporary_failures=0):
        self.refuse, self.busy, self.temporary_failures, self.messages = set(refuse), set(busy), temporary_failures, []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 No such user here"
        if address in self.busy:
            self.busy.discard(address)
            return "451 4.2.1 Mailbox busy, try later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.temporary_failures:
            self.temporary_failures -= 1
            return "451 4.3.0 Try again later"
        self.messages.append(envelope)
        return "250 OK"


def _smtp(app, sink):
    controller = Controller(sink, hostname="127.0.0.1", port=_free_port())
    controller.start()
    state = app.extensions["mailman"]
    app.config.update(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port)
    state.backend, state.server, state.port = "smtp", "127.0.0.1", controller.port
    return controller


def test_redis_down_at_request_time_then_the_sweeper_delivers_once(logged_in, app, redis_url, run_jobs,
                                                                    mail_outbox, frozen_now):
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    response = ask(logged_in)
    assert response.status_code == 200 and "1 demande enregistrée" in response.get_data(as_text=True)
    email_id = latest_email().id
    app.config["REDIS_URL"] = redis_url
    assert sweep_outbox() == 0  # too recent: its own job may still come
    frozen_now.advance(minutes=2)
    assert sweep_outbox() == 1
    assert sweep_outbox() == 0  # its job is queued: not enqueued twice
    run_jobs()
    assert len(mail_outbox) == 1 and db.session.get(OutboundEmail, email_id).sent_at is not None
    assert sweep_outbox() == 0
    run_jobs()
    assert len(mail_outbox) == 1


def test_permanent_refusal_marks_the_address_invalid(logged_in, app, run_jobs):
    controller = _smtp(app, _Sink(refuse={"nobody@example.fr"}))
    try:
        ask(logged_in, email="nobody@example.fr")
        run_jobs()
    finally:
        controller.stop()
    email = latest_email()
    assert email.failed_at is not None and email.sent_at is None and "550" in email.last_error
    consent = Consent.query.one()
    assert consent.bounced_at is not None
    assert ConsentEvent.query.filter_by(kind="bounced").count() == 1
    job = get_queue().fetch_job(f"email-{email.id}")
    assert job.get_status() == "finished" and job.return_value() == "refused"
    manager = logged_in.get("/gestionnaire?statut=invalid").get_data(as_text=True)
    assert "nobody@example.fr" in manager and "Adresse invalide" in manager
    assert "nobody@example.fr" not in logged_in.get("/gestionnaire?statut=accepted").get_data(as_text=True)
    assert send_email(email.id) == "skipped"


def test_temporary_failure_is_retried_then_delivered_once(logged_in, app, run_jobs):
    sink = _Sink(temporary_failures=1)
    controller = _smtp(app, sink)
    try:
        ask(logged_in)
        run_jobs()
        email = latest_email()
        job = get_queue().fetch_job(f"email-{email.id}")
        assert job.get_status() == "scheduled" and job.retries_left == 3
        assert email.sent_at is None and "451" in email.last_error and email.claimed_at is None
        assert send_email(email.id) == "sent"  # what the scheduled retry runs
        assert send_email(email.id) == "skipped"
        deadline = time.time() + 5
        while not sink.messages and time.time() < deadline:
            time.sleep(0.05)
    finally:
        controller.stop()
    assert len(sink.messages) == 1
    assert db.session.get(OutboundEmail, email.id).attempts == 2


def test_one_smtp_connection_for_many_emails(logged_in, app, run_jobs):
    connections = []

    class CountingSink(_Sink):
        async def handle_EHLO(self, server, session, envelope, hostname, responses):
            connections.append(hostname)
            session.host_name = hostname
            return responses

    sink = CountingSink()
    controller = _smtp(app, sink)
    try:
        text = "\n".join(f"p{i}@example.fr;P{i};particulier" for i in range(5))
        logged_in.post("/gestionnaire/demander-plusieurs", data={"recipients": text, "scope": "lre", "delay": "10"})
        run_jobs()
        deadline = time.time() + 5
        while len(sink.messages) < 5 and time.time() < deadline:
            time.sleep(0.05)
    finally:
        controller.stop()
    assert len(sink.messages) == 5 and len(connections) == 1


def _ask_many(client, addresses):
    """Ask several recipients in one form; return their outbox rows, oldest first."""
    text = "\n".join(f"{a};{a.split('@')[0].title()};particulier" for a in addresses)
    client.post("/gestionnaire/demander-plusieurs", data={"recipients": text, "scope": "lre", "delay": "10"})
    return OutboundEmail.query.filter_by(kind="request").order_by(OutboundEmail.id).all()


def _wait_for(sink, count):
    """Give the SMTP server's thread a moment to store what it received."""
    deadline = time.time() + 5
    while len(sink.messages) < count and time.time() < deadline:
        time.sleep(0.05)


def test_many_emails_share_jobs_and_each_is_sent_once(logged_in, app, run_jobs):
    addresses = [f"p{i}@example.fr" for i in range(EMAIL_CHUNK + 1)]
    sink = _Sink()
    controller = _smtp(app, sink)
    try:
        emails = _ask_many(logged_in, addresses)
        chunk_job, lone_job = [get_queue().fetch_job(job_id) for job_id in get_queue().job_ids]
        assert chunk_job.func_name == "jobs.email.send_emails" and chunk_job.args == ([e.id for e in emails[:-1]],)
        assert lone_job.id == f"email-{emails[-1].id}" and lone_job.retries_left == 4  # a lone email: its own job
        assert get_redis().get(chunk_key(emails[0].id)).decode() == chunk_job.id  # what the sweeper looks up
        run_jobs()
        _wait_for(sink, len(addresses))
    finally:
        controller.stop()
    assert sorted(rcpt for m in sink.messages for rcpt in m.rcpt_tos) == sorted(addresses)
    assert all(e.sent_at is not None and e.attempts == 1 for e in OutboundEmail.query)
    assert ConsentEvent.query.filter_by(kind="sent").count() == len(addresses)
    assert verify_chains().breaks == []  # each 'sent' event extends its consent's chain
    assert get_queue().fetch_job(chunk_job.id).return_value() == {"sent": EMAIL_CHUNK}


def test_one_temporary_failure_in_a_chunk_retries_that_email_alone(logged_in, app, run_jobs, frozen_now):
    sink = _Sink(busy={"b@example.fr"})
    controller = _smtp(app, sink)
    try:
        emails = _ask_many(logged_in, ["a@example.fr", "b@example.fr", "c@example.fr"])
        [chunk_job_id] = get_queue().job_ids
        run_jobs()
        _wait_for(sink, 2)
        assert sorted(m.rcpt_tos[0] for m in sink.messages) == ["a@example.fr", "c@example.fr"]
        assert get_queue().fetch_job(chunk_job_id).return_value() == {"sent": 2, "retried": 1}
        busy = db.session.get(OutboundEmail, emails[1].id)
        assert busy.sent_at is None and busy.claimed_at is None and "451" in busy.last_error
        # Its own job, due after the first backoff, with the retries that job would have had left.
        retry = get_queue().fetch_job(f"email-{busy.id}")
        assert retry.get_status() == "scheduled" and retry.retries_left == 3
        assert retry.retry_intervals == [300, 1800, 7200]
        frozen_now.advance(minutes=2)
        assert sweep_outbox() == 0  # every unsent email has a live job
        assert send_email(busy.id) == "sent"  # what the scheduled retry runs
        assert send_email(emails[0].id) == "skipped"
        _wait_for(sink, 3)
    finally:
        controller.stop()
    assert sorted(m.rcpt_tos[0] for m in sink.messages) == ["a@example.fr", "b@example.fr", "c@example.fr"]
    assert [e.attempts for e in OutboundEmail.query.order_by(OutboundEmail.id)] == [1, 2, 1]
    assert ConsentEvent.query.filter_by(kind="sent").count() == 3


def test_a_refused_address_in_a_chunk_does_not_stop_the_others(logged_in, app, run_jobs):
    sink = _Sink(refuse={"nobody@example.fr"})
    controller = _smtp(app, sink)
    try:
        _ask_many(logged_in, ["a@example.fr", "nobody@example.fr", "c@example.fr"])
        [chunk_job_id] = get_queue().job_ids
        run_jobs()
        _wait_for(sink, 2)
    finally:
        controller.stop()
    assert get_queue().fetch_job(chunk_job_id).return_value() == {"sent": 2, "refused": 1}
    refused = OutboundEmail.query.filter_by(to="nobody@example.fr").one()
    assert refused.failed_at is not None and get_queue().fetch_job(f"email-{refused.id}") is None
    assert len(sink.messages) == 2 and ConsentEvent.query.filter_by(kind="bounced").count() == 1


def test_the_sweeper_enqueues_the_emails_of_a_lost_chunk_job_once(logged_in, run_jobs, mail_outbox, frozen_now):
    _ask_many(logged_in, ["a@example.fr", "b@example.fr", "c@example.fr"])
    [chunk_job_id] = get_queue().job_ids
    frozen_now.advance(minutes=2)
    assert sweep_outbox() == 0  # the chunk job still waits: its emails are not enqueued again
    get_queue().fetch_job(chunk_job_id).delete()  # Redis lost it
    assert sweep_outbox() == 3
    assert sweep_outbox() == 0
    run_jobs()
    assert sorted(m.to[0] for m in mail_outbox) == ["a@example.fr", "b@example.fr", "c@example.fr"]


def test_a_timed_out_chunk_leaves_the_rest_to_the_sweeper(logged_in, mail_outbox, monkeypatch, frozen_now):
    import jobs.email
    from rq.timeouts import JobTimeoutException

    emails = _ask_many(logged_in, ["a@example.fr", "b@example.fr", "c@example.fr"])
    deliver = jobs.email.deliver

    def slow(email_id):
        if email_id == emails[1].id:
            raise JobTimeoutException("job exceeded its time limit")
        return deliver(email_id)

    monkeypatch.setattr(jobs.email, "deliver", slow)
    with pytest.raises(JobTimeoutException):
        jobs.email.send_emails([e.id for e in emails])
    assert [m.to[0] for m in mail_outbox] == ["a@example.fr"]
    get_queue().empty()  # the chunk job failed: nothing holds the other two
    frozen_now.advance(minutes=2)
    assert sweep_outbox() == 2


def test_progress_fragment_polls_until_done(logged_in, run_jobs):
    text = "a@example.fr;A;particulier\nb@example.fr;B;particulier"
    page = logged_in.post("/gestionnaire/demander-plusieurs", data={"recipients": text, "scope": "lre", "delay": "10"})
    body = page.get_data(as_text=True)
    assert "2 restants" in body and 'hx-trigger="load delay:1s"' in body
    batch_id = latest_email().batch_id
    fragment = logged_in.get(f"/gestionnaire/envois/{batch_id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "hx-trigger" in fragment and "<html" not in fragment
    run_jobs()
    done = logged_in.get(f"/gestionnaire/envois/{batch_id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "2 envoyés" in done and "0 restant" in done and "terminé" in done and "hx-trigger" not in done


def test_progress_of_another_senders_batch_is_404(logged_in, client, app):
    from conftest import login, make_sender

    ask(logged_in)
    batch_id = latest_email().batch_id
    logged_in.post("/deconnexion")
    make_sender("Autre", "autre@syndic.example.fr")
    login(client, email="autre@syndic.example.fr")
    assert client.get(f"/gestionnaire/envois/{batch_id}").status_code == 404


def test_nightly_job_expires_and_sends_digests(logged_in, frozen_now, run_jobs, mail_outbox):
    ask(logged_in, delay="3")
    run_jobs()
    frozen_now.advance(days=3, minutes=5)
    result = nightly_expiry()
    assert result == {"expired": 1, "senders": 1, "digests": 1}
    run_jobs()
    assert [m.to for m in mail_outbox] == [["marie.dupont@example.fr"], ["gerant@martin-gestion.fr"]]
    assert nightly_expiry() == {"expired": 0, "senders": 0, "digests": 0}


def test_jobs_cli_lists_and_requeues_failures(app, redis_url):
    from rq import SimpleWorker

    from jobs.queue import get_redis

    queue = get_queue()
    queue.enqueue("jobs.email.send_email", 999_999, job_id="broken-job", retry=None)
    queue.enqueue("os.path.nonexistent_function", job_id="failing-job")
    SimpleWorker([queue], connection=get_redis()).work(burst=True)
    runner = app.test_cli_runner()
    listing = runner.invoke(args=["jobs", "failures"])
    assert "failing-job" in listing.output and "broken-job" not in listing.output
    requeued = runner.invoke(args=["jobs", "requeue", "--all"])
    assert "1 job(s) remis en file" in requeued.output
    assert queue.fetch_job("failing-job").get_status() == "queued"
    assert "Indiquez" in runner.invoke(args=["jobs", "requeue"]).output


def test_cron_config_registers_the_scheduled_jobs():
    import importlib

    from rq import cron

    cron._job_data_registry.clear()
    import jobs.cron
    importlib.reload(jobs.cron)
    registered = {d["func"].__name__: d for d in cron._job_data_registry}
    cron._job_data_registry.clear()
    assert registered["nightly_expiry"]["cron"] == "0 2 * * *"
    assert registered["sweep_outbox"]["interval"] == 60
    assert "send_reminders" in registered
    assert registered["checkpoint_chains"]["cron"] == "30 3 * * *"
