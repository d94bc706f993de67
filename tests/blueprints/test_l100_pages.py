"""The L100 rule as senders and recipients see it: badges, filters, warnings before asking, honest texts."""
from __future__ import annotations

import re

import pytest

from conftest import accept_one, ask, latest_email, link_from
from consents.models import Consent, ConsentRequest, OutboundEmail

ASK_MANY = "/gestionnaire/demander-plusieurs"
LINES = "marie@example.fr;Marie;particulier\nsarl@example.fr;SARL Dupont;professionnel\nmairie@example.fr;Mairie;administration"


def _rows(body: str) -> list[str]:
    """The manager's rows, one text each."""
    return re.findall(r'<li>\s*<a class="row".*?</a>', body, re.S)


def test_manager_rows_carry_one_badge_per_mail_type(logged_in):
    accept_one(logged_in, email="marie@example.fr", scope="lre")
    logged_in.post("/gestionnaire/demander", data={"email": "sarl@example.fr", "kind": "professionnel",
                                                   "scope": "avis", "delay": "10"})
    rows = _rows(logged_in.get("/gestionnaire").get_data(as_text=True))
    marie = next(r for r in rows if "marie@example.fr" in r)
    sarl = next(r for r in rows if "sarl@example.fr" in r)
    decided = Consent.query.join(Consent.contact).filter_by(email="marie@example.fr").one().decided_at
    assert re.search(r"LRE : oui — consentement du \d{1,2} \w+ " + str(decided.year), marie)
    assert "Avis : non — consentement donné pour un autre usage" in marie
    assert "LRE : pas de consentement requis — professionnel" in sarl and "Avis : non — en attente" in sarl


def test_contact_page_shows_the_badges_in_english(logged_in):
    accept_one(logged_in, email="marie@example.fr", scope="both")
    logged_in.get("/langue/en")
    consent = Consent.query.one()
    body = logged_in.get(f"/gestionnaire/contacts/{consent.id}").get_data(as_text=True)
    assert "Electronic sending" in body and "LRE: yes — consent of" in body and "Notice: yes — consent of" in body


def test_sendable_filters_list_what_the_badges_allow(logged_in):
    accept_one(logged_in, email="avis@example.fr", scope="avis")
    accept_one(logged_in, email="lre@example.fr", scope="lre")
    logged_in.post(ASK_MANY, data={"recipients": LINES, "scope": "lre", "delay": "10", "professionals": "ask"})
    lre = logged_in.get("/gestionnaire?statut=lre").get_data(as_text=True)
    avis = logged_in.get("/gestionnaire?statut=avis").get_data(as_text=True)
    assert {e for e in ("avis@", "lre@", "marie@", "sarl@", "mairie@") if f"{e}example.fr" in lre} == {"lre@", "sarl@"}
    assert {e for e in ("avis@", "lre@", "marie@", "sarl@", "mairie@") if f"{e}example.fr" in avis} == {"avis@"}
    assert 'aria-current="page">Envoi LRE possible' in lre


def test_ask_many_warns_before_asking_professionals_for_lre_and_can_leave_them_out(logged_in):
    warned = logged_in.post(ASK_MANY, data={"recipients": LINES, "scope": "lre", "delay": "10"})
    body = warned.get_data(as_text=True)
    assert "1 ligne désigne un professionnel" in body and "sarl@example.fr" in body
    assert OutboundEmail.query.count() == 0 and ConsentRequest.query.count() == 0  # nothing left yet
    assert 'name="professionals" value="skip"' in body and LINES.split("\n")[0] in body  # the list is kept
    result = logged_in.post(ASK_MANY, data={"recipients": LINES, "scope": "lre", "delay": "10",
                                            "professionals": "skip"}).get_data(as_text=True)
    assert "2 demandes enregistrées" in result and "1 professionnel laissé de côté" in result
    assert {r.consent.contact.email for r in ConsentRequest.query} == {"marie@example.fr", "mairie@example.fr"}


def test_ask_many_without_lre_never_warns(logged_in):
    body = logged_in.post(ASK_MANY, data={"recipients": LINES, "scope": "avis", "delay": "10"}).get_data(as_text=True)
    assert "3 demandes enregistrées" in body and "professionnel" not in re.sub(r"<li>.*?</li>", "", body)


def test_ask_many_all_professionals_left_out_sends_nothing(logged_in):
    body = logged_in.post(ASK_MANY, data={"recipients": "a@sarl.fr;A;pro\nb@sarl.fr;B;pro", "scope": "lre",
                                          "delay": "10", "professionals": "skip"}).get_data(as_text=True)
    assert "2 professionnels laissés de côté" in body and ConsentRequest.query.count() == 0


def test_ask_one_professional_warning_offers_to_send_anyway_or_not(logged_in):
    body = ask(logged_in, email="sarl@example.fr", kind="professionnel", scope="both").get_data(as_text=True)
    assert "sarl@example.fr est un professionnel" in body and "Son accord reste nécessaire pour un avis" in body
    assert "Lui demander quand même" in body and "Ne pas envoyer de demande" in body
    assert ConsentRequest.query.count() == 0


@pytest.mark.parametrize("scope", ["lre", "avis", "both"])
def test_no_email_or_page_tells_a_professional_the_law_requires_their_consent(logged_in, scope):
    logged_in.post("/gestionnaire/demander", data={"email": "sarl@example.fr", "kind": "professionnel",
                                                   "scope": scope, "delay": "10", "professionals": "ask"})
    email = latest_email("request")
    page = logged_in.get(link_from(email.sent_text)).get_data(as_text=True)
    for text in (email.text_body, email.html_body, page):
        assert "exige votre accord" not in text
    if scope != "avis":
        assert "la loi ne vous impose pas de donner votre accord" in email.text_body
        assert "Sans accord, vous continuerez de recevoir des courriers papier" not in page


def test_a_private_person_is_told_the_law_requires_consent_and_why(logged_in):
    ask(logged_in, email="marie@example.fr")
    email = latest_email("request")
    page = logged_in.get(link_from(email.sent_text)).get_data(as_text=True)
    assert "exige votre accord préalable" in email.text_body and "exige votre accord préalable" in page
    assert 'href="/faq#pourquoi">Pourquoi cette demande ?</a>' in page
    assert "Pourquoi cette demande ? http://consent.test/faq#pourquoi" in email.text_body
    assert 'href="http://consent.test/faq#pourquoi"' in email.html_body


def test_refusal_by_a_professional_does_not_promise_paper(logged_in):
    logged_in.post("/gestionnaire/demander", data={"email": "sarl@example.fr", "kind": "professionnel",
                                                   "scope": "lre", "delay": "10", "professionals": "ask"})
    path = link_from(latest_email("request").sent_text)
    logged_in.post(path, data={"reponse": "refuser"})
    body = logged_in.get(path).get_data(as_text=True)
    assert "Vous avez refusé" in body and "continuera de vous écrire par courrier recommandé papier" not in body


def test_templates_and_texts_never_claim_the_law_requires_consent_without_naming_who(app):
    """A grep: every «exige» about consent is the private person's sentence or names the private person."""
    from pathlib import Path

    root = Path(app.root_path)
    for path in [*root.glob("templates/**/*.html"), *root.glob("templates/**/*.txt"), root / "consents/texts.py"]:
        for line in path.read_text(encoding="utf-8").splitlines():
            if "exige" in line and "accord" in line:
                assert "n'exige pas" in line or "particulier" in line.lower(), (path, line)


def test_sendable_tabs_appear_once_and_the_counts_fragment_never_repeats_them(logged_in):
    accept_one(logged_in, email="marie@example.fr")
    page = logged_in.get("/gestionnaire").get_data(as_text=True)
    counts = logged_in.get("/gestionnaire/compteurs", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert page.count("Envoi LRE possible") == 1 and page.count("Envoi avis possible") == 1
    assert "Envoi LRE possible" not in counts and 'id="tabs"' in counts  # it replaces #tabs alone
