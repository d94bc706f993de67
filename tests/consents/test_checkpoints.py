"""Checkpoints: every chain's head recorded at once; only a timestamped checkpoint counts as evidence, and the
database lets a checkpoint gain its token once and refuses every other change."""
import json

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from conftest import accept_one, ask
from consents.canonical import sha256_hex
from consents.checkpoints import create_checkpoint, verify_checkpoints
from consents.db import db
from consents.models import Consent
from consents.timestamps import request_token, verify_token


def test_a_checkpoint_records_the_head_of_every_consent(logged_in):
    accept_one(logged_in)
    ask(logged_in, email="paul@example.fr", name="Paul")
    checkpoint = create_checkpoint()
    heads = json.loads(checkpoint.heads)
    assert heads == {str(c.id): c.head_hash for c in Consent.query.all()}
    assert len(heads) == 2 and all(len(h) == 64 for h in heads.values())
    assert checkpoint.heads_sha256 == sha256_hex(checkpoint.heads.encode("utf-8"))
    assert checkpoint.tsr is None


def test_only_a_timestamped_checkpoint_is_the_reference(app, tsa, logged_in):
    assert verify_checkpoints().heads is None
    accept_one(logged_in)
    first = create_checkpoint()
    assert verify_checkpoints().heads is None
    first.tsr, first.timestamped_at = request_token(first.heads.encode("utf-8"))
    db.session.commit()
    assert verify_token(first.tsr, first.heads.encode("utf-8")) == first.timestamped_at
    recorded = json.loads(first.heads)
    ask(logged_in, email="paul@example.fr", name="Paul")
    later = create_checkpoint()
    assert len(json.loads(later.heads)) == 2
    report = verify_checkpoints()
    assert report.heads == recorded and report.issues == [] and (report.checked, report.timestamped) == (2, 1)


def _refused(sql: str, **params) -> None:
    """Run one statement on the application's own connection and check that the database refuses it."""
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.execute(text(sql), params)
        db.session.flush()
    db.session.rollback()


def test_a_checkpoint_gains_its_token_once_and_nothing_else_changes(app, tsa, logged_in):
    accept_one(logged_in)
    checkpoint = create_checkpoint()
    checkpoint_id, body = checkpoint.id, checkpoint.heads
    _refused("UPDATE checkpoint SET heads = '{}' WHERE id = :i", i=checkpoint_id)
    _refused("UPDATE checkpoint SET created_at = created_at WHERE id = :i", i=checkpoint_id)  # no token: refused
    _refused("DELETE FROM checkpoint WHERE id = :i", i=checkpoint_id)
    tsr, at = request_token(body.encode("utf-8"))
    db.session.execute(text("UPDATE checkpoint SET tsr = :t, timestamped_at = :a WHERE id = :i"),
                       {"t": tsr, "a": at, "i": checkpoint_id})
    db.session.commit()
    _refused("UPDATE checkpoint SET tsr = :t WHERE id = :i", t=b"another token", i=checkpoint_id)
    _refused("UPDATE checkpoint SET heads = '{}', heads_sha256 = :h WHERE id = :i", h="0" * 64, i=checkpoint_id)
    _refused("DELETE FROM checkpoint")
    row = db.session.execute(text("SELECT heads, tsr FROM checkpoint")).one()
    assert row.heads == body and bytes(row.tsr) == tsr


def test_truncate_of_history_and_checkpoints_is_refused(app, logged_in):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no TRUNCATE: a DELETE fires the row triggers tested above")
    accept_one(logged_in)
    create_checkpoint()
    # The tests' own reset turns the guards off in its transaction only: the application's sessions keep them.
    assert db.session.execute(text("SHOW session_replication_role")).scalar() == "origin"
    for statement in ("TRUNCATE consent_event CASCADE", "TRUNCATE checkpoint", "TRUNCATE consent CASCADE"):
        with pytest.raises(DBAPIError, match="TRUNCATE is refused"):
            db.session.execute(text(statement))
        db.session.rollback()
    assert db.session.execute(text("SELECT count(*) FROM consent_event")).scalar() > 0
    assert db.session.execute(text("SELECT count(*) FROM checkpoint")).scalar() == 1
