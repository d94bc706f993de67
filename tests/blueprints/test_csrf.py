"""Every POST route refuses a request without a CSRF token (the API's, keyed by Bearer only, refuse the session)."""
import re

import pytest

from app import create_app
from conftest import ask, latest_email, link_from, login, make_sender


@pytest.fixture
def csrf_app(app_config):
    application = create_app({**app_config, "WTF_CSRF_ENABLED": True})
    with application.app_context():
        yield application


def _sample_values(rule, token_path):
    return {arg: (token_path.split("/")[-1] if arg == "token" else (1 if arg.endswith("_id") else "x"))
            for arg in rule.arguments}


def test_every_post_route_without_token_answers_400(csrf_app, app):
    # Create data with the CSRF-free app so every route has something to act on.
    make_sender()
    plain = app.test_client()
    login(plain)
    ask(plain)
    token_path = link_from(latest_email().sent_text)

    client = csrf_app.test_client()
    page = client.get("/connexion").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert client.post("/connexion", data={"email": "gerant@martin-gestion.fr", "password": "un-mot-de-passe-solide",
                                           "csrf_token": csrf}).status_code == 302
    rules = [r for r in csrf_app.url_map.iter_rules() if "POST" in r.methods]
    assert len(rules) >= 6
    for rule in rules:
        url = csrf_app.url_map.bind("localhost").build(rule.endpoint, _sample_values(rule, token_path))
        response = client.post(url, data={"reponse": "accepter"})
        if rule.endpoint.startswith("api."):  # no cookie opens the API, so no CSRF there: the session is no key
            assert response.status_code == 401 and response.mimetype == "application/problem+json", rule.rule
            continue
        assert response.status_code == 400, (rule.rule, response.status_code)
        assert "Formulaire expiré" in response.get_data(as_text=True)


def test_htmx_header_token_is_accepted(csrf_app, app):
    make_sender()
    client = csrf_app.test_client()
    page = client.get("/connexion").get_data(as_text=True)
    csrf = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)
    response = client.post("/connexion", data={"email": "gerant@martin-gestion.fr", "password": "un-mot-de-passe-solide"},
                           headers={"X-CSRFToken": csrf})
    assert response.status_code == 302
