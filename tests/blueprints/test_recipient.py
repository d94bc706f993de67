"""The recipient's page: what it shows, what it records, expiry, double answers, 404 and languages."""
from conftest import ask, latest_email, link_from, without_csrf
from consents.models import ACCEPTED, REFUSED, Consent, ConsentEvent


def _link(logged_in, **kwargs):
    ask(logged_in, **kwargs)
    return link_from(latest_email().sent_text)


def test_page_explains_who_asks_what_and_until_when(logged_in, client):
    path = _link(logged_in, scope="both")
    logged_in.post("/deconnexion")
    response = client.get(path)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    for expected in ("Cabinet Martin Gestion", "marie.dupont@example.fr", "lettre recommandée électronique",
                     "avis électronique", "article L100", "Confidentialité", "J&#39;accepte", "Je refuse",
                     "Répondre avant le"):
        assert expected in body, expected
    assert ConsentEvent.query.filter_by(kind="opened").count() == 1
    client.get(path)
    assert ConsentEvent.query.filter_by(kind="opened").count() == 1


def test_accept_records_ip_agent_and_text_shown(logged_in, client):
    path = _link(logged_in)
    response = client.post(path, data={"reponse": "accepter"}, headers={"User-Agent": "Mozilla/5.0 (Android)"},
                           environ_base={"REMOTE_ADDR": "203.0.113.50"}, follow_redirects=True)
    assert response.status_code == 200 and "Vous avez accepté" in response.get_data(as_text=True)
    assert response.history[0].status_code == 303
    event = ConsentEvent.query.filter_by(kind="accepted").one()
    assert event.ip == "203.0.113.50" and event.user_agent == "Mozilla/5.0 (Android)"
    assert len(event.data["text_sha256"]) == 64 and event.data["language"] == "fr"
    assert Consent.query.one().status == ACCEPTED


def test_second_answer_shows_the_first(logged_in, client):
    path = _link(logged_in)
    client.post(path, data={"reponse": "refuser"})
    again = client.post(path, data={"reponse": "accepter"}, follow_redirects=True)
    assert "Vous avez refusé" in again.get_data(as_text=True)
    assert Consent.query.one().status == REFUSED
    assert "Vous avez refusé" in client.get(path).get_data(as_text=True)


def test_expired_request_takes_no_answer(logged_in, client, frozen_now):
    path = _link(logged_in, delay="3")
    frozen_now.advance(days=3, minutes=1)
    page = client.get(path).get_data(as_text=True)
    assert "a expiré" in page and "Je refuse" not in page
    response = client.post(path, data={"reponse": "accepter"})
    assert response.status_code == 410 and "a expiré" in response.get_data(as_text=True)
    assert ConsentEvent.query.filter_by(kind="accepted").count() == 0


def test_unknown_token_is_a_french_404_revealing_nothing(client):
    response = client.get("/c/unknown-token-that-does-not-exist")
    body = response.get_data(as_text=True)
    assert response.status_code == 404 and "Page introuvable" in body and "Traceback" not in body
    other = client.get("/c/another-unknown-token").get_data(as_text=True)
    assert without_csrf(other.replace("another-unknown-token", "X")) == without_csrf(
        body.replace("unknown-token-that-does-not-exist", "X"))
    assert client.post("/c/nope", data={"reponse": "accepter"}).status_code == 404


def test_bad_answer_value_is_a_clear_400(logged_in, client):
    path = _link(logged_in)
    response = client.post(path, data={"reponse": "peut-etre"})
    assert response.status_code == 400 and "Requête invalide" in response.get_data(as_text=True)


def test_english_when_browser_prefers_it_and_switch_back(logged_in, client):
    path = _link(logged_in)
    english = client.get(path, headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(as_text=True)
    assert "I agree" in english and 'lang="en"' in english and "J&#39;accepte" not in english
    client.get("/langue/fr")
    french = client.get(path, headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(as_text=True)
    assert "J&#39;accepte" in french


def test_answer_in_english_records_english_text(logged_in, client):
    path = _link(logged_in)
    client.get("/langue/en")
    client.post(path, data={"reponse": "accepter"})
    assert ConsentEvent.query.filter_by(kind="accepted").one().data["language"] == "en"


def test_recipient_page_is_rate_limited(app_config, logged_in):
    from app import create_app
    from consents.db import db

    path = _link(logged_in)
    limited = create_app({**app_config, "RATELIMIT_ENABLED": True})
    with limited.app_context():
        visitor = limited.test_client()
        codes = [visitor.get(path).status_code for _ in range(65)]
        db.session.remove()
    assert codes[0] == 200 and codes[-1] == 429


def test_the_receipt_email_speaks_the_language_of_the_answer(logged_in, client):
    from conftest import latest_email

    path = _link(logged_in)
    client.get("/langue/en")
    client.post(path, data={"reponse": "accepter"})
    receipt = latest_email("receipt")
    assert receipt.subject.startswith("Your receipt") or "receipt" in receipt.subject.lower()
    assert "Bonjour" not in receipt.sent_text
