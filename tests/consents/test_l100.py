"""The L100 rule: 3 kinds × 2 mail types × every status, the badge texts, the API's check and the manager's SQL."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from flask_babel import force_locale

from conftest import accept_one, ask
from consents.db import db
from consents.evidence_models import Proof
from consents.l100 import AVIS, LRE, Verdict, check, sendable_filter, verdict
from consents.models import ACCEPTED, PENDING, REFUSED, REVOKED, Consent, Contact
from consents.rules import RuleError

AT = datetime(2026, 3, 10, 9, 0)
DECIDED = datetime(2026, 3, 3, 10, 0)


def _consent(status=ACCEPTED, lre=True, avis=False, deadline=None, withdrawal=None, decided=DECIDED):
    return Consent(status=status, scope_lre=lre, scope_avis=avis, deadline=deadline, decided_at=decided,
                   revoked_at=AT - timedelta(days=1) if status == REVOKED else None, changed_at=AT - timedelta(days=2),
                   withdrawal_requested_at=withdrawal)


# Each status a consent can be in, and the reason the rule gives for (LRE, avis) to a non-professional.
STATES = {
    "pending": (lambda: _consent(PENDING, deadline=AT + timedelta(days=5), decided=None), ("pending", "pending")),
    "pending past its deadline": (lambda: _consent(PENDING, deadline=AT - timedelta(seconds=1), decided=None),
                                  ("expired", "expired")),
    "refused by an answer": (lambda: _consent(REFUSED), ("refused", "refused")),
    "refused by the nightly expiry": (lambda: _consent(REFUSED, deadline=AT - timedelta(days=1), decided=None),
                                      ("expired", "expired")),
    "accepted for LRE": (lambda: _consent(lre=True, avis=False), ("consent", "not_in_scope")),
    "accepted for avis": (lambda: _consent(lre=False, avis=True), ("not_in_scope", "consent")),
    "accepted for both": (lambda: _consent(lre=True, avis=True), ("consent", "consent")),
    "accepted, withdrawal asked": (lambda: _consent(avis=True, withdrawal=AT - timedelta(hours=1)),
                                   ("revoked", "revoked")),
    "revoked": (lambda: _consent(REVOKED, avis=True), ("revoked", "revoked")),
    "paper chosen": (lambda: _consent("paper", avis=True), ("paper", "paper")),
    "no consent": (lambda: None, ("unknown", "unknown")),
}
KINDS = ("particulier", "professionnel", "administration")


def _expected(kind, state, mail_type):
    reason = STATES[state][1][0 if mail_type == LRE else 1]
    if kind == "professionnel" and mail_type == LRE and reason != "paper":
        reason = "not_required"  # L100: no consent needed from a professional, unless they chose paper themselves
    return reason


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("mail_type", (LRE, AVIS))
@pytest.mark.parametrize("state", STATES)
def test_rule_table(kind, mail_type, state):
    result = verdict(Contact(kind=kind, email="x@example.fr"), STATES[state][0](), mail_type, at=AT)
    reason = _expected(kind, state, mail_type)
    assert (result.reason, result.allowed) == (reason, reason in ("consent", "not_required"))
    assert result.mail_type == mail_type
    assert result.since == (DECIDED if reason == "consent" else result.since)


@pytest.mark.parametrize("mail_type", (LRE, AVIS))
def test_no_contact_is_unknown_whatever_the_type(mail_type):
    assert verdict(None, None, mail_type, at=AT) == Verdict(mail_type, False, "unknown", None, None)


def test_a_pending_consent_reads_expired_once_its_deadline_passes():
    consent = _consent(PENDING, deadline=AT, decided=None)
    contact = Contact(kind="particulier")
    assert verdict(contact, consent, LRE, at=AT - timedelta(seconds=1)).reason == "pending"
    assert verdict(contact, consent, LRE, at=AT).reason == "expired"


def test_unknown_mail_type_is_a_rule_error():
    with pytest.raises(RuleError):
        verdict(Contact(kind="particulier"), _consent(), "lettre")


def test_badges_in_french_and_english(app):
    particulier, pro = Contact(kind="particulier"), Contact(kind="professionnel")
    accepted, pending = _consent(avis=False), _consent(PENDING, deadline=AT + timedelta(days=3), decided=None)
    assert verdict(particulier, accepted, LRE, at=AT).label() == "LRE : oui — consentement du 3 mars 2026"
    assert verdict(pro, accepted, LRE, at=AT).label() == "LRE : pas de consentement requis — professionnel"
    assert verdict(particulier, pending, AVIS, at=AT).label() == "Avis : non — en attente"
    with force_locale("en"):
        assert verdict(particulier, accepted, LRE, at=AT).label() == "LRE: yes — consent of March 3, 2026"
        assert verdict(pro, accepted, LRE, at=AT).label() == "LRE: no consent required — professional"
        assert verdict(particulier, pending, AVIS, at=AT).label() == "Notice: no — pending"


def test_check_finds_the_latest_proof_of_an_accepted_address(logged_in, sender_user):
    accept_one(logged_in, email="marie.dupont@example.fr", scope="lre")
    result = check(sender_user.sender_id, "  Marie.Dupont@EXAMPLE.fr ", LRE)
    proof = Proof.query.one()
    assert (result.allowed, result.reason, result.proof_id) == (True, "consent", proof.id)
    assert result.since == Consent.query.one().decided_at
    assert check(sender_user.sender_id, "marie.dupont@example.fr", AVIS).reason == "not_in_scope"
    assert check(sender_user.sender_id, "personne@example.fr", LRE).reason == "unknown"
    with pytest.raises(RuleError):
        check(sender_user.sender_id, "pas-une-adresse", LRE)


def test_check_never_reads_another_senders_contacts(logged_in, sender_user):
    from conftest import make_sender

    accept_one(logged_in, email="marie.dupont@example.fr")
    other = make_sender("Autre Cabinet", "autre@cabinet.fr")
    assert check(other.sender_id, "marie.dupont@example.fr", LRE).reason == "unknown"


def test_check_professional_needs_no_consent_for_lre_but_does_for_avis(logged_in, sender_user):
    ask(logged_in, email="compta@societe.fr", name="Société", kind="professionnel", scope="avis")
    assert check(sender_user.sender_id, "compta@societe.fr", LRE).reason == "not_required"
    assert check(sender_user.sender_id, "compta@societe.fr", AVIS).reason == "pending"


def test_sql_filter_agrees_with_the_rule(logged_in, sender_user, frozen_now):
    """Every status and kind in the database: the manager's filter selects exactly what verdict() allows."""
    for i, (state, (build, _)) in enumerate(STATES.items()):
        for kind in KINDS:
            contact = Contact(sender_id=sender_user.sender_id, email=f"c{i}-{kind}@example.fr", kind=kind)
            db.session.add(contact)
            db.session.flush()
            consent = build()
            if consent is None:
                continue
            consent.sender_id, consent.contact_id = sender_user.sender_id, contact.id
            if consent.deadline is not None:  # the table's times are relative to AT; move them to now
                consent.deadline += frozen_now.now - AT
            db.session.add(consent)
    db.session.commit()
    consents = Consent.query.filter_by(sender_id=sender_user.sender_id).all()
    assert len(consents) == 30
    for mail_type in (LRE, AVIS):
        allowed = {c.id for c in consents if verdict(c.contact, c, mail_type).allowed}
        selected = set(db.session.execute(
            db.select(Consent.id).where(*sendable_filter(sender_user.sender_id, mail_type))).scalars())
        assert selected == allowed and selected
