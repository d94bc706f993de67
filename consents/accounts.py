"""Sender accounts: sign-up and password checks."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from werkzeug.security import check_password_hash, generate_password_hash

from consents import clock
from consents.db import db
from consents.models import Sender, User
from consents.rules import MIN_PASSWORD_LENGTH, RuleError, check_siren, normalise_email

# Compared against when the email is unknown, so a login takes as long whether or not the account exists.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


def sign_up(legal_name: str, siren: str, email: str, password: str) -> User:
    """Create a sender organisation and its owner account in one transaction."""
    legal_name = " ".join((legal_name or "").split())
    if not legal_name:
        raise RuleError(_l("La raison sociale est obligatoire : c'est le nom que verront vos destinataires."))
    if len(legal_name) > 200:
        raise RuleError(_l("La raison sociale ne doit pas dépasser 200 caractères."))
    siren_value = check_siren(siren)
    email_value = normalise_email(email)
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise RuleError(_l("Le mot de passe doit compter au moins %(n)d caractères.", n=MIN_PASSWORD_LENGTH))
    if User.query.filter_by(email=email_value).first() is not None:
        raise RuleError(_l("Un compte existe déjà pour cette adresse email."))
    at = clock.now()
    sender = Sender(legal_name=legal_name, siren=siren_value, created_at=at)
    user = User(sender=sender, email=email_value, password_hash=generate_password_hash(password),
                role="owner", created_at=at)
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
