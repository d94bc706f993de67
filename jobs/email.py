"""Sending outbox emails through Flask-Mailman, over one reused SMTP connection per worker."""
from __future__ import annotations

import logging
import smtplib
from collections import Counter
from datetime import timezone

from flask import current_app
from flask_mailman import EmailMultiAlternatives
from rq import get_current_job
from rq.timeouts import JobTimeoutException
from sqlalchemy import Row

from consents import clock
from consents.db import db
from consents.models import OutboundEmail
from consents.outbox import claim, mark_refused, mark_retry, record_hand_off, record_sent
from consents.proof_emails import email_attachments
from consents.sealed import reveal
from jobs.queue import SECONDS_PER_EMAIL, retry_email

log = logging.getLogger(__name__)
_connections: dict[tuple, object] = {}


def message_id_for(email: OutboundEmail | Row) -> str:
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
    """RQ job: send one outbox email once; a temporary failure raises, so RQ retries it with backoff."""
    return deliver(email_id)


def send_emails(email_ids: list[int]) -> dict[str, int]:
    """RQ job: send several outbox emails, each claimed on its own; one that fails is retried alone."""
    outcomes: Counter = Counter()
    job = get_current_job()
    for email_id in email_ids:
        if job is not None:  # the sweeper's sign that this batch's worker is alive (jobs.maintenance._is_live)
            job.heartbeat(clock.now().replace(tzinfo=timezone.utc), SECONDS_PER_EMAIL)
        try:
            outcomes[deliver(email_id)] += 1
        except JobTimeoutException:
            raise  # the emails not reached stay unsent and unclaimed: the sweeper enqueues them
        except Exception:
            # What RQ would do with this email's own job: the same backoff, the others unaffected.
            log.exception("email %s failed; it gets its own job, retried with backoff", email_id)
            db.session.rollback()
            retry_email(email_id)
            outcomes["retried"] += 1
    return dict(outcomes)


def deliver(email_id: int) -> str:
    """Send one outbox email once: skipped when sent, failed for good, or held by another worker."""
    email = claim(email_id)
    if email is None:
        return "skipped"
    message_id = message_id_for(email)
    try:
        _send(_message(email, message_id))
    except Exception as exc:
        _drop_connection()
        error = f"{type(exc).__name__}: {exc}"
        if permanent_failure(exc):
            mark_refused(email, error)
            return "refused"
        mark_retry(email, error)
        raise
    # First, alone: a crash after this line never sends the email again, whatever the history waits for.
    record_hand_off(email.id)
    try:
        record_sent(email.id, message_id_for)
    except Exception:
        db.session.rollback()  # the claim stays: the sweeper writes the history (sweep_outbox)
        raise
    return "sent"


def _send(message: EmailMultiAlternatives) -> None:
    """Send on the reused connection; when the server closed it while idle, once more on a fresh one."""
    try:
        message.send()
    except smtplib.SMTPServerDisconnected:
        _drop_connection()
        message.connection = _open_connection()
        message.send()


def _message(email: Row, message_id: str) -> EmailMultiAlternatives:
    """The MIME message of a claimed outbox row, on this worker's connection."""
    message = EmailMultiAlternatives(
        subject=email.subject, body=reveal(email.text_body, email.link_secret),
        to=[a.strip() for a in email.to.split(",")],
        from_email=current_app.config["MAIL_DEFAULT_SENDER"], headers={"Message-ID": message_id},
        connection=_open_connection(),
    )
    message.attach_alternative(reveal(email.html_body, email.link_secret, html=True), "text/html")
    if email.has_attachments:  # rare (receipts): only then is the row loaded for its files
        for filename, content, mimetype in email_attachments(db.session.get(OutboundEmail, email.id)):
            message.attach(filename, content, mimetype)
    return message
