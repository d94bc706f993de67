"""Share links: a sender's public consent link, its double opt-in confirmations and its numbers."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import joinedload

from consents import clock
from consents.db import db, skip_disk_wait
from consents.emails import compose
from consents.events import event_time, record_event
from consents.lifecycle import answer_request, contact_search_text, hash_token
from consents.links import public_url
from consents.models import ACCEPTED, Consent, ConsentRequest, Contact, User
from consents.link_models import LinkConfirmation, LinkVisit, ShareLink
from consents.outcome import Outcome
from consents.rules import RuleError, check_kind, check_name, normalise_email
from consents.texts import ConsentText

CONFIRMATION_VALIDITY = timedelta(days=7)


def create_link(user: User, label: str, *, lre: bool, avis: bool) -> ShareLink:
    """Create an active share link with a random slug for the user's sender."""
    label = " ".join((label or "").split())
    if not label:
        raise RuleError(_l("Donnez un nom au lien, par exemple « Newsletter mars »."))
    if len(label) > 100:
        raise RuleError(_l("Le nom du lien ne doit pas dépasser 100 caractères."))
    if not (lre or avis):
        raise RuleError(_l("Choisissez au moins un usage : LRE ou avis électronique."))
    link = ShareLink(sender_id=user.sender_id, created_by_id=user.id, slug=secrets.token_urlsafe(9), label=label,
                     scope_lre=lre, scope_avis=avis, active=True, created_at=clock.now())
    db.session.add(link)
    db.session.commit()
    return link


def set_active(link: ShareLink, active: bool) -> None:
    """Switch a share link on or off."""
    link.active = active
    db.session.commit()


def find_link(slug: str) -> ShareLink | None:
    """Return the share link behind a public slug, active or not, with its sender."""
    return ShareLink.query.options(joinedload(ShareLink.sender)).filter_by(slug=slug).first()


def count_visit(link: ShareLink) -> None:
    """Count one opening of the link's page today (UTC) in its own short transaction."""
    insert = postgresql_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    skip_disk_wait()  # visit counts are statistics: a crash may lose the last ones, never the evidence
    statement = insert(LinkVisit).values(link_id=link.id, day=clock.now().date(), visits=1)
    db.session.execute(statement.on_conflict_do_update(
        index_elements=["link_id", "day"], set_={"visits": LinkVisit.visits + statement.excluded.visits}))
    db.session.commit()


def submit_landing(link: ShareLink, *, email: str, name: str, kind: str, ip: str | None,
                   user_agent: str | None) -> Outcome:
    """Email the address owner a confirmation link (or, if already accepted, say so).

    The visitor's page is the same whatever the address: only the owner's mailbox learns more.
    """
    email_value, name_value, kind_value = normalise_email(email), check_name(name), check_kind(kind)
    at = clock.now()
    consent = (Consent.query.join(Contact, Contact.id == Consent.contact_id)
               .filter(Consent.sender_id == link.sender_id, Contact.email == email_value).first())
    outcome = Outcome()
    if consent is not None and consent.effective_status == ACCEPTED:
        outcome.wrote(compose(
            "link_already", "link_already", to=email_value, sender=link.sender, name=name_value,
            subject=_l("Votre accord est déjà enregistré auprès de %(sender)s", sender=link.sender.legal_name)))
        db.session.commit()
        return outcome
    token = secrets.token_urlsafe(24)
    confirmation = LinkConfirmation(
        link_id=link.id, email=email_value, name=name_value, kind=kind_value, token_hash=hash_token(token),
        created_at=at, expires_at=at + CONFIRMATION_VALIDITY, ip=ip, user_agent=(user_agent or "")[:500] or None,
    )
    db.session.add(confirmation)
    outcome.wrote(compose(
        "link_confirmation", "link_confirmation", to=email_value, sender=link.sender, name=name_value,
        subject=_l("Confirmez votre accord pour les recommandés électroniques de %(sender)s",
                   sender=link.sender.legal_name),
        confirmation=confirmation, secret=("url", public_url("recipient.confirm_link", token=token)), link=link))
    db.session.commit()
    return outcome


def find_confirmation(token: str) -> LinkConfirmation | None:
    """Return the confirmation a token opens, or None."""
    return LinkConfirmation.query.filter_by(token_hash=hash_token(token or "")).first()


class ConfirmationExpired(Exception):
    """The confirmation link is older than its validity."""


def answer_confirmation(confirmation: LinkConfirmation, *, accept: bool, text: ConsentText, ip: str | None,
                        user_agent: str | None) -> Outcome:
    """Record the address owner's answer: the contact, consent and request come to exist only now."""
    if confirmation.request_id is not None:
        return Outcome()
    at = clock.now()
    if confirmation.expires_at <= at:
        raise ConfirmationExpired()
    # A double click or a second tab waits on this lock, then finds the answer recorded: one consent, one charge.
    answered = db.session.execute(select(LinkConfirmation.request_id).where(LinkConfirmation.id == confirmation.id)
                                  .with_for_update()).scalar_one()
    if answered is not None:
        db.session.rollback()
        return Outcome()
    link = confirmation.link
    contact = Contact.query.filter_by(sender_id=link.sender_id, email=confirmation.email).first()
    if contact is None:
        contact = Contact(sender_id=link.sender_id, email=confirmation.email, name=confirmation.name,
                          kind=confirmation.kind, created_at=at)
        db.session.add(contact)
        db.session.flush()
    consent = Consent.query.filter_by(contact_id=contact.id).first()
    if consent is None:
        consent = Consent(sender_id=link.sender_id, contact_id=contact.id, contact=contact, status="pending",
                          changed_at=at)
        db.session.add(consent)
        db.session.flush()
    # A stored refusal or revocation stays until this explicit answer replaces it; the history keeps both.
    consent.scope_lre, consent.scope_avis, consent.search_text = link.scope_lre, link.scope_avis, contact_search_text(contact)
    request = ConsentRequest(
        consent=consent, sender_id=link.sender_id, channel="lien", link_id=link.id, scope_lre=link.scope_lre,
        scope_avis=link.scope_avis, delay_days=CONFIRMATION_VALIDITY.days, deadline=confirmation.expires_at,
        created_at=confirmation.created_at, sent_at=confirmation.created_at, opened_at=at,
        reminders_enabled=False,
    )
    db.session.add(request)
    db.session.flush()
    record_event(consent.id, "requested", actor="recipient", request_id=request.id, ip=confirmation.ip,
                 user_agent=confirmation.user_agent,
                 data={"channel": "lien", "link_id": link.id, "link_label": link.label,
                       "submitted_at": event_time(confirmation.created_at), "kind": confirmation.kind})
    confirmation.request_id = request.id
    return answer_request(request, accept=accept, text=text, ip=ip, user_agent=user_agent)


@dataclass
class LinkNumbers:
    """What a sender wants to know about one link."""

    visits: int
    confirmations: int
    obtained: int

    @property
    def rate(self) -> float | None:
        """Consents obtained per confirmation sent, or None before the first confirmation."""
        return self.obtained / self.confirmations if self.confirmations else None


def link_numbers(link: ShareLink) -> LinkNumbers:
    """Visits, confirmations sent and consents obtained through one link."""
    visits = db.session.execute(select(func.coalesce(func.sum(LinkVisit.visits), 0))
                                .where(LinkVisit.link_id == link.id)).scalar_one()
    confirmations = db.session.execute(select(func.count()).select_from(LinkConfirmation)
                                       .where(LinkConfirmation.link_id == link.id)).scalar_one()
    obtained = db.session.execute(select(func.count()).select_from(ConsentRequest)
                                  .where(ConsentRequest.link_id == link.id, ConsentRequest.answer == ACCEPTED)).scalar_one()
    return LinkNumbers(int(visits), int(confirmations), int(obtained))


def link_series(link: ShareLink, days: int = 30) -> list[tuple[date, int, int, int]]:
    """(day, visits, confirmations, consents obtained) for each of the last `days` days, oldest first."""
    today = clock.now().date()
    start = today - timedelta(days=days - 1)
    series = {start + timedelta(days=i): [0, 0, 0] for i in range(days)}
    for day, visits in db.session.execute(select(LinkVisit.day, LinkVisit.visits)
                                          .where(LinkVisit.link_id == link.id, LinkVisit.day >= start)):
        series[day][0] = visits
    for column, index, extra in ((LinkConfirmation.created_at, 1, LinkConfirmation.link_id == link.id),
                                 (ConsentRequest.answered_at, 2, ConsentRequest.answer == ACCEPTED)):
        table = column.class_
        rows = db.session.execute(select(column).where(table.link_id == link.id, extra, column >= start))
        for (at,) in rows:
            if at.date() in series:
                series[at.date()][index] += 1
    return [(day, *values) for day, values in sorted(series.items())]
