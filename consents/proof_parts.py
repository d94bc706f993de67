"""The signed pieces of a proof as files: the receipt's exact bytes, its detached signature and its token."""
from __future__ import annotations

from consents.canonical import canonical_json
from consents.evidence_models import Proof
from consents.links import public_url

SIGNATURE_ALG = "Ed25519"


def receipt_bytes(proof: Proof) -> bytes:
    """The exact signed and timestamped bytes of a receipt."""
    return proof.receipt.encode("utf-8")


def signature_envelope(proof: Proof) -> dict:
    """The detached signature file: algorithm, key id, signature and what it covers."""
    return {
        "alg": SIGNATURE_ALG, "kid": proof.key_id, "signature": proof.signature,
        "consentReceiptID": proof.uuid, "receiptSha256": proof.receipt_sha256,
        "keysUrl": public_url("public.keys"),
    }


def signed_files(proof: Proof) -> dict[str, bytes]:
    """recu.json, recu.sig.json and, once the authority answered, recu.tsr: what a verifier needs."""
    files = {"recu.json": receipt_bytes(proof), "recu.sig.json": canonical_json(signature_envelope(proof))}
    if proof.tsr is not None:
        files["recu.tsr"] = proof.tsr
    return files
