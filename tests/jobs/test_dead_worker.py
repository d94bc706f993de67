"""A worker killed in the middle of a batch: its emails leave within minutes, each once, by the controlled clock."""
import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

from aiosmtpd.controller import Controller

from conftest import REDIS_URL
from consents.db import db
from consents.events import verify_chains
from consents.models import ConsentEvent, OutboundEmail
from jobs.maintenance import sweep_outbox
from jobs.standin import start_standin

ADDRESSES = ["a@example.fr", "b@example.fr", "c@example.fr", "d@example.fr", "e@example.fr"]


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _HangingSink:
    """An SMTP server that keeps the first conversation for one address waiting until told to go on."""

    def __init__(self, hang_on: str):
        self.hang_on, self.hanging, self.release, self.messages = hang_on, threading.Event(), threading.Event(), []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == self.hang_on and not self.hanging.is_set():
            self.hanging.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"


def test_a_worker_killed_mid_batch_has_its_emails_sent_within_minutes_once_each(
        logged_in, app, app_config, run_jobs, frozen_now, tmp_path):
    sink = _HangingSink(hang_on="c@example.fr")
    smtp = Controller(sink, hostname="127.0.0.1", port=_free_port())
    smtp.start()
    standin = None
    if not REDIS_URL:  # the worker is another process: it needs a Redis it can reach
        port = _free_port()
        standin = start_standin(port)
        app.config["REDIS_URL"] = f"redis://127.0.0.1:{port}/0"
    mail = app.extensions["mailman"]
    app.config.update(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port)
    mail.backend, mail.server, mail.port = "smtp", "127.0.0.1", smtp.port
    env = dict(os.environ, REDIS_URL=app.config["REDIS_URL"], DATABASE_URL=app_config["SQLALCHEMY_DATABASE_URI"],
               APP_ENV="testing", SECRET_KEY=app_config["SECRET_KEY"], BASE_URL=app_config["BASE_URL"],
               MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=str(smtp.port),
               RATELIMIT_STORAGE_URI="memory://", EVIDENCE_DIR=str(tmp_path / "evidence"),
               PYTHONPATH=str(Path(__file__).parents[2]))
    worker = None
    try:
        text = "\n".join(f"{a};{a[0].upper()};particulier" for a in ADDRESSES)
        logged_in.post("/gestionnaire/demander-plusieurs", data={"recipients": text, "scope": "lre", "delay": "10"})
        killed_at = frozen_now.now
        worker = subprocess.Popen([str(Path(sys.executable).parent / "rq"), "worker", "--worker-class",
                                   "worker.AppWorker", "--url", app.config["REDIS_URL"], "default"],
                                  env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        assert sink.hanging.wait(60), "the worker never reached the third email"
        worker.send_signal(signal.SIGKILL)  # in the middle of the third email's SMTP conversation
        worker.wait(timeout=15)
        sink.release.set()
        db.session.expire_all()
        sent = sorted(e.to for e in OutboundEmail.query.filter(OutboundEmail.sent_at.is_not(None)))
        assert sent == ADDRESSES[:2]
        # Two minutes on, the batch may still be alive (a slow SMTP server): nothing is enqueued twice.
        frozen_now.advance(minutes=2)
        assert sweep_outbox() == 0
        # Five minutes on, its worker has been silent longer than a claim lives: the rest goes again.
        frozen_now.advance(minutes=3)
        assert sweep_outbox() == 3
        assert sweep_outbox() == 0
        run_jobs()
        deadline = time.time() + 10
        while len(sink.messages) < len(ADDRESSES) and time.time() < deadline:
            time.sleep(0.05)
    finally:
        sink.release.set()
        if worker is not None and worker.poll() is None:
            worker.kill()
            worker.wait(timeout=15)
        smtp.stop()
        if standin is not None:
            standin.shutdown()
    assert sorted(r for m in sink.messages for r in m.rcpt_tos) == ADDRESSES  # each once
    db.session.expire_all()
    emails = OutboundEmail.query.all()
    assert all(e.sent_at is not None and e.sent_at <= killed_at + timedelta(minutes=5) for e in emails)
    assert ConsentEvent.query.filter_by(kind="sent").count() == len(ADDRESSES)
    assert verify_chains().breaks == []
