"""Sending outbox emails through Flask-Mailman."""
from __future__ import annotations

from flask import current_app
from flask_mailman import EmailMultiAlternatives

from consents.db import db
from consents.lifecycle import mark_email_sent
from consents.models import OutboundEmail
from jobs.context import job_context


def message_id_for(email: OutboundEmail) -> str:
    """A Message-ID stable for one outbox row, so a resend is recognisable as the same email."""
    domain = current_app.config["MAIL_DEFAULT_SENDER"].rsplit("@", 1)[-1].strip(" >") or "localhost"
    return f"<outbox-{email.id}-{email.created_at:%Y%m%d%H%M%S}@{domain}>"


def send_email(email_id: int) -> str:
    """Send one outbox email unless it has left already."""
    with job_context():
        email = db.session.get(OutboundEmail, email_id)
        if email is None:
            return "missing"
        if email.sent_at is not None:
            return "already sent"
        message_id = message_id_for(email)
        message = EmailMultiAlternatives(
            subject=email.subject, body=email.text_body, to=[email.to],
            from_email=current_app.config["MAIL_DEFAULT_SENDER"], headers={"Message-ID": message_id},
        )
        message.attach_alternative(email.html_body, "text/html")
        email.attempts += 1
        try:
            message.send()
        except Exception as exc:
            email.last_error = f"{type(exc).__name__}: {exc}"[:500]
            db.session.commit()
            raise
        mark_email_sent(email, message_id)
        return "sent"
