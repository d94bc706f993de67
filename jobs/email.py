"""Sending outbox emails through Flask-Mailman, over one reused SMTP connection per worker."""
from __future__ import annotations

import smtplib

from flask import current_app
from flask_mailman import EmailMultiAlternatives

from consents.db import db
from consents.models import OutboundEmail
from consents.proof_emails import email_attachments
from consents.outbox import claim, mark_refused, mark_retry, mark_sent, mark_sent_only
from jobs.context import job_context

_connections: dict[tuple, object] = {}


def message_id_for(email: OutboundEmail) -> str:
    """A Message-ID stable for one outbox row, so a resend is recognisable as the same email."""
    domain = current_app.config["MAIL_DEFAULT_SENDER"].rsplit("@", 1)[-1].strip(" >") or "localhost"
    return f"<outbox-{email.id}-{email.created_at:%Y%m%d%H%M%S}@{domain}>"


def _connection_key() -> tuple:
    """What identifies a mail connection: the app's mail state and where it sends."""
    state = current_app.extensions["mailman"]
    return id(state), state.backend, state.server, state.port


def _open_connection():
    """Return this worker's mail connection, opening it once and reusing it for every email."""
    key = _connection_key()
    if key not in _connections:
        connection = current_app.extensions["mailman"].get_connection(fail_silently=False)
        connection.open()
        _connections[key] = connection
    return _connections[key]


def _drop_connection() -> None:
    """Forget a connection that failed, so the next email opens a fresh one."""
    connection = _connections.pop(_connection_key(), None)
    if connection is not None:
        try:
            connection.close()
        except Exception:  # a broken connection may fail to close; it is dropped either way
            pass


def permanent_failure(exc: Exception) -> bool:
    """True when the SMTP server refused the email for good (5xx): retrying would not help."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _msg in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500
    return False


def send_email(email_id: int) -> str:
    """Send one outbox email once: skipped when sent, failed for good, or held by another worker."""
    with job_context():
        if not claim(email_id):
            return "skipped"
        email = db.session.get(OutboundEmail, email_id)
        message_id = message_id_for(email)
        message = EmailMultiAlternatives(
            subject=email.subject, body=email.text_body, to=[a.strip() for a in email.to.split(",")],
            from_email=current_app.config["MAIL_DEFAULT_SENDER"], headers={"Message-ID": message_id},
            connection=_open_connection(),
        )
        message.attach_alternative(email.html_body, "text/html")
        for filename, content, mimetype in email_attachments(email):
            message.attach(filename, content, mimetype)
        try:
            try:
                message.send()
            except smtplib.SMTPServerDisconnected:
                # A reused connection the server closed while idle: one fresh connection, once.
                _drop_connection()
                message.connection = _open_connection()
                message.send()
        except Exception as exc:
            _drop_connection()
            error = f"{type(exc).__name__}: {exc}"
            if permanent_failure(exc):
                mark_refused(email, error)
                return "refused"
            mark_retry(email, error)
            raise
        try:
            mark_sent(email, message_id)
        except Exception:
            # The email has left: a retry must never send it twice, even if its history event is missing.
            mark_sent_only(email_id)
            raise
        return "sent"
