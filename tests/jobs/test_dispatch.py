"""The dispatcher: after a commit, the proofs' timestamps are queued first, then the emails."""
from consents.db import db
from consents.evidence_models import Proof
from consents.lifecycle import answer_request, request_consents
from consents.models import ConsentRequest
from consents.outcome import Outcome
from consents.rules import Recipient
from consents.texts import consent_text
from jobs.dispatch import dispatch
from jobs.queue import get_queue


def _ask(user, *emails):
    """Ask each address for consent; nothing is enqueued yet. Return the outcome."""
    recipients = [Recipient(email, "", "particulier") for email in emails]
    return request_consents(user.sender, user, recipients, 15, lre=True, avis=False)


def _accept(user):
    """Ask Marie and record her acceptance without dispatching anything; return the answer's outcome."""
    _ask(user, "marie@example.fr")
    request = ConsentRequest.query.one()
    return answer_request(request, accept=True, ip="203.0.113.7", user_agent="Firefox",
                          text=consent_text(user.sender.legal_name, "marie@example.fr", True, False))


def test_dispatched_emails_are_sent_by_the_worker(sender_user, run_jobs, mail_outbox):
    outcome = _ask(sender_user, "a@example.fr", "b@example.fr")
    run_jobs()
    assert mail_outbox == []
    assert dispatch(Outcome(email_ids=outcome.email_ids)).email_ids == outcome.email_ids
    run_jobs()
    assert sorted(m.to[0] for m in mail_outbox) == ["a@example.fr", "b@example.fr"]


def test_with_a_tsa_the_timestamp_is_queued_before_the_receipt_email(app, tsa, sender_user, run_jobs, mail_outbox):
    outcome = _accept(sender_user)
    [proof_id], [email_id] = outcome.proof_ids, outcome.email_ids
    dispatch(outcome)
    assert get_queue().job_ids == [f"timestamp-{proof_id}", f"email-{email_id}"]
    run_jobs()
    proof = db.session.get(Proof, proof_id)
    db.session.refresh(proof)
    assert proof.tsr is not None
    [receipt] = mail_outbox
    assert receipt.to == ["marie@example.fr"] and receipt.attachments[0][1].startswith(b"%PDF")


def test_without_a_tsa_only_the_emails_are_queued(app, sender_user):
    app.config["TSA_URL"] = None
    outcome = _accept(sender_user)
    dispatch(outcome)
    assert get_queue().job_ids == [f"email-{outcome.email_ids[0]}"]
