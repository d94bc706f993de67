"""Benchmark: the CSV export with its postal-address columns, on PostgreSQL.

Seeds its own database `bench_paper_export` (dropped and recreated) with one sender's consents, a tenth of them
«Papier» with an address (one of them with two, the newer one exported), then exports the whole list a few times
and prints the median against the export's target (life_bench.py's: < 10 s for 100,000 rows).

Usage: .venv/bin/python bench/paper_export_bench.py [--consents 100000] [--runs 5]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from manager_bench import reset_database  # noqa: E402
from wsgi_bench import bench_config  # noqa: E402

EXPORT_TARGET_S = 10.0


def main() -> int:
    """Seed, then time both exports alternately."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/bench_paper_export")
    parser.add_argument("--consents", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    from flask_migrate import upgrade
    from sqlalchemy import text

    from app import create_app
    from consents import exports
    from consents.accounts import sign_up
    from consents.db import db, insert_rows
    from consents.models import Consent, ConsentEvent, Contact
    from consents.postal_models import PostalAddress

    reset_database(args.db_url)
    app = create_app(bench_config(args.db_url))
    with app.app_context():
        upgrade()
        sender_id = sign_up("Syndic Bench Papier", "", "syndic@bench-papier.fr", "bench-mot-de-passe-solide").sender_id
        at = datetime(2026, 3, 12, 12)
        contact_ids = insert_rows(Contact.__table__, [
            {"sender_id": sender_id, "email": f"c{i}@bench.fr", "name": f"Copropriétaire {i}", "kind": "particulier",
             "created_at": at} for i in range(args.consents)])
        consent_ids = insert_rows(Consent.__table__, [
            {"sender_id": sender_id, "contact_id": cid, "status": "paper" if i % 10 == 0 else "accepted",
             "channel": "lro" if i % 10 == 0 else "email", "scope_lre": True, "scope_avis": False, "decided_at": at,
             "changed_at": at, "search_text": f"c{i}@bench.fr"} for i, cid in enumerate(contact_ids)])
        paper = consent_ids[::10]
        choices = [*paper, paper[0]]  # the first paper contact moved: Lyon first, then Paris
        event_ids = insert_rows(ConsentEvent.__table__, [
            {"consent_id": cid, "kind": "paper_chosen", "actor": "recipient", "created_at": at, "data": {},
             "prev_hash": "0" * 64, "hash": f"{n:064d}"} for n, cid in enumerate(choices)])
        insert_rows(PostalAddress.__table__, [
            {"consent_id": cid, "event_id": eid, "line1": f"{cid} rue des Lilas", "line2": "",
             "postcode": "69001" if n == 0 else "75011", "town": "Lyon" if n == 0 else "Paris", "created_at": at}
            for n, (cid, eid) in enumerate(zip(choices, event_ids))])
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
        print(f"[1] {args.consents:,} consents seeded, {len(paper):,} of them «Papier» with an address", flush=True)

        times, rows, addressed = [], 0, 0
        for _ in range(args.runs):
            started = time.perf_counter()
            text_out = "".join(exports.export_lines(sender_id, status=None, q="", link_id=None))
            times.append(time.perf_counter() - started)
            lines = text_out.splitlines()[1:]
            rows, addressed = len(lines), sum(1 for line in lines if ";75011;Paris;" in line)
        median = statistics.median(times)
        correct = rows == args.consents and addressed == len(paper)
        print(f"[2] export of {rows:,} rows, {addressed:,} with an address: median {median:.2f} s "
              f"(runs {', '.join(f'{t:.2f}' for t in times)}); target < {EXPORT_TARGET_S:.0f} s: "
              f"{'PASS' if median < EXPORT_TARGET_S and correct else 'FAIL'}", flush=True)
        db.session.remove()
        db.engine.dispose()
    return 0 if median < EXPORT_TARGET_S and correct else 1


if __name__ == "__main__":
    sys.exit(main())
