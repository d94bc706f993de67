"""Composition of outgoing emails as outbox rows; sending is a job's business."""
from __future__ import annotations

from flask import render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from consents.db import db
from consents.l100 import why_asked
from consents.links import public_url
from consents.models import ConsentRequest, OutboundEmail, Sender
from consents.sealed import MARKER, seal


def compose(kind: str, template: str, *, to: str, subject, sender: Sender, language: str = "fr",
            request_id: int | None = None, dedup_key: str | None = None, secret: tuple[str, str] | None = None,
            **context) -> OutboundEmail:
    """Add one email, rendered from `emails/<template>.txt` and `.html` in `language`, to the current transaction.

    `subject` is a lazy string (`_l`), translated in that language. `secret` names the template variable holding
    the email's personal link and the link: the bodies keep a marker, the row keeps the link sealed.
    """
    if secret is not None:
        context[secret[0]] = MARKER
    with force_locale("en" if language == "en" else "fr"):
        context.update(sender=sender)
        email = OutboundEmail(
            sender_id=sender.id, request_id=request_id, kind=kind, to=to, subject=str(subject)[:300],
            text_body=render_template(f"emails/{template}.txt", **context),
            html_body=render_template(f"emails/{template}.html", **context), dedup_key=dedup_key,
            link_secret=seal(secret[1]) if secret is not None else None,
        )
    db.session.add(email)
    db.session.flush()  # callers name the email by its id in their outcome
    return email


def queue_request_email(request: ConsentRequest, sender: Sender, link: str, *, reminder: bool = False) -> OutboundEmail:
    """Add the French email asking for consent (or reminding) to the current transaction."""
    if reminder:
        subject = _l("Rappel : %(sender)s attend votre réponse sur les recommandés électroniques",
                     sender=sender.legal_name)
    else:
        subject = _l("%(sender)s vous demande votre accord pour des recommandés électroniques", sender=sender.legal_name)
    contact = request.consent.contact
    return compose("reminder" if reminder else "request", "consent_request", to=contact.email,
                   subject=subject, sender=sender, request_id=request.id, contact=contact,
                   request=request, secret=("link", link), reminder=reminder,
                   why=why_asked(contact.kind, request.scope_lre, request.scope_avis),
                   faq_link=public_url("public.faq") + "#pourquoi")
