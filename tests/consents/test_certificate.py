"""The PDF certificate: a real PDF in French naming the sender, the recipient, the receipt and how it was collected."""
import io

from pypdf import PdfReader

from conftest import accept_one, make_sender
from consents.certificate import render_certificate
from consents.evidence_models import Proof
from consents.link_models import LinkConfirmation
from consents.sharelinks import answer_confirmation, create_link, submit_landing
from consents.texts import consent_text


def _text(pdf: bytes) -> str:
    """The words of the certificate's first page."""
    return " ".join(PdfReader(io.BytesIO(pdf)).pages[0].extract_text().split())


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
