"""Sending webhook deliveries: signed by the Standard Webhooks library, over plain HTTP(S), never to a private address."""
from __future__ import annotations

import http.client
import logging
import socket
import ssl
from datetime import timezone
from urllib.parse import urlsplit

from standardwebhooks import Webhook

from consents import clock
from consents.webhook_models import WebhookDelivery
from consents.webhooks import address_refused, claim, endpoint_secret, record_attempt
from jobs.dispatch import dispatch
from jobs.queue import enqueue

log = logging.getLogger(__name__)
TIMEOUT = 10  # seconds, for connecting and for each read
USER_AGENT = "Consentement-LRE-Webhooks/1"


class AddressRefused(Exception):
    """The endpoint's host resolves to an address deliveries must not reach."""


class _PinnedConnection(http.client.HTTPSConnection):
    """An HTTP(S) connection to an address checked beforehand, so DNS cannot swap it between check and connect."""

    def __init__(self, host: str, ip: str, port: int, tls: bool):
        super().__init__(host, port, timeout=TIMEOUT, context=ssl.create_default_context())
        self._ip, self._tls = ip, tls

    def connect(self):
        """Connect to the pinned address; with TLS, check the certificate against the host name."""
        self.sock = socket.create_connection((self._ip, self.port), self.timeout)
        if self._tls:
            self.sock = self._context.wrap_socket(self.sock, server_hostname=self.host)


def post(url: str, body: bytes, headers: dict) -> int:
    """POST a body and return the response's status; redirects are not followed (a 3xx is a failure)."""
    parts = urlsplit(url)
    tls = parts.scheme == "https"
    port = parts.port or (443 if tls else 80)
    addresses = {info[4][0] for info in socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)}
    if not addresses or any(address_refused(ip) for ip in addresses):
        raise AddressRefused(parts.hostname)
    connection = _PinnedConnection(parts.hostname, sorted(addresses)[0], port, tls)
    try:
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(65536)  # the answer's body is not kept: reading a little lets the server finish cleanly
        return response.status
    finally:
        connection.close()


def signed_headers(delivery: WebhookDelivery) -> dict:
    """The Standard Webhooks headers of one delivery: its message id, the time of sending and the signature."""
    message = delivery.message
    sent_at = clock.now().replace(tzinfo=timezone.utc)
    webhook_id = f"msg_{message.id}"
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(sent_at.timestamp())),
        "webhook-signature": Webhook(endpoint_secret(delivery.endpoint)).sign(webhook_id, sent_at, message.payload),
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
    }


def deliver(delivery_id: int) -> str:
    """Make one attempt of a due delivery; after a failure, enqueue the next attempt on the schedule."""
    delivery = claim(delivery_id)
    if delivery is None:
        return "skipped"
    code, error = None, None
    if not delivery.endpoint.active:
        error = "adresse désactivée"
    else:
        try:
            code = post(delivery.endpoint.url, delivery.message.payload.encode("utf-8"), signed_headers(delivery))
            error = None if 200 <= code < 300 else f"HTTP {code}"
        except AddressRefused:
            error = "adresse refusée : réseau privé ou local"
        except (OSError, http.client.HTTPException, UnicodeError) as exc:
            error = f"{type(exc).__name__}: {exc}"
    retry_in, outcome = record_attempt(delivery, code=code, error=error)
    if retry_in is not None:
        enqueue("jobs.webhooks.deliver_webhooks", [delivery_id], delay=max(1, int(retry_in.total_seconds())))
    dispatch(outcome)
    return "delivered" if delivery.delivered_at else "failed"


def deliver_webhooks(delivery_ids: list[int]) -> dict:
    """RQ job: one attempt for each of some deliveries; each is claimed on its own."""
    results: dict[str, int] = {}
    for delivery_id in delivery_ids:
        result = deliver(delivery_id)
        results[result] = results.get(result, 0) + 1
    return results
