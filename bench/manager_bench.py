"""Benchmark: seed a PostgreSQL `bench` database, serve it with gunicorn, time the manager, recipient and share-link pages.

Usage: .venv/bin/python bench/manager_bench.py [--consents-total 1000000 --consents-sender 100000]
"""
from __future__ import annotations

import argparse
import http.client
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import redis  # noqa: E402
from sqlalchemy import create_engine, event, make_url, text  # noqa: E402

from wsgi_bench import bench_config  # noqa: E402

EMAIL = "gestion@bench-immo.fr"
PASSWORD = "bench-mot-de-passe-solide"
RARE_NAME = "Zoé Quintard"
RARE_QUERY = "quintard"
BROAD_QUERY = "martin"
MANAGER_P95_MS = 50.0
RATIO_TARGET = 0.60
RESULTS = ROOT / "bench" / "results"

FIRST = ["Marie", "Jean", "Pierre", "Sophie", "Luc", "Claire", "Paul", "Julie", "Nicolas", "Camille",
         "Thomas", "Léa", "Antoine", "Manon", "Hugo", "Chloé", "Louis", "Emma", "Arthur", "Inès"]
LAST = ["Dupont", "Durand", "Leroy", "Moreau", "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "David",
        "Bertrand", "Roux", "Vincent", "Fournier", "Morel", "Girard", "André", "Mercier", "Blanc", "Guerin",
        "Boyer", "Garnier", "Chevalier", "Francois", "Legrand", "Gauthier", "Perrin", "Robin", "Clement", "Martin"]
DOMAINS = ["example.fr", "orange.example", "free.example", "gmail.example", "laposte.example",
           "sfr.example", "outlook.example", "entreprise.example"]


def log(message: str) -> None:
    """Print a progress line at once."""
    print(message, flush=True)


def sql_array(values: list[str]) -> str:
    """Render a list of plain strings as a PostgreSQL text array literal."""
    return "ARRAY[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


# ---------------------------------------------------------------------------------------------- database

def reset_database(url: str) -> None:
    """Drop and create the bench database, connecting to the `postgres` database."""
    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


def migrate_and_sign_up(url: str) -> tuple[int, int]:
    """Run the migrations and create the measured sender's owner; return (sender_id, user_id)."""
    from flask_migrate import upgrade

    from app import create_app
    from consents.accounts import sign_up
    from consents.db import db

    app = create_app(bench_config(url))
    with app.app_context():
        upgrade()
        user = sign_up("Cabinet Bench Gestion", "732829320", EMAIL, PASSWORD)
        ids = (user.sender_id, user.id)
        db.session.remove()
        db.engine.dispose()
    return ids


SEED_SQL = """
CREATE TEMP TABLE seed AS
SELECT g, sender_id, first, last,
       translate(lower(first || '.' || last || '.' || g || '@' || domain), 'éèêëàâîïôöûüç', 'eeeeaaiioouuc') AS email,
       CASE WHEN rk < 0.80 THEN 'particulier' WHEN rk < 0.95 THEN 'professionnel' ELSE 'administration' END AS kind,
       CASE WHEN rs < 0.40 THEN 'accepted' WHEN rs < 0.60 THEN 'refused'
            WHEN rs < 0.90 THEN 'pending' ELSE 'revoked' END AS status,
       rs, changed_at, rl < 0.90 AS scope_lre, (rl >= 0.90 OR ra < 0.30) AS scope_avis
FROM (
    SELECT g, measured,
           CASE WHEN measured THEN :sender_id ELSE :first_other + (g % :others) END AS sender_id,
           CASE WHEN measured AND (floor(g::numeric * :per_sender / :total)::bigint % :rare_step) = 0
                THEN split_part(:rare_name, ' ', 1) ELSE (:first_names)[1 + (g % 20)] END AS first,
           CASE WHEN measured AND (floor(g::numeric * :per_sender / :total)::bigint % :rare_step) = 0
                THEN split_part(:rare_name, ' ', 2) ELSE (:last_names)[1 + ((g / 20) % 30)] END AS last,
           (:domains)[1 + ((g / 7) % 8)] AS domain,
           random() AS rk, random() AS rs, random() AS rl, random() AS ra,
           date_trunc('second', now() AT TIME ZONE 'utc' - random() * interval '365 days') AS changed_at
    FROM (
        SELECT g, floor(g::numeric * :per_sender / :total) > floor((g - 1)::numeric * :per_sender / :total) AS measured
        FROM generate_series(1, :total) AS g
    ) AS numbered
) AS drawn;

INSERT INTO contact (id, sender_id, email, name, kind, created_at)
SELECT g, sender_id, email, first || ' ' || last, kind, changed_at - interval '3 days' FROM seed;

INSERT INTO consent (id, sender_id, contact_id, status, scope_lre, scope_avis, channel, deadline,
                     decided_at, revoked_at, changed_at, search_text)
SELECT g, sender_id, g, status, scope_lre, scope_avis,
       CASE WHEN rs < 0.05 THEN 'paper' ELSE 'email' END,
       CASE WHEN status <> 'pending' THEN NULL
            WHEN rs < 0.75 THEN date_trunc('second', now() AT TIME ZONE 'utc' - (0.75 - rs) * interval '200 days')
            ELSE date_trunc('second', now() AT TIME ZONE 'utc' + interval '1 hour' + (rs - 0.75) * interval '200 days')
       END,
       CASE WHEN status IN ('accepted', 'refused') THEN changed_at
            WHEN status = 'revoked' THEN changed_at - interval '30 days' END,
       CASE WHEN status = 'revoked' THEN changed_at END,
       changed_at,
       left(lower(email || ' ' || first || ' ' || last), 460)
FROM seed;

DROP TABLE seed;
"""

REQUESTS_SQL = """
INSERT INTO consent_request (consent_id, sender_id, requested_by_id, channel, scope_lre, scope_avis, delay_days,
                             deadline, created_at, sent_at)
SELECT id, sender_id, :user_id, 'email', scope_lre, scope_avis, 15, deadline,
       deadline - interval '15 days', deadline - interval '15 days'
FROM consent
WHERE sender_id = :sender_id AND status = 'pending' AND deadline > now() AT TIME ZONE 'utc'
ORDER BY id
LIMIT CAST(:n AS integer);

INSERT INTO request_token (request_id, token_hash, created_at)
SELECT id, encode(sha256(convert_to('bench-token-' || lpad(id::text, 20, '0'), 'UTF8')), 'hex'), created_at
FROM consent_request WHERE sender_id = :sender_id;
"""


def token_for(request_id: int) -> str:
    """The clear token of a seeded request (its SHA-256 is what the database holds)."""
    return "bench-token-" + str(request_id).rjust(20, "0")


def seed(url: str, sender_id: int, user_id: int, total: int, per_sender: int, others: int, n_tokens: int) -> list[str]:
    """Fill the database with set-based SQL; return the clear tokens of the seeded requests."""
    engine = create_engine(url)
    first_other = sender_id + 1
    params = {
        "sender_id": sender_id, "first_other": first_other, "others": others, "total": total,
        "per_sender": per_sender, "rare_step": max(1, per_sender // 5), "rare_name": RARE_NAME,
    }
    literals = {":first_names": sql_array(FIRST), ":last_names": sql_array(LAST), ":domains": sql_array(DOMAINS)}
    literals.update({f":{k}": str(int(v)) for k, v in params.items() if isinstance(v, int)})
    seed_sql = SEED_SQL
    for name in sorted(literals, key=len, reverse=True):
        seed_sql = seed_sql.replace(name, literals[name])
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL work_mem = '64MB'"))
        conn.execute(text("SET LOCAL statement_timeout = '300s'"))
        conn.execute(text("SELECT setseed(0.42)"))
        conn.execute(text(
            "INSERT INTO sender (id, legal_name, siren, created_at) "
            "SELECT s, 'Autre expéditeur ' || s, NULL, now() AT TIME ZONE 'utc' "
            f"FROM generate_series({first_other}, {first_other + others - 1}) AS s"))
        for statement in filter(str.strip, seed_sql.split(";")):
            started = time.perf_counter()
            conn.execute(text(statement), {"rare_name": RARE_NAME})
            log(f"  {' '.join(statement.split()[:3])}: {time.perf_counter() - started:.1f} s")
        for statement in filter(str.strip, REQUESTS_SQL.split(";")):
            conn.execute(text(statement), {"sender_id": sender_id, "user_id": user_id, "n": n_tokens})
        for table in ("sender", "contact", "consent"):
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))
        ids = conn.execute(text("SELECT id FROM consent_request WHERE sender_id = :s ORDER BY id"),
                           {"s": sender_id}).scalars().all()
    started = time.perf_counter()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM (ANALYZE)"))
        conn.execute(text("CHECKPOINT"))
    log(f"  VACUUM (ANALYZE) and CHECKPOINT: {time.perf_counter() - started:.1f} s")
    engine.dispose()
    return [token_for(i) for i in ids]


def ensure_share_link(url: str, sender_id: int) -> str:
    """Return the slug of an active share link of the measured sender, inserting one if it has none."""
    engine = create_engine(url)
    with engine.begin() as conn:
        if conn.execute(text("SELECT to_regclass('share_link')")).scalar() is None:
            raise RuntimeError("no share_link table: the database predates migration 0004; run without --skip-seed")
        slug = conn.execute(text("SELECT slug FROM share_link WHERE sender_id = :s AND active ORDER BY id LIMIT 1"),
                            {"s": sender_id}).scalar()
        if slug is None:
            slug = secrets.token_urlsafe(9)
            conn.execute(text(
                "INSERT INTO share_link (sender_id, created_by_id, slug, label, scope_lre, scope_avis, active, created_at) "
                "SELECT :s, id, :slug, 'Lien bench', true, false, true, now() AT TIME ZONE 'utc' "
                'FROM "user" WHERE email = :e'), {"s": sender_id, "slug": slug, "e": EMAIL})
    engine.dispose()
    return slug


def forget_kept_pages(redis_url: str) -> None:
    """Drop pages an earlier run kept, so every run renders each page at least once with the code measured."""
    connection = redis.Redis.from_url(redis_url)
    keys = list(connection.scan_iter("page:*"))
    if keys:
        connection.delete(*keys)
    connection.close()


def link_visits(url: str, redis_url: str, slug: str) -> int:
    """Total visits stored for the link once the flush job has run (to check that none was lost)."""
    from app import create_app
    from consents.db import db
    from jobs.visits import flush_link_visits

    app = create_app(bench_config(url, redis_url))
    with app.app_context():
        flush_link_visits()
        db.session.remove()
        db.engine.dispose()
    engine = create_engine(url)
    with engine.connect() as conn:
        visits = conn.execute(text("SELECT coalesce(sum(v.visits), 0) FROM link_visit v JOIN share_link l "
                                   "ON l.id = v.link_id WHERE l.slug = :slug"), {"slug": slug}).scalar_one()
    engine.dispose()
    return int(visits)


def describe_data(url: str, sender_id: int) -> None:
    """Print what the measured sender holds, by stored and effective status."""
    engine = create_engine(url)
    with engine.connect() as conn:
        total = conn.execute(text("SELECT count(*) FROM consent")).scalar_one()
        rows = conn.execute(text(
            "SELECT CASE WHEN status = 'pending' AND deadline <= now() AT TIME ZONE 'utc' THEN 'pending (expired)' "
            "ELSE status END, count(*) FROM consent WHERE sender_id = :s GROUP BY 1 ORDER BY 1"), {"s": sender_id}).all()
        size = conn.execute(text("SELECT pg_size_pretty(pg_database_size(current_database()))")).scalar_one()
    engine.dispose()
    log(f"  consents in database: {total:,}; database size {size}")
    log("  measured sender: " + ", ".join(f"{s} {n:,}" for s, n in rows))


# ------------------------------------------------------------------------------------------------ server

def free_port() -> int:
    """Ask the kernel for a free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(url: str, redis_url: str, port: int, workers: int, worker_class: str,
                   threads: int) -> subprocess.Popen:
    """Start gunicorn on bench/wsgi_bench.py in its own process group."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    command = [
        str(ROOT / ".venv" / "bin" / "gunicorn"), "--chdir", str(ROOT / "bench"), "--pythonpath", str(ROOT),
        "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--worker-class", worker_class,
        "--threads", str(threads), "--timeout", "60", "--log-level", "warning",
        "--error-logfile", str(RESULTS / "gunicorn.log"), "wsgi_bench:app",
    ]
    env = dict(os.environ, BENCH_DATABASE_URL=url, BENCH_REDIS_URL=redis_url)
    return subprocess.Popen(command, env=env, start_new_session=True)


def wait_until_up(process: subprocess.Popen, port: int, limit: float = 30.0) -> None:
    """Poll /bench/bare until gunicorn answers, or fail after `limit` seconds."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with code {process.returncode}; see {RESULTS / 'gunicorn.log'}")
        try:
            status, _ = Client(port).get("/bench/bare")
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer within 30 s")


def stop_gunicorn(process: subprocess.Popen | None) -> None:
    """Stop the gunicorn master we started (it stops its workers), killing its group if it hangs."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


# ------------------------------------------------------------------------------------------------ client

class Client:
    """A keep-alive HTTP/1.1 client over http.client with a minimal cookie store."""

    def __init__(self, port: int):
        """Open nothing yet: the connection is made on the first request."""
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, bytes]:
        """Send one request (reconnecting once if the server closed the connection); return status and body."""
        headers = {"Accept-Language": "fr", "User-Agent": "manager-bench/1"}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()
                if attempt == 2:
                    raise
        for cookie in response.msg.get_all("Set-Cookie") or []:
            name, _, value = cookie.split(";", 1)[0].partition("=")
            if value:
                self.cookies[name.strip()] = value
            else:
                self.cookies.pop(name.strip(), None)
        return response.status, data

    def get(self, path: str) -> tuple[int, bytes]:
        """GET a path."""
        return self.request("GET", path)

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()


def log_in(port: int) -> Client:
    """Log in through the real form: GET /connexion, read its csrf_token, POST it with the credentials."""
    client = Client(port)
    status, page = client.get("/connexion")
    match = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page) or \
        re.search(rb'value="([^"]+)"[^>]*name="csrf_token"', page)
    if status != 200 or not match:
        raise RuntimeError(f"login page: status {status}, no csrf_token found")
    form = urlencode({"csrf_token": match.group(1).decode(), "email": EMAIL, "password": PASSWORD})
    status, _ = client.request("POST", "/connexion", form)
    if status != 302:
        raise RuntimeError(f"login POST answered {status}, expected 302")
    status, page = client.get("/gestionnaire")
    if status != 200 or b"consents" not in page:
        raise RuntimeError(f"/gestionnaire after login answered {status}")
    return client


# -------------------------------------------------------------------------------------------- measuring

def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile of a non-empty list."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered) + 0.5) - 1))]


def page_info(body: bytes) -> str:
    """Extract the result count and the page position shown by a manager page."""
    html = body.decode("utf-8", "replace").replace("\u202f", " ").replace("\xa0", " ")
    count = re.search(r"<p class=\"muted\">([\d ]+) consentements?", html)
    position = re.search(r"Page (\d+) sur (\d+)", html)
    parts = [f"{count.group(1).strip()} results" if count else "0 results"]
    if position:
        parts.append(f"page {position.group(1)}/{position.group(2)}")
    return ", ".join(parts)


def measure_latency(client: Client, path: str, count: int, warmup: int, limit: float) -> dict:
    """Time `count` sequential GETs of `path` after `warmup` untimed ones, within `limit` seconds."""
    status, body = client.get(path)
    if status != 200:
        raise RuntimeError(f"{path} answered {status}")
    info = page_info(body)
    deadline = time.monotonic() + limit
    for _ in range(warmup):
        if time.monotonic() > deadline:
            break
        client.get(path)
    times, errors = [], 0
    for _ in range(count):
        if time.monotonic() > deadline:
            break
        started = time.perf_counter()
        status, _ = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        errors += status != 200
    return {"path": path, "n": len(times), "errors": errors, "info": info,
            "p50": percentile(times, 0.50), "p95": percentile(times, 0.95), "max": max(times),
            "mean": sum(times) / len(times)}


def run_clients(port: int, paths: list[str], threads: int, duration: float) -> dict:
    """Run `threads` keep-alive clients for `duration` seconds, each cycling through `paths`; count 200s."""
    counts = [0] * threads
    errors = [0] * threads
    latencies: list[list[float]] = [[] for _ in range(threads)]
    stop = threading.Event()

    def worker(index: int) -> None:
        """One client loop: rotate through its share of the paths until told to stop."""
        client, i = Client(port), index
        try:
            while not stop.is_set():
                started = time.perf_counter()
                status, _ = client.get(paths[i % len(paths)])
                latencies[index].append((time.perf_counter() - started) * 1000)
                i += threads
                if status == 200:
                    counts[index] += 1
                else:
                    errors[index] += 1
        except OSError:
            errors[index] += 1
        finally:
            client.close()

    workers = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(threads)]
    cpu_before, started = time.process_time(), time.perf_counter()
    for thread in workers:
        thread.start()
    time.sleep(duration)
    stop.set()
    for thread in workers:
        thread.join(timeout=35)
    elapsed = time.perf_counter() - started
    return {"ok": sum(counts), "errors": sum(errors), "seconds": elapsed,
            "cpu": time.process_time() - cpu_before, "latencies": [t for part in latencies for t in part]}


def measure_throughput(port: int, targets: dict[str, list[str]], threads: int, duration: float,
                       rounds: int) -> dict[str, dict]:
    """Throughput of each target, measured in `rounds` interleaved slices so that a change in the machine's
    load during the run weighs on every target alike; `duration` is each target's total time."""
    runs: dict[str, list[dict]] = {label: [] for label in targets}
    for _ in range(rounds):
        for label, paths in targets.items():
            runs[label].append(run_clients(port, paths, threads, duration / rounds))
    results = {}
    for label, parts in runs.items():
        seconds = sum(p["seconds"] for p in parts)
        flat = [t for p in parts for t in p["latencies"]]
        results[label] = {
            "rps": sum(p["ok"] for p in parts) / seconds, "ok": sum(p["ok"] for p in parts),
            "errors": sum(p["errors"] for p in parts), "seconds": seconds,
            "p50": percentile(flat, 0.5) if flat else 0.0, "p95": percentile(flat, 0.95) if flat else 0.0,
            "client_cpu": sum(p["cpu"] for p in parts) / seconds,
        }
    return results


def check_landing(port: int, path: str) -> None:
    """GET the share-link landing page once and make sure it shows the form (an inactive link answers 410)."""
    client = Client(port)
    status, page = client.get(path)
    client.close()
    if status != 200 or b'name="email"' not in page:
        raise RuntimeError(f"{path} answered {status} without the landing form")


def open_all(port: int, tokens: list[str], limit: float = 120.0) -> int:
    """Open every recipient page once (writing its single 'opened' event); return how many answered 200."""
    client, ok = Client(port), 0
    deadline = time.monotonic() + limit
    for token in tokens:
        if time.monotonic() > deadline:
            break
        status, _ = client.get(f"/c/{token}")
        ok += status == 200
    client.close()
    return ok


# --------------------------------------------------------------------------------------------- explain

def explain_manager(url: str, sender_id: int, scenarios: list[tuple[str, dict]]) -> None:
    """Print EXPLAIN (ANALYZE, BUFFERS) of the SQL the manager runs for each scenario."""
    from app import create_app
    from consents.db import db
    from consents.queries import list_consents, status_counts

    app = create_app(bench_config(url))
    with app.app_context():
        captured: list[tuple[str, object]] = []

        def capture(_conn, _cursor, statement, parameters, _context, _many):
            """Keep each statement the queries send."""
            captured.append((statement, parameters))

        event.listen(db.engine, "before_cursor_execute", capture)
        for label, args in scenarios:
            captured.clear()
            counts = status_counts(sender_id)
            list_consents(sender_id, status=args.get("statut"), q=args.get("q", ""),
                          page=int(args.get("page", 1)), counts=counts)
            db.session.rollback()
            statements = list(captured)
            log(f"\n--- EXPLAIN {label} ---")
            for statement, parameters in statements:
                with db.engine.connect() as conn:
                    plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters).scalars().all()
                log("  " + " ".join(statement.split())[:300])
                log("    params: " + repr(parameters)[:200])
                for line in plan:
                    log("    " + line)
        event.remove(db.engine, "before_cursor_execute", capture)
        db.session.remove()
        db.engine.dispose()


# ------------------------------------------------------------------------------------------------- main

def parse_args() -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/bench")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/6",
                        help="Redis of the served app (page cache, visit counts); this index is flushed")
    parser.add_argument("--consents-total", type=int, default=1_000_000)
    parser.add_argument("--consents-sender", type=int, default=100_000)
    parser.add_argument("--other-senders", type=int, default=90, help="senders sharing the other consents")
    parser.add_argument("--tokens", type=int, default=300, help="recipient requests seeded for the measured sender")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per manager page")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--latency-limit", type=float, default=60.0, help="seconds allowed per manager page")
    parser.add_argument("--threads", type=int, default=4, help="client threads of the throughput runs")
    parser.add_argument("--duration", type=float, default=12.0, help="seconds of each throughput run")
    parser.add_argument("--rounds", type=int, default=6, help="interleaved slices of the throughput runs")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worker-class", default="gthread")
    parser.add_argument("--server-threads", type=int, default=4)
    parser.add_argument("--skip-seed", action="store_true",
                        help="reuse the bench database as it is (only while the schema is unchanged)")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of the manager's SQL")
    parser.add_argument("--only-manager", action="store_true", help="time the manager pages only, no throughput runs")
    parser.add_argument("--only-pages", action="store_true", help="measure the public pages' throughput only")
    args = parser.parse_args()
    if not 0 < args.consents_sender <= args.consents_total:
        parser.error("need 0 < --consents-sender <= --consents-total")
    return args


def code_version() -> str:
    """The measured code: short git revision, marked when the work tree has uncommitted changes."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return (head or "unknown") + (" + uncommitted changes" if dirty else "")


def prepare(args: argparse.Namespace) -> tuple[int, list[str]]:
    """Create, migrate and seed the database (or reuse it); return the sender id and the tokens."""
    if args.skip_seed:
        engine = create_engine(args.db_url)
        with engine.connect() as conn:
            sender_id = conn.execute(text('SELECT sender_id FROM "user" WHERE email = :e'), {"e": EMAIL}).scalar_one()
            ids = conn.execute(text("SELECT id FROM consent_request WHERE sender_id = :s ORDER BY id"),
                               {"s": sender_id}).scalars().all()
        engine.dispose()
        return sender_id, [token_for(i) for i in ids]
    started = time.perf_counter()
    reset_database(args.db_url)
    sender_id, user_id = migrate_and_sign_up(args.db_url)
    log(f"[1] database reset and migrated in {time.perf_counter() - started:.1f} s (sender id {sender_id})")
    started = time.perf_counter()
    tokens = seed(args.db_url, sender_id, user_id, args.consents_total, args.consents_sender,
                  args.other_senders, args.tokens)
    log(f"[2] seeded {args.consents_total:,} consents ({args.consents_sender:,} for the measured sender) "
        f"in {time.perf_counter() - started:.1f} s")
    return sender_id, tokens


def main() -> int:
    """Run every step, print the results and a summary; always stop gunicorn."""
    args = parse_args()
    run_started = time.perf_counter()
    sender_id, tokens = prepare(args)
    describe_data(args.db_url, sender_id)
    if not tokens:
        raise RuntimeError("no recipient request was seeded")
    slug = ensure_share_link(args.db_url, sender_id)
    log(f"  share link of the measured sender: /l/{slug}")

    scenarios = [
        ("first page", {}),
        ("statut=accepted", {"statut": "accepted"}),
        ("statut=pending", {"statut": "pending"}),
        ("statut=refused", {"statut": "refused"}),
        (f"q={RARE_QUERY} (few rows)", {"q": RARE_QUERY}),
        (f"q={BROAD_QUERY} (many rows)", {"q": BROAD_QUERY}),
        ("page=2000", {"page": "2000"}),
    ]
    if args.explain:
        explain_manager(args.db_url, sender_id, scenarios)

    port = free_port()
    server = None
    try:
        forget_kept_pages(args.redis_url)
        server = start_gunicorn(args.db_url, args.redis_url, port, args.workers, args.worker_class,
                                args.server_threads)
        wait_until_up(server, port)
        log(f"[3] gunicorn on 127.0.0.1:{port}: {args.workers} workers, {args.worker_class}, "
            f"{args.server_threads} threads each (pid {server.pid})")

        client = log_in(port)
        log("[4] logged in through /connexion; manager latency "
            f"({args.warmup} warm-up + {args.requests} timed sequential requests each)")
        latency = []
        for label, query in ([] if args.only_pages else scenarios):
            path = "/gestionnaire" + ("?" + urlencode(query) if query else "")
            result = measure_latency(client, path, args.requests, args.warmup, args.latency_limit)
            result["label"] = label
            latency.append(result)
            log(f"  {label:<26} p50 {result['p50']:7.1f} ms  p95 {result['p95']:7.1f} ms  "
                f"max {result['max']:7.1f} ms  (n={result['n']}, errors={result['errors']}; {result['info']})")
        client.close()
        if args.only_manager:
            return 0

        started = time.perf_counter()
        opened = open_all(port, tokens)
        spent = time.perf_counter() - started
        log(f"[5] opened each of the {len(tokens)} recipient pages once in {spent:.1f} s "
            f"({spent / len(tokens) * 1000:.1f} ms each, {opened} answered 200): their 'opened' events are "
            "written now, so the throughput runs below only read")
        check_landing(port, f"/l/{slug}")
        targets = {"/bench/bare": ["/bench/bare"], "/c/<token>": [f"/c/{t}" for t in tokens],
                   "/l/<slug>": [f"/l/{slug}"]}
        measure_throughput(port, targets, args.threads, 2.0 * len(targets), 1)  # warm-up: fills the page cache
        time.sleep(2.0)  # the workers add the visits they noted in memory once a second
        visits_before = link_visits(args.db_url, args.redis_url, slug)
        throughput = measure_throughput(port, targets, args.threads, args.duration, args.rounds)
        for label, result in throughput.items():
            log(f"  {label:<12} {result['rps']:8.1f} req/s  ({result['ok']} ok, {result['errors']} errors in "
                f"{result['seconds']:.1f} s; p50 {result['p50']:.1f} ms, p95 {result['p95']:.1f} ms; "
                f"client used {result['client_cpu']:.0%} of a core)")
        bare, recipient, landing = throughput["/bench/bare"], throughput["/c/<token>"], throughput["/l/<slug>"]
        stop_gunicorn(server)  # its workers add the visits they still hold in memory as they stop
        server = None
        recorded = link_visits(args.db_url, args.redis_url, slug) - visits_before
        log(f"  link_visit counted {recorded} visits during the /l/<slug> run for {landing['ok']} answers 200"
            + ("" if recorded == landing["ok"] else "  <-- MISMATCH"))
    finally:
        stop_gunicorn(server)

    ratio = recipient["rps"] / bare["rps"] if bare["rps"] else 0.0
    landing_ratio = landing["rps"] / bare["rps"] if bare["rps"] else 0.0
    verdict = lambda ok: "PASS" if ok else "FAIL"  # noqa: E731
    lines = [
        "=" * 78,
        "SUMMARY  manager_bench",
        f"data: {args.consents_total:,} consents, measured sender {args.consents_sender:,}; "
        f"server: gunicorn {args.workers} x {args.worker_class} ({args.server_threads} threads); "
        f"{os.cpu_count()} cores shared with the client; code {code_version()}",
        "-" * 78,
        f"{'manager page':<28}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}   target p95 < {MANAGER_P95_MS:.0f} ms",
    ]
    for r in latency:
        lines.append(f"{r['label']:<28}{r['p50']:9.1f}{r['p95']:9.1f}{r['max']:9.1f}   "
                     f"{verdict(r['p95'] < MANAGER_P95_MS and not r['errors'])}")
    if latency:
        worst = max(latency, key=lambda r: r["p95"])
        lines.append(f"manager p95 < {MANAGER_P95_MS:.0f} ms (worst: {worst['label']}, {worst['p95']:.1f} ms): "
                     f"{verdict(all(r['p95'] < MANAGER_P95_MS and not r['errors'] for r in latency))}")
    lines += [
        "-" * 78,
        f"throughput ({args.threads} client threads, {args.duration:.0f} s each in {args.rounds} interleaved slices): "
        f"/bench/bare {bare['rps']:.1f} req/s, /c/<token> {recipient['rps']:.1f} req/s, "
        f"/l/<slug> {landing['rps']:.1f} req/s",
        f"recipient / bare = {ratio:.1%} (target >= {RATIO_TARGET:.0%}): {verdict(ratio >= RATIO_TARGET)}",
        f"landing / bare   = {landing_ratio:.1%} (target >= {RATIO_TARGET:.0%}): "
        f"{verdict(landing_ratio >= RATIO_TARGET)}",
        f"total run time {time.perf_counter() - run_started:.0f} s",
        "=" * 78,
    ]
    log("\n" + "\n".join(lines))
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "last_summary.txt").write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        log("interrupted")
        sys.exit(0)
