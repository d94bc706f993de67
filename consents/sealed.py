"""Personal links kept sealed at rest: an outbox row holds its link encrypted, the body only a marker.

A database dump, a backup or a support screen shows no working answer, withdrawal or confirmation link; the
sending job puts the link in place at the last moment. The key derives from SECRET_KEY: rotating it makes the
links of emails not yet sent unreadable (they would have to be asked again).
"""
from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app
from markupsafe import escape

MARKER = "[lien-personnel-masque]"


def _fernet() -> Fernet:
    """The cipher, keyed from the app's secret key."""
    digest = hashlib.sha256(b"outbox-links:" + current_app.config["SECRET_KEY"].encode("utf-8")).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def seal(link: str) -> str:
    """A link encrypted for storage."""
    return _fernet().encrypt(link.encode("utf-8")).decode("ascii")


def reveal(body: str, sealed: str | None, html: bool = False) -> str:
    """A stored body with its link back in place (a body whose link cannot be read keeps its marker)."""
    link = unseal(sealed) if MARKER in body else None
    if link is None:
        return body
    return body.replace(MARKER, str(escape(link)) if html else link)


def unseal(sealed: str | None) -> str | None:
    """A sealed value read back (a link, a TOTP secret, a webhook secret); None when it cannot be read."""
    try:
        return _fernet().decrypt(sealed.encode("ascii")).decode("utf-8") if sealed else None
    except InvalidToken:
        return None
