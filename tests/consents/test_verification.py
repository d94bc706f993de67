"""Checking an upload: files sorted by content, signatures held against our keys (old ones too), timestamps."""
import base64

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from conftest import accept_one
from consents.canonical import canonical_json
from consents.keys import load_key
from consents.models import ACCEPTED, Consent
from consents.evidence_models import Proof
from consents.receipts import proof_folder, signature_envelope
from consents.verification import Bundle, read_upload, verify_bundle
from jobs.proofs import timestamp_proof


def _bundle(proof):
    """What the sender downloads: the receipt bytes and the signature file."""
    return Bundle(receipt=proof.receipt.encode("utf-8"), signature=signature_envelope(proof))


def test_a_flipped_byte_breaks_the_signature(logged_in):
    accept_one(logged_in)
    proof = Proof.query.one()
    body = bytearray(proof.receipt.encode("utf-8"))
    position = body.index(b"marie.dupont")
    body[position] = ord("n")
    verdict = verify_bundle(Bundle(receipt=bytes(body), signature=signature_envelope(proof)))
    assert verdict.signature == "invalid" and not verdict.in_history
    forged_signature = dict(signature_envelope(proof))
    raw = bytearray(base64.b64decode(forged_signature["signature"]))
    raw[0] ^= 1
    forged_signature["signature"] = base64.b64encode(bytes(raw)).decode()
    assert verify_bundle(Bundle(receipt=proof.receipt.encode(), signature=forged_signature)).signature == "invalid"


def _pem(key):
    """A private key as the PEM text SIGNING_KEY accepts."""
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def test_configured_key_signs_and_old_signatures_survive_rotation(app, logged_in, client):
    first, second = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    app.config["SIGNING_KEY"] = _pem(first)
    app.extensions.pop("signing_key", None)
    accept_one(logged_in, email="a@example.fr")
    old = Proof.query.one()
    assert old.key_id == load_key().kid
    # Rotate: the raw base64 form of the variable works too.
    raw = second.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                               serialization.NoEncryption())
    app.config["SIGNING_KEY"] = base64.b64encode(raw).decode()
    app.extensions.pop("signing_key", None)
    accept_one(logged_in, email="b@example.fr")
    new = Proof.query.filter(Proof.id != old.id).one()
    assert new.key_id != old.key_id
    keys = client.get("/cles-publiques.json").get_json()["keys"]
    assert {k["kid"] for k in keys} == {old.key_id, new.key_id}
    assert [k["kid"] for k in keys if k["current"]] == [new.key_id]
    assert all(k["kty"] == "OKP" and k["crv"] == "Ed25519" for k in keys)
    assert verify_bundle(_bundle(old)).signature == "valid"
    assert verify_bundle(_bundle(new)).signature == "valid"
    assert Consent.query.filter_by(status=ACCEPTED).count() == 2


def test_files_are_recognised_by_their_content_not_their_names(logged_in):
    accept_one(logged_in)
    proof = Proof.query.one()
    bundle = read_upload([("recu.json", canonical_json(signature_envelope(proof))),
                          ("signature.txt", proof.receipt.encode("utf-8"))])
    assert bundle.receipt == proof.receipt.encode("utf-8")
    assert bundle.signature["kid"] == proof.key_id and bundle.tsr is None
    verdict = verify_bundle(bundle)
    assert verdict.ok and verdict.timestamp == "absent" and verdict.receipt["consentReceiptID"] == proof.uuid


def test_a_timestamped_proof_folder_verifies_and_needs_the_tsa_certificate(app, tsa, logged_in):
    accept_one(logged_in)
    proof = Proof.query.one()
    assert timestamp_proof(proof.id) == "timestamped"
    bundle = read_upload([("dossier.zip", proof_folder(proof))])
    assert bundle.tsr == proof.tsr and bundle.receipt == proof.receipt.encode("utf-8")
    verdict = verify_bundle(bundle)
    assert verdict.ok and verdict.timestamp == "valid" and verdict.timestamp_at == proof.timestamped_at
    app.config["TSA_CA_FILE"] = None
    assert verify_bundle(bundle).timestamp == "unverifiable"
