"""Share links: creation rules, visit counts by day, the double opt-in and what the owner's answer creates."""
import re

import pytest

from conftest import accept_one, latest_email
from consents.evidence_models import Proof
from consents.models import ACCEPTED, Consent, ConsentRequest, Contact, OutboundEmail
from consents.link_models import LinkConfirmation
from consents.rules import RuleError
from consents.sharelinks import (
    ConfirmationExpired, answer_confirmation, count_visit, create_link, find_confirmation, link_numbers, link_series,
    submit_landing,
)
from consents.texts import consent_text


def _submit(link, email="paul@example.fr"):
    """Fill the landing form for an address, as a visitor would."""
    return submit_landing(link, email=email, name="Paul Martin", kind="particulier", ip="198.51.100.4",
                          user_agent="Firefox")


def _confirmation_token(email_row):
    """The token of the confirmation link emailed to the address owner."""
    return re.search(r"http://consent\.test/l/c/([A-Za-z0-9_\-]+)", email_row.sent_text).group(1)


def _accept(confirmation, email="paul@example.fr"):
    """The owner accepts through the confirmation link."""
    return answer_confirmation(confirmation, accept=True, ip="203.0.113.9", user_agent="Safari",
                               text=consent_text("Cabinet Martin Gestion", email, True, False))


def test_create_link_needs_a_label_and_a_scope(sender_user):
    for label, lre, avis, message in (("   ", True, False, "Donnez un nom au lien"),
                                      ("Site web", False, False, "au moins un usage")):
        with pytest.raises(RuleError) as refused:
            create_link(sender_user, label, lre=lre, avis=avis)
        assert message in str(refused.value.message)
    link = create_link(sender_user, "  Newsletter   mars ", lre=False, avis=True)
    other = create_link(sender_user, "Site web", lre=True, avis=True)
    assert link.label == "Newsletter mars" and link.active and link.sender_id == sender_user.sender_id
    assert link.slug != other.slug and len(link.slug) >= 12


def test_each_opening_is_counted_on_its_day(sender_user, frozen_now):
    link = create_link(sender_user, "Site web", lre=True, avis=False)
    yesterday = frozen_now.now.date()
    count_visit(link)
    count_visit(link)
    assert link_numbers(link).visits == 2
    frozen_now.advance(days=1)
    count_visit(link)
    assert link_numbers(link).visits == 3
    series = link_series(link, days=7)
    assert len(series) == 7 and series[-1][0] == frozen_now.now.date()
    assert [(day, visits) for day, visits, _c, _o in series if visits] == [(yesterday, 2), (frozen_now.now.date(), 1)]


def test_an_address_already_accepted_is_told_by_email_and_gets_no_confirmation(logged_in, sender_user):
    accept_one(logged_in, email="paul@example.fr")
    link = create_link(sender_user, "Site web", lre=True, avis=False)
    outcome = _submit(link, email=" Paul@Example.fr ")
    already = latest_email("link_already")
    assert outcome.email_ids == [already.id] and not outcome.changed
    assert already.to == "paul@example.fr" and "déjà enregistré" in already.sent_text
    assert LinkConfirmation.query.count() == 0 and OutboundEmail.query.filter_by(kind="link_confirmation").count() == 0


def test_the_owners_answer_creates_the_consent_through_the_link(sender_user):
    link = create_link(sender_user, "Site web", lre=True, avis=True)
    submitted = _submit(link)
    assert Contact.query.count() == 0 and Consent.query.count() == 0
    asked = latest_email("link_confirmation")
    assert submitted.email_ids == [asked.id] and asked.to == "paul@example.fr"
    confirmation = find_confirmation(_confirmation_token(asked))
    assert confirmation.link_id == link.id and find_confirmation("not-a-token") is None
    outcome = _accept(confirmation)
    consent = Consent.query.one()
    assert consent.status == ACCEPTED and consent.channel == "lien" and consent.scope_avis
    assert consent.contact.name == "Paul Martin"
    request = ConsentRequest.query.one()
    assert request.link_id == link.id and confirmation.request_id == request.id
    assert outcome.consent_ids == [consent.id]
    assert outcome.proof_ids == [Proof.query.one().id]
    assert outcome.email_ids == [OutboundEmail.query.filter_by(kind="receipt").one().id]
    assert link_numbers(link).confirmations == 1 and link_numbers(link).obtained == 1
    assert link_numbers(link).rate == 1.0
    assert _accept(confirmation).changed is False


def test_an_expired_confirmation_is_refused(sender_user, frozen_now):
    link = create_link(sender_user, "Site web", lre=True, avis=False)
    _submit(link)
    confirmation = LinkConfirmation.query.one()
    frozen_now.advance(days=7, seconds=1)
    with pytest.raises(ConfirmationExpired):
        _accept(confirmation)
    assert Consent.query.count() == 0 and Contact.query.count() == 0
