"""A contact's own details: name and kind can be corrected; the email address is the identity and never changes."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from consents.db import db
from consents.events import record_event
from consents.lifecycle import contact_search_text
from consents.models import KINDS, Consent, User
from consents.outcome import Outcome
from consents.rules import RuleError, check_name


def edit_contact(consent: Consent, user: User, *, name: str, kind: str) -> Outcome:
    """Correct a contact's name and kind, with a history event naming what changed."""
    name = check_name(name)
    if kind not in KINDS:
        raise RuleError(_l("Type inconnu : particulier, professionnel ou administration."))
    contact = consent.contact
    changes = {field: [old, new] for field, old, new in (("name", contact.name, name), ("kind", contact.kind, kind))
               if old != new}
    outcome = Outcome()
    if not changes:
        return outcome
    contact.name, contact.kind = name, kind
    consent.search_text = contact_search_text(contact)
    record_event(consent.id, "contact_edited", user=user, data={"changes": changes})
    outcome.consent_ids.append(consent.id)
    db.session.commit()
    return outcome
