"""The public verifier: valid, forged and garbage uploads; nothing shown beyond the file; offline CLI."""
import html
import io
import json
import zipfile

from pypdf import PdfReader, PdfWriter

from conftest import accept_one
from consents.canonical import canonical_json
from consents.evidence_models import Proof


def _plain_pdf() -> bytes:
    """A PDF with no attachment, as a printed or re-saved certificate would be."""
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _with_attachments(pdf: bytes, replace: dict[str, bytes]) -> bytes:
    """The same pages with the same attachments, except those in `replace` (a tamperer's re-save)."""
    reader = PdfReader(io.BytesIO(pdf))
    writer = PdfWriter()
    for page in reader.pages:
        writer.add_page(page)
    for name, versions in reader.attachments.items():
        writer.add_attachment(name, replace.get(name, versions[0]))
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _dossier(logged_in, proof):
    return logged_in.get(f"/gestionnaire/contacts/{proof.consent_id}/preuve/dossier.zip").data


def _text(response) -> str:
    """The page as a reader sees it (entities decoded)."""
    return html.unescape(response.get_data(as_text=True))


def _upload(client, *files, htmx=False):
    data = {"fichier": [(io.BytesIO(content), name) for name, content in files]}
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post("/verifier", data=data, content_type="multipart/form-data", headers=headers)


def test_valid_dossier_is_confirmed_in_french_and_english(app, tsa, logged_in, run_jobs, client):
    accept_one(logged_in)
    run_jobs()
    proof = Proof.query.one()
    dossier = _dossier(logged_in, proof)
    logged_in.post("/deconnexion")
    response = _upload(client, ("dossier.zip", dossier))
    body = _text(response)
    assert response.status_code == 200
    for expected in ("Signature valide", "Horodatage valide", "Oui, ce reçu exact y figure", proof.uuid):
        assert expected in body, expected
    english = client.post("/verifier", data={"fichier": [(io.BytesIO(dossier), "d.zip")]},
                          content_type="multipart/form-data", headers={"Accept-Language": "en"})
    english = _text(english)
    assert "Valid signature" in english and "Valid timestamp" in english and "Yes, this exact receipt is there" in english


def test_receipt_alone_reveals_nothing_more(app, logged_in, client):
    accept_one(logged_in)
    proof = Proof.query.one()
    response = _upload(client, ("recu.json", proof.receipt.encode()), htmx=True)
    body = _text(response)
    assert "<html" not in body  # htmx gets the result fragment only
    assert "Signature non fournie" in body and "Jeton d'horodatage non fourni" in body
    assert "Oui, ce reçu exact y figure" in body
    # Nothing beyond the file: no other event, no internal ids, no account details shown.
    for hidden in ("Email envoyé", "203.0.113.7", "gerant@martin-gestion.fr", "Marie Dupont"):
        assert hidden not in body


def test_forged_receipt_is_rejected(app, logged_in, client):
    accept_one(logged_in)
    proof = Proof.query.one()
    receipt = json.loads(proof.receipt)
    receipt["answer"]["at"] = "2020-01-01T00:00:00Z"  # backdated
    signature = logged_in.get(f"/gestionnaire/contacts/{proof.consent_id}/preuve/recu.sig.json").data
    body = _text(_upload(client, ("recu.json", canonical_json(receipt)), ("recu.sig.json", signature)))
    assert "Signature invalide" in body and "Non, ce reçu n'y figure pas" in body
    signature_doc = json.loads(signature)
    signature_doc["kid"] = "0123456789abcdef"
    body = _upload(client, ("recu.json", proof.receipt.encode()),
                   ("recu.sig.json", json.dumps(signature_doc).encode()))
    body = _text(body)
    assert "Signature invalide : clé inconnue" in body


def test_garbage_oversized_and_empty_uploads_get_clear_messages(app, client):
    for files, message in (
        ([("x.json", b"{not json")], "Ce fichier n'est pas lisible"),
        ([("x.zip", b"PK\x03\x04broken zip")], "Ce fichier n'est pas lisible"),
        ([("x.bin", b"\x00\x01\x02")], "Ce type de fichier n'est pas pris en charge"),
        ([("photo.png", b"\x89PNG\r\n\x1a\n")], "Ce type de fichier n'est pas pris en charge"),
        ([("x.pdf", b"%PDF-1.7 broken")], "Ce fichier n'est pas lisible"),
        ([("autre.pdf", _plain_pdf())], "Ce PDF ne contient pas de reçu signé"),
        ([("x.json", b'{"consentReceiptID": 5}')], "Ce fichier n'est pas lisible"),
        ([("big.json", b"{" + b" " * (1024 * 1024 + 10) + b"}")], "Le fichier dépasse 1 Mio"),
        ([("big.json", b" " * (3 * 1024 * 1024))], "Le fichier dépasse 1 Mio"),
    ):
        response = _upload(client, *files)
        assert response.status_code == 422, files[0][0]
        body = _text(response)
        assert message in body, (files[0][0], body[-500:])
        assert "Traceback" not in body
    assert "Choisissez un fichier" in _text(client.post("/verifier", data={}))


def test_zip_bomb_is_refused(app, client):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("recu.json", b"{" + b" " * (8 * 1024 * 1024) + b"}")
    assert "Le fichier dépasse 1 Mio" in _text(_upload(client, ("bomb.zip", buffer.getvalue())))


def test_form_page_and_qr_target(app, logged_in, client):
    assert "Vérifier un reçu de consentement" in _text(client.get("/verifier"))
    accept_one(logged_in)
    proof = Proof.query.one()
    page = _text(client.get(f"/verifier/recu/{proof.uuid}"))
    assert "Ce reçu figure dans notre historique" in page and proof.receipt_sha256 in page
    assert "marie.dupont" not in page
    assert client.get("/verifier/recu/00000000-0000-0000-0000-000000000000").status_code == 404


def test_cli_verifies_offline(app, tsa, logged_in, run_jobs, tmp_path):
    accept_one(logged_in)
    run_jobs()
    proof = Proof.query.one()
    (tmp_path / "dossier.zip").write_bytes(_dossier(logged_in, proof))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["proofs", "verify", str(tmp_path / "dossier.zip")])
    assert result.exit_code == 0, result.output
    assert "Signature : valide" in result.output and "Horodatage : valide" in result.output
    assert "Dans l'historique : oui" in result.output
    (tmp_path / "bad.json").write_bytes(b"\xff\xfe garbage")
    result = runner.invoke(args=["proofs", "verify", str(tmp_path / "bad.json")])
    assert result.exit_code == 2 and "ERREUR" in result.output and "Traceback" not in result.output
    forged = json.loads(proof.receipt)
    forged["piiPrincipalId"] = "autre@example.fr"
    (tmp_path / "recu.json").write_bytes(canonical_json(forged))
    (tmp_path / "recu.sig.json").write_bytes(
        logged_in.get(f"/gestionnaire/contacts/{proof.consent_id}/preuve/recu.sig.json").data)
    result = runner.invoke(args=["proofs", "verify", str(tmp_path / "recu.json"), str(tmp_path / "recu.sig.json")])
    assert result.exit_code == 1 and "Signature : INVALIDE" in result.output


def test_the_certificate_pdf_itself_verifies_on_the_page_and_with_the_cli(app, tsa, logged_in, run_jobs, client,
                                                                           tmp_path):
    accept_one(logged_in)
    run_jobs()
    proof = Proof.query.one()
    pdf = logged_in.get(f"/gestionnaire/contacts/{proof.consent_id}/preuve/certificat.pdf").data
    logged_in.post("/deconnexion")
    response = _upload(client, ("certificat.pdf", pdf))
    body = _text(response)
    assert response.status_code == 200
    for expected in ("Signature valide", "Horodatage valide", "Oui, ce reçu exact y figure", proof.uuid):
        assert expected in body, expected
    assert "démonstration" not in body  # the tests' authority is not the demonstration one
    (tmp_path / "certificat.pdf").write_bytes(pdf)
    result = app.test_cli_runner().invoke(args=["proofs", "verify", str(tmp_path / "certificat.pdf")])
    assert result.exit_code == 0, result.output
    assert "Signature : valide" in result.output and "Horodatage : valide" in result.output
    assert "Dans l'historique : oui" in result.output


def test_a_certificate_with_a_tampered_embedded_receipt_is_rejected(app, tsa, logged_in, run_jobs, client, tmp_path):
    accept_one(logged_in)
    run_jobs()
    proof = Proof.query.one()
    pdf = logged_in.get(f"/gestionnaire/contacts/{proof.consent_id}/preuve/certificat.pdf").data
    forged = json.loads(proof.receipt)
    forged["piiPrincipal"]["email"] = "autre@example.fr"
    tampered = _with_attachments(pdf, {"recu.json": canonical_json(forged)})
    body = _text(_upload(client, ("certificat.pdf", tampered)))
    assert "Signature invalide" in body and "Horodatage invalide" in body and "Non, ce reçu n'y figure pas" in body
    (tmp_path / "certificat.pdf").write_bytes(tampered)
    result = app.test_cli_runner().invoke(args=["proofs", "verify", str(tmp_path / "certificat.pdf")])
    assert result.exit_code == 1 and "Signature : INVALIDE" in result.output
    (tmp_path / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    result = app.test_cli_runner().invoke(args=["proofs", "verify", str(tmp_path / "photo.png")])
    assert result.exit_code == 2 and "non pris en charge" in result.output
