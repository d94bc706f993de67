"""The daily checkpoint: chain heads timestamped, so a rewrite of history behind it is caught."""
import json

from sqlalchemy import text

from conftest import accept_one
from consents.db import db
from consents.models import Consent, ConsentEvent
from consents.evidence_models import Checkpoint, Proof
from consents.timestamps import verify_token
from jobs.evidence import checkpoint_chains


def test_checkpoint_timestamps_every_head_and_catches_a_rewrite(app, tsa, logged_in):
    accept_one(logged_in)  # its own timestamp job has not run yet: the checkpoint queues it again
    result = checkpoint_chains()
    assert "1 pending proofs re-enqueued" in result
    checkpoint = Checkpoint.query.one()
    consent = Consent.query.one()
    assert json.loads(checkpoint.heads) == {str(consent.id): consent.head_hash}
    assert verify_token(checkpoint.tsr, checkpoint.heads.encode()) == checkpoint.timestamped_at
    # An operator deletes the acceptance and re-seals the chain head: the chain alone looks fine...
    accepted = ConsentEvent.query.filter_by(kind="accepted").one()
    requested = ConsentEvent.query.filter_by(kind="requested").one()
    postgres = db.engine.dialect.name == "postgresql"
    with db.engine.begin() as conn:
        conn.execute(text("ALTER TABLE consent_event DISABLE TRIGGER consent_event_no_update" if postgres
                          else "DROP TRIGGER consent_event_no_delete"))
        try:
            conn.execute(text("DELETE FROM email_attachment"))
            conn.execute(text("DELETE FROM proof"))
            conn.execute(text("DELETE FROM consent_event WHERE id = :i"), {"i": accepted.id})
            conn.execute(text("UPDATE consent SET head_hash = :h"), {"h": requested.hash})
        finally:
            if postgres:
                conn.execute(text("ALTER TABLE consent_event ENABLE TRIGGER consent_event_no_update"))
    assert Proof.query.count() == 0
    # ...but the timestamped checkpoint still names the old head.
    result = app.test_cli_runner().invoke(args=["evidence", "verify"])
    assert result.exit_code == 1
    assert "l'état horodaté au point de contrôle n'existe plus" in result.output


def test_the_checkpoint_can_be_run_by_hand(app, tsa, logged_in):
    from conftest import accept_one

    accept_one(logged_in)
    result = app.test_cli_runner().invoke(args=["jobs", "run", "checkpoint"])
    assert result.exit_code == 0 and "timestamped" in result.output
    assert Checkpoint.query.one().tsr is not None
