"""The timestamp job: stores the authority's token once, records failures, does nothing without an authority."""
import pytest

from consents.db import db
from consents.evidence_models import Proof
from consents.lifecycle import answer_request, request_consents
from consents.models import ConsentRequest
from consents.rules import Recipient
from consents.texts import consent_text
from consents.timestamps import TimestampError, verify_token
from jobs.proofs import timestamp_proof


def _proof(user):
    """An accepted consent's proof, with no job run for it yet."""
    request_consents(user.sender, user, [Recipient("marie@example.fr", "Marie", "particulier")], 15,
                     lre=True, avis=False)
    answer_request(ConsentRequest.query.one(), accept=True, ip=None, user_agent=None,
                   text=consent_text(user.sender.legal_name, "marie@example.fr", True, False))
    return Proof.query.one()


def test_the_token_is_stored_once_and_covers_the_receipt(app, tsa, sender_user):
    proof = _proof(sender_user)
    assert timestamp_proof(proof.id) == "timestamped"
    db.session.refresh(proof)
    assert verify_token(proof.tsr, proof.receipt.encode("utf-8")) == proof.timestamped_at
    token = proof.tsr
    assert timestamp_proof(proof.id) == "already timestamped"
    db.session.refresh(proof)
    assert proof.tsr == token and proof.timestamp_attempts == 1


def test_an_authority_failure_is_recorded_and_raised_for_a_retry(app, tsa, sender_user):
    proof = _proof(sender_user)
    tsa.fail = True
    with pytest.raises(TimestampError):
        timestamp_proof(proof.id)
    db.session.refresh(proof)
    assert proof.tsr is None and proof.timestamp_attempts == 1 and proof.timestamp_error


def test_without_an_authority_or_a_proof_nothing_happens(app, sender_user):
    app.config["TSA_URL"] = None
    proof = _proof(sender_user)
    assert timestamp_proof(proof.id) == "no TSA configured"
    assert timestamp_proof(proof.id + 1000) == "missing"
    db.session.refresh(proof)
    assert proof.tsr is None and proof.timestamp_attempts == 0
