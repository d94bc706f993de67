"""Helpers for the support console's tests: staff set up through their link, codes from a controlled clock."""
from __future__ import annotations

import re
from datetime import timezone

import pyotp

from consents.staff import create_staff

STAFF_PASSWORD = "cheval-agrafe-pile-correcte-42"


def totp(secret: str, at) -> str:
    """The code an authenticator app shows at a naive UTC time."""
    return pyotp.TOTP(secret).at(at.replace(tzinfo=timezone.utc))


def set_up_staff(client, clock, email="agent@consentement-lre.fr", role="support"):
    """Create a staff account and activate it through its link as its owner would; return (secret, recovery codes)."""
    _staff, token = create_staff(email, role)
    page = client.get(f"/support/activer/{token}").get_data(as_text=True)
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)
    response = client.post(f"/support/activer/{token}",
                           data={"password": STAFF_PASSWORD, "code": totp(secret, clock.now)})
    codes = re.findall(r"<code>([0-9a-f]{8}-[0-9a-f]{8})</code>", response.get_data(as_text=True))
    assert len(codes) == 10, response.get_data(as_text=True)
    return secret, codes


def staff_login(client, clock, email="agent@consentement-lre.fr", secret=None, code=None):
    """Sign a staff member in with a fresh code (the clock moves one step so no code is reused)."""
    clock.advance(seconds=30)
    return client.post("/support/connexion", data={"email": email, "password": STAFF_PASSWORD,
                                                   "code": code or totp(secret, clock.now)})


def signed_in_staff(client, clock, email="agent@consentement-lre.fr", role="support"):
    """A client signed in as a new staff member of the role; returns the secret."""
    secret, _codes = set_up_staff(client, clock, email, role)
    assert staff_login(client, clock, email, secret).status_code == 302
    return secret
