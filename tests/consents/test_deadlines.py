"""Nightly expiry, the senders' digest and automatic reminders, with the clock under control."""
from datetime import timedelta

from conftest import make_sender
from consents.db import db
from consents.deadlines import expire_overdue, queue_expiry_digests, reminder_lead, send_due_reminders
from consents.events import GENESIS, hash_event
from consents.lifecycle import find_request, request_consents
from consents.models import ACCEPTED, PENDING, REFUSED, Consent, ConsentEvent, ConsentRequest, OutboundEmail
from consents.rules import Recipient


def _ask(user, email, delay=10, reminders=True):
    return request_consents(user.sender, user, [Recipient(email, email.split("@")[0].title(), "particulier")], delay,
                            lre=True, avis=False, reminders=reminders)


def _consent(email):
    return Consent.query.filter(Consent.contact.has(email=email)).one()


def _chain_ok(consent):
    prev = GENESIS
    for event in ConsentEvent.query.filter_by(consent_id=consent.id).order_by(ConsentEvent.id):
        if event.prev_hash != prev or hash_event(event) != event.hash:
            return False
        prev = event.hash
    return consent.head_hash == prev


def test_expiry_refuses_overdue_pending_in_batches_and_is_idempotent(sender_user, frozen_now):
    _ask(sender_user, "a@example.fr", delay=3)
    _ask(sender_user, "b@example.fr", delay=3)
    _ask(sender_user, "c@example.fr", delay=5)
    _ask(sender_user, "d@example.fr", delay=3)
    _consent("d@example.fr").status = ACCEPTED
    db.session.commit()
    frozen_now.advance(days=4)
    per_sender = expire_overdue(batch_size=1)
    assert per_sender == {sender_user.sender_id: 2}
    db.session.expire_all()
    for email in ("a@example.fr", "b@example.fr"):
        consent = _consent(email)
        assert consent.status == REFUSED and consent.changed_at == consent.deadline
        assert _chain_ok(consent)
        expired = ConsentEvent.query.filter_by(consent_id=consent.id, kind="expired").one()
        assert expired.actor == "system" and expired.request_id == ConsentRequest.query.filter_by(consent_id=consent.id).one().id
    assert _consent("c@example.fr").status == PENDING and _consent("d@example.fr").status == ACCEPTED
    assert not expire_overdue()
    assert ConsentEvent.query.filter_by(kind="expired").count() == 2


def test_expiry_in_batches_covers_every_overdue_consent_once(sender_user, frozen_now):
    other = make_sender("Syndic Dupuis", "syndic@dupuis.example.fr")
    for n in range(8):
        _ask(sender_user if n % 2 else other, f"r{n}@example.fr", delay=3)
    _ask(sender_user, "later@example.fr", delay=20)
    _consent("r4@example.fr").status = ACCEPTED
    db.session.commit()
    frozen_now.advance(days=4)
    assert expire_overdue(batch_size=2) == {sender_user.sender_id: 4, other.sender_id: 3}
    db.session.expire_all()
    for n in (0, 1, 2, 3, 5, 6, 7):
        consent = _consent(f"r{n}@example.fr")
        assert consent.status == REFUSED and _chain_ok(consent)
        assert ConsentEvent.query.filter_by(consent_id=consent.id, kind="expired").count() == 1
    assert _consent("r4@example.fr").status == ACCEPTED and _consent("later@example.fr").status == PENDING
    assert not expire_overdue(batch_size=2)


def test_one_digest_per_sender_and_day(sender_user, frozen_now):
    other = make_sender("Syndic Dupuis", "syndic@dupuis.example.fr")
    _ask(sender_user, "a@example.fr", delay=3)
    _ask(sender_user, "b@example.fr", delay=3)
    _ask(other, "x@example.fr", delay=3)
    _ask(other, "y@example.fr", delay=20)
    frozen_now.advance(days=3, hours=1)
    expire_overdue()
    day = frozen_now.now.date()
    created = queue_expiry_digests(day).email_ids
    assert len(created) == 2
    digests = {e.to: e for e in OutboundEmail.query.filter_by(kind="digest")}
    mine = digests["gerant@martin-gestion.fr"]
    assert "2 demandes de consentement expirées" in mine.subject
    assert "a@example.fr" in mine.sent_text and "b@example.fr" in mine.sent_text
    assert "x@example.fr" not in mine.sent_text
    assert "1 demande de consentement expirée" in digests["syndic@dupuis.example.fr"].subject
    assert queue_expiry_digests(day).email_ids == []
    assert OutboundEmail.query.filter_by(kind="digest").count() == 2


def test_reminder_lead_depends_on_the_delay():
    assert reminder_lead(3) is None and reminder_lead(4) is None
    assert reminder_lead(5) == timedelta(days=2) and reminder_lead(30) == timedelta(days=3)


def test_one_automatic_reminder_a_few_days_before_the_deadline(sender_user, frozen_now):
    _ask(sender_user, "a@example.fr", delay=10)
    frozen_now.advance(days=6, hours=23)
    assert send_due_reminders().email_ids == []
    frozen_now.advance(hours=1, minutes=1)
    [email_id] = send_due_reminders().email_ids
    reminder = db.session.get(OutboundEmail, email_id)
    assert reminder.kind == "reminder" and reminder.to == "a@example.fr" and "Rappel" in reminder.subject
    token = reminder.sent_text.split("/c/")[1].split()[0]
    assert find_request(token) is not None
    assert ConsentEvent.query.filter_by(kind="reminded").one().data == {"automatic": True}
    frozen_now.advance(days=1)
    assert send_due_reminders().email_ids == []


def test_no_reminder_after_an_answer_when_switched_off_or_too_short(sender_user, frozen_now):
    _ask(sender_user, "answered@example.fr", delay=10)
    _ask(sender_user, "off@example.fr", delay=10, reminders=False)
    _ask(sender_user, "short@example.fr", delay=4)
    request = ConsentRequest.query.filter(ConsentRequest.consent.has(Consent.contact.has(email="answered@example.fr"))).one()
    request.answered_at, request.answer = frozen_now.now, REFUSED
    _consent("answered@example.fr").status = REFUSED
    db.session.commit()
    for _ in range(12):
        frozen_now.advance(days=1)
        assert send_due_reminders().email_ids == []
    assert OutboundEmail.query.filter_by(kind="reminder").count() == 0
