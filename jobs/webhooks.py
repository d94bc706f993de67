"""Sending webhook deliveries: signed by the Standard Webhooks library, over plain HTTP(S), never to a private address."""
from __future__ import annotations

import functools
import http.client
import logging
import socket
import ssl
from datetime import timezone
from urllib.parse import urlsplit

from standardwebhooks import Webhook

from sqlalchemy import Row

from consents import clock
from consents.sealed import unseal
from consents.webhook_deliveries import claim, record_attempt
from consents.webhooks import address_refused
from jobs.dispatch import dispatch
from jobs.queue import enqueue

log = logging.getLogger(__name__)
TIMEOUT = 10  # seconds, for connecting and for each read
USER_AGENT = "Consentement-LRE-Webhooks/1"


class AddressRefused(Exception):
    """The endpoint's host resolves to an address deliveries must not reach."""


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """One TLS context per worker: loading the system's certificates costs far more than a delivery."""
    return ssl.create_default_context()


class _PinnedConnection(http.client.HTTPConnection):
    """An HTTP(S) connection to an address checked beforehand, so DNS cannot swap it between check and connect."""

    def __init__(self, host: str, ip: str, port: int, tls: bool):
        super().__init__(host, port, timeout=TIMEOUT)
        self._ip, self._tls = ip, tls

    def connect(self):
        """Connect to the pinned address; with TLS, check the certificate against the host name."""
        self.sock = socket.create_connection((self._ip, self.port), self.timeout)
        if self._tls:
            self.sock = _tls_context().wrap_socket(self.sock, server_hostname=self.host)


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


def signed_headers(claimed: Row) -> dict:
    """The Standard Webhooks headers of one delivery: its message id, the time of sending and the signature."""
    sent_at = clock.now().replace(tzinfo=timezone.utc)
    webhook_id = f"msg_{claimed.message_id}"
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(sent_at.timestamp())),
        "webhook-signature": Webhook(unseal(claimed.secret)).sign(webhook_id, sent_at, claimed.payload),
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
    }


def attempt(claimed: Row) -> str:
    """Make one attempt of a claimed delivery and record it; after a failure, enqueue the next attempt on time."""
    code, error = None, None
    if not claimed.active:
        error = "adresse désactivée"
    else:
        try:
            code = post(claimed.url, claimed.payload.encode("utf-8"), signed_headers(claimed))
            error = None if 200 <= code < 300 else f"HTTP {code}"
        except AddressRefused:
            error = "adresse refusée : réseau privé ou local"
        except (OSError, http.client.HTTPException, UnicodeError) as exc:
            error = f"{type(exc).__name__}: {exc}"
    retry_in, outcome = record_attempt(claimed, code=code, error=error)
    if retry_in is not None:
        enqueue("jobs.webhooks.deliver_webhooks", [claimed.id], delay=max(1, int(retry_in.total_seconds())))
    dispatch(outcome)
    return "delivered" if error is None else "failed"


def deliver(delivery_id: int) -> str:
    """One attempt of one delivery if it is due and free: delivered, failed or skipped."""
    return deliver_webhooks([delivery_id]).popitem()[0]


def deliver_webhooks(delivery_ids: list[int]) -> dict:
    """RQ job: claim the due ones of some deliveries in one statement, then attempt each in turn."""
    results: dict[str, int] = {}
    claimed = claim(delivery_ids)
    if len(claimed) < len(delivery_ids):
        results["skipped"] = len(delivery_ids) - len(claimed)
    for row in claimed:
        result = attempt(row)
        results[result] = results.get(result, 0) + 1
    return results
