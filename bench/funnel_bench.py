"""Benchmark: the manager's funnel (its own htmx request) for a busy sender among many, on PostgreSQL.

Seeds a `bench_funnel` database (dropped and recreated): 1,000,000 email requests over a year shared by 50 senders,
and for the measured sender 100,000 requests made in the last 60 days (half of them inside the funnel's 30 days,
the worst case: a sender asking every day), most sent, many opened, some accepted; one share link with daily visits
and 20,000 confirmations. Then times GET /gestionnaire/entonnoir through the WSGI app, one request after another.

Usage: .venv/bin/python bench/funnel_bench.py [--requests 200]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from sqlalchemy import text  # noqa: E402

from manager_bench import EMAIL, PASSWORD, log, migrate_and_sign_up, reset_database, vacuum  # noqa: E402
from wsgi_bench import bench_config  # noqa: E402

P95_TARGET_MS = 50.0

SEED_SQL = """
INSERT INTO sender (id, legal_name, created_at)
SELECT s, 'Autre expéditeur ' || s, now() AT TIME ZONE 'utc' FROM generate_series(:sender + 1, :sender + 49) AS s;

CREATE TEMP TABLE seed AS
SELECT g,
       CASE WHEN g <= :mine THEN :sender ELSE :sender + 1 + (g % 49) END AS sender_id,
       date_trunc('second', now() AT TIME ZONE 'utc'
                  - random() * CASE WHEN g <= :mine THEN interval '60 days' ELSE interval '365 days' END) AS made,
       random() AS r
FROM generate_series(1, :total) AS g;

INSERT INTO contact (id, sender_id, email, name, kind, created_at)
SELECT g, sender_id, 'personne' || g || '@example.fr', '', 'particulier', made FROM seed;

INSERT INTO consent (id, sender_id, contact_id, status, scope_lre, scope_avis, channel, changed_at, search_text)
SELECT g, sender_id, g, CASE WHEN r < 0.3 THEN 'accepted' ELSE 'pending' END, true, false, 'email', made,
       'personne' || g || '@example.fr'
FROM seed;

INSERT INTO consent_request (consent_id, sender_id, channel, scope_lre, scope_avis, delay_days, deadline, created_at,
                             sent_at, opened_at, answered_at, answer, reminders_enabled)
SELECT g, sender_id, 'email', true, false, 15, made + interval '15 days', made,
       CASE WHEN r < 0.95 THEN made + interval '1 minute' END,
       CASE WHEN r < 0.6 THEN made + interval '2 hours' END,
       CASE WHEN r < 0.3 THEN made + interval '3 hours' END,
       CASE WHEN r < 0.3 THEN 'accepted' END, true
FROM seed;

INSERT INTO share_link (id, sender_id, slug, label, scope_lre, scope_avis, active, created_at)
VALUES (1, :sender, 'bench-funnel-link', 'Newsletter', true, false, true, now() AT TIME ZONE 'utc');

INSERT INTO link_visit (link_id, day, visits)
SELECT 1, (now() AT TIME ZONE 'utc')::date - d, 500 + d FROM generate_series(0, 59) AS d;

INSERT INTO link_confirmation (link_id, email, name, kind, token_hash, created_at, expires_at)
SELECT 1, 'visiteur' || g || '@example.fr', '', 'particulier', md5('t' || g) || md5('u' || g),
       now() AT TIME ZONE 'utc' - random() * interval '60 days', now() AT TIME ZONE 'utc' + interval '7 days'
FROM generate_series(1, 20000) AS g;

DROP TABLE seed
"""


def seed(url: str, sender_id: int, total: int, mine: int) -> None:
    """Fill the database by set-based SQL."""
    from sqlalchemy import create_engine

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("SELECT setseed(0.42)"))
        for statement in SEED_SQL.split(";"):
            started = time.perf_counter()
            conn.execute(text(statement), {"sender": sender_id, "total": total, "mine": mine})
            log(f"  {' '.join(statement.split()[:3])}: {time.perf_counter() - started:.1f} s")
        for table in ("sender", "contact", "consent", "consent_request", "share_link"):
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))
    vacuum(engine)
    engine.dispose()


def main() -> int:
    """Seed, then time the funnel request and print its plan and a PASS/FAIL line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/bench_funnel")
    parser.add_argument("--total", type=int, default=1_000_000)
    parser.add_argument("--mine", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()

    started = time.perf_counter()
    reset_database(args.db_url)
    sender_id = migrate_and_sign_up(args.db_url)
    seed(args.db_url, sender_id, args.total, args.mine)
    log(f"[1] seeded {args.total:,} requests ({args.mine:,} for the measured sender) in "
        f"{time.perf_counter() - started:.1f} s")

    from app import create_app
    from consents.db import db
    from consents.funnel import funnels

    app = create_app({**bench_config(args.db_url), "WTF_CSRF_ENABLED": False})
    with app.app_context():
        plan = db.session.execute(text(
            "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT channel, date(created_at), count(sent_at), count(opened_at), "
            "count(CASE WHEN answer = 'accepted' THEN 1 END) FROM consent_request WHERE sender_id = :s "
            "AND created_at >= (now() AT TIME ZONE 'utc')::date - 29 AND channel IN ('email', 'lien') "
            "GROUP BY channel, date(created_at)"), {"s": sender_id}).scalars().all()
        log("[2] plan of the requests' grouped query:\n    " + "\n    ".join(plan))
        email = {f.channel: f for f in funnels(sender_id)}
        log(f"    totals: email {email['email'].totals}, link {email['lien'].totals}")
    client = app.test_client()
    assert client.post("/connexion", data={"email": EMAIL, "password": PASSWORD}).status_code == 302
    verdict = "PASS"
    # The manager's counts (already measured by manager_bench) run the same way, as a yardstick on a busy machine.
    for path, marker in (("/gestionnaire/entonnoir", "funnel-steps"), ("/gestionnaire/compteurs", "tabs")):
        timings = []
        for i in range(args.requests + 10):
            began = time.perf_counter()
            response = client.get(path, headers={"HX-Request": "true"})
            if i >= 10:  # the first ones warm the caches
                timings.append((time.perf_counter() - began) * 1000)
            assert response.status_code == 200 and marker in response.get_data(as_text=True)
        timings.sort()
        p50, p95 = statistics.median(timings), timings[int(len(timings) * 0.95) - 1]
        passed = "PASS" if p95 < P95_TARGET_MS else "FAIL"
        if path.endswith("entonnoir"):
            verdict = passed
        log(f"[3] GET {path} (htmx), {len(timings)} requests in process: "
            f"p50 {p50:.1f} ms, p95 {p95:.1f} ms (target p95 < {P95_TARGET_MS:.0f} ms) {passed}")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
