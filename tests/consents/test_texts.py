"""The consent text: names the sender and the address, in French or English, versioned and hashed."""
import hashlib

from conftest import accept_one
from consents.models import ConsentEvent
from consents.texts import CURRENT_VERSION, consent_text


def test_french_and_english_texts_name_the_sender_the_address_and_the_scope():
    french = consent_text("Cabinet Martin Gestion", "marie@example.fr", lre=True, avis=True)
    english = consent_text("Cabinet Martin Gestion", "marie@example.fr", lre=True, avis=False, language="en")
    assert french.language == "fr" and english.language == "en"
    for text in (french, english):
        assert "Cabinet Martin Gestion" in text.body and "marie@example.fr" in text.body and "L100" in text.body
    assert "lettres recommandées électroniques (LRE) et des avis électroniques" in french.body
    assert "electronic registered letters (LRE)," in english.body and "notices" not in english.body


def test_an_unknown_language_falls_back_to_french():
    assert consent_text("Cabinet", "m@example.fr", True, False, language="de").language == "fr"


def test_the_digest_follows_the_exact_text():
    text = consent_text("Cabinet Martin Gestion", "marie@example.fr", True, False)
    assert text.sha256 == hashlib.sha256(text.body.encode("utf-8")).hexdigest()
    assert consent_text("Cabinet Martin Gestion", "marie@example.fr", True, False).sha256 == text.sha256
    others = {consent_text("Cabinet Martin", "marie@example.fr", True, False).sha256,
              consent_text("Cabinet Martin Gestion", "paul@example.fr", True, False).sha256,
              consent_text("Cabinet Martin Gestion", "marie@example.fr", False, True).sha256,
              consent_text("Cabinet Martin Gestion", "marie@example.fr", True, False, language="en").sha256}
    assert text.sha256 not in others and len(others) == 4


def test_an_acceptance_records_the_version_and_digest_of_the_text_read(logged_in):
    accept_one(logged_in, scope="both")
    data = ConsentEvent.query.filter_by(kind="accepted").one().data
    read = consent_text("Cabinet Martin Gestion", "marie.dupont@example.fr", True, True)
    assert data["text_version"] == CURRENT_VERSION == read.version
    assert data["text_sha256"] == read.sha256 and data["language"] == "fr"
