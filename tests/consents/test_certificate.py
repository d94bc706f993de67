"""The PDF certificate: a real PDF in French naming the sender, the recipient, the receipt and how it was collected."""
import io
import json

import pytest
from pypdf import PdfReader

from conftest import accept_one, make_sender
from consents import pdf_fonts
from consents.certificate import accepted_text, render_certificate
from consents.evidence_models import Proof
from consents.link_models import LinkConfirmation
from consents.sharelinks import answer_confirmation, create_link, submit_landing
from consents.texts import consent_text


NOTO = all(any((folder / name).is_file() for folder in pdf_fonts.FONT_DIRS)
           for name in ("NotoSansHebrew-Regular.ttf", "NotoSansArabic-Regular.ttf", "NotoSansCJK-Regular.ttc",
                        "Symbola_hint.ttf"))


def _text(pdf: bytes) -> str:
    """The words of the certificate."""
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())


def test_certificate_is_a_pdf_naming_the_sender_the_recipient_and_the_receipt(logged_in):
    accept_one(logged_in)
    proof = Proof.query.one()
    pdf = render_certificate(proof)
    assert pdf.startswith(b"%PDF")
    text = _text(pdf)
    for expected in ("Cabinet Martin Gestion", proof.uuid, "marie.dupont@example.fr", "Demande par email",
                     "Horodatage en attente", f"clé {proof.key_id}"):
        assert expected in text, expected


def test_a_share_link_consent_says_how_it_was_collected(app):
    user = make_sender()
    link = create_link(user, "Site web", lre=True, avis=False)
    submit_landing(link, email="paul@example.fr", name="Paul", kind="particulier", ip=None, user_agent=None)
    answer_confirmation(LinkConfirmation.query.one(), accept=True, ip="198.51.100.4", user_agent="Firefox",
                        text=consent_text("Cabinet Martin Gestion", "paul@example.fr", True, False))
    text = _text(render_certificate(Proof.query.one()))
    assert "Mode de recueil Lien de consentement partagé" in text


@pytest.mark.skipif(not NOTO, reason="needs Debian's fonts-noto-core, fonts-noto-cjk and fonts-symbola (.ci/run)")
def test_names_print_in_their_own_script_and_the_layout_keeps_labels_apart(logged_in):
    accept_one(logged_in, name="שרה כהן 王小明 😀 محمد")
    pdf = render_certificate(Proof.query.one())
    text = "".join(_text(pdf).replace("\x00", "").split())  # pypdf reads a NUL between CJK glyphs; poppler does not
    for expected in ("שרה", "כהן", "王小明", "😀", "محمد"):
        assert expected in text or expected[::-1] in text, expected
    assert "aucune police de cette machine ne sait imprimer" not in _text(pdf)
    # A long label wraps in its own column: the value's first characters are not run over by the label.
    assert "Empreinte de l'événement dans l'historique" in _text(pdf)
    assert len(pdf) < 200_000  # fonts are subset: a few kB per script, not the 20 MB of a CJK font


def test_a_machine_without_the_fonts_still_prints_and_names_what_it_could_not(logged_in, monkeypatch):
    monkeypatch.setattr(pdf_fonts, "FONT_DIRS", [])
    accept_one(logged_in, name="王小明 Dupont")
    text = _text(render_certificate(Proof.query.one()))
    assert "□□□ Dupont" in text  # a box where each character is missing, not a silent gap
    assert "aucune police de cette machine ne sait imprimer" in text
    assert "U+738B CJK UNIFIED IDEOGRAPH-738B" in text


def test_the_certificate_prints_the_consent_text_the_recipient_accepted(logged_in):
    accept_one(logged_in)
    proof = Proof.query.one()
    text = _text(render_certificate(proof))
    assert "Texte accepté par le destinataire" in text
    accepted = accepted_text(json.loads(proof.receipt))
    assert accepted.startswith("J'accepte de recevoir de la part de Cabinet Martin Gestion")
    assert " ".join(accepted.split()) in text


def test_the_signed_receipt_its_signature_and_token_are_attached(logged_in, tsa, run_jobs):
    accept_one(logged_in)
    run_jobs()
    proof = Proof.query.one()
    attachments = PdfReader(io.BytesIO(render_certificate(proof))).attachments
    assert sorted(attachments) == ["recu.json", "recu.sig.json", "recu.tsr"]
    assert attachments["recu.json"][0] == proof.receipt.encode("utf-8")
    assert attachments["recu.tsr"][0] == proof.tsr
    assert json.loads(attachments["recu.sig.json"][0])["signature"] == proof.signature


def test_an_emoji_newer_than_every_installed_font_is_named_not_dropped(logged_in):
    accept_one(logged_in, name="Zoé 🥰")
    text = _text(render_certificate(Proof.query.one()))
    assert "Zoé □" in text
    assert "U+1F970 SMILING FACE WITH SMILING EYES AND THREE HEARTS" in text
