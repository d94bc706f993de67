"""The consent text shown to recipients, versioned, so the proof can name exactly what was read."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

# A published version is never edited: change the wording by adding a new version.
CURRENT_VERSION = "2026-11-v1"

_SCOPES = {
    "fr": {
        "lre": "des lettres recommandées électroniques (LRE)",
        "avis": "des avis électroniques",
        "both": "des lettres recommandées électroniques (LRE) et des avis électroniques",
    },
    "en": {
        "lre": "electronic registered letters (LRE)",
        "avis": "electronic notices (avis électroniques)",
        "both": "electronic registered letters (LRE) and electronic notices (avis électroniques)",
    },
}

_TEXTS = {
    ("2026-11-v1", "fr"): (
        "J'accepte de recevoir de la part de {sender}, à l'adresse email {email}, {scope}, "
        "en lieu et place de courriers recommandés papier, conformément à l'article L100 du "
        "Code des postes et des communications électroniques. Ce consentement vaut pour "
        "{sender} uniquement et pour cette adresse uniquement. Je peux le retirer à tout moment "
        "en le demandant à {sender}."
    ),
    ("2026-11-v1", "en"): (
        "I agree to receive from {sender}, at the email address {email}, {scope}, "
        "instead of paper registered mail, under article L100 of the French Code des postes et "
        "des communications électroniques. This consent applies to {sender} only and to this "
        "address only. I may withdraw it at any time by asking {sender}."
    ),
}


@dataclass(frozen=True)
class ConsentText:
    """The exact text a recipient reads, with its version, language and SHA-256."""

    version: str
    language: str
    body: str

    @property
    def sha256(self) -> str:
        """SHA-256 of the UTF-8 text, hex encoded."""
        return hashlib.sha256(self.body.encode("utf-8")).hexdigest()


def scope_key(lre: bool, avis: bool) -> str:
    """Return 'lre', 'avis' or 'both' for a scope."""
    return "both" if lre and avis else ("avis" if avis else "lre")


def consent_text(sender: str, email: str, lre: bool, avis: bool, language: str = "fr",
                 version: str = CURRENT_VERSION) -> ConsentText:
    """Render the consent text for one recipient in `language` ('fr' unless 'en')."""
    language = "en" if language == "en" else "fr"
    body = _TEXTS[(version, language)].format(
        sender=sender, email=email, scope=_SCOPES[language][scope_key(lre, avis)]
    )
    return ConsentText(version, language, body)
