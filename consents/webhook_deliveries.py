"""The state of webhook deliveries: which are due, a worker's claim, each attempt's result, the retry schedule."""
from __future__ import annotations

from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import Row, bindparam, literal_column, or_, select, update

from consents import clock
from consents.db import db, skip_disk_wait
from consents.emails import compose
from consents.links import public_url
from consents.models import User
from consents.outcome import Outcome
from consents.webhook_models import WebhookDelivery, WebhookEndpoint, WebhookMessage

# Standard Webhooks' schedule: at once, then after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h.
RETRY_SCHEDULE = [timedelta(seconds=s) for s in (5, 300, 1800, 7200, 18000, 36000, 36000)]
DISABLE_AFTER = timedelta(days=3)
CLAIM_TIMEOUT = timedelta(minutes=2)  # a send takes at most 10 s: a claim older than this was a crashed worker

_delivery, _endpoint, _message = WebhookDelivery.__table__, WebhookEndpoint.__table__, WebhookMessage.__table__
# SQLite renders RETURNING without table names, so the subqueries name the claimed row's columns in full.
_its_message, _its_endpoint = literal_column("webhook_delivery.message_id"), literal_column("webhook_delivery.endpoint_id")
# Built once, in Core form: it claims and loads what sending needs in one statement, for a whole job's deliveries.
_CLAIM = (
    update(_delivery)
    .where(_delivery.c.id.in_(bindparam("ids", expanding=True)), _delivery.c.next_attempt_at <= bindparam("at"),
           or_(_delivery.c.claimed_at.is_(None), _delivery.c.claimed_at < bindparam("stale_before")))
    .values(claimed_at=bindparam("at"), attempts=_delivery.c.attempts + 1)
    .returning(_delivery.c.id, _delivery.c.attempts, _delivery.c.message_id, _delivery.c.endpoint_id,
               *(select(column).where(_message.c.id == _its_message).scalar_subquery().label(column.name)
                 for column in (_message.c.payload,)),
               *(select(column).where(_endpoint.c.id == _its_endpoint).scalar_subquery().label(column.name)
                 for column in (_endpoint.c.url, _endpoint.c.secret, _endpoint.c.active, _endpoint.c.failing_since)))
)


def new_deliveries(consent_ids: list[int]) -> list[int]:
    """The deliveries never tried yet of the consents a verb changed (the dispatcher enqueues them)."""
    if not consent_ids:
        return []
    return list(db.session.execute(select(WebhookDelivery.id).where(
        WebhookDelivery.consent_id.in_(consent_ids), WebhookDelivery.attempts == 0,
        WebhookDelivery.next_attempt_at.is_not(None))).scalars())


def due_deliveries(before, limit: int = 5000) -> list[int]:
    """Deliveries due since before `before` and held by no worker (the sweeper enqueues them)."""
    at = clock.now()
    return list(db.session.execute(select(WebhookDelivery.id).where(
        WebhookDelivery.next_attempt_at <= before,
        or_(WebhookDelivery.claimed_at.is_(None), WebhookDelivery.claimed_at < at - CLAIM_TIMEOUT))
        .order_by(WebhookDelivery.next_attempt_at).limit(limit)).scalars())


def claim(delivery_ids: list[int]) -> list[Row]:
    """Reserve the due ones of some deliveries for this worker and return what sending them needs."""
    at = clock.now()
    skip_disk_wait()  # losing a claim in a crash is harmless: the delivery is simply unclaimed
    rows = db.session.execute(_CLAIM, {"ids": delivery_ids, "at": at, "stale_before": at - CLAIM_TIMEOUT}).all()
    db.session.commit()
    return rows


def resend(delivery: WebhookDelivery) -> int:
    """Send a delivery once more (the «Renvoyer» button), with the same webhook-id; return its id."""
    delivery.next_attempt_at, delivery.failed_at, delivery.claimed_at = clock.now(), None, None
    db.session.commit()
    return delivery.id


def record_attempt(claimed: Row, *, code: int | None, error: str | None) -> tuple[timedelta | None, Outcome]:
    """Record one attempt's result; return the delay before the next attempt (None when none follows) and the emails.

    A 2xx is a success. After a failure the next attempt follows the schedule; an endpoint failing for
    DISABLE_AFTER is switched off and the sender's users are told by email.
    """
    at = clock.now()
    values = {"last_attempt_at": at, "response_code": code, "claimed_at": None, "last_error": (error or "")[:300] or None}
    retry_in, outcome = None, Outcome()
    if code is not None and 200 <= code < 300:
        values.update(delivered_at=at, next_attempt_at=None)
        if claimed.failing_since is not None:
            db.session.execute(update(_endpoint).where(_endpoint.c.id == claimed.endpoint_id).values(failing_since=None))
    else:
        failing_since = claimed.failing_since or at
        if claimed.failing_since is None:
            db.session.execute(update(_endpoint).where(_endpoint.c.id == claimed.endpoint_id)
                               .values(failing_since=at))
        if claimed.attempts <= len(RETRY_SCHEDULE) and claimed.active:
            retry_in = RETRY_SCHEDULE[claimed.attempts - 1]
            values["next_attempt_at"] = at + retry_in
        else:
            values.update(next_attempt_at=None, failed_at=at)
        if claimed.active and at - failing_since >= DISABLE_AFTER:
            outcome.email_ids += _disable(db.session.get(WebhookEndpoint, claimed.endpoint_id), at)
            values["next_attempt_at"], retry_in = None, None
    db.session.execute(update(_delivery).where(_delivery.c.id == claimed.id).values(**values))
    db.session.commit()
    return retry_in, outcome


def _disable(endpoint: WebhookEndpoint, at) -> list[int]:
    """Switch a failing endpoint off and write an email to each of the sender's users; return the emails' ids."""
    endpoint.active, endpoint.disabled_at = False, at
    emails = []
    for user in User.query.filter_by(sender_id=endpoint.sender_id).all():
        emails.append(compose("webhook_disabled", "webhook_disabled", to=user.email, sender=endpoint.sender,
                              subject=_l("Notifications suspendues : votre adresse ne répond plus"),
                              endpoint=endpoint, since=endpoint.failing_since or at,
                              page=public_url("sender.developers")).id)
    return emails
