"""Proof jobs: fetch each receipt's RFC 3161 token."""
from __future__ import annotations

from rq import Retry

from consents.db import db
from consents.evidence_models import Proof
from consents.timestamps import TimestampError, request_token, tsa_configured
from jobs.queue import enqueue

# The TSA may be down for hours: back off up to six hours, about a day in all.
TIMESTAMP_RETRY_INTERVALS = [30, 120, 600, 1800, 7200, 21600, 21600, 21600]


def enqueue_timestamp(proof_id: int):
    """Enqueue the timestamping of one proof, with retries and backoff."""
    return enqueue("jobs.proofs.timestamp_proof", proof_id, job_id=f"timestamp-{proof_id}",
                   retry=Retry(max=len(TIMESTAMP_RETRY_INTERVALS), interval=TIMESTAMP_RETRY_INTERVALS))


def timestamp_proof(proof_id: int) -> str:
    """Get and store an RFC 3161 token over the receipt; raising makes RQ retry later."""
    proof = db.session.get(Proof, proof_id)
    if proof is None:
        return "missing"
    if proof.tsr is not None:
        return "already timestamped"
    if not tsa_configured():
        return "no TSA configured"
    try:
        tsr, at = request_token(proof.receipt.encode("utf-8"))
    except TimestampError as exc:
        proof.timestamp_attempts += 1
        proof.timestamp_error = str(exc)[:500]
        db.session.commit()
        raise
    proof.tsr, proof.timestamped_at, proof.timestamp_error = tsr, at, None
    proof.timestamp_attempts += 1
    db.session.commit()
    return "timestamped"
