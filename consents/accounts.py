"""Sender accounts: sign-up and password checks."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn import zxcvbn

from consents import clock
from consents.db import db
from consents.emails import compose
from consents.links import public_url
from consents.models import AccountToken, Sender, User
from consents.outcome import Outcome
from consents.rules import MIN_PASSWORD_LENGTH, RuleError, check_siren, normalise_email

# Compared against when the email is unknown, so a login takes as long whether or not the account exists.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


def sign_up(legal_name: str, siren: str, email: str, password: str, *, confirmed: bool = True) -> User:
    """Create a sender organisation and its owner account in one transaction (the CLI's and the tests' way).

    The public sign-up goes through `register`, which leaves the address to be confirmed.
    """
    legal_name = " ".join((legal_name or "").split())
    if not legal_name:
        raise RuleError(_l("La raison sociale est obligatoire : c'est le nom que verront vos destinataires."))
    if len(legal_name) > 200:
        raise RuleError(_l("La raison sociale ne doit pas dépasser 200 caractères."))
    siren_value = check_siren(siren)
    email_value = normalise_email(email)
    check_password(password, email_value, legal_name)
    if User.query.filter_by(email=email_value).first() is not None:
        raise RuleError(_l("Un compte existe déjà pour cette adresse email."))
    at = clock.now()
    sender = Sender(legal_name=legal_name, siren=siren_value, created_at=at)
    user = User(sender=sender, email=email_value, password_hash=generate_password_hash(password),
                role="owner", created_at=at, email_confirmed_at=at if confirmed else None)
    db.session.add_all([sender, user])
    db.session.commit()
    return user


def authenticate(email: str, password: str) -> User | None:
    """Return the user whose email and password match, or None."""
    try:
        email_value = normalise_email(email)
    except RuleError:
        return None
    user = User.query.filter_by(email=email_value).first()
    if user is None:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    return user if check_password_hash(user.password_hash, password or "") else None



def check_password(password: str, *known: str) -> None:
    """Refuse a password shorter than 12 characters, or one that is common or easy to guess (zxcvbn below 3)."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise RuleError(_l("Le mot de passe doit compter au moins %(n)d caractères.", n=MIN_PASSWORD_LENGTH))
    # The account's own words (its email, the company's name) count as known to an attacker.
    if zxcvbn(password[:100], user_inputs=[k for k in known if k])["score"] < 3:
        raise RuleError(_l("Ce mot de passe est trop facile à deviner : allongez-le, par exemple avec quelques mots "
                           "sans rapport entre eux."))


def load_session_user(session_id: str) -> User | None:
    """The user a session cookie names, only while the session version it carries is still the account's."""
    user_id, _colon, version = session_id.partition(":")
    if not user_id.isdigit() or not version.isdigit() or len(user_id) > 10:
        return None
    user = db.session.get(User, int(user_id))
    return user if user is not None and str(user.session_version) == version else None


def end_sessions(user: User) -> None:
    """End every session of the account: a cookie copied before this no longer opens anything."""
    user.session_version += 1
    db.session.commit()


def change_password(user: User, current: str, new: str) -> None:
    """Replace the password once the current one is confirmed; every other session of the account ends."""
    if not check_password_hash(user.password_hash, current or ""):
        raise RuleError(_l("Le mot de passe actuel n'est pas le bon."))
    check_password(new, user.email, user.sender.legal_name)
    user.password_hash = generate_password_hash(new)
    end_sessions(user)


RESET_VALIDITY = timedelta(hours=1)
CONFIRM_VALIDITY = timedelta(days=7)


def register(legal_name: str, siren: str, email: str, password: str) -> Outcome:
    """The public sign-up: a new account waits for its address to be confirmed by the emailed link.

    An address that already has an account is never told to the visitor: its owner gets an email instead
    (with a fresh confirmation link if the account was never confirmed).
    """
    existing = User.query.filter_by(email=normalise_email(email)).first()
    outcome = Outcome()
    if existing is not None and existing.email_confirmed_at is None:
        outcome.wrote(_confirmation_email(existing))
    elif existing is not None:
        outcome.wrote(compose("account_exists", "account_exists", to=existing.email, sender=existing.sender,
                              subject=_l("Vous avez déjà un compte Consentement LRE"),
                              login_url=public_url("auth.login"), reset_url=public_url("auth.forgot_password")))
    else:
        outcome.wrote(_confirmation_email(sign_up(legal_name, siren, email, password, confirmed=False)))
    db.session.commit()
    return outcome


def _confirmation_email(user: User):
    """A single-use link, valid seven days, that confirms the account's address."""
    token, at = secrets.token_urlsafe(24), clock.now()
    db.session.add(AccountToken(user_id=user.id, purpose="confirm", token_hash=_token_hash(token), created_at=at,
                                expires_at=at + CONFIRM_VALIDITY))
    return compose("confirm_email", "confirm_email", to=user.email, sender=user.sender,
                   subject=_l("Confirmez votre adresse pour Consentement LRE"),
                   secret=("link", public_url("auth.confirm_email_page", token=token)))


def confirm_email(token: str) -> User | None:
    """Confirm an account's address through its link, once; None when the link is unknown, used or too old."""
    row = AccountToken.query.filter_by(token_hash=_token_hash(token), purpose="confirm").first()
    if row is None or row.used_at is not None or row.expires_at <= clock.now():
        return None
    row.used_at = row.user.email_confirmed_at = clock.now()
    db.session.commit()
    return row.user


def _token_hash(token: str) -> str:
    """The SHA-256 under which an account link's token is kept."""
    return hashlib.sha256((token or "").encode("utf-8")).hexdigest()


def request_password_reset(email: str) -> Outcome:
    """Email the account a single-use link valid one hour; an unknown address gets nothing, and nobody is told."""
    outcome = Outcome()
    try:
        user = User.query.filter_by(email=normalise_email(email)).first()
    except RuleError:
        return outcome
    if user is None:
        return outcome
    token, at = secrets.token_urlsafe(24), clock.now()
    db.session.add(AccountToken(user_id=user.id, purpose="reset", token_hash=_token_hash(token), created_at=at,
                                expires_at=at + RESET_VALIDITY))
    outcome.wrote(compose("password_reset", "password_reset", to=user.email, sender=user.sender,
                          subject=_l("Choisir un nouveau mot de passe"),
                          secret=("link", public_url("auth.reset_password_page", token=token))))
    db.session.commit()
    return outcome


def valid_reset(token: str) -> AccountToken | None:
    """The password reset a link opens, while it is unused and less than an hour old."""
    row = AccountToken.query.filter_by(token_hash=_token_hash(token), purpose="reset").first()
    return row if row is not None and row.used_at is None and row.expires_at > clock.now() else None


def reset_password(token: str, new: str) -> User:
    """Set a new password through a reset link, once; every session of the account ends."""
    row = valid_reset(token)
    if row is None:
        raise RuleError(_l("Ce lien n'est plus valable : demandez-en un nouveau."))
    user = row.user
    check_password(new, user.email, user.sender.legal_name)
    user.password_hash = generate_password_hash(new)
    row.used_at = clock.now()
    end_sessions(user)
    return user
