"""The public pages: front page, FAQ, legal notice and privacy, in French and English, linked from every footer."""
from __future__ import annotations

import re

import pytest

PAGES = ("/", "/faq", "/mentions-legales", "/confidentialite")
FOOTER = ('href="/faq"', 'href="/verifier"', 'href="/mentions-legales"', 'href="/confidentialite"')


def _get(client, path, language="fr"):
    response = client.get(path, headers={"Accept-Language": language})
    assert response.status_code == 200, (path, response.status_code)
    return response.get_data(as_text=True)


@pytest.mark.parametrize("path", PAGES)
def test_each_public_page_has_one_heading_landmarks_and_the_footer(client, path):
    body = _get(client, path)
    assert len(re.findall(r"<h1\b", body)) == 1
    assert "<main" in body and "<footer" in body and "<header" in body and '<html lang="fr">' in body
    footer = body[body.index("<footer"):]
    assert all(link in footer for link in FOOTER)


def test_front_page_says_what_for_whom_how_and_the_price(client):
    body = _get(client, "/")
    assert "0,99 € HT par consentement obtenu, rien en cas de refus" in body
    for who in ("Bailleurs", "Syndics de copropriété", "Experts-comptables"):
        assert who in body
    assert len(re.findall(r'<ol class="steps">.*?</ol>', body, re.S)[0].split("<li>")) == 4  # three steps
    for link in ('href="/inscription"', 'href="/connexion"', 'href="/verifier"'):
        assert link in body


def test_front_page_in_english(client):
    body = _get(client, "/", "en")
    assert '<html lang="en">' in body and "€0.99 excl. VAT per consent obtained, nothing when refused" in body
    assert "How it works, in three steps" in body and "Frequently asked questions" in body


def test_signed_in_sender_goes_on_to_the_manager(logged_in):
    response = logged_in.get("/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/gestionnaire")


@pytest.mark.parametrize("language, words", [
    ("fr", ("Qui doit donner son consentement", "de 3 à 30 jours", "Vérifier une preuve", "Peut-on retirer",
            "Et en copropriété", "responsable du traitement", "cinq ans")),
    ("en", ("Who must give consent", "of 3 to 30 days", "Check a proof", "Can consent be withdrawn",
            "co-ownership", "controller", "five years")),
])
def test_faq_answers_the_questions_in_both_languages(client, language, words):
    body = _get(client, "/faq", language)
    for anchor in ("pourquoi", "qui", "delai", "preuve", "retrait", "copropriete", "donnees"):
        assert f'id="{anchor}"' in body and f'href="#{anchor}"' in body
    for word in words:
        assert word in body, word


def test_legal_pages_name_the_operator_from_the_configuration(app, client):
    assert "non renseigné par l'exploitant de ce service" in _get(client, "/mentions-legales")
    app.config["OPERATOR"] = {"name": "Exploitant SAS", "address": "1 rue de la Paix, 75002 Paris",
                              "siren": "732829320", "email": "dpo@exploitant.fr", "director": "Jeanne Martin",
                              "host": "Hébergeur SA, Roubaix"}
    notice = _get(client, "/mentions-legales")
    assert all(v in notice for v in ("Exploitant SAS", "75002 Paris", "732829320", "mailto:dpo@exploitant.fr",
                                     "Jeanne Martin", "Hébergeur SA")) and "non renseigné" not in notice
    privacy = _get(client, "/confidentialite", "en")
    assert "Privacy policy" in privacy and "Exploitant SAS" in privacy and "dpo@exploitant.fr" in privacy


def test_footer_links_also_on_sign_in_error_and_recipient_pages(client):
    for path, status in (("/connexion", 200), ("/nulle-part", 404), ("/c/jeton-inconnu", 404)):
        response = client.get(path)
        assert response.status_code == status
        body = response.get_data(as_text=True)
        assert all(link in body for link in FOOTER), path
