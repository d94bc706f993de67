"""«Mot de passe oublié»: a single-use link valid one hour, kept only as its hash, and a page that tells nobody
whether an address has an account."""
from __future__ import annotations

import re

from conftest import PASSWORD, latest_email, login
from consents.models import AccountToken, OutboundEmail

NEW = "grenier-pivoine-tramway-lune"


def _reset_path(email: OutboundEmail) -> str:
    """The reset link of an email, as it leaves."""
    return re.search(r"http://consent\.test(/mot-de-passe-oublie/[\w\-]+)", email.sent_text).group(1)


def test_reset_link_sets_a_new_password_once(app, client, sender_user, frozen_now):
    known = client.post("/mot-de-passe-oublie", data={"email": "gerant@martin-gestion.fr"})
    unknown = client.post("/mot-de-passe-oublie", data={"email": "personne@example.fr"})
    assert known.status_code == unknown.status_code == 200
    assert known.get_data(as_text=True).count("Si un compte existe") == 1
    assert OutboundEmail.query.filter_by(kind="password_reset").count() == 1
    email = latest_email("password_reset")
    path = _reset_path(email)
    token = path.rsplit("/", 1)[1]
    assert token not in email.text_body and token not in AccountToken.query.one().token_hash
    weak = client.post(path, data={"new": "aaaaaaaaaaaa"})
    assert weak.status_code == 422 and "trop facile" in weak.get_data(as_text=True)
    assert client.post(path, data={"new": NEW}).status_code == 302
    assert login(app.test_client(), password=PASSWORD).status_code == 422
    assert login(app.test_client(), password=NEW).status_code == 302
    assert client.get(path).status_code == 410  # used once


def test_a_reset_link_lasts_one_hour_and_ends_other_sessions(app, logged_in, frozen_now):
    other = app.test_client()
    other.post("/mot-de-passe-oublie", data={"email": "gerant@martin-gestion.fr"})
    path = _reset_path(latest_email("password_reset"))
    frozen_now.advance(minutes=61)
    assert other.get(path).status_code == 410 and "plus valable" in other.get(path).get_data(as_text=True)
    other.post("/mot-de-passe-oublie", data={"email": "gerant@martin-gestion.fr"})
    fresh = _reset_path(latest_email("password_reset"))
    assert other.post(fresh, data={"new": NEW}).status_code == 302
    assert logged_in.get("/gestionnaire").status_code == 302  # the session opened before the reset has ended
