"""Daily checkpoints: every chain's head at one moment, timestamped, so older history cannot be rewritten unseen."""
from __future__ import annotations

import json

from sqlalchemy import select

from consents import clock
from consents.canonical import canonical_json, sha256_hex
from consents.db import db
from consents.models import Consent
from consents.evidence_models import Checkpoint


def create_checkpoint() -> Checkpoint:
    """Record the current head of every consent's chain (committed before any timestamp is asked)."""
    heads = {str(cid): head for cid, head in db.session.execute(
        select(Consent.id, Consent.head_hash).where(Consent.head_hash.is_not(None)).order_by(Consent.id))}
    body = canonical_json(heads)
    checkpoint = Checkpoint(created_at=clock.now(), heads=body.decode("utf-8"), heads_sha256=sha256_hex(body))
    db.session.add(checkpoint)
    db.session.commit()
    return checkpoint


def latest_checkpoint_heads() -> dict[str, str] | None:
    """The heads of the newest timestamped checkpoint, or None when there is none yet."""
    checkpoint = (Checkpoint.query.filter(Checkpoint.tsr.is_not(None))
                  .order_by(Checkpoint.id.desc()).first())
    return json.loads(checkpoint.heads) if checkpoint else None
