"""Receipts: created with the acceptance, canonical and complete, signed, and only with a key in production."""
import base64
import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from conftest import accept_one, ask, latest_email, link_from
from consents.canonical import canonical_json, sha256_hex
from consents.db import db
from consents.keys import load_key
from consents.models import PENDING, Consent, ConsentEvent, ConsentRequest
from consents.evidence_models import Proof
from consents.receipts import build_receipt, signature_envelope
from consents.verification import Bundle, verify_bundle


def _bundle(proof):
    """What the sender downloads: the receipt bytes and the signature file."""
    return Bundle(receipt=proof.receipt.encode("utf-8"), signature=signature_envelope(proof))


def test_acceptance_creates_a_complete_signed_receipt(logged_in):
    response = accept_one(logged_in, scope="both", delay="12")
    assert response.status_code == 303
    proof = Proof.query.one()
    event = ConsentEvent.query.filter_by(kind="accepted").one()
    request = ConsentRequest.query.one()
    receipt = json.loads(proof.receipt)
    # Canonical form: sorted keys, no whitespace, UTF-8; the stored bytes are what the hash covers.
    assert proof.receipt.encode("utf-8") == canonical_json(receipt)
    assert proof.receipt_sha256 == sha256_hex(proof.receipt.encode("utf-8"))
    assert receipt["consentReceiptID"] == proof.uuid and len(proof.uuid) == 36
    assert receipt["version"] == "KI-CR-v1.1.0" and receipt["jurisdiction"] == "FR"
    assert receipt["legalBasis"] == "CPCE art. L100"
    assert receipt["piiControllers"] == [{"piiController": "Cabinet Martin Gestion", "siren": None,
                                          "requestedBy": "gerant@martin-gestion.fr"}]
    assert receipt["piiPrincipal"] == {"name": "Marie Dupont", "email": "marie.dupont@example.fr",
                                       "kind": "particulier"}
    assert receipt["piiPrincipalId"] == "marie.dupont@example.fr"
    assert receipt["scope"] == ["lre", "avis"] and len(receipt["services"]) == 2
    assert receipt["collectionMethod"] == "email"
    assert receipt["consentText"]["sha256"] == event.data["text_sha256"]
    assert receipt["consentText"]["version"] == event.data["text_version"] and receipt["language"] == "fr"
    assert receipt["request"]["deadline"] == request.deadline.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert receipt["request"]["delayDays"] == 12
    assert receipt["answer"] == {"at": event.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"), "ip": "203.0.113.7",
                                 "userAgent": "Mozilla/5.0 (Android 14)"}
    assert receipt["consentTimestamp"] == receipt["answer"]["at"]
    assert receipt["history"]["eventHash"] == event.hash
    assert receipt["verificationUrl"] == f"http://consent.test/verifier/recu/{proof.uuid}"
    verdict = verify_bundle(_bundle(proof))
    assert verdict.signature == "valid" and verdict.in_history and verdict.timestamp == "absent"


def test_same_input_gives_the_same_bytes(logged_in):
    accept_one(logged_in)
    proof = Proof.query.one()
    consent = Consent.query.one()
    stored = db.session.get(ConsentEvent, proof.event_id)
    event = {column.name: getattr(stored, column.name) for column in ConsentEvent.__table__.columns}
    request = ConsentRequest.query.one()

    def build():
        return canonical_json(build_receipt(receipt_id=proof.uuid, sender=consent_sender(consent),
                                            requested_by=request.requested_by, contact=consent.contact,
                                            channel=consent.channel, request=request, event=event))

    from consents.lifecycle import consent_sender
    assert build() == build() == proof.receipt.encode("utf-8")


def test_refusal_makes_no_proof(logged_in):
    ask(logged_in)
    logged_in.post(link_from(latest_email("request").sent_text), data={"reponse": "refuser"})
    assert Proof.query.count() == 0


def test_failing_signature_leaves_the_consent_pending(logged_in, monkeypatch):
    import consents.receipts as proofs

    def broken(_body):
        raise RuntimeError("HSM unavailable")

    monkeypatch.setattr(proofs, "sign", broken)
    ask(logged_in)
    with pytest.raises(RuntimeError):
        logged_in.post(link_from(latest_email("request").sent_text), data={"reponse": "accepter"})
    db.session.rollback()
    consent = Consent.query.one()
    assert consent.status == PENDING and Proof.query.count() == 0
    assert ConsentEvent.query.filter_by(kind="accepted").count() == 0


def test_production_refuses_to_sign_without_a_key(app):
    from consents.keys import SigningKeyError

    app.config["APP_ENV"] = "production"
    app.extensions.pop("signing_key", None)
    with pytest.raises(SigningKeyError):
        load_key()
    app.extensions.pop("signing_key", None)


def test_production_app_does_not_start_without_a_signing_key(app_config):
    from app import create_app
    from conftest import PRODUCTION_SECRET
    from consents.keys import SigningKeyError

    with pytest.raises(SigningKeyError):
        create_app({**app_config, "APP_ENV": "production", "SECRET_KEY": PRODUCTION_SECRET,
                    "TSA_URL": "https://tsa.example/tsa"})
    key = base64.b64encode(Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())).decode()
    assert create_app({**app_config, "APP_ENV": "production", "SECRET_KEY": PRODUCTION_SECRET, "SIGNING_KEY": key,
                       "TSA_URL": "https://tsa.example/tsa"})
