"""Input rules of the product: emails, SIREN, delays, recipient kinds, pasted lists."""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l

from consents.models import KINDS

MIN_DELAY_DAYS, MAX_DELAY_DAYS = 3, 30
MAX_BULK_LINES = 1000
MIN_PASSWORD_LENGTH = 12


class RuleError(ValueError):
    """A user-facing rule violation; its message is translatable."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


def normalise_email(raw: str) -> str:
    """Return the canonical form of an email address or raise RuleError."""
    raw = (raw or "").strip()
    if not raw:
        raise RuleError(_l("Adresse email manquante."))
    try:
        checked = validate_email(raw, check_deliverability=False)
    except EmailNotValidError:
        raise RuleError(_l("Adresse email invalide : %(email)s", email=raw[:100])) from None
    # The domain part is case-insensitive; keep the local part as typed but lower-cased, as mail providers do.
    return checked.normalized.lower()


def check_siren(raw: str) -> str | None:
    """Return a valid 9-digit SIREN (spaces removed), None when empty, or raise RuleError."""
    digits = "".join((raw or "").split())
    if not digits:
        return None
    if len(digits) != 9 or not digits.isdigit() or not luhn_ok(digits):
        raise RuleError(_l("Le SIREN doit compter 9 chiffres et être valide (clé de Luhn)."))
    return digits


def luhn_ok(digits: str) -> bool:
    """True when the digit string passes the Luhn checksum."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


def check_delay(days) -> int:
    """Return the response delay in days or raise RuleError when outside 3 to 30."""
    try:
        value = int(days)
    except (TypeError, ValueError):
        raise RuleError(_l("Le délai de réponse doit être un nombre de jours.")) from None
    if not MIN_DELAY_DAYS <= value <= MAX_DELAY_DAYS:
        raise RuleError(
            _l("Le délai de réponse doit être compris entre %(min)d et %(max)d jours.",
               min=MIN_DELAY_DAYS, max=MAX_DELAY_DAYS)
        )
    return value


def _fold(text: str) -> str:
    """Lower-case and strip accents so «Administration» and «administration» match."""
    return "".join(c for c in unicodedata.normalize("NFD", text.strip().lower()) if not unicodedata.combining(c))


KIND_ALIASES = {
    "particulier": "particulier", "p": "particulier", "prive": "particulier", "individual": "particulier",
    "professionnel": "professionnel", "pro": "professionnel", "entreprise": "professionnel",
    "administration": "administration", "admin": "administration",
}


def check_kind(raw: str) -> str:
    """Return a recipient kind from its name or common abbreviation, or raise RuleError."""
    kind = KIND_ALIASES.get(_fold(raw or ""))
    if kind not in KINDS:
        raise RuleError(
            _l("Type inconnu « %(kind)s » : particulier, professionnel ou administration.", kind=(raw or "")[:40])
        )
    return kind


def check_name(raw: str) -> str:
    """Return a trimmed recipient name or raise RuleError when too long."""
    name = " ".join((raw or "").split())
    if len(name) > 200:
        raise RuleError(_l("Le nom ne doit pas dépasser 200 caractères."))
    return name


@dataclass(frozen=True)
class Recipient:
    """One recipient to ask: normalised email, name and kind."""

    email: str
    name: str
    kind: str


@dataclass(frozen=True)
class LineError:
    """A rejected line of a pasted list, with its 1-based number and reason."""

    line: int
    text: str
    reason: str


HEADER_WORDS = {"email", "e-mail", "mail", "adresse", "adresse email", "adresse e-mail", "courriel"}


def split_line(line: str) -> list[str]:
    """A pasted line's fields: `;` as typed, tab as a spreadsheet pastes, or `,` when neither is there."""
    separator = ";" if ";" in line else "\t" if "\t" in line else ","
    return [part.strip() for part in line.split(separator)]


def parse_recipient_list(text: str) -> tuple[list[Recipient], list[LineError]]:
    """Parse `email;nom;type` lines (or tab- or comma-separated); return the good recipients and each bad line's reason."""
    lines = (text or "").splitlines()
    good: list[Recipient] = []
    errors: list[LineError] = []
    seen: dict[str, int] = {}
    if sum(1 for line in lines if line.strip()) > MAX_BULK_LINES:
        raise RuleError(_l("La liste dépasse %(max)d lignes ; découpez-la en plusieurs envois.", max=MAX_BULK_LINES))
    first = True
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        parts = split_line(line)
        if first and _fold(parts[0]) in HEADER_WORDS:  # a header row copied with the spreadsheet
            first = False
            continue
        first = False
        if len(parts) != 3:
            errors.append(LineError(number, line, str(_l(
                "Format attendu : email;nom;type (3 champs séparés par « ; », une tabulation ou une virgule)."))))
            continue
        try:
            recipient = Recipient(normalise_email(parts[0]), check_name(parts[1]), check_kind(parts[2]))
        except RuleError as exc:
            errors.append(LineError(number, line, str(exc.message)))
            continue
        if recipient.email in seen:
            errors.append(LineError(number, line, str(_l("Adresse déjà présente à la ligne %(line)d.", line=seen[recipient.email]))))
            continue
        seen[recipient.email] = number
        good.append(recipient)
    return good, errors
