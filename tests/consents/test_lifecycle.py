"""State changes: ask, open, answer, expire, remind; and the append-only history."""
import pytest
from sqlalchemy import text

from conftest import make_sender
from consents.db import db
from consents.lifecycle import (
    RequestExpired, answer_request, find_request, hash_token, open_request, remind, request_consents,
)
from consents.models import (
    ACCEPTED, PENDING, REFUSED, Consent, ConsentEvent, ConsentRequest, OutboundEmail, RequestToken,
)
from consents.queries import list_consents, status_counts
from consents.rules import Recipient, RuleError
from consents.texts import consent_text

MARIE = Recipient("marie@example.fr", "Marie Dupont", "particulier")
SARL = Recipient("contact@sarl.example.fr", "SARL Dupont", "professionnel")


def _token_of(email: OutboundEmail) -> str:
    """The raw token in an outbox email's link."""
    return email.sent_text.split("/c/")[1].split()[0]


def _ask(user, *recipients, delay=10, lre=True, avis=False):
    return request_consents(user.sender, user, list(recipients), delay, lre=lre, avis=avis)


def _text(request):
    return consent_text("x", request.consent.contact.email, request.scope_lre, request.scope_avis)


def test_ask_writes_consent_request_event_and_outbox_together(sender_user):
    outcome = _ask(sender_user, MARIE)
    assert outcome.asked == [MARIE] and len(outcome.email_ids) == 1
    consent = Consent.query.one()
    assert consent.status == PENDING and consent.effective_status == PENDING
    request = ConsentRequest.query.one()
    assert request.delay_days == 10 and (request.deadline - request.created_at).days == 10
    assert [e.kind for e in ConsentEvent.query.all()] == ["requested"]
    email = db.session.get(OutboundEmail, outcome.email_ids[0])
    assert email.to == "marie@example.fr" and email.request_id == request.id and email.sent_at is None


def test_token_is_long_random_and_stored_only_as_hash(sender_user):
    outcome = _ask(sender_user, MARIE)
    token = _token_of(db.session.get(OutboundEmail, outcome.email_ids[0]))
    assert len(token) >= 32  # 24 random bytes, base64url: 192 bits
    stored = RequestToken.query.one()
    assert stored.token_hash == hash_token(token) and token not in stored.token_hash
    assert find_request(token).id == ConsentRequest.query.one().id
    assert find_request(token[:-1] + ("A" if token[-1] != "A" else "B")) is None


def test_a_failing_batch_writes_nothing(sender_user, monkeypatch):
    import consents.lifecycle as lifecycle

    calls = {"n": 0}
    real = lifecycle.queue_request_email

    def fail_on_second(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("boom")
        return real(*args, **kwargs)

    monkeypatch.setattr(lifecycle, "queue_request_email", fail_on_second)
    with pytest.raises(RuntimeError):
        _ask(sender_user, MARIE, SARL)
    assert Consent.query.count() == 0 and OutboundEmail.query.count() == 0 and ConsentEvent.query.count() == 0


def test_delay_and_scope_are_checked(sender_user):
    with pytest.raises(RuleError):
        _ask(sender_user, MARIE, delay=2)
    with pytest.raises(RuleError):
        _ask(sender_user, MARIE, delay=31)
    with pytest.raises(RuleError):
        _ask(sender_user, MARIE, lre=False, avis=False)
    assert Consent.query.count() == 0


def test_pending_is_not_duplicated_and_accepted_not_asked_again(sender_user):
    _ask(sender_user, MARIE)
    again = _ask(sender_user, MARIE)
    assert again.already_pending == [MARIE] and not again.asked and not again.email_ids
    request = ConsentRequest.query.one()
    answer_request(request, accept=True, text=_text(request), ip="203.0.113.9", user_agent="UA")
    third = _ask(sender_user, MARIE)
    assert third.already_accepted == [MARIE] and not third.asked
    assert ConsentRequest.query.count() == 1


def test_refused_may_be_asked_again(sender_user):
    _ask(sender_user, MARIE)
    request = ConsentRequest.query.one()
    answer_request(request, accept=False, text=_text(request), ip=None, user_agent=None)
    assert Consent.query.one().effective_status == REFUSED
    held = _ask(sender_user, MARIE)  # not without the sender's confirmation, which must say when and how
    assert held.asked == [] and [(r.recipient, r.status, r.how) for r in held.needs_confirmation] == [
        (MARIE, REFUSED, "email")]
    again = request_consents(sender_user.sender, sender_user, [MARIE], 10, lre=True, avis=False, again=True)
    assert again.asked == [MARIE]
    assert Consent.query.one().effective_status == PENDING and ConsentRequest.query.count() == 2


def test_professional_asked_only_for_lre_gets_a_notice(sender_user):
    outcome = _ask(sender_user, SARL, MARIE)
    assert outcome.professional_lre_only == [SARL]
    assert not _ask(sender_user, Recipient("b@sarl.example.fr", "", "professionnel"), lre=True, avis=True).professional_lre_only


def test_pending_past_deadline_reads_refused_everywhere_at_once(sender_user, frozen_now):
    _ask(sender_user, MARIE, delay=3)
    _ask(sender_user, SARL, delay=30)
    sender_id = sender_user.sender_id
    assert status_counts(sender_id)[PENDING] == 2
    frozen_now.advance(days=3, seconds=1)
    consent = Consent.query.filter(Consent.contact.has(email=MARIE.email)).one()
    assert consent.status == PENDING  # no job ran
    assert consent.effective_status == REFUSED and consent.expired
    counts = status_counts(sender_id)
    assert counts[PENDING] == 1 and counts[REFUSED] == 1
    refused = list_consents(sender_id, status=REFUSED).items
    assert [c.contact.email for c in refused] == [MARIE.email]
    assert [c.contact.email for c in list_consents(sender_id, status=PENDING).items] == [SARL.email]


def test_asking_again_after_expiry_records_the_expiry_first(sender_user, frozen_now):
    _ask(sender_user, MARIE, delay=3)
    frozen_now.advance(days=4)
    assert _ask(sender_user, MARIE).asked == [MARIE]
    kinds = [e.kind for e in ConsentEvent.query.order_by(ConsentEvent.id)]
    assert kinds == ["requested", "expired", "requested"]


def test_open_is_recorded_once(sender_user):
    _ask(sender_user, MARIE)
    request = ConsentRequest.query.one()
    open_request(request, ip="203.0.113.9", user_agent="Firefox")
    open_request(request, ip="203.0.113.9", user_agent="Firefox")
    opened = ConsentEvent.query.filter_by(kind="opened").all()
    assert len(opened) == 1 and opened[0].ip == "203.0.113.9" and opened[0].user_agent == "Firefox"


def test_answer_records_time_ip_agent_and_text_hash(sender_user, frozen_now):
    _ask(sender_user, MARIE)
    request = ConsentRequest.query.one()
    shown = consent_text(sender_user.sender.legal_name, MARIE.email, True, False, "fr")
    assert answer_request(request, accept=True, text=shown, ip="198.51.100.7", user_agent="Mobile Safari").changed
    consent = Consent.query.one()
    assert consent.status == ACCEPTED and consent.decided_at == frozen_now.now
    event = ConsentEvent.query.filter_by(kind="accepted").one()
    assert event.actor == "recipient" and event.ip == "198.51.100.7" and event.user_agent == "Mobile Safari"
    assert event.data["text_sha256"] == shown.sha256 and event.data["text_version"] == shown.version
    assert event.data["language"] == "fr"


def test_answering_twice_changes_nothing(sender_user):
    _ask(sender_user, MARIE)
    request = ConsentRequest.query.one()
    assert answer_request(request, accept=True, text=_text(request), ip=None, user_agent=None).changed
    assert not answer_request(request, accept=False, text=_text(request), ip=None, user_agent=None).changed
    assert Consent.query.one().status == ACCEPTED
    assert ConsentEvent.query.filter(ConsentEvent.kind.in_(["accepted", "refused"])).count() == 1


def test_no_answer_after_the_deadline(sender_user, frozen_now):
    _ask(sender_user, MARIE, delay=3)
    frozen_now.advance(days=3)
    request = ConsentRequest.query.one()
    with pytest.raises(RequestExpired):
        answer_request(request, accept=True, text=_text(request), ip=None, user_agent=None)
    assert Consent.query.one().effective_status == REFUSED
    assert ConsentEvent.query.filter_by(kind="accepted").count() == 0


def test_remind_adds_a_working_link_and_waits_24_hours(sender_user, frozen_now):
    outcome = _ask(sender_user, MARIE)
    first_token = _token_of(db.session.get(OutboundEmail, outcome.email_ids[0]))
    consent = Consent.query.one()
    [email_id] = remind(consent, sender_user).email_ids
    reminder = db.session.get(OutboundEmail, email_id)
    assert reminder.kind == "reminder" and "Rappel" in reminder.subject
    assert find_request(_token_of(reminder)).id == find_request(first_token).id
    with pytest.raises(RuleError) as error:
        remind(consent, sender_user)
    assert "24 heures" in str(error.value.message)
    frozen_now.advance(hours=24, seconds=1)
    assert remind(consent, sender_user).email_ids
    assert ConsentEvent.query.filter_by(kind="reminded").count() == 2


def test_only_pending_consents_can_be_reminded(sender_user):
    _ask(sender_user, MARIE)
    request = ConsentRequest.query.one()
    answer_request(request, accept=False, text=_text(request), ip=None, user_agent=None)
    with pytest.raises(RuleError):
        remind(Consent.query.one(), sender_user)


def test_history_cannot_be_updated_or_deleted_even_in_sql(sender_user):
    _ask(sender_user, MARIE)
    event_id = ConsentEvent.query.one().id
    for statement in (f"UPDATE consent_event SET kind = 'accepted' WHERE id = {event_id}",
                      f"DELETE FROM consent_event WHERE id = {event_id}"):
        with pytest.raises(Exception) as error:
            db.session.execute(text(statement))
            db.session.flush()
        assert "append-only" in str(error.value)
        db.session.rollback()
    assert ConsentEvent.query.one().kind == "requested"


def test_senders_are_kept_apart(sender_user):
    other = make_sender("Autre Syndic", "autre@syndic.example.fr")
    _ask(sender_user, MARIE)
    _ask(other, MARIE)
    assert Consent.query.count() == 2
    assert status_counts(other.sender_id)[PENDING] == 1
    assert [c.sender_id for c in list_consents(other.sender_id).items] == [other.sender_id]


def test_each_consent_history_is_a_hash_chain(sender_user):
    from consents.events import GENESIS, hash_event

    _ask(sender_user, MARIE, SARL)
    request = ConsentRequest.query.filter(ConsentRequest.consent.has(Consent.contact.has(email=MARIE.email))).one()
    open_request(request, ip="203.0.113.9", user_agent="UA")
    answer_request(request, accept=True, text=_text(request), ip="203.0.113.9", user_agent="UA")
    db.session.expire_all()
    for consent in Consent.query:
        events = ConsentEvent.query.filter_by(consent_id=consent.id).order_by(ConsentEvent.id).all()
        prev = GENESIS
        for event in events:
            assert event.prev_hash == prev and hash_event(event) == event.hash
            prev = event.hash
        assert consent.head_hash == prev
    marie = Consent.query.filter(Consent.contact.has(email=MARIE.email)).one()
    assert [e.kind for e in ConsentEvent.query.filter_by(consent_id=marie.id).order_by(ConsentEvent.id)] == [
        "requested", "opened", "accepted"]
