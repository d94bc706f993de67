"""A contact's name and kind can be corrected, with a history event; nothing else moves."""
from __future__ import annotations

import pytest

from conftest import ask
from consents.contacts import edit_contact
from consents.events import verify_chains
from consents.models import Consent, ConsentEvent
from consents.rules import RuleError


def test_editing_name_and_kind_writes_what_changed(logged_in, sender_user):
    ask(logged_in, name="Marie Dupont")
    consent = Consent.query.one()
    outcome = edit_contact(consent, sender_user, name="Marie Dupont-Durand", kind="professionnel")
    assert outcome.changed
    consent = Consent.query.one()
    assert (consent.contact.name, consent.contact.kind) == ("Marie Dupont-Durand", "professionnel")
    assert "dupont-durand" in consent.search_text
    event = ConsentEvent.query.filter_by(kind="contact_edited").one()
    assert event.data == {"changes": {"name": ["Marie Dupont", "Marie Dupont-Durand"],
                                      "kind": ["particulier", "professionnel"]}}
    assert verify_chains().breaks == []


def test_no_change_writes_nothing_and_bad_kind_is_refused(logged_in, sender_user):
    ask(logged_in, name="Marie Dupont")
    consent = Consent.query.one()
    assert not edit_contact(consent, sender_user, name="Marie  Dupont ", kind="particulier").changed
    with pytest.raises(RuleError):
        edit_contact(consent, sender_user, name="Marie", kind="martien")
    assert ConsentEvent.query.filter_by(kind="contact_edited").count() == 0
