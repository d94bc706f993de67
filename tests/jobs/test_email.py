"""The email job: content, a real RQ worker, a real SMTP server, idempotence."""
import email
import socket
import threading
import time
from datetime import timezone
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import create_engine, text

from conftest import ask, latest_email, link_from
from consents.db import db
from consents.models import Consent, ConsentEvent, ConsentRequest, OutboundEmail
from jobs.email import send_email
from jobs.queue import dispatch_emails


def test_request_email_is_french_html_and_text_with_everything(logged_in, run_jobs, mail_outbox):
    ask(logged_in, scope="both", delay="10")
    run_jobs()
    from jobs.queue import get_queue
    assert get_queue().fetch_job(f"email-{latest_email().id}").get_status() == "finished"
    [message] = mail_outbox
    assert message.to == ["marie.dupont@example.fr"]
    assert "Cabinet Martin Gestion" in message.subject
    text = message.body
    html = message.alternatives[0][0]
    request = ConsentRequest.query.one()
    for body in (text, html):
        assert "Cabinet Martin Gestion" in body
        assert "lettres recommandées électroniques (LRE) et avis électroniques" in body
        assert "article L100" in body
        assert link_from(body).startswith("/c/")
    months = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
              "novembre", "décembre"]
    # Dates are shown in Paris time: near midnight UTC the deadline falls on the next day there.
    local = request.deadline.replace(tzinfo=timezone.utc).astimezone(ZoneInfo("Europe/Paris"))
    assert f"{local.day} {months[local.month - 1]} {local.year}" in text
    assert message.extra_headers["Message-ID"].startswith("<outbox-")
    sent = latest_email()
    assert sent.sent_at is not None and sent.attempts == 1
    assert ConsentEvent.query.filter_by(kind="sent").count() == 1
    assert request.sent_at is not None


def test_sending_twice_sends_once(logged_in, mail_outbox):
    ask(logged_in)
    email_id = latest_email().id
    assert send_email(email_id) == "sent"
    assert send_email(email_id) == "skipped"
    assert len(mail_outbox) == 1


def test_failed_send_keeps_the_row_and_retries(logged_in, app, mail_outbox, monkeypatch):
    ask(logged_in)
    email_id = latest_email().id
    from flask_mailman.backends import locmem

    def broken(self, messages):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr(locmem.EmailBackend, "send_messages", broken)
    with pytest.raises(ConnectionRefusedError):
        send_email(email_id)
    row = db.session.get(OutboundEmail, email_id)
    assert row.sent_at is None and row.attempts == 1 and "smtp down" in row.last_error
    monkeypatch.undo()
    assert send_email(email_id) == "sent"
    assert len(mail_outbox) == 1 and db.session.get(OutboundEmail, email_id).attempts == 2


def test_dispatch_enqueues_with_retries(logged_in):
    ask(logged_in)
    from jobs.queue import get_queue

    job = get_queue().fetch_job(f"email-{latest_email().id}")
    assert job is not None and job.retries_left == 4 and job.retry_intervals == [60, 300, 1800, 7200]


def test_redis_unreachable_does_not_lose_the_request(logged_in, app):
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    response = ask(logged_in)
    assert response.status_code == 200 and "1 demande enregistrée" in response.get_data(as_text=True)
    row = latest_email()
    assert row is not None and row.sent_at is None


class _Sink:
    """Collects what a real SMTP server receives."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"


def _free_port():
    """A free TCP port on the loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_delivery_to_a_real_smtp_server(logged_in, app, run_jobs):
    sink = _Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        app.config.update(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port)
        app.extensions["mailman"].backend = "smtp"
        app.extensions["mailman"].server = "127.0.0.1"
        app.extensions["mailman"].port = controller.port
        ask(logged_in)
        run_jobs()
        deadline = time.time() + 5
        while not sink.messages and time.time() < deadline:
            time.sleep(0.05)
    finally:
        controller.stop()
    [envelope] = sink.messages
    assert envelope.rcpt_tos == ["marie.dupont@example.fr"]
    parsed = email.message_from_bytes(envelope.content)
    assert parsed.is_multipart()
    types = {part.get_content_type() for part in parsed.walk()}
    assert {"text/plain", "text/html"} <= types
    plain = next(p for p in parsed.walk() if p.get_content_type() == "text/plain").get_payload(decode=True).decode()
    assert "Cabinet Martin Gestion" in plain and "/c/" in plain
    assert latest_email().sent_at is not None


def test_dispatch_counts_only_enqueued(logged_in, app):
    ask(logged_in)
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    assert dispatch_emails([latest_email().id]) == 0


def test_a_failure_after_sending_never_sends_twice(logged_in, mail_outbox, monkeypatch, frozen_now):
    import jobs.email
    from jobs.maintenance import sweep_outbox

    ask(logged_in)
    email_id = latest_email().id

    def broken(*args, **kwargs):
        raise RuntimeError("database hiccup after the SMTP send")

    with monkeypatch.context() as patch, pytest.raises(RuntimeError):
        patch.setattr(jobs.email, "record_sent", broken)
        send_email(email_id)
    assert db.session.get(OutboundEmail, email_id).sent_at is not None
    frozen_now.advance(minutes=30)
    assert send_email(email_id) == "skipped"
    assert sweep_outbox() == 0  # it enqueues nothing, and writes the history the worker could not
    assert len(mail_outbox) == 1
    [event] = ConsentEvent.query.filter_by(kind="sent").all()
    assert event.data["message_id"] == mail_outbox[0].extra_headers["Message-ID"]
    assert db.session.get(OutboundEmail, email_id).claimed_at is None


def test_the_hand_off_is_recorded_while_the_consent_row_is_locked(logged_in, app, mail_outbox, frozen_now):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("row locks: PostgreSQL")
    ask(logged_in)
    email_id, consent_id = latest_email().id, Consent.query.one().id
    db.session.commit()
    other = create_engine(app.config["SQLALCHEMY_DATABASE_URI"]).connect()
    held = other.begin()
    other.execute(text("SELECT id FROM consent WHERE id = :i FOR UPDATE"), {"i": consent_id})  # an answer, say
    results = []

    def worker():
        with app.app_context():
            try:
                results.append(send_email(email_id))
            finally:
                db.session.remove()

    thread = threading.Thread(target=worker)
    thread.start()
    try:
        deadline, handed_off = time.time() + 15, None
        while handed_off is None and time.time() < deadline:
            time.sleep(0.05)
            handed_off = other.execute(text("SELECT sent_at FROM outbound_email WHERE id = :i"),
                                       {"i": email_id}).scalar()
        # Recorded while the worker still waits for the consent's row to write the history.
        assert handed_off is not None and thread.is_alive() and len(mail_outbox) == 1
        # Had the worker died here, the email would never go again: its claim is stale but it is handed off.
        frozen_now.advance(minutes=30)
        assert send_email(email_id) == "skipped"
    finally:
        held.rollback()
        thread.join(timeout=15)
        other.close()
    assert results == ["sent"] and len(mail_outbox) == 1
    assert ConsentEvent.query.filter_by(kind="sent").count() == 1
    assert db.session.get(OutboundEmail, email_id).claimed_at is None
