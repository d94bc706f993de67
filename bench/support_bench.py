"""Benchmark: the support console's searches across every sender, on the manager bench's seeded data.

Seeds (or reuses with --skip-seed) the PostgreSQL database of bench/manager_bench.py, signs a staff member in,
then times each search page as support opens it (query, audit row, page) in this process, one after another.
Usage: .venv/bin/python bench/support_bench.py [--db-url …] [--consents-total 1000000] [--skip-seed]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from manager_bench import code_version, log, percentile, prepare  # noqa: E402
from wsgi_bench import bench_config  # noqa: E402

P95_MS = 50.0


def parse_args() -> argparse.Namespace:
    """Command-line options (the seeding ones are the manager bench's)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/bench_support")
    parser.add_argument("--consents-total", type=int, default=1_000_000)
    parser.add_argument("--consents-sender", type=int, default=100_000)
    parser.add_argument("--other-senders", type=int, default=2_000, help="senders sharing the other consents")
    parser.add_argument("--requests", type=int, default=100, help="timed requests per search")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--skip-seed", action="store_true")
    return parser.parse_args()


def staff_client(app):
    """A test client whose session is a signed-in support member's (the sign-in itself is not measured)."""
    from consents import clock
    from consents.db import db
    from consents.staff import create_staff, session_id
    from consents.staff_models import Staff

    staff = Staff.query.filter_by(email="bench@consentement-lre.fr").first()
    if staff is None:
        staff, _token = create_staff("bench@consentement-lre.fr", "support")
    staff.activated_at = staff.activated_at or clock.now()
    db.session.commit()
    client = app.test_client()
    with client.session_transaction() as session:
        session["staff"], session["staff_seen"] = session_id(staff), clock.now().isoformat()
    return client


def main() -> int:
    args = parse_args()
    prepare(args)
    from sqlalchemy import text

    from app import create_app
    from consents.db import db

    app = create_app(bench_config(args.db_url))
    results = []
    with app.app_context():
        client = staff_client(app)
        sample = db.session.execute(text("SELECT email FROM contact ORDER BY id DESC LIMIT 1")).scalar_one()
        scenarios = [
            ("email, whole address", {"champ": "email", "q": sample}),
            ("email, prefix «marie.dupont.12»", {"champ": "email", "q": "marie.dupont.12"}),
            ("email, prefix «marie.dupont»", {"champ": "email", "q": "marie.dupont"}),
            ("email, prefix «marie» (1 in 20 rows)", {"champ": "email", "q": "marie"}),
            ("name «quintard» (rare)", {"champ": "name", "q": "quintard"}),
            ("name «dupont» (1 in 30 rows)", {"champ": "name", "q": "dupont"}),
            ("sender «expéditeur 1234»", {"champ": "sender", "q": "expéditeur 1234"}),
            (f"SIREN of the {args.consents_sender:,}-consent sender", {"champ": "sender", "q": "732829320"}),
            ("SIREN, last page", {"champ": "sender", "q": "732829320", "page": str(args.consents_sender // 25)}),
        ]
        for label, query in scenarios:
            path = "/support?" + urlencode(query)
            for _ in range(args.warmup):
                assert client.get(path).status_code == 200
            times, found = [], ""
            for _ in range(args.requests):
                started = time.perf_counter()
                response = client.get(path, headers={"HX-Request": "true"})
                times.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, (path, response.status_code)
                found = response.get_data(as_text=True).split("consentement")[0].rsplit(">", 1)[-1].strip()
            p50, p95 = percentile(times, 0.50), percentile(times, 0.95)
            results.append((label, p50, p95, found))
            log(f"{label}: p50 {p50:.1f} ms, p95 {p95:.1f} ms ({found or 0} found)")
        audit_rows = db.session.execute(text("SELECT count(*) FROM staff_audit")).scalar_one()
    failed = [r for r in results if r[2] >= P95_MS]
    log(f"\nCode: {code_version()}")
    log(f"Data: {args.consents_total:,} consents, {args.other_senders + 1:,} senders; {audit_rows:,} audit rows "
        "written by the run (one per search)")
    for label, p50, p95, found in results:
        log(f"  {'PASS' if p95 < P95_MS else 'FAIL'}  {label:<40} p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  "
            f"(target p95 < {P95_MS:.0f} ms; {found or 0} found)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
