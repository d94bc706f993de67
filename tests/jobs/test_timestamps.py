"""Trusted timestamps from a real `openssl ts` authority: round trip, pending state, retries, other documents."""
import subprocess

import pytest

from conftest import accept_one
from consents.db import db
from consents.models import Consent
from consents.evidence_models import Proof
from consents.timestamps import TimestampError, request_token, verify_token
from jobs.proofs import timestamp_proof
from jobs.queue import get_queue


def test_token_round_trip_and_another_document_fails(app, tsa):
    tsr, at = request_token(b'{"consentReceiptID":"x"}')
    assert verify_token(tsr, b'{"consentReceiptID":"x"}') == at
    with pytest.raises(TimestampError):
        verify_token(tsr, b'{"consentReceiptID":"y"}')
    with pytest.raises(TimestampError):
        verify_token(b"\x30\x03garbage", b'{"consentReceiptID":"x"}')


def test_accepted_consent_gets_its_token_and_openssl_agrees(app, tsa, logged_in, run_jobs, tmp_path):
    accept_one(logged_in)
    consent = Consent.query.one()
    page = logged_in.get(f"/gestionnaire/contacts/{consent.id}").get_data(as_text=True)
    assert "Horodatage en attente" in page
    run_jobs()
    proof = Proof.query.one()
    db.session.refresh(proof)
    assert proof.tsr is not None and proof.timestamped_at is not None
    page = logged_in.get(f"/gestionnaire/contacts/{consent.id}").get_data(as_text=True)
    assert "Horodaté le" in page and "Horodatage en attente" not in page
    receipt = logged_in.get(f"/gestionnaire/contacts/{consent.id}/preuve/recu.json")
    token = logged_in.get(f"/gestionnaire/contacts/{consent.id}/preuve/recu.tsr")
    assert token.status_code == 200 and token.mimetype == "application/timestamp-reply"
    (tmp_path / "recu.json").write_bytes(receipt.data)
    (tmp_path / "recu.tsr").write_bytes(token.data)
    checked = subprocess.run(["openssl", "ts", "-verify", "-data", "recu.json", "-in", "recu.tsr", "-CAfile",
                              str(tsa.ca_file)], cwd=tmp_path, capture_output=True, text=True)
    assert "Verification: OK" in checked.stdout, checked.stderr
    (tmp_path / "recu.json").write_bytes(receipt.data.replace(b"Marie", b"Maria"))
    forged = subprocess.run(["openssl", "ts", "-verify", "-data", "recu.json", "-in", "recu.tsr", "-CAfile",
                             str(tsa.ca_file)], cwd=tmp_path, capture_output=True, text=True)
    assert "Verification: OK" not in forged.stdout


def test_authority_down_keeps_the_proof_pending_and_retries(app, tsa, logged_in, run_jobs):
    tsa.fail = True
    accept_one(logged_in)
    proof = Proof.query.one()
    run_jobs()
    job = get_queue().fetch_job(f"timestamp-{proof.id}")
    assert job.get_status() == "scheduled"  # RQ will try again later, with backoff
    db.session.refresh(proof)
    assert proof.tsr is None and proof.timestamp_attempts == 1 and "503" in proof.timestamp_error
    page = logged_in.get(f"/gestionnaire/contacts/{proof.consent_id}").get_data(as_text=True)
    assert "Horodatage en attente" in page
    assert logged_in.get(f"/gestionnaire/contacts/{proof.consent_id}/preuve/recu.tsr").status_code == 404
    tsa.fail = False
    assert timestamp_proof(proof.id) == "timestamped"
    assert timestamp_proof(proof.id) == "already timestamped"


def test_without_an_authority_nothing_is_queued(app, logged_in, run_jobs):
    app.config["TSA_URL"] = None
    accept_one(logged_in)
    proof = Proof.query.one()
    assert get_queue().fetch_job(f"timestamp-{proof.id}") is None
    assert "Horodatage en attente" in logged_in.get(f"/gestionnaire/contacts/{proof.consent_id}").get_data(as_text=True)
