"""The daily evidence checkpoint: chain heads timestamped by the TSA; also restarts timestamps left pending."""
from __future__ import annotations

from consents.checkpoints import create_checkpoint
from consents.db import db
from consents.evidence_models import Proof
from consents.timestamps import request_token, tsa_configured
from jobs.proofs import enqueue_timestamp


def checkpoint_chains() -> str:
    """Record every chain head, have the TSA timestamp them, and re-enqueue proofs still waiting for a token."""
    checkpoint = create_checkpoint()
    if not tsa_configured():
        return f"checkpoint {checkpoint.id} recorded, no TSA configured"
    # A failure raises: RQ keeps the error among the failed jobs (the row itself only ever gains its token).
    checkpoint.tsr, checkpoint.timestamped_at = request_token(checkpoint.heads.encode("utf-8"))
    db.session.commit()
    # A proof whose job was lost (Redis flushed, retries exhausted) gets another chance each day.
    pending = [p.id for p in Proof.query.filter(Proof.tsr.is_(None)).with_entities(Proof.id)]
    for proof_id in pending:
        enqueue_timestamp(proof_id)
    return f"checkpoint {checkpoint.id} timestamped; {len(pending)} pending proofs re-enqueued"

