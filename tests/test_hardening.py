"""The app in production mode against what anyone may send: it fails closed at start, bounds bodies, never answers
500 to bad input, keeps personal pages out of caches, sees the client behind its proxy, and keeps serving when
Redis is gone."""
from __future__ import annotations

import io

import pytest

from app import create_app
from conftest import PRODUCTION_SECRET, accept_one, ask, latest_email, link_from, login, make_sender
from consents.models import Consent, ConsentEvent, ConsentRequest

SIGNING_KEY = "a2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2s="


@pytest.fixture
def prod(app_config):
    """The app as production runs it (real CSRF off only to keep the posts short)."""
    application = create_app({**app_config, "APP_ENV": "production", "SECRET_KEY": PRODUCTION_SECRET,
                              "SIGNING_KEY": SIGNING_KEY, "TSA_URL": "https://tsa.example/tsa", "TESTING": False})
    with application.app_context():
        yield application


@pytest.mark.parametrize("env", ["prod", "Production", "", "staging"])
def test_an_unknown_app_env_refuses_to_start(app_config, env):
    with pytest.raises(RuntimeError, match="APP_ENV"):
        create_app({**app_config, "APP_ENV": env})


def test_debug_is_refused_in_production(app_config):
    with pytest.raises(RuntimeError, match="Debug"):
        create_app({**app_config, "APP_ENV": "production", "SECRET_KEY": PRODUCTION_SECRET,
                    "SIGNING_KEY": SIGNING_KEY, "DEBUG": True})


def test_production_refuses_to_start_without_a_time_stamping_authority(app_config):
    with pytest.raises(RuntimeError, match="TSA_URL"):
        create_app({**app_config, "APP_ENV": "production", "SECRET_KEY": PRODUCTION_SECRET,
                    "SIGNING_KEY": SIGNING_KEY, "TSA_URL": None})


def test_headers_no_store_hsts_and_permissions(prod):
    client = prod.test_client()
    public = client.get("/connexion")
    assert public.headers["Strict-Transport-Security"].startswith("max-age=")
    assert "camera=()" in public.headers["Permissions-Policy"] and "Content-Security-Policy" in public.headers
    assert "no-store" not in public.headers.get("Cache-Control", "")
    make_sender()
    login(client)
    assert client.get("/gestionnaire").headers["Cache-Control"] == "no-store"
    accept_one(client)
    consent = Consent.query.one()
    download = client.get(f"/gestionnaire/contacts/{consent.id}/preuve/recu.json")
    assert download.status_code == 200 and download.headers["Cache-Control"] == "no-store"
    anonymous = prod.test_client()
    assert anonymous.get(link_from(latest_email("request").sent_text)).headers["Cache-Control"] == "no-store"
    assert anonymous.get("/cles-publiques.json").headers["Cache-Control"].startswith("public")


def test_bodies_are_bounded_before_they_are_read(prod):
    client = prod.test_client()
    big = client.post("/connexion", data={"email": "a@b.fr", "password": "x" * (2 * 1024 * 1024)})
    assert big.status_code == 413 and "trop volumineuses" in big.get_data(as_text=True)
    upload = client.post("/verifier", content_type="multipart/form-data",
                         data={"fichier": (io.BytesIO(b"{" + b" " * (3 * 1024 * 1024)), "recu.json")})
    assert upload.status_code in (413, 422) and "Traceback" not in upload.get_data(as_text=True)


def test_nul_bytes_and_huge_ids_get_a_french_page_not_a_500(prod):
    client = prod.test_client()
    make_sender()
    login(client)
    for url in ("/gestionnaire?q=a%00b", "/c/abc%00def", "/gestionnaire/contacts/99999999999",
                "/gestionnaire/liens/3000000000", "/gestionnaire?page=99999999999999999999&lien=99999999999999",
                "/gestionnaire/importer/4294967296"):
        response = client.get(url)
        assert response.status_code in (200, 400, 404), (url, response.status_code)
        assert response.status_code == 200 or "<h1>" in response.get_data(as_text=True)


def test_a_nul_byte_in_a_pasted_list_loses_no_good_line(logged_in):
    logged_in.post("/gestionnaire/demander-plusieurs", data={
        "recipients": "un@example.fr;Un;particulier\nde\x00ux@example.fr;Deux\x00;particulier\ntrois@example.fr;Trois;pro",
        "scope": "lre", "delay": "10", "professionals": "ask"})
    asked = {r.consent.contact.email for r in ConsentRequest.query.all()}
    assert {"un@example.fr", "trois@example.fr"} <= asked
    assert all("\x00" not in c.contact.name for c in Consent.query.all())


def test_a_withdrawal_message_with_a_nul_byte_is_recorded(app, logged_in, run_jobs):
    import re

    accept_one(logged_in)
    run_jobs()
    path = re.search(r"http://consent\.test(/retrait/[\w\-]+)", latest_email("receipt").sent_text).group(1)
    app.test_client().post(path, data={"message": "Plus de LRE\x00 merci"})
    assert ConsentEvent.query.filter_by(kind="withdrawal_requested").one().data["message"] == "Plus de LRE merci"


def test_deeply_nested_json_is_explained(client):
    nested = b"[" * 100_000 + b"]" * 100_000
    response = client.post("/verifier", content_type="multipart/form-data",
                           data={"fichier": (io.BytesIO(b'{"a":' + nested + b"}"), "recu.json")})
    assert response.status_code == 422 and "lisible" in response.get_data(as_text=True)


def test_the_client_behind_one_trusted_proxy_is_the_one_recorded(app_config, logged_in):
    proxied = create_app({**app_config, "TRUSTED_PROXIES": 1})
    with proxied.app_context():
        ask(logged_in)
        client = proxied.test_client()
        client.get(link_from(latest_email("request").sent_text),
                   headers={"X-Forwarded-For": "198.51.100.23", "X-Forwarded-Proto": "https"},
                   environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert ConsentEvent.query.filter_by(kind="opened").one().ip == "198.51.100.23"


def test_without_a_trusted_proxy_a_forwarded_header_is_ignored(logged_in, client):
    ask(logged_in)
    client.get(link_from(latest_email("request").sent_text), headers={"X-Forwarded-For": "198.51.100.23"},
               environ_base={"REMOTE_ADDR": "203.0.113.5"})
    assert ConsentEvent.query.filter_by(kind="opened").one().ip == "203.0.113.5"


def test_logout_ends_the_session_on_the_server(app, logged_in):
    cookie = logged_in.get_cookie("session").value
    logged_in.post("/deconnexion")
    replay = app.test_client()
    replay.set_cookie("session", cookie)
    assert replay.get("/gestionnaire").status_code == 302  # a copy taken before logout opens nothing
    assert replay.post("/gestionnaire/demander", data={"email": "x@example.fr", "scope": "lre",
                                                       "delay": "10"}).status_code == 302
    assert Consent.query.count() == 0


def test_a_password_change_ends_the_other_sessions(app, logged_in):
    from conftest import PASSWORD

    other = app.test_client()
    login(other)
    assert other.get("/gestionnaire").status_code == 200
    weak = logged_in.post("/compte/mot-de-passe", data={"current": PASSWORD, "new": "aaaaaaaaaaaa"})
    assert weak.status_code == 422 and "trop facile" in weak.get_data(as_text=True)
    changed = logged_in.post("/compte/mot-de-passe", data={"current": PASSWORD, "new": "lune-cactus-violon-marée"})
    assert changed.status_code == 302
    assert logged_in.get("/gestionnaire").status_code == 200  # this session goes on
    assert other.get("/gestionnaire").status_code == 302
    assert login(app.test_client(), password="lune-cactus-violon-marée").status_code == 302


def test_weak_and_common_passwords_are_refused_at_sign_up(client):
    for password in ("aaaaaaaaaaaa", "azertyuiop12", "Password1234"):
        response = client.post("/inscription", data={"legal_name": "Cabinet X", "siren": "", "password": password,
                                                     "email": "x@example.fr"})
        assert response.status_code == 422 and "trop facile" in response.get_data(as_text=True), password


def test_login_is_throttled_per_account_with_retry_after(app_config, sender_user):
    limited = create_app({**app_config, "RATELIMIT_ENABLED": True})
    with limited.app_context():
        answers = []
        for n in range(11):
            client = limited.test_client()  # a new address each time: only the account limit can stop it
            answers.append(client.post("/connexion", data={"email": "gerant@martin-gestion.fr", "password": f"faux-{n}"},
                                       environ_base={"REMOTE_ADDR": f"198.51.100.{n + 1}"}))
    assert [r.status_code for r in answers[:10]] == [422] * 10
    assert answers[10].status_code == 429 and int(answers[10].headers["Retry-After"]) > 0
    assert "Trop de demandes" in answers[10].get_data(as_text=True)



def test_a_nul_byte_inside_an_uploaded_receipt_is_answered(client):
    receipt = b'{"consentReceiptID": "abc\\u0000def", "version": "KI-CR-v1.1.0"}'
    response = client.post("/verifier", content_type="multipart/form-data",
                           data={"fichier": (io.BytesIO(receipt), "recu.json")})
    assert response.status_code == 200 and "<h1>" in response.get_data(as_text=True)


# Last in the module: the limiter is one object per process, and it remembers for a while that its storage died.
def test_recipients_answer_while_redis_is_down(app_config, logged_in):
    down = create_app({**app_config, "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:1/0",
                       "REDIS_URL": "redis://127.0.0.1:1/0"})
    ask(logged_in)
    path = link_from(latest_email("request").sent_text)
    with down.app_context():
        client = down.test_client()
        assert client.get(path).status_code == 200
        answered = client.post(path, data={"reponse": "accepter"}, follow_redirects=True)
        assert answered.status_code == 200 and "Vous avez accepté." in answered.get_data(as_text=True)
        assert client.get("/connexion").status_code == 200
    assert Consent.query.one().status == "accepted"


def test_no_readable_link_is_stored_and_the_sent_email_has_it(app, logged_in, run_jobs, mail_outbox):
    from consents.models import OutboundEmail
    from consents.sealed import MARKER

    accept_one(logged_in)
    run_jobs()
    for email in OutboundEmail.query.filter(OutboundEmail.kind.in_(["request", "receipt"])):
        stored = email.text_body + email.html_body + (email.link_secret or "")
        assert "/c/" not in stored and "/retrait/" not in stored and MARKER in email.text_body
    sent = " ".join(m.body for m in mail_outbox)
    assert "http://consent.test/c/" in sent and "http://consent.test/retrait/" in sent
