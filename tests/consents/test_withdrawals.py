"""The end of a consent: a withdrawal request flags it for the sender; a revocation ends it, once, with its email."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest

from conftest import accept_one, make_sender
from consents.db import db
from consents.events import verify_chains
from consents.evidence_models import Proof
from consents.models import ACCEPTED, REVOKED, Consent, ConsentEvent, OutboundEmail
from consents.queries import WITHDRAWAL, list_consents, status_counts
from consents.rules import RuleError
from consents.withdrawals import answer_language, pending_withdrawal, request_withdrawal, revoke_consent


def _accepted(logged_in, **kwargs) -> Consent:
    """A consent accepted through the recipient's link."""
    accept_one(logged_in, **kwargs)
    return Consent.query.one()


def test_a_withdrawal_request_waits_in_the_manager_until_recorded(logged_in, sender_user, frozen_now):
    consent = _accepted(logged_in)
    outcome = request_withdrawal(Proof.query.one(), message="Plus de LRE svp", ip="198.51.100.2", user_agent="UA")
    assert outcome.email_ids and outcome.consent_ids == [consent.id]
    assert status_counts(sender_user.sender_id)[WITHDRAWAL] == 1
    assert [c.id for c in list_consents(sender_user.sender_id, status=WITHDRAWAL).items] == [consent.id]
    assert pending_withdrawal(consent).data["message"] == "Plus de LRE svp"
    revoke_consent(consent, user=sender_user, requested_on=frozen_now.now.date(), source="demande_en_ligne")
    assert status_counts(sender_user.sender_id)[WITHDRAWAL] == 0 and pending_withdrawal(consent) is None


def test_revocation_ends_the_consent_with_event_and_email(logged_in, sender_user, frozen_now):
    consent = _accepted(logged_in)
    outcome = revoke_consent(consent, user=sender_user, requested_on=frozen_now.now.date(), source="courrier",
                             note="Lettre recommandée reçue")
    db.session.expire_all()
    consent = db.session.get(Consent, consent.id)
    assert consent.status == consent.effective_status == REVOKED and consent.revoked_at == frozen_now.now
    event = ConsentEvent.query.filter_by(kind="revoked").one()
    assert event.actor == "user" and event.actor_user_id == sender_user.id
    assert event.data == {"requested_on": frozen_now.now.date().isoformat(), "source": "courrier",
                          "note": "Lettre recommandée reçue", "by": "sender", "receipt_id": Proof.query.one().uuid}
    [email] = [db.session.get(OutboundEmail, i) for i in outcome.email_ids]
    assert email.to == "marie.dupont@example.fr" and "retiré" in email.subject
    assert verify_chains().breaks == []
    with pytest.raises(RuleError):  # once only
        revoke_consent(consent, user=sender_user, requested_on=frozen_now.now.date(), source="email")


def test_revocation_dates_and_sources_are_checked(logged_in, sender_user, frozen_now):
    consent = _accepted(logged_in)
    today = frozen_now.now.date()
    for requested_on, source in ((today + timedelta(days=1), "email"), (today - timedelta(days=2), "email"),
                                 (today, "pigeon")):
        with pytest.raises(RuleError):
            revoke_consent(consent, user=sender_user, requested_on=requested_on, source=source)
    assert db.session.get(Consent, consent.id).status == ACCEPTED


def test_only_an_accepted_consent_can_be_revoked(logged_in, sender_user, frozen_now):
    from conftest import ask

    ask(logged_in)
    with pytest.raises(RuleError):
        revoke_consent(Consent.query.one(), user=sender_user, requested_on=frozen_now.now.date(), source="email")


def test_the_confirmation_speaks_the_language_of_the_answer(logged_in, sender_user, client, frozen_now):
    from conftest import ask, latest_email, link_from

    ask(logged_in)
    client.get("/langue/en")
    client.post(link_from(latest_email("request").sent_text), data={"reponse": "accepter"})
    proof = Proof.query.one()
    assert answer_language(proof) == "en" and json.loads(proof.receipt)["language"] == "en"
    outcome = revoke_consent(Consent.query.one(), user=sender_user, requested_on=frozen_now.now.date(),
                             source="email")
    email = db.session.get(OutboundEmail, outcome.email_ids[0])
    assert "withdrawn" in email.subject.lower() or "withdraw" in email.sent_text.lower()
    assert answer_language(None) == "fr"


def test_another_senders_manager_never_shows_the_flag(logged_in, frozen_now):
    consent = _accepted(logged_in)
    request_withdrawal(Proof.query.one(), message="", ip=None, user_agent=None)
    other = make_sender("Autre", "autre@example.fr")
    assert status_counts(other.sender_id)[WITHDRAWAL] == 0 and consent.sender_id != other.sender_id
