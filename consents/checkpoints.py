"""Daily checkpoints: every chain's head at one moment, timestamped, so older history cannot be rewritten unseen."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select

from consents import clock
from consents.canonical import canonical_json, sha256_hex
from consents.db import db
from consents.evidence_models import Checkpoint
from consents.models import Consent
from consents.timestamps import TimestampError, read_token, tsa_roots, verify_token

# A token is asked right after its checkpoint is written: one dated far from it was made later, for other content.
TOKEN_EARLIEST, TOKEN_LATEST = timedelta(hours=1), timedelta(days=1)
# Checkpoints are made daily: a newest one older than this suggests the later ones were deleted.
STALE_AFTER = timedelta(days=2)


def create_checkpoint() -> Checkpoint:
    """Record the current head of every consent's chain (committed before any timestamp is asked)."""
    heads = {str(cid): head for cid, head in db.session.execute(
        select(Consent.id, Consent.head_hash).where(Consent.head_hash.is_not(None)).order_by(Consent.id))}
    body = canonical_json(heads)
    checkpoint = Checkpoint(created_at=clock.now(), heads=body.decode("utf-8"), heads_sha256=sha256_hex(body))
    db.session.add(checkpoint)
    db.session.commit()
    return checkpoint


@dataclass
class CheckpointIssue:
    """A checkpoint that no longer holds: rewritten (its token covers other content) or missing (deleted)."""

    checkpoint_id: int
    reason: str  # rewritten, missing
    last_id: int | None = None  # for missing: the last of a run of deleted checkpoints

    def describe(self) -> str:
        """The issue in plain French, for the operator."""
        if self.reason == "missing":
            ids = f"{self.checkpoint_id}" if self.last_id == self.checkpoint_id else \
                f"{self.checkpoint_id} à {self.last_id}"
            return f"point de contrôle {ids} : manquant entre le premier et le dernier (supprimé)"
        return (f"point de contrôle {self.checkpoint_id} : son jeton d'horodatage ne couvre pas ce qui est "
                "enregistré (réécrit)")


@dataclass
class CheckpointReport:
    """What a check of every checkpoint found, and the heads of the newest one whose token holds."""

    checked: int = 0
    timestamped: int = 0
    issues: list[CheckpointIssue] = field(default_factory=list)
    reference: Checkpoint | None = None
    signatures_checked: bool = False

    @property
    def heads(self) -> dict[str, str] | None:
        """The chain heads the newest sound checkpoint vouches for, or None when there is none."""
        return json.loads(self.reference.heads) if self.reference is not None else None

    def stale(self, at: datetime | None = None) -> bool:
        """True when the newest sound checkpoint is older than the daily schedule allows."""
        return self.reference is not None and (at or clock.now()) - self.reference.created_at > STALE_AFTER


def token_holds(checkpoint: Checkpoint) -> bool:
    """True when the checkpoint's token covers exactly its stored heads, at the time it was made."""
    body = checkpoint.heads.encode("utf-8")
    try:
        digest, at = read_token(checkpoint.tsr)
        if tsa_roots():
            verify_token(checkpoint.tsr, body)
    except TimestampError:
        return False
    return (digest == hashlib.sha256(body).digest() and checkpoint.heads_sha256 == sha256_hex(body)
            and checkpoint.timestamped_at == at
            and checkpoint.created_at - TOKEN_EARLIEST <= at <= checkpoint.created_at + TOKEN_LATEST)


def verify_checkpoints() -> CheckpointReport:
    """Check every checkpoint's token against what is stored, and that none is missing between the first and last."""
    report = CheckpointReport(signatures_checked=bool(tsa_roots()))
    previous = None
    # One at a time: a checkpoint of a million consents weighs tens of megabytes.
    for checkpoint in db.session.execute(select(Checkpoint).order_by(Checkpoint.id)
                                         .execution_options(yield_per=1)).scalars():
        report.checked += 1
        if previous is not None and checkpoint.id != previous + 1:
            report.issues.append(CheckpointIssue(previous + 1, "missing", checkpoint.id - 1))
        previous = checkpoint.id
        if checkpoint.tsr is None:  # the TSA failed or none is configured: no evidence, nothing to contradict
            continue
        report.timestamped += 1
        if token_holds(checkpoint):
            report.reference = checkpoint
        else:
            report.issues.append(CheckpointIssue(checkpoint.id, "rewritten"))
    return report
