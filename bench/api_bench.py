"""Benchmark of the API: GET /api/v1/verification at 1,000,000 consents, then 10,000 webhook deliveries.

Part 1 seeds PostgreSQL (the manager bench's set-based seed), serves the app with gunicorn (2 x gthread 4, rate
limits counted in Redis), and runs client processes, each with its own API key, first on a bare route, then on the
verification (addresses of the sender, 1 in 5 unknown, LRE or avis), then on the bare route again: p50/p95 and
requests per second of each; then one client alone, as one sender's software checking letter after letter.
Part 2 writes 10,000 expiries through the nightly batch for a sender with one endpoint, so the event writer writes
the messages, and two `rq worker`s deliver them to a local receiver in its own process, which verifies every
signature with the standardwebhooks package and counts webhook-ids.

Usage: .venv/bin/python bench/api_bench.py [--skip-seed] [--only verification|webhooks] [--without-quotas]
The database (test_api by default) is dropped at the end unless --keep.
"""
from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import random
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from sqlalchemy import create_engine, make_url, text  # noqa: E402

from api_wsgi import api_config  # noqa: E402
import manager_bench  # noqa: E402
from manager_bench import (  # noqa: E402
    EMAIL, free_port, log, migrate_and_sign_up, percentile, reset_database, seed, stop_gunicorn,
)

# The shared seed gives each statement 5 minutes; on a machine shared with other work, a million rows need more.
manager_bench.text = lambda sql: text(sql.replace("statement_timeout = '300s'", "statement_timeout = '1800s'"))
from wsgi_bench import BENCH_SECRET_KEY  # noqa: E402

RESULTS = ROOT / "bench" / "results"
P95_TARGET_MS = 10.0
RATIO_TARGET = 0.5
WEBHOOK_RATE_TARGET = 200.0


def make_app(args):
    """The app on the bench database, as the web processes have it."""
    from app import create_app

    return create_app(api_config(args.db_url, args.redis_url))


# ------------------------------------------------------------------------------------------ part 1: verification

def prepare_keys(args, n: int) -> tuple[list[str], list[str]]:
    """Create `n` API keys of the measured sender; return them and a sample of its addresses plus unknown ones."""
    from consents.api_keys import create_key
    from consents.db import db
    from consents.models import User

    app = make_app(args)
    with app.app_context():
        user = User.query.filter_by(email=EMAIL).one()
        keys = [create_key(user, f"Logiciel {i + 1}", ["check"])[1] for i in range(n)]
        emails = list(db.session.execute(text(
            "SELECT email FROM contact WHERE sender_id = :s ORDER BY random() LIMIT 20000"),
            {"s": user.sender_id}).scalars())
        db.session.remove()
        db.engine.dispose()
    unknown = [f"inconnu.{i}@nulle-part.example" for i in range(len(emails) // 4)]
    return keys, emails + unknown


def start_server(args, port: int, quotas: bool = True) -> subprocess.Popen:
    """gunicorn on bench/api_wsgi.py, in its own process group."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    command = [str(Path(sys.executable).parent / "gunicorn"), "--chdir", str(ROOT / "bench"), "--pythonpath",
               str(ROOT), "--bind", f"127.0.0.1:{port}", "--workers", str(args.server_workers), "--worker-class",
               "gthread", "--threads", "4", "--timeout", "60", "--log-level", "warning",
               "--error-logfile", str(RESULTS / "api-gunicorn.log"), "api_wsgi:app"]
    env = dict(os.environ, BENCH_DATABASE_URL=args.db_url, BENCH_REDIS_URL=args.redis_url,
               BENCH_API_QUOTAS="on" if quotas else "off")
    process = subprocess.Popen(command, env=env, cwd=ROOT, start_new_session=True)
    deadline = time.monotonic() + 180  # a loaded machine takes long to import and build the app
    while time.monotonic() < deadline and process.poll() is None:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            connection.request("GET", "/bench/bare")
            if connection.getresponse().status == 200:
                return process
        except OSError:
            pass
        time.sleep(0.5)
    stop_gunicorn(process)
    raise RuntimeError("gunicorn did not start; see bench/results/api-gunicorn.log")


def client_run(port: int, key: str, paths: list[str], duration: float, seed_value: int) -> dict:
    """One client process: keep-alive GETs of random paths for `duration` seconds; latencies and statuses."""
    rng = random.Random(seed_value)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": f"Bearer {key}", "Accept-Language": "fr", "User-Agent": "api-bench/1"}
    latencies, statuses, sample = [], {}, None
    end = time.perf_counter() + duration
    while time.perf_counter() < end:
        path = rng.choice(paths)
        started = time.perf_counter()
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        body = response.read()
        latencies.append((time.perf_counter() - started) * 1000)
        statuses[response.status] = statuses.get(response.status, 0) + 1
        if sample is None and path.startswith("/api/"):
            sample = json.loads(body)
    connection.close()
    return {"latencies": latencies, "statuses": statuses, "sample": sample}


def load(port: int, keys: list[str], paths: list[str], duration: float, label: str) -> dict:
    """Run one client process per key at once; print and return p50/p95 and requests per second."""
    with multiprocessing.get_context("spawn").Pool(len(keys)) as pool:
        started = time.perf_counter()
        runs = pool.starmap(client_run, [(port, key, paths, duration, n) for n, key in enumerate(keys)])
        elapsed = time.perf_counter() - started
    latencies = [ms for run in runs for ms in run["latencies"]]
    statuses: dict = {}
    for run in runs:
        for status, n in run["statuses"].items():
            statuses[status] = statuses.get(status, 0) + n
    result = {"requests": len(latencies), "rps": len(latencies) / duration, "p50": percentile(latencies, 0.50),
              "p95": percentile(latencies, 0.95), "p99": percentile(latencies, 0.99), "statuses": statuses,
              "sample": next((run["sample"] for run in runs if run["sample"]), None), "elapsed": elapsed}
    log(f"  {label}: {result['requests']:,} requests in {duration:.0f} s by {len(keys)} clients = "
        f"{result['rps']:,.0f} req/s; p50 {result['p50']:.2f} ms, p95 {result['p95']:.2f} ms, "
        f"p99 {result['p99']:.2f} ms; statuses {statuses}")
    return result


def run_verification(args) -> bool:
    """Part 1: seed, serve, and compare the verification with the bare route."""
    if not args.skip_seed:
        log(f"[1] seeding {args.consents_total:,} consents ({args.consents_sender:,} for the measured sender)")
        reset_database(args.db_url)
        sender_id = migrate_and_sign_up(args.db_url)
        seed(args.db_url, sender_id, args.consents_total, args.consents_sender, args.other_senders)
    keys, emails = prepare_keys(args, args.clients)
    paths = [f"/api/v1/verification?{urlencode({'email': e, 'type': random.choice(('lre', 'avis'))})}"
             for e in emails]
    random.shuffle(paths)
    port = free_port()
    log(f"[2] gunicorn {args.server_workers} x gthread 4 on 127.0.0.1:{port}; {args.clients} client processes, "
        f"one API key each; {len(paths):,} distinct verifications")
    server = start_server(args, port)
    try:
        load(port, keys, paths[:200], 3, "warm-up (untimed)")
        bare1 = load(port, keys, ["/bench/bare"], args.duration, "bare route")
        verify = load(port, keys, paths, args.duration, "GET /api/v1/verification")
        bare2 = load(port, keys, ["/bench/bare"], args.duration, "bare route again")
        # What one sender's software sees: it checks each letter before sending it, one call at a time.
        load(port, keys[:1], paths, args.duration, "GET /api/v1/verification, one client alone")
    finally:
        stop_gunicorn(server)
    bare_rps = (bare1["rps"] + bare2["rps"]) / 2
    ratio = verify["rps"] / bare_rps
    log(f"  sample answer: {json.dumps(verify['sample'], ensure_ascii=False)}")
    ok_p95 = verify["p95"] < P95_TARGET_MS
    ok_ratio = ratio >= RATIO_TARGET
    ok_status = set(verify["statuses"]) == {200}
    log(f"  verification p95 {verify['p95']:.2f} ms (target < {P95_TARGET_MS:.0f}): {'PASS' if ok_p95 else 'FAIL'}")
    log(f"  verification {verify['rps']:,.0f} req/s = {ratio:.0%} of the bare route's {bare_rps:,.0f} "
        f"(target >= {RATIO_TARGET:.0%}): {'PASS' if ok_ratio else 'FAIL'}; every answer 200: "
        f"{'PASS' if ok_status else 'FAIL'}")
    if args.without_quotas:
        # Not a target: the same runs with every rate limit off, to show what counting each key's requests costs.
        log("[2b] the same with rate limits off (diagnostic)")
        server = start_server(args, port, quotas=False)
        try:
            load(port, keys, paths[:200], 3, "warm-up (untimed)")
            free_bare = [load(port, keys, ["/bench/bare"], args.duration, "bare route, no rate limit")]
            free = load(port, keys, paths, args.duration, "GET /api/v1/verification, no rate limit")
            free_bare.append(load(port, keys, ["/bench/bare"], args.duration, "bare route again, no rate limit"))
        finally:
            stop_gunicorn(server)
        free_bare_rps = sum(run["rps"] for run in free_bare) / 2
        log(f"  without rate limits: verification {free['rps']:,.0f} req/s = {free['rps'] / free_bare_rps:.0%} of "
            f"the bare route's {free_bare_rps:,.0f}")
    return ok_p95 and ok_ratio and ok_status


# --------------------------------------------------------------------------------------------- part 2: webhooks

def receiver_main(port: int, secret: str, pipe) -> None:
    """A webhook receiver in its own process: verify each signature, count webhook-ids, answer 204."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from standardwebhooks import Webhook

    verifier = Webhook(secret)
    seen: dict[str, int] = {}
    state = {"received": 0, "bad_signatures": 0, "first": None, "last": None}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):  # noqa: N802 (the stdlib's name)
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            try:
                verifier.verify(body, dict(self.headers))
            except Exception:
                state["bad_signatures"] += 1
            webhook_id = self.headers.get("webhook-id")
            seen[webhook_id] = seen.get(webhook_id, 0) + 1
            state["received"] += 1
            now = time.time()
            state["first"] = state["first"] or now
            state["last"] = now
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.timeout = 0.2
    pipe.send("ready")
    while not pipe.poll():
        server.handle_request()
    pipe.recv()
    server.server_close()
    pipe.send(state | {"distinct": len(seen), "duplicates": sum(n - 1 for n in seen.values() if n > 1),
                       "window_s": (state["last"] or 0) - (state["first"] or 0)})


def run_webhooks(args) -> bool:
    """Part 2: 10,000 expiries told to one endpoint, delivered by two rq workers."""
    from rq import Queue

    from consents import clock
    from consents.accounts import sign_up
    from consents.db import db
    from consents.deadlines import expire_overdue
    from consents.webhook_deliveries import due_deliveries
    from consents.webhooks import create_endpoint
    from jobs.queue import dispatch_webhooks, get_redis

    n = args.webhooks
    port = free_port()
    url = f"http://127.0.0.1:{port}/webhooks"
    app = make_app(args)
    with app.app_context():
        user = sign_up("Bench Webhooks", "", f"webhooks-{int(time.time())}@bench.example", "bench-mot-de-passe-solide")
        _endpoint, secret = create_endpoint(user, url, ["consentement.expire"])
        sender_id = user.sender_id
        db.session.remove()
    engine = create_engine(args.db_url)
    with engine.begin() as conn:
        base = conn.execute(text("SELECT coalesce(max(id), 0) FROM contact")).scalar_one() + 1
        conn.execute(text(
            "INSERT INTO contact (id, sender_id, email, name, kind, created_at) SELECT g, :s, 'hook' || g || "
            "'@bench.example', '', 'particulier', now() AT TIME ZONE 'utc' FROM generate_series(CAST(:a AS integer), CAST(:b AS integer)) g"),
            {"s": sender_id, "a": base, "b": base + n - 1})
        conn.execute(text(
            "INSERT INTO consent (sender_id, contact_id, status, scope_lre, scope_avis, channel, deadline, changed_at, "
            "search_text) SELECT :s, g, 'pending', true, false, 'email', now() AT TIME ZONE 'utc' - interval '1 hour', "
            "now() AT TIME ZONE 'utc' - interval '4 days', '' FROM generate_series(CAST(:a AS integer), CAST(:b AS integer)) g"),
            {"s": sender_id, "a": base, "b": base + n - 1})
        conn.execute(text("SELECT setval(pg_get_serial_sequence('contact', 'id'), (SELECT max(id) FROM contact))"))
    engine.dispose()
    redis = get_redis(args.redis_url)
    redis.flushdb()
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    receiver = ctx.Process(target=receiver_main, args=(port, secret, child), daemon=True)
    receiver.start()
    if not parent.poll(30) or parent.recv() != "ready":
        raise RuntimeError("the receiver did not start")
    workers = []
    try:
        with app.app_context():
            started = time.perf_counter()
            expired = expire_overdue()
            written = time.perf_counter() - started
            due = due_deliveries(clock.now(), limit=n * 2)
            queued = dispatch_webhooks(due)
            db.session.remove()
        log(f"[3] nightly expiry of {sum(expired.values()):,} consents with their messages: {written:.1f} s; "
            f"{queued:,} deliveries enqueued as {Queue('default', connection=redis).count} jobs")
        env = dict(os.environ, DATABASE_URL=args.db_url, REDIS_URL=args.redis_url, APP_ENV="testing",
                   SECRET_KEY=BENCH_SECRET_KEY, PYTHONPATH=str(ROOT))
        started = time.perf_counter()
        for i in range(args.rq_workers):
            with open(RESULTS / f"api-rq-worker-{i + 1}.log", "w") as out:
                workers.append(subprocess.Popen(
                    [str(ROOT / ".venv" / "bin" / "rq"), "worker", "--burst", "--worker-class", "worker.AppWorker",
                     "--url", args.redis_url, "--name", f"api-bench-{os.getpid()}-{i + 1}", "--path", str(ROOT),
                     "default"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True))
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline and any(w.poll() is None for w in workers):
            time.sleep(0.1)
        seconds = time.perf_counter() - started
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.terminate()
                worker.wait(timeout=15)
        parent.send("stop")
        state = parent.recv() if parent.poll(30) else {}
        receiver.join(timeout=10)
    engine = create_engine(args.db_url)
    with engine.connect() as conn:
        row = conn.execute(text(
            "SELECT count(*), count(delivered_at), count(failed_at), count(*) FILTER (WHERE attempts > 1), "
            "count(DISTINCT m.id) FROM webhook_delivery d JOIN webhook_message m ON m.id = d.message_id "
            "WHERE m.sender_id = :s"), {"s": sender_id}).one()
    engine.dispose()
    rate = state.get("received", 0) / seconds
    steady = state.get("received", 0) / max(state.get("window_s", 0), 1e-9)
    log(f"  {args.rq_workers} rq workers (burst) done in {seconds:.1f} s: {rate:,.0f} deliveries/s end to end "
        f"(workers' start included), {steady:,.0f}/s from first to last received")
    log(f"  receiver: {state.get('received')} received, {state.get('distinct')} distinct webhook-ids, "
        f"{state.get('duplicates')} duplicates, {state.get('bad_signatures')} bad signatures")
    log(f"  database: {row[0]:,} deliveries of {row[4]:,} messages, {row[1]:,} delivered, {row[2]} failed, "
        f"{row[3]} retried")
    none_lost = state.get("received") == n == row[1] == state.get("distinct")
    no_twice = state.get("duplicates") == 0
    good = state.get("bad_signatures") == 0
    log(f"  {rate:,.0f}/s (target >= {WEBHOOK_RATE_TARGET:.0f}): {'PASS' if rate >= WEBHOOK_RATE_TARGET else 'FAIL'}; "
        f"none lost: {'PASS' if none_lost else 'FAIL'}; no webhook-id twice: {'PASS' if no_twice else 'FAIL'}; "
        f"signatures verified: {'PASS' if good else 'FAIL'}")
    return rate >= WEBHOOK_RATE_TARGET and none_lost and no_twice and good


def drop_database(url: str) -> None:
    """Drop the bench's data: the whole database, recreated empty for the tests."""
    reset_database(url)
    log(f"[4] database {make_url(url).database} dropped and recreated empty")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test_api")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/8")
    parser.add_argument("--consents-total", type=int, default=1_000_000)
    parser.add_argument("--consents-sender", type=int, default=100_000)
    parser.add_argument("--other-senders", type=int, default=90)
    parser.add_argument("--clients", type=int, default=4, help="client processes, one API key each")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of each timed run")
    parser.add_argument("--server-workers", type=int, default=2)
    parser.add_argument("--webhooks", type=int, default=10_000)
    parser.add_argument("--rq-workers", type=int, default=2)
    parser.add_argument("--only", choices=("verification", "webhooks"))
    parser.add_argument("--skip-seed", action="store_true")
    parser.add_argument("--without-quotas", action="store_true",
                        help="then run the verification again with rate limits off, to show what they cost")
    parser.add_argument("--keep", action="store_true", help="keep the database at the end")
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    ok = True
    try:
        if args.only != "webhooks":
            ok &= run_verification(args)
        if args.only != "verification":
            if args.only == "webhooks" and not args.skip_seed:
                reset_database(args.db_url)
                migrate_and_sign_up(args.db_url)
            ok &= run_webhooks(args)
    finally:
        if not args.keep:
            drop_database(args.db_url)
    log("ALL PASS" if ok else "SOME FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
