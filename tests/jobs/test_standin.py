"""The embedded mode's Redis stand-in serves a real `rq worker --with-scheduler` process."""
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import redis
from rq import Queue

from conftest import ask, latest_email
from consents.db import db
from consents.models import OutboundEmail
from jobs.standin import start_standin


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_command_errors_keep_the_connection():
    server = start_standin(_free_port())
    try:
        client = redis.Redis(port=server.server_address[1])
        script = client.register_script("return 41 + 1")  # EVALSHA fails first, then EVAL
        assert script() == 42
        assert client.ping()
    finally:
        server.shutdown()


def test_real_worker_with_scheduler_sends_the_email(logged_in, app, app_config, tmp_path):
    database_url = app_config["SQLALCHEMY_DATABASE_URI"]
    port = _free_port()
    server = start_standin(port)
    url = f"redis://127.0.0.1:{port}/0"
    app.config["REDIS_URL"] = url
    env = dict(os.environ, REDIS_URL=url, DATABASE_URL=database_url, APP_ENV="testing", SECRET_KEY="k" * 40,
               MAIL_BACKEND="locmem", BASE_URL="http://consent.test", PYTHONPATH=str(Path(__file__).parents[2]))
    rq = str(Path(sys.executable).parent / "rq")
    worker = subprocess.Popen([rq, "worker", "--with-scheduler", "--worker-class", "worker.AppWorker",
                               "--url", url, "default"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        ask(logged_in)
        email_id = latest_email().id
        deadline = time.time() + 60  # a loaded machine takes long to start a worker that imports the app
        sent = None
        while time.time() < deadline and sent is None:
            time.sleep(0.2)
            db.session.expire_all()
            sent = db.session.get(OutboundEmail, email_id).sent_at
        assert sent is not None, "the worker did not send the email"
        assert Queue(connection=redis.Redis(port=port)).count == 0
    finally:
        worker.terminate()
        output = worker.communicate(timeout=15)[0].decode()
        server.shutdown()
    assert "Connection closed by server" not in output, output
