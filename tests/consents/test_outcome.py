"""Outcome: what a verb wrote, sorted into emails to send and proofs to timestamp, with their ids."""
from conftest import accept_one
from consents.db import db
from consents.models import OutboundEmail
from consents.evidence_models import Proof
from consents.outcome import Outcome


def _email(to):
    """An outbox row not yet flushed: it has no id until the outcome notes it."""
    return OutboundEmail(kind="request", to=to, subject="Objet", text_body="texte", html_body="<p>texte</p>")


def test_wrote_files_emails_and_proofs_with_their_ids(logged_in):
    accept_one(logged_in)
    proof = Proof.query.one()
    first, second = _email("a@example.fr"), _email("b@example.fr")
    db.session.add_all([first, second])
    assert first.id is None
    outcome = Outcome()
    outcome.wrote(first, proof, second)
    assert outcome.email_ids == [first.id, second.id] and None not in outcome.email_ids
    assert outcome.proof_ids == [proof.id]
    assert outcome.consent_ids == [] and not outcome.changed
    db.session.rollback()


def test_changed_only_when_a_consent_was_changed():
    assert not Outcome().changed
    assert not Outcome(email_ids=[3], proof_ids=[4]).changed
    assert Outcome(consent_ids=[5]).changed
