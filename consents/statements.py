"""A closed month's statement as files: a French PDF, and a CSV with one line per charge."""
from __future__ import annotations

import csv
import io

from flask_babel import force_locale, format_currency, format_date, format_datetime
from flask_babel import gettext as _
from fpdf import FPDF

from consents.billing import PRICE_HT, local_time, statement_lines
from consents.billing_models import Statement
from consents.pdf_fonts import setup_fonts
from consents.db import db
from consents.exports import neutralise
from consents.models import Sender

ROW_MM = 5
COLUMNS_MM = (0, 30, 110)  # date, recipient, proof id, from the left margin
EMAIL_CHARS = 50  # what fits in the recipient column at 8 pt
CSV_HEADER = ("date", "email", "nom", "identifiant de preuve", "montant HT")


def _euros(amount) -> str:
    """An amount in the current locale (the PDF forces French): 2,97 €."""
    return format_currency(amount, "EUR")


def statement_csv(statement: Statement) -> bytes:
    """One line per charge (date in French time, contact, proof id, amount), UTF-8 with BOM and `;` as Excel reads."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for at, email, name, proof_uuid, amount in statement_lines(statement):
        writer.writerow([neutralise(cell) for cell in (
            local_time(at).strftime("%d/%m/%Y %H:%M"), email, name or "", proof_uuid, f"{amount:.2f}".replace(".", ","))])
    return buffer.getvalue().encode("utf-8")


def _pair(pdf: FPDF, label: str, value: str, *, bold: bool = False) -> None:
    """One label and its value on a line."""
    pdf.set_font("DejaVu", "B", 10)
    pdf.cell(60, 6, label)
    pdf.set_font("DejaVu", "B" if bold else "", 10)
    pdf.multi_cell(0, 6, value, new_x="LMARGIN", new_y="NEXT")


def _detail_row(pdf: FPDF, cells: tuple[str, str, str]) -> None:
    """One line of the detail, placed with text() rather than cells: four times faster for thousands of lines."""
    if pdf.get_y() + ROW_MM > pdf.h - pdf.b_margin:
        pdf.add_page()
    baseline = pdf.get_y() + ROW_MM * 0.7
    for offset, value in zip(COLUMNS_MM, cells):
        pdf.text(pdf.l_margin + offset, baseline, value)
    pdf.set_y(pdf.get_y() + ROW_MM)


def statement_pdf(statement: Statement) -> bytes:
    """The French PDF of a statement: who, which month, the totals with VAT, then every charge."""
    sender = db.session.get(Sender, statement.sender_id)
    with force_locale("fr"):
        pdf = FPDF(format="A4")
        pdf.set_title(f"Relevé {statement.number}")
        pdf.set_author("Consentement LRE")
        pdf.set_creation_date(statement.issued_at)
        lines = statement_lines(statement)
        setup_fonts(pdf, sender.legal_name + "".join(email for _at, email, *_rest in lines))
        pdf.set_margins(18, 16, 18)
        pdf.add_page()
        pdf.set_font("DejaVu", "B", 16)
        pdf.multi_cell(0, 8, _("Relevé des consentements obtenus n° %(number)s", number=statement.number),
                       new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
        _pair(pdf, _("Émis par"), "Consentement LRE")
        _pair(pdf, _("Client"), sender.legal_name + (f" (SIREN {sender.siren})" if sender.siren else ""))
        _pair(pdf, _("Période"), format_date(statement.month, "MMMM yyyy"))
        _pair(pdf, _("Émis le"), format_datetime(statement.issued_at, "long"))
        pdf.ln(3)
        _pair(pdf, _("Consentements obtenus"), str(statement.consents))
        _pair(pdf, _("Prix unitaire"), _("%(price)s HT", price=_euros(PRICE_HT)))
        _pair(pdf, _("Total HT"), _euros(statement.total_ht))
        _pair(pdf, _("TVA à %(rate)s %%", rate=f"{statement.vat_rate * 100:.0f}"), _euros(statement.vat))
        _pair(pdf, _("Total TTC"), _euros(statement.total_ttc), bold=True)
        pdf.ln(2)
        pdf.set_font("DejaVu", "", 8)
        pdf.multi_cell(0, 4, _(
            "La TVA est calculée sur le total HT du mois et arrondie au centime : le total TTC peut différer du "
            "nombre de consentements multiplié par 1,19 €. Ce relevé n'est pas une facture électronique au sens "
            "de la réforme de la facturation électronique."), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(4)
        pdf.set_font("DejaVu", "B", 11)
        pdf.cell(0, 7, _("Détail"), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "B", 8)
        _detail_row(pdf, (_("Date"), _("Destinataire"), _("Identifiant de preuve")))
        pdf.set_font("DejaVu", "", 8)
        for at, email, _name, proof_uuid, _amount in lines:
            _detail_row(pdf, (local_time(at).strftime("%d/%m/%Y %H:%M"),
                              email if len(email) <= EMAIL_CHARS else email[:EMAIL_CHARS - 1] + "…", proof_uuid))
        return bytes(pdf.output())
