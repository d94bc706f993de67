"""Benchmark of proofs: receipt + signature, PDF certificate, verification; p50 over N runs each.

Usage: .venv/bin/python bench/proof_bench.py [--runs 1000]
Runs on a scratch SQLite database with a local `openssl ts` authority, so it needs no network.
Targets: receipt + signature < 5 ms, PDF < 100 ms (a name in Hebrew, Chinese and emoji: < 400 ms),
verification < 5 ms (of the certificate PDF itself: < 50 ms).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

TARGETS_MS = {"receipt + signature": 5.0, "PDF certificate": 100.0, "PDF, multi-script": 400.0, "verification": 5.0,
              "verification of PDF": 50.0}


def _time(fn, runs: int) -> tuple[float, float, float]:
    """Run fn `runs` times; return wall p50, wall p95 and CPU p50 in milliseconds."""
    samples, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1], statistics.median(cpu)


def main() -> None:
    """Seed one accepted, timestamped consent and time the three operations."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=1000)
    runs = parser.parse_args().runs

    from flask_migrate import upgrade

    from app import create_app
    from consents.canonical import canonical_json
    from consents.db import db
    from jobs.demo_tsa import LocalTSA

    work = Path(tempfile.mkdtemp(prefix="proof-bench-"))
    tsa = LocalTSA(work / "tsa")
    app = create_app({"APP_ENV": "testing", "SECRET_KEY": "b" * 32, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{work}/b.db",
                      "REDIS_URL": "fakeredis://", "BASE_URL": "https://consentement.example",
                      "TSA_URL": tsa.url, "TSA_CA_FILE": str(tsa.ca_file), "RATELIMIT_ENABLED": False})
    with app.app_context(), app.test_request_context():
        upgrade()
        from consents.accounts import sign_up
        from consents.certificate import render_certificate
        from consents.lifecycle import answer_request, consent_sender, request_consents
        from consents.models import ConsentEvent, ConsentRequest
        from consents.evidence_models import Proof
        from consents.receipts import build_receipt, sign, signature_envelope
        from consents.verification import Bundle, read_upload, verify_bundle
        from consents.rules import Recipient
        from consents.texts import consent_text
        from jobs.proofs import timestamp_proof

        user = sign_up("Syndic Cœur d’Alène — Gestion", "732829320", "bench@coeur.fr", "mot-de-passe-bench-1")
        request_consents(user.sender, user, [Recipient("zoe@example.fr", "Zoé Lefèvre", "particulier"),
                                             Recipient("sara@example.fr", "שרה כהן 王小明 😀", "particulier")], 15,
                         lre=True, avis=True)
        request, other = ConsentRequest.query.order_by(ConsentRequest.id).all()
        for asked in (request, other):
            text = consent_text(user.sender.legal_name, asked.consent.contact.email, True, True)
            answer_request(asked, accept=True, text=text, ip="203.0.113.7", user_agent="Mozilla/5.0 (bench)")
        proof, multi = Proof.query.order_by(Proof.id).all()
        timestamp_proof(proof.id)
        db.session.refresh(proof)
        consent = proof.consent
        stored = db.session.get(ConsentEvent, proof.event_id)
        event = {column.name: getattr(stored, column.name) for column in ConsentEvent.__table__.columns}
        sender = consent_sender(consent)

        def receipt_and_signature():
            body = canonical_json(build_receipt(receipt_id=proof.uuid, sender=sender, requested_by=request.requested_by,
                                                contact=consent.contact, channel=consent.channel, request=request, event=event))
            sign(body)

        bundle = Bundle(receipt=proof.receipt.encode(), signature=signature_envelope(proof), tsr=proof.tsr)
        verdict = verify_bundle(bundle)
        assert verdict.signature == verdict.timestamp == "valid" and verdict.in_history, verdict

        certificate = render_certificate(proof)
        print(f"certificate sizes: {len(certificate)} bytes (Latin name), {len(render_certificate(multi))} bytes "
              f"(Hebrew, Chinese, emoji)")
        results = {
            "receipt + signature": _time(receipt_and_signature, runs),
            "PDF certificate": _time(lambda: render_certificate(proof), runs),
            "PDF, multi-script": _time(lambda: render_certificate(multi), max(runs // 10, 1)),
            "verification": _time(lambda: verify_bundle(bundle), runs),
            "verification of PDF": _time(lambda: verify_bundle(read_upload([("c.pdf", certificate)])), runs),
        }
    tsa.stop()
    load = os.getloadavg()[0]
    print(f"proof bench: p50 / p95 over {runs} runs each (SQLite, local openssl ts authority; "
          f"{os.cpu_count()} cores, load average {load:.2f} — other work on the machine inflates wall times)")
    failed = False
    for name, (p50, p95, cpu50) in results.items():
        ok = p50 < TARGETS_MS[name]
        failed |= not ok
        print(f"  {name:<20} p50 {p50:8.2f} ms   p95 {p95:8.2f} ms   CPU p50 {cpu50:8.2f} ms   "
              f"target p50 < {TARGETS_MS[name]:.0f} ms  {'OK' if ok else 'MISSED'}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
