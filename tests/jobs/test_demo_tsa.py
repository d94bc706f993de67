"""`make run`'s demonstration authority: real tokens, kept across restarts, and labelled wherever they show."""
import html
import io
import zipfile

import pytest
from pypdf import PdfReader

from conftest import accept_one
from consents.evidence_models import Proof
from consents.timestamps import request_token, verify_token
from jobs.demo_tsa import start_demo_tsa

DEMO = "Horodatage de démonstration"


@pytest.fixture
def demo_tsa(app, tmp_path):
    """The app stamped by the demonstration authority, as `flask embedded` sets it up."""
    authority = start_demo_tsa(str(tmp_path))
    app.config.update(TSA_URL=authority.url, TSA_CA_FILE=str(authority.ca_file))
    yield authority
    authority.stop()


def test_a_restarted_demo_authority_keeps_its_keys_so_earlier_tokens_still_verify(app, tmp_path):
    first = start_demo_tsa(str(tmp_path))
    app.config.update(TSA_URL=first.url, TSA_CA_FILE=str(first.ca_file))
    token, _at = request_token(b"recu")
    first.stop()
    second = start_demo_tsa(str(tmp_path))
    app.config.update(TSA_URL=second.url, TSA_CA_FILE=str(second.ca_file))
    assert verify_token(token, b"recu")
    second.stop()


def test_outside_production_the_cli_trusts_the_demo_authority_that_make_run_created(tmp_path, monkeypatch):
    from app import config_from_env

    monkeypatch.delenv("TSA_CA_FILE", raising=False)
    assert config_from_env(str(tmp_path))["TSA_CA_FILE"] is None
    authority = start_demo_tsa(str(tmp_path))
    authority.stop()
    assert config_from_env(str(tmp_path))["TSA_CA_FILE"] == str(authority.ca_file)
    monkeypatch.setenv("APP_ENV", "production")
    assert config_from_env(str(tmp_path))["TSA_CA_FILE"] is None


def test_every_page_and_the_certificate_say_the_timestamp_is_a_demonstration(app, demo_tsa, logged_in, run_jobs,
                                                                              client, tmp_path):
    accept_one(logged_in)
    run_jobs()
    proof = Proof.query.one()
    assert proof.tsr is not None and proof.demo_timestamp
    contact = html.unescape(logged_in.get(f"/gestionnaire/contacts/{proof.consent_id}").get_data(as_text=True))
    assert DEMO in contact and "pas une autorité qualifiée" in contact
    pdf = logged_in.get(f"/gestionnaire/contacts/{proof.consent_id}/preuve/certificat.pdf").data
    pages = PdfReader(io.BytesIO(pdf)).pages
    assert len(pages) == 1  # the label does not push the certificate onto a second page
    text = " ".join(pages[0].extract_text().split())
    assert DEMO in text and "autorité de DÉMONSTRATION, non qualifiée" in text
    dossier = logged_in.get(f"/gestionnaire/contacts/{proof.consent_id}/preuve/dossier.zip").data
    with zipfile.ZipFile(io.BytesIO(dossier)) as archive:
        assert DEMO in archive.read("LISEZMOI.txt").decode("utf-8")
    assert DEMO in html.unescape(client.get(f"/verifier/recu/{proof.uuid}").get_data(as_text=True))
    verdict = client.post("/verifier", data={"fichier": [(io.BytesIO(pdf), "certificat.pdf")]},
                          content_type="multipart/form-data")
    body = html.unescape(verdict.get_data(as_text=True))
    assert "Horodatage valide" in body and DEMO in body
    (tmp_path / "certificat.pdf").write_bytes(pdf)
    result = app.test_cli_runner().invoke(args=["proofs", "verify", str(tmp_path / "certificat.pdf")])
    assert result.exit_code == 0 and "DÉMONSTRATION" in result.output


def test_a_timestamp_from_another_authority_carries_no_demonstration_label(tsa, logged_in, run_jobs):
    accept_one(logged_in)
    run_jobs()
    proof = Proof.query.one()
    assert proof.tsr is not None and not proof.demo_timestamp
    contact = html.unescape(logged_in.get(f"/gestionnaire/contacts/{proof.consent_id}").get_data(as_text=True))
    assert DEMO not in contact
