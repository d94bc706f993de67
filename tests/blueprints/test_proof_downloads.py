"""The sender's proof downloads: PDF in French with a QR code, JSON receipt, signature, dossier zip; 404 without proof."""
import io
import json
import zipfile

from pypdf import PdfReader

from conftest import accept_one, ask, login, make_sender
from consents.models import Consent
from consents.evidence_models import Proof

FILES = ("certificat.pdf", "recu.json", "recu.sig.json", "dossier.zip")


def _url(consent, name):
    return f"/gestionnaire/contacts/{consent.id}/preuve/{name}"


def test_contact_page_offers_every_download(logged_in):
    accept_one(logged_in)
    consent = Consent.query.one()
    page = logged_in.get(f"/gestionnaire/contacts/{consent.id}").get_data(as_text=True)
    assert "Preuve du consentement" in page and Proof.query.one().uuid in page
    for name in FILES:
        assert _url(consent, name) in page
    assert _url(consent, "recu.tsr") not in page  # no token yet
    partial = logged_in.get(f"/gestionnaire/contacts/{consent.id}", headers={"HX-Request": "true"})
    assert "Preuve du consentement" in partial.get_data(as_text=True) and "<html" not in partial.get_data(as_text=True)


def test_certificate_prints_french_text_and_every_field(app, client):
    user = make_sender(legal_name="Syndic Cœur d’Alène — Gestion à 0,99 €", email="syndic@coeur.fr", siren="732829320")
    login(client, email="syndic@coeur.fr")
    accept_one(client, name="Zoé Lefèvre-Œuvray")
    proof = Proof.query.one()
    response = client.get(_url(proof.consent, "certificat.pdf"))
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert f'filename="certificat-{proof.uuid}.pdf"' in response.headers["Content-Disposition"]
    text = " ".join(PdfReader(io.BytesIO(response.data)).pages[0].extract_text().split())
    for expected in ("Certificat de consentement", "Syndic Cœur d’Alène — Gestion à 0,99 €", "SIREN 732829320",
                     "Zoé Lefèvre-Œuvray", "marie.dupont@example.fr", "Particulier", "Expéditeur",
                     "Lettres recommandées électroniques (LRE)", "Horodatage en attente",
                     "203.0.113.7", "Mozilla/5.0 (Android 14)", user.email):
        assert expected in text, expected
    unwrapped = text.replace(" ", "")  # long hashes and URLs wrap over two lines
    assert proof.receipt_sha256 in unwrapped and f"verifier/recu/{proof.uuid}" in unwrapped


def test_json_receipt_and_signature_downloads(logged_in):
    accept_one(logged_in)
    proof = Proof.query.one()
    receipt = logged_in.get(_url(proof.consent, "recu.json"))
    assert receipt.data == proof.receipt.encode("utf-8") and receipt.mimetype == "application/json"
    signature = logged_in.get(_url(proof.consent, "recu.sig.json")).get_json()
    assert signature["alg"] == "Ed25519" and signature["kid"] == proof.key_id
    assert signature["receiptSha256"] == proof.receipt_sha256


def test_dossier_holds_every_piece_and_a_french_readme(app, tsa, logged_in, run_jobs):
    accept_one(logged_in)
    run_jobs()
    proof = Proof.query.one()
    response = logged_in.get(_url(proof.consent, "dossier.zip"))
    assert response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert set(archive.namelist()) == {"recu.json", "recu.sig.json", "recu.tsr", "tsa-ca.pem", "cles-publiques.json",
                                       "historique.json", "certificat.pdf", "LISEZMOI.txt"}
    assert archive.read("recu.json") == proof.receipt.encode("utf-8")
    readme = archive.read("LISEZMOI.txt").decode("utf-8")
    assert "openssl ts -verify -data recu.json -in recu.tsr -CAfile tsa-ca.pem" in readme
    assert proof.receipt_sha256 in readme and "Vérifier la signature" in readme
    history = json.loads(archive.read("historique.json"))
    accepted = [e for e in history["events"] if e["kind"] == "accepted"]
    assert [e["kind"] for e in history["events"]][:2] == ["requested", "accepted"]
    assert accepted[0]["hash"] == json.loads(proof.receipt)["history"]["eventHash"]
    assert history["headHash"] == history["events"][-1]["hash"]
    keys = json.loads(archive.read("cles-publiques.json"))["keys"]
    assert proof.key_id in {k["kid"] for k in keys}


def test_no_accepted_event_means_no_proof_and_404(logged_in):
    ask(logged_in)
    consent = Consent.query.one()
    assert "Preuve du consentement" not in logged_in.get(f"/gestionnaire/contacts/{consent.id}").get_data(as_text=True)
    for name in (*FILES, "recu.tsr", "autre.txt"):
        assert logged_in.get(_url(consent, name)).status_code == 404


def test_another_senders_proof_is_invisible(app, logged_in, client):
    accept_one(logged_in)
    consent = Consent.query.one()
    logged_in.post("/deconnexion")
    make_sender(legal_name="Autre", email="autre@example.fr")
    login(client, email="autre@example.fr")
    for name in FILES:
        assert client.get(_url(consent, name)).status_code == 404
