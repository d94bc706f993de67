"""The outbox: one worker per email, what a success or a refusal records, what the sweeper picks up, progress."""
from datetime import timedelta

from consents.db import db
from consents.events import verify_chains
from consents.lifecycle import request_consents
from consents.models import Consent, ConsentEvent, ConsentRequest, OutboundEmail
from consents.outbox import (
    batch_progress, claim, history_due, mark_refused, record_hand_off, record_sent, sweepable,
)
from consents.rules import Recipient


def _ask(user, *emails):
    """Ask each address for consent in one batch, without enqueueing anything; return the outcome."""
    recipients = [Recipient(email, email.split("@")[0], "particulier") for email in emails]
    return request_consents(user.sender, user, recipients, 15, lre=True, avis=False)


def mark_sent(email, message_id: str) -> None:
    """What a worker records once SMTP took a claimed email: the hand-off, then the history."""
    record_hand_off(email.id)
    assert record_sent(email.id, lambda _email: message_id)


def test_a_claim_is_exclusive_until_it_goes_stale(sender_user, frozen_now):
    [email_id] = _ask(sender_user, "marie@example.fr").email_ids
    first = claim(email_id)
    assert first.to == "marie@example.fr" and first.kind == "request"
    assert first.consent_id == Consent.query.one().id
    assert claim(email_id) is None
    frozen_now.advance(minutes=2)
    assert claim(email_id) is None  # its worker may still be talking to the SMTP server
    frozen_now.advance(minutes=2)
    assert claim(email_id) is not None
    assert db.session.get(OutboundEmail, email_id).attempts == 2


def test_mark_sent_records_the_time_and_a_sent_event_in_the_chain(sender_user):
    [email_id] = _ask(sender_user, "marie@example.fr").email_ids
    mark_sent(claim(email_id), "<outbox-1@example>")
    row = db.session.get(OutboundEmail, email_id)
    assert row.sent_at is not None and row.claimed_at is None
    assert ConsentRequest.query.one().sent_at == row.sent_at
    event = ConsentEvent.query.filter_by(kind="sent").one()
    assert event.data == {"email_kind": "request", "message_id": "<outbox-1@example>", "to": "marie@example.fr"}
    assert Consent.query.one().head_hash == event.hash and verify_chains().breaks == []
    assert claim(email_id) is None


def test_mark_refused_flags_the_address_and_is_never_retried(sender_user, frozen_now):
    [email_id] = _ask(sender_user, "nobody@example.fr").email_ids
    mark_refused(claim(email_id), "SMTPRecipientsRefused: 550 5.1.1 No such user here")
    row = db.session.get(OutboundEmail, email_id)
    assert row.failed_at is not None and row.sent_at is None and "550" in row.last_error
    assert Consent.query.one().bounced_at == row.failed_at
    event = ConsentEvent.query.filter_by(kind="bounced").one()
    assert "550" in event.data["error"] and event.data["to"] == "nobody@example.fr"
    frozen_now.advance(hours=1)
    assert claim(email_id) is None and email_id not in sweepable()


def test_sweepable_lists_only_unsent_emails_past_the_grace_period(sender_user, frozen_now):
    sent, waiting, held = _ask(sender_user, "a@example.fr", "b@example.fr", "c@example.fr").email_ids
    assert sweepable() == []
    mark_sent(claim(sent), "<m>")
    frozen_now.advance(minutes=2)
    claim(held)
    assert sweepable() == [waiting]
    assert sweepable(at=frozen_now.now + timedelta(minutes=4)) == [waiting, held]


def test_batch_progress_counts_sent_failed_and_remaining(sender_user):
    outcome = _ask(sender_user, "a@example.fr", "b@example.fr", "c@example.fr")
    assert batch_progress(outcome.batch_id) == {"sent": 0, "failed": 0, "remaining": 3, "total": 3}
    first, second, _third = outcome.email_ids
    mark_sent(claim(first), "<m>")
    mark_refused(claim(second), "550 refused")
    assert batch_progress(outcome.batch_id) == {"sent": 1, "failed": 1, "remaining": 1, "total": 3}


def test_the_hand_off_alone_stops_every_resend_and_the_history_is_written_once(sender_user, frozen_now):
    [email_id] = _ask(sender_user, "marie@example.fr").email_ids
    email = claim(email_id)
    record_hand_off(email_id)  # a worker that dies right after this line...
    row = db.session.get(OutboundEmail, email_id)
    assert row.sent_at is not None and row.claimed_at is not None
    assert ConsentEvent.query.filter_by(kind="sent").count() == 0
    frozen_now.advance(hours=1)
    assert claim(email_id) is None and sweepable() == []  # ...never has its email sent again
    assert history_due() == [email_id]
    assert record_sent(email_id, lambda e: f"<outbox-{e.id}@example>")
    assert not record_sent(email_id, lambda e: "<again>") and history_due() == []
    [event] = ConsentEvent.query.filter_by(kind="sent").all()
    assert event.data["message_id"] == f"<outbox-{email.id}@example>"
    assert ConsentRequest.query.one().sent_at == row.sent_at and verify_chains().breaks == []
