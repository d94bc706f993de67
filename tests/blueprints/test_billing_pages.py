"""The «Facturation» page: the month so far, closed months with their PDF and CSV statements, the price shown."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime

from pypdf import PdfReader

from conftest import accept_one, ask, latest_email, link_from, login, make_sender
from consents.billing import close_month
from consents.billing_models import Statement
from consents.evidence_models import Proof


def _text(response) -> str:
    """A page's text with the no-break spaces that separate amounts from € read as plain spaces."""
    return response.get_data(as_text=True).replace("\xa0", " ").replace("\u202f", " ")


def _at(frozen_now, at: datetime) -> None:
    frozen_now.advance(seconds=(at - frozen_now.now).total_seconds())


def test_the_page_shows_the_month_so_far_with_vat_on_the_total(logged_in, client, frozen_now):
    _at(frozen_now, datetime(2026, 3, 10, 9, 0))
    for n in range(3):
        accept_one(logged_in, email=f"r{n}@example.fr")
    ask(logged_in, email="non@example.fr")
    client.post(link_from(latest_email("request").sent_text), data={"reponse": "refuser"})
    page = logged_in.get("/gestionnaire").get_data(as_text=True)
    assert 'href="/gestionnaire/facturation"' in page
    page = _text(logged_in.get("/gestionnaire/facturation"))
    assert "mars 2026, jusqu'à présent" in page
    assert "<dd>3</dd>" in page and "2,97 €" in page and "0,59 €" in page and "3,56 €" in page
    assert "Aucun mois clos" in page and "ne sont pas des factures électroniques" in page
    logged_in.get("/langue/en")
    page = _text(logged_in.get("/gestionnaire/facturation"))
    assert "March 2026, so far" in page and "€3.56" in page and "VAT (20 %)" in page


def test_a_closed_month_has_its_statement_as_pdf_and_csv(logged_in, client, frozen_now):
    _at(frozen_now, datetime(2026, 3, 10, 9, 0))
    accept_one(logged_in, email="marie@example.fr", name="=Marie")
    accept_one(logged_in, email="paul@example.fr", name="Paul")
    _at(frozen_now, datetime(2026, 4, 1, 0, 30))  # closed month not yet closed: shown as being issued
    page = _text(logged_in.get("/gestionnaire/facturation"))
    assert "relevé en cours d'émission" in page and "1,98 €" in page
    [statement] = close_month(date(2026, 3, 1))
    page = _text(logged_in.get("/gestionnaire/facturation"))
    assert "Relevé n° REL-000001" in page and "en cours d'émission" not in page
    pdf = logged_in.get(f"/gestionnaire/facturation/releves/{statement.id}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    assert 'filename="releve-REL-000001.pdf"' in pdf.headers["Content-Disposition"]
    words = " ".join(PdfReader(io.BytesIO(pdf.data)).pages[0].extract_text().split()).replace("\u202f", " ")
    for expected in ("REL-000001", "Cabinet Martin Gestion", "mars 2026", "Total HT 1,98 €", "TVA à 20 % 0,40 €",
                     "Total TTC 2,38 €", "n'est pas une facture électronique", "paul@example.fr"):
        assert expected in words, expected
    response = logged_in.get(f"/gestionnaire/facturation/releves/{statement.id}.csv")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    proofs = {p.consent.contact.email: p.uuid for p in Proof.query.all()}
    assert rows == [["date", "email", "nom", "identifiant de preuve", "montant HT"],
                    ["10/03/2026 10:00", "marie@example.fr", "'=Marie", proofs["marie@example.fr"], "0,99"],
                    ["10/03/2026 10:00", "paul@example.fr", "Paul", proofs["paul@example.fr"], "0,99"]]
    assert logged_in.get(f"/gestionnaire/facturation/releves/{statement.id}.xls").status_code == 404


def test_another_sender_cannot_read_a_statement(logged_in, client, frozen_now):
    _at(frozen_now, datetime(2026, 3, 10, 9, 0))
    accept_one(logged_in)
    _at(frozen_now, datetime(2026, 4, 2, 9, 0))
    close_month(date(2026, 3, 1))
    statement = Statement.query.one()
    make_sender("Syndic Durand", "contact@syndic-durand.fr")
    logged_in.post("/deconnexion")
    login(logged_in, "contact@syndic-durand.fr")
    assert logged_in.get(f"/gestionnaire/facturation/releves/{statement.id}.pdf").status_code == 404
    assert "REL-000001" not in _text(logged_in.get("/gestionnaire/facturation"))


def test_the_price_is_shown_where_consents_are_asked(logged_in):
    for path in ("/gestionnaire/demander", "/gestionnaire/demander-plusieurs", "/gestionnaire/liens"):
        assert "0,99 € HT par consentement obtenu, rien en cas de refus" in logged_in.get(path).get_data(as_text=True)


def test_the_page_needs_a_sign_in(client):
    assert client.get("/gestionnaire/facturation").status_code == 302
