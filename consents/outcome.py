"""What a state change wrote that needs work after its commit: the dispatcher in jobs/ reads it."""
from __future__ import annotations

from dataclasses import dataclass, field

from consents.db import db
from consents.models import OutboundEmail
from consents.evidence_models import Proof


@dataclass
class Outcome:
    """Ids of what one verb wrote: the consents it changed, the emails to send, the proofs to timestamp, the webhooks."""

    consent_ids: list[int] = field(default_factory=list)
    email_ids: list[int] = field(default_factory=list)
    proof_ids: list[int] = field(default_factory=list)
    delivery_ids: list[int] = field(default_factory=list)  # webhook deliveries not tied to a changed consent

    def wrote(self, *rows: OutboundEmail | Proof) -> None:
        """Note outbox emails and proofs added to the current transaction (flushed here for their ids)."""
        db.session.flush()
        for row in rows:
            (self.proof_ids if isinstance(row, Proof) else self.email_ids).append(row.id)

    @property
    def changed(self) -> bool:
        """True when the verb changed a consent."""
        return bool(self.consent_ids)
