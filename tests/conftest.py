"""Shared fixtures: an app on a fresh database, clients, a logged-in sender, jobs run by a real RQ worker.

With TEST_DATABASE_URL and TEST_REDIS_URL set (CI), tests use the real PostgreSQL and Redis;
otherwise SQLite files and fakeredis.
"""
from __future__ import annotations

import os
import re
import shutil
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from flask import g
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from consents import clock  # noqa: E402
from consents.db import db  # noqa: E402

PG_URL = os.environ.get("TEST_DATABASE_URL")
REDIS_URL = os.environ.get("TEST_REDIS_URL")
PASSWORD = "un-mot-de-passe-solide"
PRODUCTION_SECRET = "9c1f4e7a2b8d03f6a5e4c7b9d2f1a0e83b6c5d4e7f8a9b0c1d2e3f4a5b6c7d8e"  # random, as production needs


def _migrate(url: str) -> None:
    """Create the schema through the migrations, exactly as production does."""
    from flask_migrate import upgrade

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x" * 32, "APP_ENV": "testing"})
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory):
    """Return a URL (PostgreSQL) or a template file (SQLite) holding the migrated schema."""
    if PG_URL:
        engine = create_engine(PG_URL)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        _migrate(PG_URL)
        return PG_URL
    template = tmp_path_factory.mktemp("db") / "template.db"
    _migrate(f"sqlite:///{template}")
    return template


def _reset_postgres(url: str) -> None:
    """Empty every table between tests, the append-only guards off for this one transaction only."""
    engine = create_engine(url)
    with engine.begin() as conn:
        # The history refuses TRUNCATE; a replica session fires no ordinary trigger, and SET LOCAL ends at commit.
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        tables = conn.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
        )).scalars().all()
        conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def database_url(migrated_database, tmp_path):
    """A database with the schema and no rows, fresh for each test."""
    if PG_URL:
        _reset_postgres(PG_URL)
        return PG_URL
    copy = tmp_path / "test.db"
    shutil.copy(migrated_database, copy)
    return f"sqlite:///{copy}"


@pytest.fixture
def redis_url():
    """A Redis for jobs: the real one in CI, fakeredis otherwise; emptied for each test."""
    from jobs.queue import get_redis

    url = REDIS_URL or "fakeredis://"
    get_redis(url).flushdb()
    return url


@pytest.fixture
def app_config(database_url, redis_url, tmp_path):
    """The configuration of the app under test; tests may change it before `app` is built."""
    return {
        "EVIDENCE_DIR": str(tmp_path / "evidence"),
        "TESTING": True,
        "APP_ENV": "testing",
        "SECRET_KEY": "test-secret-key-that-is-long-enough-123",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "REDIS_URL": redis_url,
        "MAIL_BACKEND": "locmem",
        "BASE_URL": "http://consent.test",
        "RATELIMIT_ENABLED": False,
        "RATELIMIT_STORAGE_URI": "memory://",
        "DEV_OUTBOX": False,
        "WTF_CSRF_ENABLED": False,
        # No authority unless a test asks for one (the `tsa` fixture), whatever `make run` left in instance/.
        "TSA_URL": None,
        "TSA_CA_FILE": None,
    }


@pytest.fixture
def app(app_config):
    """The application, with an app context pushed for the test body."""
    application = create_app(app_config)
    # Requests reuse the test's app context, so give each one a fresh `g` (locale, user, CSRF caches),
    # before any other hook runs, as a real server would.
    application.before_request_funcs.setdefault(None, []).insert(0, lambda: g.__dict__.clear())
    with application.app_context():
        yield application
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    """A test client; CSRF is off unless a test turns it on."""
    return app.test_client()


@pytest.fixture
def frozen_now(monkeypatch):
    """Control the clock: returns a setter that moves the current time."""
    state = {"now": clock.now()}
    monkeypatch.setattr(clock, "now", lambda: state["now"])

    class Clock:
        def advance(self, **delta):
            state["now"] = state["now"] + timedelta(**delta)
            return state["now"]

        @property
        def now(self):
            return state["now"]

    return Clock()


def make_sender(legal_name="Cabinet Martin Gestion", email="gerant@martin-gestion.fr", siren=""):
    """Create a sender account and return its owner user."""
    from consents.accounts import sign_up

    return sign_up(legal_name, siren, email, PASSWORD)


@pytest.fixture
def sender_user(app):
    """A sender's owner account."""
    return make_sender()


def login(client, email="gerant@martin-gestion.fr", password=PASSWORD):
    """Log a client in and return the response."""
    return client.post("/connexion", data={"email": email, "password": password})


@pytest.fixture
def logged_in(client, sender_user):
    """A client logged in as `sender_user`."""
    response = login(client)
    assert response.status_code == 302
    return client


def ask(client, email="marie.dupont@example.fr", name="Marie Dupont", kind="particulier", scope="lre", delay="15"):
    """Ask one recipient through the form and return the response."""
    return client.post("/gestionnaire/demander",
                       data={"email": email, "name": name, "kind": kind, "scope": scope, "delay": delay})


def link_from(body: str) -> str:
    """The path of the personal consent link found in an email body."""
    match = re.search(r"http://consent\.test(/c/[A-Za-z0-9_\-]+)", body)
    assert match, body
    return match.group(1)


def latest_email(kind: str | None = None):
    """The most recent outbox row (optionally of one kind)."""
    from consents.models import OutboundEmail

    query = OutboundEmail.query
    if kind:
        query = query.filter_by(kind=kind)
    return query.order_by(OutboundEmail.id.desc()).first()


@pytest.fixture
def run_jobs(app):
    """Run every queued job with a real RQ SimpleWorker in burst mode; returns the worker."""
    from rq import SimpleWorker

    from jobs.queue import get_queue, get_redis

    def run():
        worker = SimpleWorker([get_queue()], connection=get_redis())
        worker.work(burst=True)
        return worker

    return run


@pytest.fixture
def mail_outbox(app):
    """The list of messages delivered through Flask-Mailman's locmem backend."""
    app.extensions["mailman"].outbox = []
    return app.extensions["mailman"].outbox


@pytest.fixture(scope="session")
def local_tsa(tmp_path_factory):
    """A real RFC 3161 authority on the loopback: `openssl ts -reply` behind a tiny HTTP server."""
    from jobs.demo_tsa import LocalTSA

    authority = LocalTSA(tmp_path_factory.mktemp("tsa"))
    yield authority
    authority.stop()


@pytest.fixture
def tsa(app, local_tsa):
    """Point the app at the local authority and trust its certificate; it answers unless told to fail."""
    local_tsa.fail = False
    app.config.update(TSA_URL=local_tsa.url, TSA_CA_FILE=str(local_tsa.ca_file))
    yield local_tsa
    local_tsa.fail = False


def accept_one(client, **kwargs):
    """Ask a recipient, then accept through their link as they would; return the answer response."""
    ask(client, **kwargs)
    return client.post(link_from(latest_email("request").sent_text), data={"reponse": "accepter"},
                       headers={"User-Agent": "Mozilla/5.0 (Android 14)"}, environ_base={"REMOTE_ADDR": "203.0.113.7"})


def without_csrf(html: str) -> str:
    """A page with its CSRF tokens blanked: they are signed with a timestamp and differ from second to second."""
    return re.sub(r'("X-CSRFToken": "|name="csrf_token"(?: type="hidden")? value=")[^"]+', r"\1", html)
