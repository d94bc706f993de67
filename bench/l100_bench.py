"""Benchmark: the L100 engine on a seeded PostgreSQL database `bench_l100`.

Times `consents.l100.check` (the API's hot path, called before every letter) on addresses of one sender, known and
unknown, and the manager's «Envoi LRE possible» / «Envoi avis possible» lists (first page and a far page), in
process, one call after another. Shows the plans, so that the indexes they rely on are visible.

Usage: .venv/bin/python bench/l100_bench.py [--skip-seed] [--consents-total 300000 --consents-sender 100000]
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from sqlalchemy import select, text  # noqa: E402

from manager_bench import migrate_and_sign_up, percentile, reset_database, seed  # noqa: E402
from wsgi_bench import bench_config  # noqa: E402

URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_l100"
CHECK_P95_MS = 5.0
LIST_P95_MS = 50.0


def timed(function, count: int) -> dict:
    """Call `function(i)` `count` times after a warm-up; return p50 and p95 in ms."""
    for i in range(min(50, count)):
        function(i)
    samples = []
    for i in range(count):
        started = time.perf_counter()
        function(i)
        samples.append((time.perf_counter() - started) * 1000)
    return {"p50": percentile(samples, 0.50), "p95": percentile(samples, 0.95), "n": count}


def explain(db, statement) -> str:
    """PostgreSQL's plan of a statement, with its bound values inlined."""
    sql = statement.compile(db.engine, compile_kwargs={"literal_binds": True})
    return "\n".join(row[0] for row in db.session.execute(text(f"EXPLAIN (ANALYZE, COSTS OFF) {sql}")))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-seed", action="store_true", help="reuse the seeded database")
    parser.add_argument("--consents-total", type=int, default=300_000)
    parser.add_argument("--consents-sender", type=int, default=100_000)
    parser.add_argument("--checks", type=int, default=5_000)
    parser.add_argument("--pages", type=int, default=200)
    args = parser.parse_args()

    from app import create_app
    from consents.db import db
    from consents.l100 import AVIS, LRE, check, sendable
    from consents.models import Consent, Contact, Sender
    from consents.queries import list_consents

    if not args.skip_seed:
        reset_database(URL)
        sender_id = migrate_and_sign_up(URL)
        seed(URL, sender_id, args.consents_total, args.consents_sender, others=20)
    app = create_app(bench_config(URL))
    with app.app_context():
        sender_id = db.session.execute(select(Sender.id).order_by(Sender.id)).scalars().first()
        emails = db.session.execute(select(Contact.email).where(Contact.sender_id == sender_id)).scalars().all()
        random.seed(42)
        picked = [random.choice(emails) if i % 10 else f"inconnu.{i}@example.fr" for i in range(args.checks)]
        types = [LRE if i % 2 else AVIS for i in range(args.checks)]
        print(f"sender {sender_id}: {len(emails):,} contacts; database {args.consents_total:,} consents")

        results = {"check (90 % known addresses)": timed(lambda i: check(sender_id, picked[i], types[i]), args.checks),
                   "reference: one `SELECT 1` round trip": timed(lambda i: db.session.execute(text("SELECT 1")),
                                                                 args.checks)}
        total = list_consents(sender_id, status="accepted").total
        results[f"reference: list «accepted» page 1 ({total:,} rows)"] = timed(
            lambda i: list_consents(sender_id, status="accepted"), args.pages)
        for mail_type in (LRE, AVIS):
            total = list_consents(sender_id, status=mail_type).total
            last = max(1, total // 25)
            results[f"list «{mail_type}» page 1 ({total:,} rows)"] = timed(
                lambda i, t=mail_type: list_consents(sender_id, status=t), args.pages)
            results[f"list «{mail_type}» page {last // 2:,}"] = timed(
                lambda i, t=mail_type, p=last // 2: list_consents(sender_id, status=t, page=p), args.pages)
            db.session.rollback()

        print("\nplan of check():")
        print(explain(db, select(Contact.id, Consent.id).outerjoin(Consent, Consent.contact_id == Contact.id)
                      .where(Contact.sender_id == sender_id, Contact.email == emails[0])))
        for mail_type in (AVIS, LRE):
            print(f"\nplan of the «{mail_type}» list's first page:")
            print(explain(db, select(Consent.id).where(Consent.sender_id == sender_id, sendable(sender_id, mail_type))
                          .order_by(Consent.changed_at.desc(), Consent.id.desc()).limit(25)))

    print("\n| what | p50 ms | p95 ms | target p95 | |\n| --- | --- | --- | --- | --- |")
    failed = False
    for name, r in results.items():
        if name.startswith("reference"):
            print(f"| {name} | {r['p50']:.2f} | {r['p95']:.2f} | | |")
            continue
        target = CHECK_P95_MS if name.startswith("check") else LIST_P95_MS
        ok = r["p95"] < target
        failed |= not ok
        print(f"| {name} | {r['p50']:.2f} | {r['p95']:.2f} | < {target:g} | {'PASS' if ok else 'FAIL'} |")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
