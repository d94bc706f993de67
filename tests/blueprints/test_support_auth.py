"""Staff sign-in: the single-use setup link, TOTP with a controlled clock, recovery codes, idle sessions, limits."""
from __future__ import annotations

from datetime import timedelta

from conftest import login
from consents.staff import create_staff
from consents.staff_models import Staff, StaffAudit
from staff_helpers import STAFF_PASSWORD, set_up_staff, signed_in_staff, staff_login, totp


def test_setup_link_works_once_and_the_secret_is_never_shown_again(app, client, frozen_now):
    _staff, token = create_staff("agent@consentement-lre.fr", "support")
    first = client.get(f"/support/activer/{token}")
    assert first.status_code == 200 and "<svg" in first.get_data(as_text=True)
    secret = first.get_data(as_text=True).split('id="totp-secret">')[1].split("<")[0]
    stored = Staff.query.one()
    assert secret not in (stored.totp_secret or "")  # kept sealed
    done = client.post(f"/support/activer/{token}", data={"password": STAFF_PASSWORD, "code": totp(secret, frozen_now.now)})
    assert "codes de secours" in done.get_data(as_text=True)
    again = client.get(f"/support/activer/{token}")
    assert again.status_code == 410 and secret not in again.get_data(as_text=True)


def test_setup_link_expires_after_a_day(app, client, frozen_now):
    _staff, token = create_staff("agent@consentement-lre.fr", "support")
    frozen_now.advance(hours=24, seconds=1)
    assert client.get(f"/support/activer/{token}").status_code == 410


def test_setup_refuses_a_wrong_code_and_a_weak_password(app, client, frozen_now):
    _staff, token = create_staff("agent@consentement-lre.fr", "support")
    page = client.get(f"/support/activer/{token}").get_data(as_text=True)
    secret = page.split('id="totp-secret">')[1].split("<")[0]
    wrong = client.post(f"/support/activer/{token}", data={"password": STAFF_PASSWORD, "code": "000000"})
    assert wrong.status_code == 422 and "ne correspond pas" in wrong.get_data(as_text=True)
    weak = client.post(f"/support/activer/{token}", data={"password": "motdepasse12", "code": totp(secret, frozen_now.now)})
    assert weak.status_code == 422
    assert Staff.query.one().activated_at is None


def test_totp_sign_in_refuses_a_reused_code(app, client, frozen_now):
    secret, _codes = set_up_staff(client, frozen_now)
    frozen_now.advance(seconds=30)
    code = totp(secret, frozen_now.now)
    ok = client.post("/support/connexion", data={"email": "agent@consentement-lre.fr", "password": STAFF_PASSWORD, "code": code})
    assert ok.status_code == 302 and ok.headers["Location"].endswith("/support")
    other = app.test_client()
    replay = other.post("/support/connexion", data={"email": "agent@consentement-lre.fr", "password": STAFF_PASSWORD, "code": code})
    assert replay.status_code == 422 and "déjà utilisé" in replay.get_data(as_text=True)
    # The code of the step before (clock drift) was never used but is older than the last accepted: refused too.
    earlier = totp(secret, frozen_now.now - timedelta(seconds=30))
    assert other.post("/support/connexion", data={"email": "agent@consentement-lre.fr", "password": STAFF_PASSWORD,
                                                  "code": earlier}).status_code == 422
    frozen_now.advance(seconds=30)
    assert other.post("/support/connexion", data={"email": "agent@consentement-lre.fr", "password": STAFF_PASSWORD,
                                                  "code": totp(secret, frozen_now.now)}).status_code == 302


def test_wrong_password_or_code_or_no_code_is_refused(app, client, frozen_now):
    secret, _codes = set_up_staff(client, frozen_now)
    frozen_now.advance(seconds=60)
    assert client.post("/support/connexion", data={"email": "agent@consentement-lre.fr", "password": "pas-le-bon-mot-de-passe",
                                                   "code": totp(secret, frozen_now.now)}).status_code == 422
    assert client.post("/support/connexion", data={"email": "agent@consentement-lre.fr", "password": STAFF_PASSWORD,
                                                   "code": "123456"}).status_code == 422
    assert client.post("/support/connexion", data={"email": "agent@consentement-lre.fr",
                                                   "password": STAFF_PASSWORD}).status_code == 422
    assert client.get("/support").status_code == 302


def test_a_recovery_code_signs_in_once(app, client, frozen_now):
    _secret, codes = set_up_staff(client, frozen_now)
    assert staff_login(client, frozen_now, code=codes[0]).status_code == 302
    client.post("/support/deconnexion")
    assert staff_login(client, frozen_now, code=codes[0]).status_code == 422
    assert staff_login(client, frozen_now, code=codes[1].upper()).status_code == 302


def test_idle_session_ends_after_thirty_minutes(app, client, frozen_now):
    signed_in_staff(client, frozen_now)
    frozen_now.advance(minutes=29)
    assert client.get("/support").status_code == 200
    frozen_now.advance(minutes=29)  # active a moment ago: still open
    assert client.get("/support").status_code == 200
    frozen_now.advance(minutes=31)
    ended = client.get("/support")
    assert ended.status_code == 302 and ended.headers["Location"].endswith("/support/connexion")
    assert "inactivité" in client.get("/support/connexion").get_data(as_text=True)


def test_sign_out_ends_the_session_on_the_server(app, client, frozen_now):
    signed_in_staff(client, frozen_now)
    with client.session_transaction() as saved:
        copied = dict(saved)
    client.post("/support/deconnexion")
    thief = app.test_client()
    with thief.session_transaction() as session:
        session.update(copied)
    assert thief.get("/support").status_code == 302


def test_disabled_staff_are_signed_out_and_cannot_sign_in(app, client, frozen_now):
    from consents.support import disable_staff

    secret = signed_in_staff(client, frozen_now)
    admin, _token = create_staff("chef@consentement-lre.fr", "admin")
    disable_staff(admin, Staff.query.filter_by(email="agent@consentement-lre.fr").one(), None)
    assert client.get("/support").status_code == 302
    assert staff_login(client, frozen_now, secret=secret).status_code == 422


def test_sign_in_is_audited_success_and_failure(app, client, frozen_now):
    secret, _codes = set_up_staff(client, frozen_now)
    staff_login(client, frozen_now, code="999999")
    staff_login(client, frozen_now, secret=secret)
    assert [r.action for r in StaffAudit.query.order_by(StaffAudit.id)] == ["setup", "sign_in_failed", "sign_in"]


def test_staff_sign_in_is_rate_limited_per_account(app_config, frozen_now):
    from app import create_app

    app = create_app({**app_config, "RATELIMIT_ENABLED": True})
    with app.app_context():
        client = app.test_client()
        statuses = [client.post("/support/connexion", data={"email": "agent@consentement-lre.fr", "password": "x", "code": "1"},
                                environ_base={"REMOTE_ADDR": f"198.51.100.{n}"}).status_code for n in range(12)]
    assert statuses[:10] == [422] * 10 and statuses[10:] == [429, 429]


def test_staff_sign_in_clears_a_sender_login_and_a_sender_session_never_sees_support(app, client, frozen_now,
                                                                                      sender_user):
    login(client)
    assert client.get("/support").status_code == 404
    assert client.get("/support/connexion").status_code == 404
    client.post("/deconnexion")
    signed_in_staff(client, frozen_now)
    assert client.get("/gestionnaire").status_code == 302


def test_flask_staff_create_prints_a_working_single_use_link(app, client):
    result = app.test_cli_runner().invoke(args=["staff", "create", "Chef@Consentement-LRE.fr", "--role", "admin"])
    assert result.exit_code == 0, result.output
    link = result.output.split("http://consent.test")[1].split()[0]
    assert client.get(link).status_code == 200 and Staff.query.one().role == "admin"
    again = app.test_cli_runner().invoke(args=["staff", "create", "chef@consentement-lre.fr", "--role", "admin"])
    assert again.exit_code != 0 and "déjà" in again.output
    bad = app.test_cli_runner().invoke(args=["staff", "create", "x@consentement-lre.fr", "--role", "owner"])
    assert bad.exit_code != 0


def test_the_console_speaks_english_when_the_browser_asks(app, client):
    page = client.get("/support/connexion", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Support sign-in" in page and "6-digit code from the app (or a recovery code)" in page
    refused = client.post("/support/connexion", data={"email": "x@consentement-lre.fr", "password": "x", "code": "1"},
                          headers={"Accept-Language": "en"})
    assert refused.status_code == 422 and "Wrong address, password or code" in refused.get_data(as_text=True)


def test_flask_staff_reset_voids_the_authenticator_and_gives_a_new_link(app, client, frozen_now):
    secret, _codes = set_up_staff(client, frozen_now)
    result = app.test_cli_runner().invoke(args=["staff", "reset", "agent@consentement-lre.fr"])
    assert result.exit_code == 0, result.output
    assert staff_login(client, frozen_now, secret=secret).status_code == 422  # the old phone no longer works
    link = result.output.split("http://consent.test")[1].split()[0]
    page = client.get(link).get_data(as_text=True)
    new_secret = page.split('id="totp-secret">')[1].split("<")[0]
    assert new_secret != secret
