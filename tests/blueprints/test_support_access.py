"""Who reaches what: anonymous, sender, support and admin, against every support route and the sender's pages."""
from __future__ import annotations

import pytest

from conftest import accept_one, login, make_sender
from consents.models import Consent
from consents.staff import create_staff
from consents.staff_models import Staff
from staff_helpers import signed_in_staff

# What a staff member allowed there gets, by endpoint and method, with the empty form each POST sends.
ALLOWED = {
    ("support.login", "GET"): 302, ("support.login", "POST"): 302,  # already signed in: to the search
    ("support.setup", "GET"): 410, ("support.setup", "POST"): 410,  # an unknown token
    ("support.search", "GET"): 200,
    ("support.recipient", "GET"): 200,
    ("support.revoke", "POST"): 422,  # nothing chosen, no reason: the form again
    ("support.resend", "POST"): 302,
    ("support.address_confirmed", "POST"): 302,
    ("support.sender_view", "GET"): 200,
    ("support.team", "GET"): 200, ("support.team", "POST"): 422,
    ("support.disable", "POST"): 302,
    ("support.audit_log", "GET"): 200,
    ("support.audit_export", "GET"): 200,
    ("support.logout", "POST"): 302,
}
ADMIN_ONLY = {"support.team", "support.disable", "support.audit_log", "support.audit_export"}
OPEN = {"support.login", "support.setup"}
SENDER_PAGES = ["/gestionnaire", "/gestionnaire/demander", "/gestionnaire/liens", "/compte/mot-de-passe"]


def _routes(app) -> list[tuple[str, str, str]]:
    """(endpoint, method, url) of every support route, with ids of existing rows."""
    consent, staff = Consent.query.first(), Staff.query.filter_by(email="cible@consentement-lre.fr").one()
    ids = {"consent_id": consent.id, "sender_id": consent.sender_id, "staff_id": staff.id, "token": "inconnu"}
    adapter = app.url_map.bind("localhost")
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("support."):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                found.append((rule.endpoint, method, adapter.build(rule.endpoint, {a: ids[a] for a in rule.arguments})))
    # Signing out last: it ends the session the other rows need.
    return sorted(found, key=lambda r: r[0] == "support.logout")


@pytest.fixture
def world(app, client):
    """A sender with an accepted consent and a staff member to act on."""
    make_sender()
    login(client)
    accept_one(client)
    client.post("/deconnexion")
    create_staff("cible@consentement-lre.fr", "support")


def _expected(role: str, endpoint: str, method: str) -> int:
    if role == "sender":
        return 404
    if role == "anonymous":
        if endpoint == "support.login":
            return 200 if method == "GET" else 422
        return ALLOWED[(endpoint, method)] if endpoint in OPEN else 302
    if role == "support" and endpoint in ADMIN_ONLY:
        return 404
    return ALLOWED[(endpoint, method)]


@pytest.mark.parametrize("role", ["anonymous", "sender", "support", "admin"])
def test_access_matrix(app, world, frozen_now, role):
    client = app.test_client()
    if role == "sender":
        login(client)
    elif role in ("support", "admin"):
        signed_in_staff(client, frozen_now, email=f"{role}@consentement-lre.fr", role=role)
    routes = _routes(app)
    assert {(endpoint, method) for endpoint, method, _url in routes} == set(ALLOWED)
    got = {}
    for endpoint, method, url in routes:
        response = client.open(url, method=method)
        got[(endpoint, method)] = response.status_code
        if response.status_code == 302 and role == "anonymous" and endpoint not in OPEN:
            assert response.headers["Location"].endswith("/support/connexion")
    assert got == {(e, m): _expected(role, e, m) for e, m, _url in routes}


@pytest.mark.parametrize("role", ["support", "admin"])
def test_staff_never_open_the_senders_pages(app, world, frozen_now, role):
    client = app.test_client()
    signed_in_staff(client, frozen_now, email=f"{role}@consentement-lre.fr", role=role)
    consent = Consent.query.first()
    for path in [*SENDER_PAGES, f"/gestionnaire/contacts/{consent.id}"]:
        response = client.get(path)
        assert response.status_code == 302 and "/connexion" in response.headers["Location"], path
    assert client.get("/support").status_code == 200  # still signed in to the console


def test_console_pages_are_never_cached(app, world, frozen_now):
    client = app.test_client()
    signed_in_staff(client, frozen_now)
    assert client.get("/support?q=marie").headers["Cache-Control"] == "no-store"
    assert app.test_client().get("/support/connexion").headers["Cache-Control"] == "no-store"
