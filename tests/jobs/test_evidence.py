"""The daily checkpoint: chain heads timestamped, so a rewrite of history behind it is caught."""
import json

from sqlalchemy import text

from conftest import accept_one, ask, latest_email, link_from
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
    accept_one(logged_in)
    result = app.test_cli_runner().invoke(args=["jobs", "run", "checkpoint"])
    assert result.exit_code == 0 and "timestamped" in result.output
    assert Checkpoint.query.one().tsr is not None


def _tamper(*statements) -> None:
    """What an operator with the database's own rights can do: the append-only guards lifted, then SQL."""
    db.session.commit()
    with db.engine.begin() as conn:
        if db.engine.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        else:
            for trigger in ("checkpoint_no_update", "checkpoint_no_delete", "consent_event_no_delete"):
                conn.execute(text(f"DROP TRIGGER IF EXISTS {trigger}"))
        for sql, params in statements:
            conn.execute(text(sql), params)


def _verify(app):
    """Run `flask evidence verify`; return its exit code and output."""
    result = app.test_cli_runner().invoke(args=["evidence", "verify"])
    return result.exit_code, result.output


def test_an_intact_history_names_its_reference_checkpoint(app, tsa, logged_in):
    accept_one(logged_in)
    checkpoint_chains()
    checkpoint_chains()
    code, output = _verify(app)
    assert code == 0, output
    assert "Points de contrôle : 2, dont 2 horodatés ; référence : n° 2" in output
    assert "Historique intact : 1 consentements" in output


def test_a_rewritten_checkpoint_is_named(app, tsa, logged_in):
    accept_one(logged_in)
    checkpoint_chains()
    checkpoint = Checkpoint.query.one()
    forged = json.dumps({"1": "f" * 64})
    _tamper(("UPDATE checkpoint SET heads = :h WHERE id = :i", {"h": forged, "i": checkpoint.id}))
    code, output = _verify(app)
    assert code == 1
    assert f"point de contrôle {checkpoint.id} : son jeton d'horodatage ne couvre pas ce qui est enregistré" in output


def test_a_deleted_checkpoint_between_the_first_and_the_last_is_named(app, tsa, logged_in):
    accept_one(logged_in)
    for _ in range(4):
        checkpoint_chains()
    _tamper(("DELETE FROM checkpoint WHERE id IN (2, 3)", {}))
    code, output = _verify(app)
    assert code == 1
    assert "point de contrôle 2 à 3 : manquant entre le premier et le dernier (supprimé)" in output


def test_a_chain_truncated_after_a_checkpoint_is_named_even_when_the_checkpoint_is_rewritten(app, tsa, logged_in):
    ask(logged_in)
    checkpoint_chains()  # the request, timestamped
    logged_in.post(link_from(latest_email("request").sent_text), data={"reponse": "accepter"})
    checkpoint_chains()  # the acceptance, timestamped
    consent = Consent.query.one()
    consent_id = consent.id
    accepted_id, before = db.session.execute(text("SELECT id, prev_hash FROM consent_event WHERE kind = 'accepted'")).one()
    # The acceptance removed and the chain re-sealed at its previous event...
    _tamper(("DELETE FROM email_attachment", {}), ("DELETE FROM proof", {}),
            ("DELETE FROM consent_event WHERE id >= :i", {"i": accepted_id}),
            ("UPDATE consent SET head_hash = :h", {"h": before}))
    code, output = _verify(app)
    assert code == 1 and f"consentement {consent_id}, fin de chaîne : l'état horodaté" in output
    # ...and the newest checkpoint rewritten to match: its token names it, and the chain is still caught
    # against the checkpoint before it whenever the truncation reaches behind that one.
    newest = Checkpoint.query.order_by(Checkpoint.id.desc()).first()
    heads = json.dumps({str(consent_id): before}, separators=(",", ":"))
    _tamper(("UPDATE checkpoint SET heads = :h WHERE id = :i", {"h": heads, "i": newest.id}))
    code, output = _verify(app)
    assert code == 1 and f"point de contrôle {newest.id} : son jeton d'horodatage ne couvre pas" in output
