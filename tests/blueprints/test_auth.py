"""Sign-up, login, logout, cookie flags and the production safety checks."""
import pytest

from app import create_app
from conftest import PASSWORD, login
from consents.models import Sender, User


def _signup(client, **overrides):
    data = {"legal_name": "SCI Les Tilleuls", "siren": "732 829 320", "email": "gestion@tilleuls.example.fr",
            "password": PASSWORD}
    data.update(overrides)
    return client.post("/inscription", data=data)


def _confirmation_path() -> str:
    """The confirmation link of the latest sign-up email, as it leaves."""
    import re

    from conftest import latest_email

    return re.search(r"http://consent\.test(/inscription/confirmer/[\w\-]+)", latest_email("confirm_email").sent_text).group(1)


def test_signup_confirms_the_address_before_the_account_opens(client):
    response = _signup(client)
    assert response.status_code == 200 and "Vérifiez votre boîte mail" in response.get_data(as_text=True)
    user = User.query.one()
    assert user.sender.legal_name == "SCI Les Tilleuls" and user.sender.siren == "732829320"
    assert user.password_hash != PASSWORD and user.password_hash.startswith(("scrypt:", "pbkdf2:"))
    assert user.email_confirmed_at is None and client.get("/gestionnaire").status_code == 302
    early = login(client, email="gestion@tilleuls.example.fr")
    assert early.status_code == 422 and "Confirmez d&#39;abord votre adresse" in early.get_data(as_text=True)
    path = _confirmation_path()
    assert client.get(path).status_code == 302
    assert client.get(path).status_code == 410  # once
    assert login(client, email="gestion@tilleuls.example.fr").status_code == 302
    assert client.get("/gestionnaire").status_code == 200


@pytest.mark.parametrize("field,value,message", [
    ("siren", "123456789", "SIREN"),
    ("siren", "12345", "SIREN"),
    ("password", "court", "12 caractères"),
    ("email", "pas-un-email", "invalide"),
    ("legal_name", "", "raison sociale"),
])
def test_signup_rejects_bad_input_with_a_french_message(client, field, value, message):
    response = _signup(client, **{field: value})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert Sender.query.count() == 0


def test_signup_never_says_an_address_has_an_account(client, sender_user):
    from conftest import latest_email

    response = _signup(client, legal_name="Autre", email="gerant@martin-gestion.fr")
    fresh = _signup(client, legal_name="Neuf", email="neuf@example.fr")
    assert response.status_code == fresh.status_code == 200
    assert "Vérifiez votre boîte mail" in response.get_data(as_text=True)
    assert Sender.query.count() == 2  # the existing one and «Neuf»: nothing created for the taken address
    notice = latest_email("account_exists")
    assert notice.to == "gerant@martin-gestion.fr" and "/mot-de-passe-oublie" in notice.sent_text


def test_login_wrong_password_and_logout(client, sender_user):
    bad = login(client, password="mauvais-mot-de-passe")
    assert bad.status_code == 422 and "incorrect" in bad.get_data(as_text=True)
    assert client.get("/gestionnaire").status_code == 302
    assert login(client).status_code == 302
    assert client.get("/gestionnaire").status_code == 200
    client.post("/deconnexion")
    assert client.get("/gestionnaire").headers["Location"].startswith("/connexion")


def test_login_never_redirects_off_site(client, sender_user):
    response = client.post("/connexion?next=//evil.example/x", data={"email": "gerant@martin-gestion.fr",
                                                                      "password": PASSWORD})
    assert response.headers["Location"] == "/gestionnaire"


def test_production_refuses_to_start_without_a_real_secret_key(app_config):
    for key in (None, "", "short", "x" * 40, "change-me-change-me-change-me-change-me"):
        with pytest.raises(RuntimeError, match="SECRET_KEY"):
            create_app({**app_config, "APP_ENV": "production", "SECRET_KEY": key})


def test_production_session_cookie_is_secure_httponly_lax(app_config):
    # Production also refuses to start without a receipt signing key (any 32 bytes, base64).
    from conftest import PRODUCTION_SECRET

    prod = create_app({**app_config, "APP_ENV": "production", "SECRET_KEY": PRODUCTION_SECRET, "SESSION_COOKIE_SECURE": True,
                       "SIGNING_KEY": "a2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2s=", "TSA_URL": "https://tsa.example/tsa"})
    with prod.app_context():
        client = prod.test_client()
        from conftest import make_sender
        make_sender()
        response = login(client)
        cookie = response.headers["Set-Cookie"]
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_production_config_defaults_are_secure(monkeypatch, tmp_path):
    from app import config_from_env

    monkeypatch.setenv("APP_ENV", "production")
    config = config_from_env(str(tmp_path))
    assert config["SESSION_COOKIE_SECURE"] and config["REMEMBER_COOKIE_SECURE"]
    assert config["MAIL_BACKEND"] == "smtp" and not config["DEV_OUTBOX"]
