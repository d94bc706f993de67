"""The signing key: generated once outside production, verifiable by its published public key, kept after rotation."""
import base64

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from consents.db import db
from consents.keys import SigningKeyError, b64url_decode, load_key, public_key, published_keys, register_key


def _use_key(app, private):
    """Configure SIGNING_KEY (base64 of the raw bytes) and drop the cached key, as a restart would."""
    raw = private.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                serialization.NoEncryption())
    app.config["SIGNING_KEY"] = base64.b64encode(raw).decode()
    app.extensions.pop("signing_key", None)


def test_the_generated_key_signs_and_its_registered_public_key_verifies(app):
    key = load_key()
    register_key(key)
    db.session.commit()
    signature = key.private.sign(b'{"consentReceiptID":"r-1"}')
    public_key(key.kid).verify(signature, b'{"consentReceiptID":"r-1"}')
    with pytest.raises(InvalidSignature):
        public_key(key.kid).verify(signature, b'{"consentReceiptID":"r-2"}')
    assert public_key("0123456789abcdef") is None


def test_the_development_key_survives_a_restart(app):
    first = load_key().kid
    app.extensions.pop("signing_key", None)
    assert load_key().kid == first


def test_published_keys_keep_a_rotated_key_and_mark_only_the_new_one_current(app, frozen_now):
    old_private, new_private = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    _use_key(app, old_private)
    old = load_key()
    register_key(old)
    db.session.commit()
    frozen_now.advance(days=30)
    _use_key(app, new_private)
    new = load_key()
    register_key(new)
    register_key(new)
    db.session.commit()
    keys = published_keys()["keys"]
    assert [k["kid"] for k in keys] == [new.kid, old.kid]
    assert [k["current"] for k in keys] == [True, False]
    old_signature = old_private.sign(b"receipt signed before the rotation")
    public_key(old.kid).verify(old_signature, b"receipt signed before the rotation")
    published_old = next(k for k in keys if k["kid"] == old.kid)
    assert b64url_decode(published_old["x"]) == old.public_raw


def test_a_key_that_is_not_ed25519_is_refused(app):
    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    app.config["SIGNING_KEY"] = pem.decode()
    app.extensions.pop("signing_key", None)
    with pytest.raises(SigningKeyError):
        load_key()
    app.extensions.pop("signing_key", None)
