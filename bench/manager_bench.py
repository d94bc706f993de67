"""Benchmark: seed a PostgreSQL `bench` database, serve it with gunicorn, time the manager and the public pages.

Usage: .venv/bin/python bench/manager_bench.py [--skip-seed] [--consents-total 1000000 --consents-sender 100000]
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

from sqlalchemy import create_engine, event, make_url, text  # noqa: E402

from wsgi_bench import bench_config  # noqa: E402

EMAIL = "gestion@bench-immo.fr"
PASSWORD = "bench-mot-de-passe-solide"
RARE_NAME = "Zoé Quintard"
RARE_QUERY = "quintard"
BROAD_QUERY = "martin"
MANAGER_P95_MS = 50.0
PUBLIC_P95_MS = 50.0
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


def migrate_and_sign_up(url: str) -> int:
    """Run the migrations and create the measured sender's owner; return the sender id."""
    from flask_migrate import upgrade

    from app import create_app
    from consents.accounts import sign_up
    from consents.db import db

    app = create_app(bench_config(url))
    with app.app_context():
        upgrade()
        sender_id = sign_up("Cabinet Bench Gestion", "732829320", EMAIL, PASSWORD).sender_id
        db.session.remove()
        db.engine.dispose()
    return sender_id


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

# Requests nobody opened yet, on pending consents far from their deadline: the unused ones of earlier runs first
# (a token's clear text follows from its request id), then new requests on consents that have none.
UNOPENED_SQL = """
SELECT r.id FROM consent_request r JOIN request_token t ON t.request_id = r.id
WHERE r.opened_at IS NULL AND r.answered_at IS NULL AND r.deadline > now() AT TIME ZONE 'utc' + interval '2 days'
  AND t.token_hash = encode(sha256(convert_to('bench-token-' || lpad(r.id::text, 20, '0'), 'UTF8')), 'hex')
ORDER BY r.id LIMIT CAST(:n AS integer)
"""

NEW_REQUESTS_SQL = """
WITH picked AS (
    SELECT c.id, c.sender_id, c.scope_lre, c.scope_avis, c.deadline FROM consent c
    WHERE c.status = 'pending' AND c.deadline > now() AT TIME ZONE 'utc' + interval '2 days'
      AND NOT EXISTS (SELECT 1 FROM consent_request r WHERE r.consent_id = c.id)
    ORDER BY c.id LIMIT CAST(:n AS integer)
), made AS (
    INSERT INTO consent_request (consent_id, sender_id, requested_by_id, channel, scope_lre, scope_avis,
                                 delay_days, deadline, created_at, sent_at)
    SELECT p.id, p.sender_id, (SELECT min(u.id) FROM "user" u WHERE u.sender_id = p.sender_id), 'email',
           p.scope_lre, p.scope_avis, 15, p.deadline,
           now() AT TIME ZONE 'utc' - interval '1 day', now() AT TIME ZONE 'utc' - interval '1 day'
    FROM picked p
    RETURNING id, created_at
)
INSERT INTO request_token (request_id, token_hash, created_at)
SELECT id, encode(sha256(convert_to('bench-token-' || lpad(id::text, 20, '0'), 'UTF8')), 'hex'), created_at
FROM made
"""


def token_for(request_id: int) -> str:
    """The clear token of a bench request (its SHA-256 is what `request_token.token_hash` holds)."""
    return "bench-token-" + str(request_id).rjust(20, "0")


def seed(url: str, sender_id: int, total: int, per_sender: int, others: int) -> None:
    """Fill the database with senders, contacts and consents by set-based SQL."""
    engine = create_engine(url)
    first_other = sender_id + 1
    params = {
        "sender_id": sender_id, "first_other": first_other, "others": others, "total": total,
        "per_sender": per_sender, "rare_step": max(1, per_sender // 5),
    }
    literals = {":first_names": sql_array(FIRST), ":last_names": sql_array(LAST), ":domains": sql_array(DOMAINS)}
    literals.update({f":{k}": str(v) for k, v in params.items()})
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
        for table in ("sender", "contact", "consent"):
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))
    vacuum(engine)
    engine.dispose()


def vacuum(engine) -> None:
    """VACUUM (ANALYZE) and CHECKPOINT, so every run starts from the same on-disk state."""
    started = time.perf_counter()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM (ANALYZE)"))
        conn.execute(text("CHECKPOINT"))
    log(f"  VACUUM (ANALYZE) and CHECKPOINT: {time.perf_counter() - started:.1f} s")


def unopened_requests(url: str, n: int) -> list[int]:
    """Ids of `n` never-opened requests with a bench token, creating as many as needed; every run gets its own."""
    engine = create_engine(url)
    with engine.begin() as conn:
        ids = conn.execute(text(UNOPENED_SQL), {"n": n}).scalars().all()
        if len(ids) < n:
            conn.execute(text(NEW_REQUESTS_SQL), {"n": n - len(ids)})
            conn.execute(text("ANALYZE consent_request, request_token"))
            ids = conn.execute(text(UNOPENED_SQL), {"n": n}).scalars().all()
    engine.dispose()
    if len(ids) < n:
        raise RuntimeError(f"only {len(ids)} unopened requests can be made (pending consents ran out): reseed")
    return list(ids)


def ensure_share_link(url: str, sender_id: int) -> str:
    """Return the slug of an active share link of the measured sender, inserting one if it has none."""
    engine = create_engine(url)
    with engine.begin() as conn:
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


def link_visits(url: str, slug: str) -> int:
    """Visits stored in `link_visit` for the link (whatever else the app version keeps elsewhere)."""
    engine = create_engine(url)
    with engine.connect() as conn:
        visits = conn.execute(text("SELECT coalesce(sum(v.visits), 0) FROM link_visit v JOIN share_link l "
                                   "ON l.id = v.link_id WHERE l.slug = :slug"), {"slug": slug}).scalar_one()
    engine.dispose()
    return int(visits)


def check_openings(url: str, request_ids: list[int]) -> dict:
    """For the given requests: how many have `opened_at` set, and how many have exactly one 'opened' event."""
    engine = create_engine(url)
    with engine.connect() as conn:
        row = conn.execute(text(
            "SELECT count(*), count(r.opened_at), count(*) FILTER (WHERE e.n = 1), coalesce(sum(e.n), 0) "
            "FROM consent_request r LEFT JOIN (SELECT request_id, count(*) AS n FROM consent_event "
            "  WHERE kind = 'opened' AND request_id = ANY(:ids) GROUP BY request_id) e ON e.request_id = r.id "
            "WHERE r.id = ANY(:ids)"), {"ids": request_ids}).one()
    engine.dispose()
    found, opened_at, one_event, events = row
    return {"requests": len(request_ids), "found": found, "opened_at": opened_at, "one_event": one_event,
            "events": int(events), "ok": found == opened_at == one_event == events == len(request_ids)}


def describe_data(url: str, sender_id: int) -> str:
    """Print what the measured sender holds, by stored and effective status; return a one-line description."""
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
    return f"{total:,} consents, measured sender {sum(n for _, n in rows):,}"


# ------------------------------------------------------------------------------------------------ server

def free_port() -> int:
    """Ask the kernel for a free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(url: str, redis_url: str, port: int, workers: int, worker_class: str,
                   threads: int) -> subprocess.Popen:
    """Start gunicorn (of the running venv) on this tree's bench/wsgi_bench.py, in its own process group."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    command = [
        str(Path(sys.executable).parent / "gunicorn"), "--chdir", str(ROOT / "bench"), "--pythonpath", str(ROOT),
        "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--worker-class", worker_class,
        "--threads", str(threads), "--timeout", "60", "--log-level", "warning",
        "--error-logfile", str(RESULTS / "gunicorn.log"), "wsgi_bench:app",
    ]
    env = dict(os.environ, BENCH_DATABASE_URL=url, BENCH_REDIS_URL=redis_url)
    return subprocess.Popen(command, env=env, cwd=ROOT, start_new_session=True)


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
    raise RuntimeError(f"gunicorn did not answer within {limit:.0f} s")


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
    """A keep-alive HTTP/1.1 client over http.client; keeps cookies unless it plays a new visitor each time."""

    def __init__(self, port: int, keep_cookies: bool = True):
        """Open nothing yet: the connection is made on the first request."""
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.keep_cookies = keep_cookies
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
        for cookie in (response.msg.get_all("Set-Cookie") or []) if self.keep_cookies else []:
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
    """Nearest-rank percentile of a list (0 when empty)."""
    if not values:
        return 0.0
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
    return {"n": len(times), "errors": errors, "info": info,
            "p50": percentile(times, 0.50), "p95": percentile(times, 0.95), "max": max(times)}


def run_clients(port: int, shares: list[list[str]], duration: float, cycle: bool) -> dict:
    """One cookieless keep-alive client per share of paths, each GETting its paths in turn for `duration` seconds
    (going round again if `cycle`, else stopping at the end of its share); return counts, latencies, paths served."""
    served: list[list[str]] = [[] for _ in shares]
    errors = [0] * len(shares)
    latencies: list[list[float]] = [[] for _ in shares]
    ended = [0.0] * len(shares)
    stop = threading.Event()

    def worker(index: int) -> None:
        """GET this thread's paths until told to stop or out of paths."""
        client, paths, i = Client(port, keep_cookies=False), shares[index], 0
        try:
            while not stop.is_set() and paths and (cycle or i < len(paths)):
                path = paths[i % len(paths)]
                i += 1
                started = time.perf_counter()
                status, _ = client.get(path)
                latencies[index].append((time.perf_counter() - started) * 1000)
                if status == 200:
                    served[index].append(path)
                else:
                    errors[index] += 1
        except OSError:
            errors[index] += 1
        finally:
            client.close()
            ended[index] = time.perf_counter()

    threads = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(len(shares))]
    cpu_before, started = time.process_time(), time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(0.0, started + duration - time.perf_counter()))
    stop.set()
    for thread in threads:
        thread.join(timeout=35)
    seconds = max(ended) - started
    flat = [t for part in latencies for t in part]
    ok = [path for part in served for path in part]
    return {"ok": len(ok), "errors": sum(errors), "seconds": seconds, "rps": len(ok) / seconds, "served": ok,
            "p50": percentile(flat, 0.50), "p95": percentile(flat, 0.95), "p99": percentile(flat, 0.99),
            "client_cpu": (time.process_time() - cpu_before) / seconds}


def split(paths: list[str], parts: int) -> list[list[str]]:
    """Deal paths round-robin into `parts` shares, so no two threads GET the same one."""
    return [paths[n::parts] for n in range(parts)]


def check_landing(port: int, path: str) -> None:
    """GET the share-link landing page once and make sure it shows the form (an inactive link answers 410)."""
    client = Client(port, keep_cookies=False)
    status, page = client.get(path)
    client.close()
    if status != 200 or b'name="email"' not in page:
        raise RuntimeError(f"{path} answered {status} without the landing form")


def describe_run(label: str, result: dict) -> None:
    """Print one public page's figures."""
    log(f"  {label:<24} {result['rps']:7.1f} req/s  p50 {result['p50']:6.1f}  p95 {result['p95']:6.1f}  "
        f"p99 {result['p99']:6.1f} ms  ({result['ok']} ok, {result['errors']} errors in {result['seconds']:.1f} s; "
        f"client used {result['client_cpu']:.0%} of a core)")


def describe_openings(check: dict) -> str:
    """One line on the database state of the opened requests."""
    return (f"{check['requests']} requests answered 200: {check['opened_at']} have opened_at, {check['one_event']} "
            f"have exactly one 'opened' event ({check['events']} 'opened' events in all): "
            + ("OK" if check["ok"] else "MISMATCH"))


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
        for label, args, *_page in scenarios:
            captured.clear()
            status_counts(sender_id)
            list_consents(sender_id, status=args.get("statut"), q=args.get("q", ""), page=int(args.get("page", 1)))
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
                        help="Redis URL given to the served app (queue, and the page cache of versions that have one)")
    parser.add_argument("--consents-total", type=int, default=1_000_000)
    parser.add_argument("--consents-sender", type=int, default=100_000)
    parser.add_argument("--other-senders", type=int, default=90, help="senders sharing the other consents")
    parser.add_argument("--tokens", type=int, default=20_000,
                        help="never-opened recipient tokens made ready at the start of every run")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per manager page")
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests per manager page")
    parser.add_argument("--latency-limit", type=float, default=60.0, help="seconds allowed per manager page")
    parser.add_argument("--threads", type=int, default=4, help="client threads of the public page runs")
    parser.add_argument("--duration", type=float, default=15.0, help="seconds of each public page run")
    parser.add_argument("--bare-duration", type=float, default=5.0,
                        help="seconds of the bare-route reference run (0: none)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worker-class", default="gthread")
    parser.add_argument("--server-threads", type=int, default=4)
    parser.add_argument("--skip-seed", action="store_true",
                        help="reuse the bench database as it is (only while the schema is unchanged)")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of the manager's SQL")
    parser.add_argument("--only-manager", action="store_true", help="time the manager pages only")
    parser.add_argument("--only-pages", action="store_true", help="measure the public pages only")
    args = parser.parse_args()
    if not 0 < args.consents_sender <= args.consents_total:
        parser.error("need 0 < --consents-sender <= --consents-total")
    return args


def code_version() -> str:
    """The measured code: short git revision, marked when files outside bench/ differ from it."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", ".", ":(exclude)bench"], cwd=ROOT,
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return (head or "unknown") + (" + uncommitted changes" if dirty else "") + f" ({ROOT})"


def prepare(args: argparse.Namespace) -> int:
    """Create, migrate and seed the database (or reuse it); return the measured sender's id."""
    if args.skip_seed:
        engine = create_engine(args.db_url)
        with engine.connect() as conn:
            sender_id = conn.execute(text('SELECT sender_id FROM "user" WHERE email = :e'), {"e": EMAIL}).scalar_one()
        engine.dispose()
        return sender_id
    started = time.perf_counter()
    reset_database(args.db_url)
    sender_id = migrate_and_sign_up(args.db_url)
    log(f"[1] database reset and migrated in {time.perf_counter() - started:.1f} s (sender id {sender_id})")
    started = time.perf_counter()
    seed(args.db_url, sender_id, args.consents_total, args.consents_sender, args.other_senders)
    log(f"[2] seeded {args.consents_total:,} consents ({args.consents_sender:,} for the measured sender) "
        f"in {time.perf_counter() - started:.1f} s")
    return sender_id


def measure_manager(port: int, scenarios: list[tuple[str, dict]], args: argparse.Namespace) -> list[dict]:
    """Log in and time each manager scenario with sequential requests."""
    client = log_in(port)
    log(f"[4] logged in through /connexion; manager latency ({args.warmup} warm-up + {args.requests} timed "
        "sequential requests each)")
    results = []
    for label, query, *page in scenarios:
        path = (page[0] if page else "/gestionnaire") + ("?" + urlencode(query) if query else "")
        result = measure_latency(client, path, args.requests, args.warmup, args.latency_limit)
        result["label"] = label
        results.append(result)
        log(f"  {label:<26} p50 {result['p50']:7.1f} ms  p95 {result['p95']:7.1f} ms  max {result['max']:7.1f} ms  "
            f"(n={result['n']}, errors={result['errors']}; {result['info']})")
    client.close()
    return results


def measure_public(port: int, args: argparse.Namespace, request_ids: list[int], slug: str) -> tuple[dict, list[str]]:
    """Run the public pages as real visitors use them; return the runs by label and the check lines."""
    threads, runs, checks = args.threads, {}, []
    paths = {f"/c/{token_for(i)}": i for i in request_ids}
    queue = list(paths)
    warm, queue = queue[:threads * 5], queue[threads * 5:]
    check_landing(port, f"/l/{slug}")
    run_clients(port, split(warm, threads), 60.0, cycle=False)  # each worker renders both pages once or more
    run_clients(port, [[f"/l/{slug}"]] * threads, 1.0, cycle=True)
    log(f"[5] public pages: {threads} cookieless keep-alive client threads, {args.duration:.0f} s per run "
        f"({len(warm)} tokens opened as warm-up, {len(queue):,} never-opened tokens ready)")
    if args.bare_duration > 0:
        runs["/bench/bare (reference)"] = run_clients(port, [["/bench/bare"]] * threads, args.bare_duration, cycle=True)
        describe_run("/bench/bare (reference)", runs["/bench/bare (reference)"])

    first = runs["/c/<token> first opening"] = run_clients(port, split(queue, threads), args.duration, cycle=False)
    describe_run("/c/<token> first opening", first)
    if first["ok"] + first["errors"] >= len(queue):
        log(f"  note: all {len(queue):,} tokens were used before the {args.duration:.0f} s ran out; raise --tokens")
    opened = [paths[p] for p in warm] + [paths[p] for p in first["served"]]
    checks.append("first openings: " + describe_openings(check_openings(args.db_url, opened)))
    log("  " + checks[-1])

    repeat = runs["/c/<token> repeat opening"] = run_clients(port, split(first["served"], threads), args.duration,
                                                             cycle=False)
    describe_run("/c/<token> repeat opening", repeat)
    checks.append("after repeat openings: " + describe_openings(check_openings(args.db_url, opened)))
    log(f"  each of {len(first['served']):,} opened tokens opened again at most once; " + checks[-1])

    before = link_visits(args.db_url, slug)
    landing = runs["/l/<slug> new visitor"] = run_clients(port, [[f"/l/{slug}"]] * threads, args.duration, cycle=True)
    describe_run("/l/<slug> new visitor", landing)
    recorded = link_visits(args.db_url, slug) - before
    checks.append(f"link_visit grew by {recorded} for {landing['ok']} GETs of /l/<slug> answered 200: "
                  + ("OK" if recorded == landing["ok"] else
                     f"MISMATCH ({landing['ok'] - recorded} not in link_visit; this app version may keep visits "
                     "elsewhere, e.g. in Redis until a job moves them)"))
    log("  " + checks[-1])
    return runs, checks


def verdict(p95: float, errors: int, target: float) -> str:
    """PASS when the p95 is under the target and nothing failed."""
    return "PASS" if p95 < target and not errors else "FAIL"


def summary(args: argparse.Namespace, data: str, manager: list[dict], runs: dict, checks: list[str],
            seconds: float) -> list[str]:
    """The block to paste into a note."""
    lines = [
        "=" * 100,
        f"SUMMARY  manager_bench  {time.strftime('%Y-%m-%d %H:%M')}  code {code_version()}",
        f"data: {data}; server: gunicorn "
        f"{args.workers} x {args.worker_class} ({args.server_threads} threads); client: {args.threads} threads",
        f"machine: {os.cpu_count()} cores shared by the client and the server (client CPU share printed per run); "
        "load average at the end: " + " ".join(f"{n:.2f}" for n in os.getloadavg()),
    ]
    if manager:
        lines += ["-" * 100,
                  f"{'manager page (sequential)':<34}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}   "
                  f"target p95 < {MANAGER_P95_MS:.0f} ms"]
        for r in manager:
            lines.append(f"{r['label']:<34}{r['p50']:9.1f}{r['p95']:9.1f}{r['max']:9.1f}   "
                         f"{verdict(r['p95'], r['errors'], MANAGER_P95_MS)}")
    if runs:
        lines += ["-" * 100,
                  f"{'public page':<34}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'ok':>8}{'errors':>8}   "
                  f"target p95 < {PUBLIC_P95_MS:.0f} ms"]
        for label, r in runs.items():
            mark = "(no target)" if "bare" in label else verdict(r["p95"], r["errors"], PUBLIC_P95_MS)
            lines.append(f"{label:<34}{r['rps']:9.1f}{r['p50']:9.1f}{r['p95']:9.1f}{r['p99']:9.1f}"
                         f"{r['ok']:8d}{r['errors']:8d}   {mark}")
        lines += ["checks: " + checks[0]] + ["        " + c for c in checks[1:]]
    lines += [f"total run time {seconds:.0f} s", "=" * 100]
    return lines


def main() -> int:
    """Run every step, print the results and a summary; always stop gunicorn."""
    args = parse_args()
    run_started = time.perf_counter()
    sender_id = prepare(args)
    data = describe_data(args.db_url, sender_id)
    started = time.perf_counter()
    request_ids = [] if args.only_manager else unopened_requests(args.db_url, args.tokens + args.threads * 5)
    slug = ensure_share_link(args.db_url, sender_id)
    log(f"  {len(request_ids):,} never-opened tokens ready in {time.perf_counter() - started:.1f} s; "
        f"share link of the measured sender: /l/{slug}")

    scenarios = [
        ("first page", {}),
        ("statut=accepted", {"statut": "accepted"}),
        ("statut=pending", {"statut": "pending"}),
        ("statut=refused", {"statut": "refused"}),
        (f"q={RARE_QUERY} (few rows)", {"q": RARE_QUERY}),
        (f"q={BROAD_QUERY} (many rows)", {"q": BROAD_QUERY}),
        ("page=2000", {"page": "2000"}),
        # The tabs' counts load in a request of their own once the list is shown (hx-trigger="load").
        ("counts (own request)", {}, "/gestionnaire/compteurs"),
    ]
    if args.explain:
        explain_manager(args.db_url, sender_id, scenarios)

    port = free_port()
    server = None
    manager, runs, checks = [], {}, []
    try:
        server = start_gunicorn(args.db_url, args.redis_url, port, args.workers, args.worker_class,
                                args.server_threads)
        wait_until_up(server, port)
        log(f"[3] gunicorn on 127.0.0.1:{port}: {args.workers} workers, {args.worker_class}, "
            f"{args.server_threads} threads each (pid {server.pid}), serving {ROOT}")
        if not args.only_pages:
            manager = measure_manager(port, scenarios, args)
        if not args.only_manager:
            runs, checks = measure_public(port, args, request_ids, slug)
    finally:
        stop_gunicorn(server)

    lines = summary(args, data, manager, runs, checks, time.perf_counter() - run_started)
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
