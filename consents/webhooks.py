"""Webhooks: endpoints a sender registers, the messages a consent change writes with it, each delivery's state.

Messages are written by the one event writer (`consents.events.write_events` calls `queue_webhooks`), in the
same transaction as the change; the HTTP work is a job's business (jobs/webhooks.py).
"""
from __future__ import annotations

import base64
import ipaddress
import json
import secrets
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, select

from consents import clock
from consents.db import db, insert_rows
from consents.links import public_url
from consents.models import Consent, Contact, User, utc_iso
from consents.rules import RuleError
from consents.sealed import seal
from consents.webhook_models import WebhookDelivery, WebhookEndpoint, WebhookMessage

# History event kind -> message type. Another kind becomes a webhook by one line here (and its label below).
EVENT_TYPES = {
    "accepted": "consentement.accepte",
    "refused": "consentement.refuse",
    "expired": "consentement.expire",
    "revoked": "consentement.revoque",
    "withdrawal_requested": "consentement.retrait_demande",
    "paper_chosen": "consentement.papier",
}
TYPE_LABELS = {
    "consentement.accepte": _l("Consentement accepté"),
    "consentement.refuse": _l("Consentement refusé"),
    "consentement.expire": _l("Demande expirée sans réponse"),
    "consentement.revoque": _l("Consentement révoqué"),
    "consentement.retrait_demande": _l("Retrait demandé par le destinataire"),
    "consentement.papier": _l("Choix du papier"),
}
TEST_TYPE = "test"
MAX_ENDPOINTS = 10


def new_secret() -> str:
    """A whsec_ signing secret: 24 random bytes in base64, as the Standard Webhooks libraries read it."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode("ascii")


def address_refused(ip: str) -> bool:
    """True for an address a delivery must not reach: private, link-local, reserved, and loopback in production."""
    address = ipaddress.ip_address(ip)
    if address.is_loopback:
        return current_app.config["APP_ENV"] == "production"
    return (address.is_private or address.is_link_local or address.is_multicast or address.is_reserved
            or address.is_unspecified or not address.is_global)


def check_url(url: str) -> str:
    """The endpoint URL, or a RuleError: HTTPS in production, a host, no credentials, no private address."""
    url = (url or "").strip()
    parts = urlsplit(url)
    production = current_app.config["APP_ENV"] == "production"
    if parts.scheme not in (("https",) if production else ("https", "http")) or not parts.hostname or len(url) > 500:
        raise RuleError(_l("Indiquez une adresse complète en https://, par exemple https://logiciel.example.fr/webhooks."))
    if parts.username or parts.password:
        raise RuleError(_l("L'adresse ne doit pas contenir d'identifiant ni de mot de passe."))
    try:
        literal = ipaddress.ip_address(parts.hostname)
    except ValueError:
        literal = None
    if literal is not None and address_refused(str(literal)) or (production and parts.hostname == "localhost"):
        raise RuleError(_l("Cette adresse désigne un réseau privé : les notifications ne peuvent pas y être envoyées."))
    return url


def check_types(types: list[str]) -> list[str]:
    """The chosen message types, or a RuleError when none is known."""
    chosen = [t for t in EVENT_TYPES.values() if t in types]
    if not chosen:
        raise RuleError(_l("Choisissez au moins un événement."))
    return chosen


def create_endpoint(user: User, url: str, types: list[str]) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint for the user's sender; return it with its secret (shown in full once)."""
    url, types = check_url(url), check_types(types)
    if WebhookEndpoint.query.filter_by(sender_id=user.sender_id).count() >= MAX_ENDPOINTS:
        raise RuleError(_l("Dix adresses au plus : supprimez-en une avant d'en ajouter une autre."))
    secret = new_secret()
    endpoint = WebhookEndpoint(sender_id=user.sender_id, url=url, events=types, active=True, created_at=clock.now(),
                               secret=seal(secret))
    db.session.add(endpoint)
    db.session.commit()
    return endpoint, secret


def set_active(endpoint: WebhookEndpoint, active: bool) -> None:
    """Switch an endpoint on (its failure count starts again) or off."""
    endpoint.active, endpoint.failing_since = active, None
    endpoint.disabled_at = None if active else endpoint.disabled_at
    db.session.commit()


def payload(kind: str, *, consent_id: int | None, email: str | None, status: str | None, sequence: int,
            at, event_id: int | None) -> str:
    """The thin JSON body of a message, exactly as it is signed and sent."""
    data = {"consentement": consent_id, "email": email, "statut": status, "sequence": sequence,
            "evenement": event_id, "date": utc_iso(at)}
    if consent_id is not None:
        data["url"] = public_url("api.consent_detail", consent_id=consent_id)
    return json.dumps({"type": kind, "timestamp": utc_iso(at), "data": data}, ensure_ascii=False,
                      separators=(",", ":"))


def queue_webhooks(rows: list[dict]) -> None:
    """Write the messages and deliveries the new events cause, in the current transaction (the event writer calls it)."""
    typed = [row for row in rows if row["kind"] in EVENT_TYPES]
    if not typed:
        return
    ids = sorted({row["consent_id"] for row in typed})
    targets: dict[int, list] = {}
    for target in db.session.execute(
            select(Consent.id, Consent.sender_id, Consent.status, Contact.email, WebhookEndpoint.id.label("endpoint_id"),
                   WebhookEndpoint.events)
            .join(Contact, Contact.id == Consent.contact_id)
            .join(WebhookEndpoint, and_(WebhookEndpoint.sender_id == Consent.sender_id, WebhookEndpoint.active))
            .where(Consent.id.in_(ids))):
        targets.setdefault(target.id, []).append(target)
    if not targets:
        return
    last = dict(db.session.execute(select(WebhookMessage.consent_id, func.max(WebhookMessage.sequence))
                                   .where(WebhookMessage.consent_id.in_(list(targets)))
                                   .group_by(WebhookMessage.consent_id)).all())
    messages, endpoints = [], []
    for row in typed:
        kind = EVENT_TYPES[row["kind"]]
        subscribed = [t for t in targets.get(row["consent_id"], []) if kind in (t.events or [])]
        if not subscribed:
            continue
        first = subscribed[0]
        last[row["consent_id"]] = sequence = last.get(row["consent_id"], 0) + 1
        messages.append({"sender_id": first.sender_id, "consent_id": row["consent_id"], "event_id": row["id"],
                         "type": kind, "sequence": sequence, "created_at": row["created_at"],
                         "payload": payload(kind, consent_id=row["consent_id"], email=first.email, status=first.status,
                                            sequence=sequence, at=row["created_at"], event_id=row["id"])})
        endpoints.append([t.endpoint_id for t in subscribed])
    _deliver_to(messages, endpoints)


def _deliver_to(messages: list[dict], endpoints: list[list[int]]) -> list[int]:
    """Insert messages and one due delivery per message and endpoint; return the deliveries' ids."""
    at = clock.now()
    deliveries = [{"message_id": message_id, "endpoint_id": endpoint_id, "consent_id": message["consent_id"],
                   "created_at": at, "next_attempt_at": at, "attempts": 0}
                  for message, message_id, targets in zip(messages, insert_rows(WebhookMessage.__table__, messages),
                                                          endpoints)
                  for endpoint_id in targets]
    return insert_rows(WebhookDelivery.__table__, deliveries)


def queue_test(endpoint: WebhookEndpoint) -> int:
    """Write a «test» message to one endpoint (the «Tester» button); return its delivery's id."""
    at = clock.now()
    message = {"sender_id": endpoint.sender_id, "consent_id": None, "event_id": None, "type": TEST_TYPE,
               "sequence": 0, "created_at": at, "payload": payload(TEST_TYPE, consent_id=None, email=None, status=None,
                                                                   sequence=0, at=at, event_id=None)}
    [delivery_id] = _deliver_to([message], [[endpoint.id]])
    db.session.commit()
    return delivery_id


def endpoint_log(endpoint: WebhookEndpoint, limit: int = 50) -> list[WebhookDelivery]:
    """An endpoint's latest deliveries, newest first."""
    return (WebhookDelivery.query.filter_by(endpoint_id=endpoint.id).order_by(WebhookDelivery.id.desc())
            .limit(limit).all())
