"""The one place that starts work after a commit: it enqueues what a verb's outcome names."""
from __future__ import annotations

from consents.outcome import Outcome
from consents.timestamps import tsa_configured
from jobs.proofs import enqueue_timestamp
from consents.webhook_deliveries import new_deliveries
from jobs.queue import dispatch_emails, dispatch_webhooks


def dispatch(outcome: Outcome) -> Outcome:
    """Enqueue the proofs' timestamps, then the emails, then the webhooks; call it only once the verb has committed."""
    if tsa_configured():
        # First in the queue, so an emailed certificate usually shows its timestamp already.
        for proof_id in outcome.proof_ids:
            enqueue_timestamp(proof_id)
    dispatch_emails(outcome.email_ids)
    dispatch_webhooks(outcome.delivery_ids + new_deliveries(outcome.consent_ids))
    return outcome
