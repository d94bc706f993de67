"""The tamper-evident history: `flask evidence verify` names the first edited or deleted event."""
import threading

import pytest
from sqlalchemy import text

from conftest import PG_URL, accept_one, ask, latest_email, link_from
from consents.db import db
from consents.events import GENESIS, record_event, verify_chains
from consents.models import Consent, ConsentEvent, ConsentRequest


@pytest.fixture
def history_unlocked(app):
    """Lift the database's append-only guard for this test only, as an attacker with DB access would."""
    postgres = db.engine.dialect.name == "postgresql"
    with db.engine.begin() as conn:
        if postgres:
            conn.execute(text("ALTER TABLE consent_event DISABLE TRIGGER consent_event_no_update"))
        else:
            conn.execute(text("DROP TRIGGER consent_event_no_update"))
            conn.execute(text("DROP TRIGGER consent_event_no_delete"))
    yield
    if postgres:  # the schema outlives the test on PostgreSQL; the SQLite file does not
        with db.engine.begin() as conn:
            conn.execute(text("ALTER TABLE consent_event ENABLE TRIGGER consent_event_no_update"))


def _verify(app):
    return app.test_cli_runner().invoke(args=["evidence", "verify"])


def test_intact_history_verifies(app, logged_in):
    accept_one(logged_in)
    ask(logged_in, email="paul@example.fr", name="Paul")
    result = _verify(app)
    assert result.exit_code == 0, result.output
    assert "Historique intact : 2 consentements, 3 événements" in result.output


def test_an_edited_event_is_named(app, logged_in, history_unlocked):
    accept_one(logged_in)
    accepted = ConsentEvent.query.filter_by(kind="accepted").one()
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE consent_event SET ip = '198.51.100.1' WHERE id = :i"), {"i": accepted.id})
    result = _verify(app)
    assert result.exit_code == 1
    assert f"événement {accepted.id} : son contenu ne correspond plus" in result.output


def test_a_deleted_event_is_detected(app, logged_in, history_unlocked):
    accept_one(logged_in)
    requested, accepted = ConsentEvent.query.order_by(ConsentEvent.id).all()
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM consent_event WHERE id = :i"), {"i": requested.id})
    result = _verify(app)
    assert result.exit_code == 1
    assert f"événement {accepted.id} : ne suit pas l'événement précédent" in result.output


def test_deleting_the_last_event_is_detected(app, logged_in, history_unlocked):
    accept_one(logged_in)
    accepted = ConsentEvent.query.filter_by(kind="accepted").one()
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM email_attachment"))
        conn.execute(text("DELETE FROM proof"))
        conn.execute(text("DELETE FROM consent_event WHERE id = :i"), {"i": accepted.id})
    report = verify_chains()
    assert [(b.consent_id, b.reason) for b in report.breaks] == [(Consent.query.one().id, "head_mismatch")]


def test_history_cannot_be_edited_without_lifting_the_guard(app, logged_in):
    accept_one(logged_in)
    with pytest.raises(Exception):
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE consent_event SET ip = '198.51.100.1'"))
    assert verify_chains().breaks == []


@pytest.mark.skipif(not PG_URL, reason="row locks and real concurrency need PostgreSQL")
def test_concurrent_writers_never_fork_a_chain(app, logged_in):
    """Acceptances and other events written at once on the same consents queue on the row lock."""
    for n in range(4):
        ask(logged_in, email=f"r{n}@example.fr", name=f"R{n}")
    links = [link_from(e.sent_text) for e in
             __import__("consents.models", fromlist=["OutboundEmail"]).OutboundEmail.query.order_by("id")]
    consent_ids = [c.id for c in Consent.query.order_by(Consent.id)]
    errors = []
    barrier = threading.Barrier(12)

    def accept(path):
        client = app.test_client()
        try:
            barrier.wait()
            assert client.post(path, data={"reponse": "accepter"}).status_code == 303
        except Exception as exc:  # reported below: a thread's assertion would vanish otherwise
            errors.append(exc)

    def note(consent_id, n):
        with app.app_context():
            try:
                barrier.wait()
                record_event(consent_id, "reminded", data={"n": n})
                db.session.commit()
            except Exception as exc:
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=accept, args=(path,)) for path in links]
    threads += [threading.Thread(target=note, args=(consent_ids[i % 4], i)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors, errors
    db.session.expire_all()
    report = verify_chains()
    assert report.breaks == [] and report.events == 4 + 4 + 8
    prevs = [e.prev_hash for e in ConsentEvent.query.all() if e.prev_hash != GENESIS]
    assert len(prevs) == len(set(prevs))  # no two events claim the same predecessor: no fork
    assert ConsentEvent.query.filter_by(prev_hash=GENESIS).count() == 4
