"""The manager's counts per status: kept by database triggers, read by effective status, always exact."""
from collections import Counter

from sqlalchemy import text

from conftest import ask, make_sender
from consents.db import db
from consents.deadlines import expire_overdue
from consents.lifecycle import answer_request, request_consents
from consents.models import ACCEPTED, PAPER, PENDING, REFUSED, REVOKED, Consent, ConsentRequest
from consents.queries import INVALID, WITHDRAWAL, list_consents, status_counts
from consents.rules import Recipient
from consents.texts import consent_text


def _ask(user, *emails, delay=10):
    recipients = [Recipient(e, e.split("@")[0].title(), "particulier") for e in emails]
    return request_consents(user.sender, user, recipients, delay, lre=True, avis=False)


def _answer(email, accept):
    request = ConsentRequest.query.join(Consent).filter(Consent.contact.has(email=email)).one()
    text_shown = consent_text("x", email, request.scope_lre, request.scope_avis)
    assert answer_request(request, accept=accept, text=text_shown, ip="203.0.113.9", user_agent="test").changed


def _recount(sender_id):
    """The counts computed row by row, as the manager must show them."""
    consents = Consent.query.filter_by(sender_id=sender_id).all()
    counts = {ACCEPTED: 0, REFUSED: 0, PENDING: 0, REVOKED: 0, PAPER: 0, **Counter(c.effective_status for c in consents)}
    counts[INVALID] = sum(c.bounced_at is not None for c in consents)
    counts[WITHDRAWAL] = sum(c.withdrawal_requested_at is not None for c in consents)
    return counts


def test_counts_follow_requests_answers_and_revocations(sender_user):
    sender_id = sender_user.sender_id
    assert status_counts(sender_id) == {ACCEPTED: 0, REFUSED: 0, PENDING: 0, REVOKED: 0, PAPER: 0, INVALID: 0, WITHDRAWAL: 0}
    _ask(sender_user, "a@example.fr", "b@example.fr", "c@example.fr")
    assert status_counts(sender_id) == {ACCEPTED: 0, REFUSED: 0, PENDING: 3, REVOKED: 0, PAPER: 0, INVALID: 0, WITHDRAWAL: 0}
    _answer("a@example.fr", accept=True)
    _answer("b@example.fr", accept=False)
    assert status_counts(sender_id) == {ACCEPTED: 1, REFUSED: 1, PENDING: 1, REVOKED: 0, PAPER: 0, INVALID: 0, WITHDRAWAL: 0}
    accepted = Consent.query.filter_by(status=ACCEPTED).one()
    accepted.status = REVOKED
    Consent.query.filter_by(status=PENDING).one().bounced_at = accepted.changed_at
    db.session.commit()
    assert status_counts(sender_id) == {ACCEPTED: 0, REFUSED: 1, PENDING: 1, REVOKED: 1, PAPER: 0, INVALID: 1, WITHDRAWAL: 0}
    assert status_counts(sender_id) == _recount(sender_id)


def test_expiry_by_time_reads_refused_before_and_after_the_job(sender_user, frozen_now):
    sender_id = sender_user.sender_id
    _ask(sender_user, "a@example.fr", delay=3)
    _ask(sender_user, "b@example.fr", delay=30)
    frozen_now.advance(days=3, seconds=1)
    before_job = status_counts(sender_id)
    assert before_job[PENDING] == 1 and before_job[REFUSED] == 1  # no write happened: time alone
    assert list_consents(sender_id, status=REFUSED).total == 1
    expire_overdue()
    assert status_counts(sender_id) == before_job == _recount(sender_id)
    _ask(sender_user, "a@example.fr", delay=5)  # a refused (expired) recipient may be asked again
    assert status_counts(sender_id)[PENDING] == 2 and status_counts(sender_id)[REFUSED] == 0


def test_counts_are_per_sender(sender_user):
    other = make_sender("Autre Syndic", "autre@syndic.example.fr")
    _ask(sender_user, "a@example.fr")
    _ask(other, "a@example.fr", "b@example.fr")
    assert status_counts(sender_user.sender_id)[PENDING] == 1
    assert status_counts(other.sender_id)[PENDING] == 2


def test_bulk_sql_changes_keep_counts_exact(sender_user):
    sender_id = sender_user.sender_id
    _ask(sender_user, *(f"p{i}@example.fr" for i in range(12)))
    # One statement changing many rows, as the expiry job does on PostgreSQL.
    db.session.execute(text("UPDATE consent SET status = CASE WHEN id % 3 = 0 THEN 'accepted' ELSE 'revoked' END "
                            "WHERE sender_id = :s AND id % 2 = 0"), {"s": sender_id})
    db.session.execute(text("UPDATE consent SET search_text = search_text WHERE sender_id = :s"), {"s": sender_id})
    db.session.commit()
    assert status_counts(sender_id) == _recount(sender_id)
    assert sum(status_counts(sender_id)[s] for s in (ACCEPTED, REFUSED, PENDING, REVOKED)) == 12


def test_manager_counts_show_the_senders_own_action_at_once(logged_in, sender_user):
    page = logged_in.get("/gestionnaire").get_data(as_text=True)
    assert 'hx-get="/gestionnaire/compteurs"' in page and 'hx-trigger="load"' in page  # the list never waits
    assert '<span class="count">0</span>' in logged_in.get("/gestionnaire/compteurs", headers={"HX-Request": "true"}).get_data(as_text=True)
    ask(logged_in)
    body = logged_in.get("/gestionnaire/compteurs", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in body and 'En attente <span class="count">1</span>' in " ".join(body.split())


def test_search_counts_its_matches_and_clamps_past_the_last_page(sender_user):
    sender_id = sender_user.sender_id
    _ask(sender_user, *(f"p{i:02d}@example.fr" for i in range(30)), "autre@ailleurs.fr")
    counts = status_counts(sender_id)
    second = list_consents(sender_id, q="example", page=2)
    assert (second.total, second.page, len(second.items)) == (30, 2, 5)
    beyond = list_consents(sender_id, q="example", page=9)
    assert (beyond.total, beyond.page, [c.id for c in beyond.items]) == (30, 2, [c.id for c in second.items])
    none = list_consents(sender_id, q="personne", page=3)
    assert (none.total, none.page, none.items) == (0, 1, [])


