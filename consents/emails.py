"""Composition of outgoing emails as outbox rows; sending is a job's business."""
from __future__ import annotations

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from consents.db import db
from consents.models import ConsentRequest, OutboundEmail, Sender


def queue_request_email(request: ConsentRequest, sender: Sender, link: str, *, reminder: bool = False) -> OutboundEmail:
    """Add the French email asking for consent (or reminding) to the current transaction."""
    contact = request.consent.contact
    context = dict(sender=sender, contact=contact, request=request, link=link, reminder=reminder)
    with force_locale("fr"):
        if reminder:
            subject = _("Rappel : %(sender)s attend votre réponse sur les recommandés électroniques",
                        sender=sender.legal_name)
        else:
            subject = _("%(sender)s vous demande votre accord pour des recommandés électroniques",
                        sender=sender.legal_name)
        email = OutboundEmail(
            sender_id=sender.id,
            request_id=request.id,
            kind="reminder" if reminder else "request",
            to=contact.email,
            subject=subject[:300],
            text_body=render_template("emails/consent_request.txt", **context),
            html_body=render_template("emails/consent_request.html", **context),
        )
    db.session.add(email)
    return email
