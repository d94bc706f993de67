"""Benchmark of billing: the monthly closing for many senders, the «Facturation» page's totals, statement files.

Usage: .venv/bin/python bench/billing_bench.py [--senders 2000 --per-sender 50 --big 100000]
Uses its own PostgreSQL database `bench_billing` (dropped and recreated). Seeds, with set-based SQL, last month's
charges for every sender, and for sender 1 also `--big` charges this month and 5,000 more last month.
Targets: closing < 60 s, closing again < 10 s and issuing nothing, gap-free numbers, the page's month totals
p95 < 50 ms, a 5,000-line statement's PDF < 5 s and CSV < 1 s.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from jobs_bench import run_sql, vacuum, verdict  # noqa: E402
from manager_bench import log, reset_database  # noqa: E402
from wsgi_bench import bench_config  # noqa: E402

TARGETS = {"closing_s": 60.0, "closing_again_s": 10.0, "totals_p95_ms": 50.0, "pdf_s": 5.0, "csv_s": 1.0}
BIG_LAST_MONTH = 5000
HOUR = timedelta(hours=1)  # seeded times start just inside their month, away from its edge

SEED_SQL = """
INSERT INTO sender (id, legal_name, siren, created_at)
SELECT s, 'Expéditeur bench ' || s, NULL, now() AT TIME ZONE 'utc' FROM generate_series(1, :senders) AS s;
CREATE TEMP TABLE seed AS
SELECT g AS id, CASE WHEN g <= :last THEN 1 + g % :senders ELSE 1 END AS sender_id,
       CASE WHEN g <= :last THEN CAST(:last_start AS timestamp) + (g % 2000) * interval '20 minutes'
            WHEN g <= :last + :big_last THEN CAST(:last_start AS timestamp) + (g % 600) * interval '1 hour'
            ELSE CAST(:this_start AS timestamp) + (g % 1000) * interval '1 second' END AS at
FROM generate_series(1, :last + :big_last + :big) AS g;
INSERT INTO contact (id, sender_id, email, name, kind, created_at)
SELECT id, sender_id, 'destinataire' || id || '@example.fr', 'Destinataire ' || id, 'particulier', at FROM seed;
INSERT INTO consent (id, sender_id, contact_id, status, scope_lre, scope_avis, channel, decided_at, changed_at,
                     search_text)
SELECT id, sender_id, id, 'accepted', true, false, 'email', at, at, 'destinataire' || id || '@example.fr' FROM seed;
INSERT INTO consent_request (id, consent_id, sender_id, channel, scope_lre, scope_avis, delay_days, deadline,
                             created_at, answered_at, answer, reminders_enabled)
SELECT id, id, sender_id, 'email', true, false, 15, at + interval '10 days', at - interval '1 day', at, 'accepted',
       true FROM seed;
INSERT INTO charge (sender_id, consent_id, contact_id, request_id, proof_uuid, amount_ht, created_at)
SELECT sender_id, id, id, id, gen_random_uuid()::text, 0.99, at FROM seed
"""


def _ms(samples: list[float]) -> tuple[float, float]:
    """p50 and p95 of samples in seconds, in milliseconds."""
    samples = sorted(samples)
    return statistics.median(samples) * 1000, samples[max(0, int(len(samples) * 0.95) - 1)] * 1000


def main() -> None:
    """Seed, close last month twice, time the page's totals and one big statement's files."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--db-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/bench_billing")
    parser.add_argument("--senders", type=int, default=2000)
    parser.add_argument("--per-sender", type=int, default=50)
    parser.add_argument("--big", type=int, default=100_000)
    args = parser.parse_args()

    from flask_migrate import upgrade

    from app import create_app
    from consents import clock
    from consents.billing import close_month, month_of, month_totals, previous_month, utc_bounds
    from consents.billing_models import Statement
    from consents.db import db
    from consents.statements import statement_csv, statement_pdf

    reset_database(args.db_url)
    app = create_app(bench_config(args.db_url))
    this_month = month_of(clock.now())
    last_month = previous_month(this_month)
    with app.app_context():
        upgrade()
        db.session.remove()
        db.engine.dispose()
    started = time.perf_counter()
    last = args.senders * args.per_sender
    run_sql(args.db_url, SEED_SQL, {"senders": args.senders, "last": last, "big_last": BIG_LAST_MONTH,
                                    "big": args.big, "last_start": utc_bounds(last_month)[0] + HOUR,
                                    "this_start": utc_bounds(this_month)[0] + HOUR})
    vacuum(args.db_url)
    log(f"seeded {last + BIG_LAST_MONTH:,} charges last month for {args.senders:,} senders and {args.big:,} this month "
        f"for sender 1 in {time.perf_counter() - started:.1f} s")

    results = {}
    with app.app_context(), app.test_request_context():
        started = time.perf_counter()
        issued = close_month(last_month)
        results["closing_s"] = time.perf_counter() - started
        started = time.perf_counter()
        again = close_month(last_month)
        results["closing_again_s"] = time.perf_counter() - started
        numbers = sorted(int(n.removeprefix("REL-")) for (n,) in db.session.query(Statement.number))
        gap_free = numbers == list(range(1, len(numbers) + 1)) and len(numbers) == args.senders
        log(f"closing {last_month:%Y-%m}: {len(issued):,} statements in {results['closing_s']:.1f} s; again: "
            f"{len(again)} issued in {results['closing_again_s']:.1f} s; numbers 1..{len(numbers):,} gap-free: {gap_free}")
        samples = []
        for _ in range(50):
            started = time.perf_counter()
            totals = month_totals(1, this_month)
            samples.append(time.perf_counter() - started)
        p50, p95 = _ms(samples)
        results["totals_p95_ms"] = p95
        log(f"month so far for sender 1 ({totals.consents:,} consents, {totals.ttc} € TTC): p50 {p50:.1f} ms, "
            f"p95 {p95:.1f} ms")
        big = Statement.query.filter_by(sender_id=1, month=last_month).one()
        started = time.perf_counter()
        pdf = statement_pdf(big)
        results["pdf_s"] = time.perf_counter() - started
        started = time.perf_counter()
        csv_bytes = statement_csv(big)
        results["csv_s"] = time.perf_counter() - started
        log(f"statement {big.number} ({big.consents:,} lines): PDF {len(pdf) / 1024:.0f} KiB in {results['pdf_s']:.2f} s, "
            f"CSV {len(csv_bytes) / 1024:.0f} KiB in {results['csv_s']:.2f} s")
        db.session.remove()
        db.engine.dispose()
    ok = {name: results[name] < target for name, target in TARGETS.items()}
    ok["idempotent and gap-free"] = not again and gap_free
    for name, passed in ok.items():
        log(f"{verdict(passed)}  {name}" + (f" (target < {TARGETS[name]})" if name in TARGETS else ""))
    sys.exit(0 if all(ok.values()) else 1)


if __name__ == "__main__":
    main()
