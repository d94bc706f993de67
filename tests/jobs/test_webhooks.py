"""Webhooks: written with the change, signed per Standard Webhooks, retried on schedule, never sent to a private address."""
from __future__ import annotations

import json

import pytest
from standardwebhooks import Webhook

from conftest import accept_one, ask
from consents.api_models import ApiKey
from consents.models import Consent, Contact, OutboundEmail
from consents.rules import RuleError
from consents.webhook_models import WebhookDelivery, WebhookEndpoint, WebhookMessage
from consents.webhook_deliveries import RETRY_SCHEDULE
from consents.webhooks import check_url, create_endpoint
from consents.withdrawals import revoke_consent
from jobs.dispatch import dispatch
from jobs.maintenance import nightly_expiry, sweep_webhooks
from jobs.queue import get_redis
from jobs.webhooks import deliver
from local_receiver import LocalReceiver


@pytest.fixture
def receiver():
    """A webhook receiver on the loopback."""
    server = LocalReceiver()
    yield server
    server.stop()


def _consent(email: str) -> Consent:
    return Consent.query.join(Contact).filter(Contact.email == email).one()


def _verified(secret: str, request: dict) -> dict:
    """The payload of a received request, once the standardwebhooks package verified its signature."""
    return Webhook(secret).verify(request["body"], request["headers"])


def test_acceptance_then_revocation_arrive_signed_in_order(logged_in, sender_user, receiver, run_jobs):
    _endpoint, secret = create_endpoint(sender_user, receiver.url, ["consentement.accepte", "consentement.revoque"])
    accept_one(logged_in, email="marie@example.fr")
    consent = _consent("marie@example.fr")
    dispatch(revoke_consent(consent, user=sender_user, requested_on=consent.decided_at.date(), source="courrier"))
    run_jobs()
    payloads = [_verified(secret, r) for r in receiver.requests]
    assert [p["type"] for p in payloads] == ["consentement.accepte", "consentement.revoque"]
    assert [p["data"]["sequence"] for p in payloads] == [1, 2]
    assert {p["data"]["consentement"] for p in payloads} == {consent.id}
    assert payloads[0]["data"]["email"] == "marie@example.fr" and payloads[1]["data"]["statut"] == "revoked"
    ids = [r["headers"]["webhook-id"] for r in receiver.requests]
    assert len(set(ids)) == 2 and all(i.startswith("msg_") for i in ids)
    assert {d.state for d in WebhookDelivery.query} == {"delivered"}


def test_a_tampered_body_fails_verification(logged_in, sender_user, receiver, run_jobs):
    _endpoint, secret = create_endpoint(sender_user, receiver.url, ["consentement.accepte"])
    accept_one(logged_in)
    run_jobs()
    request = receiver.requests[0]
    with pytest.raises(Exception):
        Webhook(secret).verify(request["body"].replace("accepte", "refuse"), request["headers"])
    with pytest.raises(Exception):
        Webhook("whsec_" + "A" * 32).verify(request["body"], request["headers"])


def test_only_subscribed_kinds_of_the_senders_own_consents(logged_in, sender_user, receiver, run_jobs):
    create_endpoint(sender_user, receiver.url, ["consentement.refuse"])
    accept_one(logged_in, email="oui@example.fr")
    run_jobs()
    assert receiver.requests == [] and WebhookMessage.query.count() == 0


def test_expiry_by_the_nightly_batch_is_told(logged_in, sender_user, receiver, run_jobs, frozen_now):
    create_endpoint(sender_user, receiver.url, ["consentement.expire"])
    ask(logged_in, email="a@example.fr", delay="3")
    ask(logged_in, email="b@example.fr", delay="3")
    frozen_now.advance(days=4)
    nightly_expiry()
    run_jobs()
    payloads = [json.loads(r["body"]) for r in receiver.requests]
    assert sorted(p["data"]["email"] for p in payloads) == ["a@example.fr", "b@example.fr"]
    assert {p["type"] for p in payloads} == {"consentement.expire"} and {p["data"]["statut"] for p in payloads} == {"refused"}


def test_failures_follow_the_retry_schedule_and_three_days_switch_the_endpoint_off(
        logged_in, sender_user, receiver, frozen_now, mail_outbox):
    endpoint, _secret = create_endpoint(sender_user, receiver.url, ["consentement.accepte"])
    receiver.status = 500
    accept_one(logged_in)
    delivery = WebhookDelivery.query.one()
    waits = []
    for _ in range(4):
        assert deliver(delivery.id) == "failed"
        delivery = WebhookDelivery.query.one()
        waits.append(delivery.next_attempt_at - frozen_now.now)
        assert deliver(delivery.id) == "skipped"  # not due yet: nothing is sent early
        frozen_now.advance(seconds=waits[-1].total_seconds())
    assert waits == RETRY_SCHEDULE[:4]
    assert len(receiver.requests) == 4 and len({r["headers"]["webhook-id"] for r in receiver.requests}) == 1
    assert delivery.response_code == 500 and delivery.attempts == 4
    frozen_now.advance(days=3)
    assert deliver(delivery.id) == "failed"
    endpoint = WebhookEndpoint.query.one()
    assert not endpoint.active and endpoint.disabled_at is not None
    assert WebhookDelivery.query.one().next_attempt_at is None
    notice = OutboundEmail.query.filter_by(kind="webhook_disabled").one()
    assert notice.to == sender_user.email and receiver.url in notice.text_body


def test_success_after_failures_resets_the_failing_clock(logged_in, sender_user, receiver, frozen_now):
    create_endpoint(sender_user, receiver.url, ["consentement.accepte"])
    receiver.status = 503
    accept_one(logged_in)
    delivery_id = WebhookDelivery.query.one().id
    deliver(delivery_id)
    assert WebhookEndpoint.query.one().failing_since is not None
    receiver.status = 204
    frozen_now.advance(seconds=5)
    assert deliver(delivery_id) == "delivered"
    assert WebhookEndpoint.query.one().failing_since is None


def test_redirects_are_not_followed(logged_in, sender_user, receiver):
    create_endpoint(sender_user, receiver.url, ["consentement.accepte"])
    receiver.status, receiver.location = 302, "http://127.0.0.1:9/ailleurs"
    accept_one(logged_in)
    assert deliver(WebhookDelivery.query.one().id) == "failed"
    assert len(receiver.requests) == 1 and WebhookDelivery.query.one().response_code == 302


def test_private_addresses_are_refused_in_production(app, sender_user, receiver, logged_in):
    for url in ("ftp://example.fr/x", "http://user:pw@example.fr/", "pas une adresse"):
        with pytest.raises(RuleError):
            check_url(url)
    assert check_url(receiver.url) == receiver.url  # loopback: allowed while testing
    create_endpoint(sender_user, receiver.url, ["consentement.accepte"])
    accept_one(logged_in)
    app.config["APP_ENV"] = "production"
    for url in ("http://example.fr/hooks", "https://10.0.0.5/hooks", "https://169.254.169.254/latest",
                "https://127.0.0.1/hooks", "https://[fd00::1]/hooks", "https://192.168.1.10/", "https://localhost/"):
        with pytest.raises(RuleError):
            check_url(url)
    assert check_url("https://logiciel.example.fr/hooks") == "https://logiciel.example.fr/hooks"
    # An endpoint registered before (or whose name now resolves to the loopback) is refused at sending time.
    assert deliver(WebhookDelivery.query.one().id) == "failed"
    assert receiver.requests == [] and "réseau privé" in WebhookDelivery.query.one().last_error


def test_developers_page_test_and_resend_buttons(logged_in, sender_user, receiver, run_jobs):
    created = logged_in.post("/gestionnaire/developpeurs/webhooks",
                             data={"webhook-url": receiver.url, "webhook-events": ["consentement.accepte"]})
    assert created.status_code == 201
    page = created.get_data(as_text=True)
    secret = page.split('id="new-secret">')[1].split("<")[0]
    assert secret.startswith("whsec_")
    endpoint = WebhookEndpoint.query.one()
    assert secret not in endpoint.secret  # kept sealed
    logged_in.post(f"/gestionnaire/developpeurs/webhooks/{endpoint.id}/tester")
    run_jobs()
    test = _verified(secret, receiver.requests[0])
    assert test["type"] == "test"
    delivery = WebhookDelivery.query.one()
    log = logged_in.get(f"/gestionnaire/developpeurs/webhooks/{endpoint.id}").get_data(as_text=True)
    assert "Livrée" in log and "Renvoyer" in log and f"msg_{delivery.message_id}" in log
    logged_in.post(f"/gestionnaire/developpeurs/livraisons/{delivery.id}/renvoyer")
    run_jobs()
    assert len(receiver.requests) == 2
    assert receiver.requests[1]["headers"]["webhook-id"] == receiver.requests[0]["headers"]["webhook-id"]
    bad = logged_in.post("/gestionnaire/developpeurs/webhooks", data={"webhook-url": "ftp://x", "webhook-events": []})
    assert bad.status_code == 422 and "https://" in bad.get_data(as_text=True)


def test_developers_page_shows_a_key_once_and_revokes_it(logged_in, client):
    created = logged_in.post("/gestionnaire/developpeurs/cles", data={"cle-name": "Gestion locative",
                                                                      "cle-scopes": ["check", "read"]})
    assert created.status_code == 201
    token = created.get_data(as_text=True).split('id="new-key">')[1].split("<")[0]
    assert token.startswith("lre_")
    page = logged_in.get("/gestionnaire/developpeurs").get_data(as_text=True)
    assert token not in page and token[:12] in page and "Jamais utilisée" in page
    assert client.get("/api/v1/consentements", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert "Dernière utilisation" in logged_in.get("/gestionnaire/developpeurs").get_data(as_text=True)
    logged_in.post(f"/gestionnaire/developpeurs/cles/{ApiKey.query.one().id}/revoquer")
    assert client.get("/api/v1/consentements", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    empty = logged_in.post("/gestionnaire/developpeurs/cles", data={"cle-name": "", "cle-scopes": []})
    assert empty.status_code == 422


def test_the_sweeper_sends_deliveries_whose_job_was_lost(logged_in, sender_user, receiver, run_jobs, frozen_now,
                                                         redis_url):
    create_endpoint(sender_user, receiver.url, ["consentement.accepte"])
    accept_one(logged_in)
    get_redis(redis_url).flushdb()  # the job never reached a worker (Redis lost it)
    assert sweep_webhooks() == 0  # within its first minute a delivery belongs to its own job
    frozen_now.advance(minutes=2)
    assert sweep_webhooks() == 1
    run_jobs()
    assert len(receiver.requests) == 1 and WebhookDelivery.query.one().state == "delivered"
    assert sweep_webhooks() == 0
