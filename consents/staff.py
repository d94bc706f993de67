"""Staff accounts: creation with a single-use setup link, password and TOTP sign-in, recovery codes, sessions."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta, timezone

import pyotp
from flask_babel import lazy_gettext as _l
from werkzeug.security import check_password_hash, generate_password_hash

from consents import clock
from consents.accounts import check_password
from consents.db import db
from consents.rules import RuleError, normalise_email
from consents.sealed import seal, unseal
from consents.staff_models import ROLES, Staff, StaffRecoveryCode

SETUP_VALIDITY = timedelta(hours=24)
IDLE_TIMEOUT = timedelta(minutes=30)
RECOVERY_CODES = 10
TOTP_STEP = 30
ISSUER = "Consentement LRE (support)"
_DUMMY_HASH = generate_password_hash("not-a-real-password")


def _sha256(value: str) -> str:
    """The SHA-256 under which a setup token or a recovery code is kept."""
    return hashlib.sha256((value or "").encode("utf-8")).hexdigest()


def create_staff(email: str, role: str, created_by: Staff | None = None) -> tuple[Staff, str]:
    """Create a staff account; return it and its setup token (single use, valid 24 hours)."""
    if role not in ROLES:
        raise RuleError(_l("Rôle inconnu : support ou admin."))
    email_value = normalise_email(email)
    if Staff.query.filter_by(email=email_value).first() is not None:
        raise RuleError(_l("Un membre de l'équipe a déjà cette adresse."))
    staff = Staff(email=email_value, role=role, created_at=clock.now(),
                  created_by_id=created_by.id if created_by else None)
    db.session.add(staff)
    token = new_setup_token(staff)
    db.session.commit()
    return staff, token


def new_setup_token(staff: Staff) -> str:
    """A fresh setup link's token for the account (any older one stops working); not committed."""
    token = secrets.token_urlsafe(24)
    staff.setup_token_hash, staff.setup_expires_at = _sha256(token), clock.now() + SETUP_VALIDITY
    return token


def setup_account(token: str) -> Staff | None:
    """The account a setup link opens, while unused and less than 24 hours old; its TOTP secret is made here."""
    staff = Staff.query.filter_by(setup_token_hash=_sha256(token)).first() if token else None
    if staff is None or staff.setup_expires_at <= clock.now() or staff.disabled_at is not None:
        return None
    if unseal(staff.totp_secret) is None:
        staff.totp_secret = seal(pyotp.random_base32())
        db.session.commit()
    return staff


def totp_secret(staff: Staff) -> str:
    """The account's TOTP secret in the clear, for the setup page only."""
    return unseal(staff.totp_secret) or ""


def provisioning_uri(staff: Staff) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    return pyotp.TOTP(totp_secret(staff)).provisioning_uri(name=staff.email, issuer_name=ISSUER)


def complete_setup(token: str, password: str, code: str) -> list[str]:
    """Set the password and prove the authenticator works; return the recovery codes, shown once."""
    staff = setup_account(token)
    if staff is None:
        raise RuleError(_l("Ce lien n'est plus valable : demandez-en un nouveau à un administrateur."))
    check_password(password, staff.email)
    if not check_totp(staff, code):
        raise RuleError(_l("Ce code ne correspond pas : saisissez le code à 6 chiffres affiché par l'application."))
    staff.password_hash = generate_password_hash(password)
    staff.setup_token_hash = staff.setup_expires_at = None
    staff.activated_at = staff.activated_at or clock.now()
    StaffRecoveryCode.query.filter_by(staff_id=staff.id).delete()
    codes = [f"{secrets.token_hex(4)}-{secrets.token_hex(4)}" for _ in range(RECOVERY_CODES)]
    db.session.add_all(StaffRecoveryCode(staff_id=staff.id, code_hash=_sha256(code)) for code in codes)
    db.session.commit()
    return codes


def check_totp(staff: Staff, code: str) -> bool:
    """True for a current code (one step of clock drift allowed) never used before; remembers its step.

    Not committed: the caller commits with the sign-in.
    """
    code = "".join((code or "").split())
    secret = unseal(staff.totp_secret)
    if not secret or len(code) != 6 or not code.isdigit():
        return False
    totp = pyotp.TOTP(secret)
    current = int(clock.now().replace(tzinfo=timezone.utc).timestamp()) // TOTP_STEP
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            if staff.totp_last_step is not None and step <= staff.totp_last_step:
                return False  # seen already: a code read over a shoulder or replayed is refused
            staff.totp_last_step = step
            return True
    return False


def use_recovery_code(staff: Staff, code: str) -> bool:
    """True when the code is one of the account's unused recovery codes, which it uses up (not committed)."""
    row = StaffRecoveryCode.query.filter_by(staff_id=staff.id, code_hash=_sha256((code or "").strip().lower()),
                                            used_at=None).first()
    if row is None:
        return False
    row.used_at = clock.now()
    return True


def authenticate_staff(email: str, password: str, code: str) -> Staff | None:
    """The active account whose password and second factor (TOTP or recovery code) match, or None."""
    try:
        # Locked until the sign-in commits: two requests with the same code cannot both pass the reuse check.
        staff = Staff.query.filter_by(email=normalise_email(email)).with_for_update().first()
    except RuleError:
        staff = None
    if staff is None or not staff.password_hash:
        check_password_hash(_DUMMY_HASH, password or "")  # as long whether or not the account exists
        return None
    if not check_password_hash(staff.password_hash, password or "") or not staff.active:
        return None
    code = (code or "").strip()
    if not (check_totp(staff, code) if len(code.replace(" ", "")) == 6 else use_recovery_code(staff, code)):
        return None
    return staff


def recovery_codes_left(staff: Staff) -> int:
    """How many recovery codes the account can still use."""
    return StaffRecoveryCode.query.filter_by(staff_id=staff.id, used_at=None).count()


def session_id(staff: Staff) -> str:
    """What the session keeps: the account and its session version."""
    return f"{staff.id}:{staff.session_version}"


def load_staff_session(value: str | None) -> Staff | None:
    """The active account a session names, while its session version is still the account's."""
    staff_id, _colon, version = (value or "").partition(":")
    if not staff_id.isdigit() or not version.isdigit() or len(staff_id) > 10:
        return None
    staff = db.session.get(Staff, int(staff_id))
    return staff if staff is not None and staff.active and str(staff.session_version) == version else None


def end_staff_sessions(staff: Staff) -> None:
    """End every session of the account (not committed)."""
    staff.session_version += 1
