"""Benchmark of the background jobs: nightly expiry of a million consents, then email dispatch through RQ workers.

Usage: .venv/bin/python bench/jobs_bench.py [--consents 1000000 --emails 10000]
Uses its own PostgreSQL database `bench_jobs` (dropped and recreated) and one Redis index (flushed).
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import re
import resource
import subprocess
import sys
import threading
import time
import tracemalloc
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from sqlalchemy import create_engine, event, make_url, text  # noqa: E402

from manager_bench import RESULTS, code_version, free_port, log, reset_database  # noqa: E402
from wsgi_bench import BENCH_SECRET_KEY, bench_config  # noqa: E402

EXPIRY_TARGET_S = 90.0
EXPIRY_RSS_TARGET_MIB = 200.0
EMAILS_PER_S_TARGET = 200.0
PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024
MESSAGE_ID = re.compile(rb"^Message-ID:\s*(<[^>\r\n]+>)", re.I | re.M)

SEED_SQL = """
INSERT INTO sender (id, legal_name, siren, created_at)
SELECT s, 'Expéditeur bench ' || s, NULL, now() AT TIME ZONE 'utc' FROM generate_series(1, :senders) AS s;

INSERT INTO "user" (id, sender_id, email, password_hash, role, created_at)
SELECT s, s, 'gestion' || s || '@bench-jobs.example', 'bench-no-login', 'owner', now() AT TIME ZONE 'utc'
FROM generate_series(1, :senders) AS s;

INSERT INTO contact (id, sender_id, email, name, kind, created_at)
SELECT g, 1 + g % :senders, 'destinataire' || g || '@example.fr', 'Destinataire ' || g, 'particulier',
       now() AT TIME ZONE 'utc' - interval '40 days'
FROM generate_series(1, :consents) AS g;

INSERT INTO consent (id, sender_id, contact_id, status, scope_lre, scope_avis, channel, deadline, changed_at,
                     head_hash, search_text)
SELECT g, 1 + g % :senders, g, 'pending', true, false, 'email',
       date_trunc('second', now() AT TIME ZONE 'utc' - interval '1 hour' - (g % 10000) * interval '1 minute'),
       now() AT TIME ZONE 'utc' - interval '40 days', NULL, 'destinataire' || g || '@example.fr destinataire ' || g
FROM generate_series(1, :consents) AS g;

INSERT INTO consent_request (id, consent_id, sender_id, requested_by_id, channel, scope_lre, scope_avis,
                             delay_days, deadline, created_at, reminders_enabled)
SELECT id, id, sender_id, sender_id, 'email', true, false, 15, deadline, deadline - interval '15 days', true
FROM consent
"""

OUTBOX_SQL = """
INSERT INTO outbound_email (sender_id, request_id, kind, "to", subject, text_body, html_body, created_at, attempts)
SELECT 1 + g % :senders, CASE WHEN :with_requests AND g <= :consents THEN g END, 'request',
       'destinataire' || g || '@example.fr', 'Demande de consentement à la LRE n° ' || g,
       'Bonjour,' || chr(10) || 'Acceptez-vous de recevoir vos lettres recommandées par voie électronique ?'
           || chr(10) || 'Répondez ici : https://bench.example/c/token-' || g || chr(10),
       '<p>Bonjour,</p><p>Acceptez-vous de recevoir vos lettres recommandées par voie électronique ?</p>'
           || '<p><a href="https://bench.example/c/token-' || g || '">Répondre</a></p>',
       now() AT TIME ZONE 'utc', 0
FROM generate_series(1, :emails) AS g
"""


# --------------------------------------------------------------------------------------------- helpers

class PeakRSS:
    """Sample the resident memory of some processes in a thread and keep each one's peak (KiB)."""

    def __init__(self, pids: list[int], interval: float = 0.05, limit: float = 3600.0):
        """Prepare the sampler; nothing runs until start()."""
        self.pids, self.interval, self.limit = pids, interval, limit
        self.peak = {pid: 0 for pid in pids}
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def rss_kib(pid: int) -> int:
        """Resident memory of a process now, 0 when it is gone."""
        try:
            with open(f"/proc/{pid}/statm") as f:
                return int(f.read().split()[1]) * PAGE_KIB
        except (OSError, IndexError, ValueError):
            return 0

    def _run(self) -> None:
        """Sample until stopped or the time cap is reached."""
        deadline = time.monotonic() + self.limit
        while not self.stop_event.is_set() and time.monotonic() < deadline:
            for pid in self.pids:
                self.peak[pid] = max(self.peak[pid], self.rss_kib(pid))
            self.stop_event.wait(self.interval)

    def start(self) -> PeakRSS:
        """Start sampling."""
        self.thread.start()
        return self

    def stop(self) -> dict[int, int]:
        """Stop sampling and return the peaks."""
        self.stop_event.set()
        self.thread.join(timeout=5)
        return self.peak


class SqlTimer:
    """Add up the time the engine spends in cursor executions, per statement verb."""

    def __init__(self, engine):
        """Hook the engine's cursor events."""
        self.engine, self.seconds, self.count = engine, Counter(), Counter()
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn, _cursor, _statement, _parameters, _context, _many):
        conn.info["bench_started"] = time.perf_counter()

    def _after(self, conn, _cursor, statement, _parameters, _context, _many):
        verb = statement.lstrip().split(None, 1)[0].upper()
        self.seconds[verb] += time.perf_counter() - conn.info.pop("bench_started", time.perf_counter())
        self.count[verb] += 1

    def remove(self) -> None:
        """Unhook the engine."""
        event.remove(self.engine, "before_cursor_execute", self._before)
        event.remove(self.engine, "after_cursor_execute", self._after)

    def describe(self) -> str:
        """One line: seconds and statement count per verb."""
        return ", ".join(f"{v} {self.seconds[v]:.1f} s ({self.count[v]})" for v in sorted(self.seconds))


def run_sql(url: str, sql: str, params: dict) -> None:
    """Run a multi-statement SQL script in one transaction, printing each statement's time."""
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL statement_timeout = '600s'"))
        for statement in filter(str.strip, sql.split(";")):
            started = time.perf_counter()
            conn.execute(text(statement), params)
            log(f"  {' '.join(statement.split()[:3])}: {time.perf_counter() - started:.1f} s")
    engine.dispose()


def vacuum(url: str, tables: list[str] | None = None) -> None:
    """VACUUM (ANALYZE) the database (or some tables) and CHECKPOINT, so every run starts alike."""
    engine = create_engine(url)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM (ANALYZE) " + ", ".join(tables or [])))
        conn.execute(text("CHECKPOINT"))
    engine.dispose()


def scalar(url: str, sql: str, params: dict | None = None):
    """Run one query and return its single value."""
    engine = create_engine(url)
    with engine.connect() as conn:
        value = conn.execute(text(sql), params or {}).scalar_one()
    engine.dispose()
    return value


def make_app(args: argparse.Namespace):
    """The real app on bench_jobs, with the bench's Redis index."""
    from app import create_app

    return create_app({**bench_config(args.db_url), "REDIS_URL": args.redis_url})


def verdict(ok: bool) -> str:
    """PASS or FAIL."""
    return "PASS" if ok else "FAIL"


# ---------------------------------------------------------------------------------------------- expiry

def prepare_database(args: argparse.Namespace) -> None:
    """Create and migrate bench_jobs, then seed pending consents past their deadline with set-based SQL."""
    from flask_migrate import upgrade

    from consents.db import db

    started = time.perf_counter()
    reset_database(args.db_url)
    app = make_app(args)
    with app.app_context():
        upgrade()
        db.session.remove()
        db.engine.dispose()
    log(f"[1] database {make_url(args.db_url).database} reset and migrated in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    run_sql(args.db_url, SEED_SQL, {"senders": args.senders, "consents": args.consents})
    engine = create_engine(args.db_url)
    with engine.begin() as conn:
        for table in ("sender", "user", "contact", "consent", "consent_request"):
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                              f"(SELECT coalesce(max(id), 0) + 1 FROM \"{table}\"), false)"))
    engine.dispose()
    vacuum(args.db_url)
    log(f"[2] seeded {args.consents:,} pending consents past their deadline (with contacts and one request each) "
        f"for {args.senders} senders in {time.perf_counter() - started:.1f} s")


def timed_expiry(at, traced: bool) -> dict:
    """Call expire_overdue(at) once, timing it and measuring this process's memory (and CPU) during the call."""
    from consents.db import db
    from consents.deadlines import expire_overdue

    sql = SqlTimer(db.engine)
    sampler = PeakRSS([os.getpid()]).start()
    rss_before = PeakRSS.rss_kib(os.getpid())
    maxrss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if traced:
        tracemalloc.start()
    started, cpu = time.perf_counter(), time.process_time()
    try:
        per_sender = expire_overdue(at)
    finally:
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        traced_peak = tracemalloc.get_traced_memory()[1] if traced else 0
        tracemalloc.stop()
        peaks = sampler.stop()
        sql.remove()
    return {
        "seconds": seconds, "cpu": cpu, "traced": traced, "expired": sum(per_sender.values()), "senders": len(per_sender),
        "traced_peak_mib": traced_peak / 2**20, "rss_before_mib": rss_before / 1024,
        "rss_peak_mib": peaks[os.getpid()] / 1024,
        "maxrss_delta_mib": (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - maxrss_before) / 1024,
        "sql": sql.describe(), "sql_seconds": sum(sql.seconds.values()),
    }


def verify_chains(ids: list[int], length: int) -> list[int]:
    """Walk the chains of some consents with hash_event; return those that are not `length` linked expiries."""
    from sqlalchemy import select

    from consents.db import db
    from consents.events import GENESIS, hash_event
    from consents.models import REFUSED, Consent, ConsentEvent

    bad = []
    for consent_id in ids:
        consent = db.session.get(Consent, consent_id)
        chain = db.session.scalars(select(ConsentEvent).where(ConsentEvent.consent_id == consent_id)
                                   .order_by(ConsentEvent.id)).all()
        prev, ok = GENESIS, consent.status == REFUSED and len(chain) == length
        for ev in chain:
            ok = ok and ev.prev_hash == prev and hash_event(ev) == ev.hash and ev.kind == "expired" \
                and ev.request_id == consent_id and ev.data.get("deadline") is not None
            prev = ev.hash
        if not (ok and consent.head_hash == prev):
            bad.append(consent_id)
    db.session.rollback()
    return bad


def verify_expiry(n_consents: int, sample: int) -> dict:
    """Count what is left pending and the expired events; walk a random sample of chains."""
    from sqlalchemy import func, select

    from consents.db import db
    from consents.models import PENDING, Consent, ConsentEvent

    pending = db.session.scalar(select(func.count()).select_from(Consent).where(Consent.status == PENDING))
    events, distinct = db.session.execute(
        select(func.count(), func.count(func.distinct(ConsentEvent.consent_id))).where(ConsentEvent.kind == "expired")
    ).one()
    ids = sorted(random.Random(42).sample(range(1, n_consents + 1), min(sample, n_consents)))
    return {"pending": pending, "events": events, "distinct": distinct, "checked": len(ids),
            "bad": verify_chains(ids, 1)}


def describe_call(label: str, r: dict) -> None:
    """Print the time, CPU, SQL split and memory of one measured expire_overdue call."""
    log(f"  {label}: expired {r['expired']:,} consents of {r['senders']} senders in {r['seconds']:.1f} s "
        f"({r['expired'] / max(r['seconds'], 1e-9):,.0f}/s; this process used {r['cpu']:.1f} s CPU"
        f"{', tracemalloc on' if r['traced'] else ''})")
    log(f"    SQL, summed over the connections that work side by side: {r['sql']} = {r['sql_seconds']:.1f} s")
    log(f"    memory: tracemalloc peak {r['traced_peak_mib']:.1f} MiB; RSS {r['rss_before_mib']:.0f} MiB before, "
        f"peak {r['rss_peak_mib']:.0f} MiB (sampled every 50 ms), ru_maxrss delta {r['maxrss_delta_mib']:.1f} MiB")


def memory_pass(args: argparse.Namespace) -> dict:
    """Make the first consents pending again (chains kept) and expire them under tracemalloc; check 2-event chains."""
    from consents import clock
    from consents.db import db

    n = min(args.memory_consents, args.consents)
    db.session.execute(text("UPDATE consent SET status = 'pending' WHERE id <= :n"), {"n": n})
    db.session.commit()
    result = timed_expiry(clock.now(), traced=True)
    ids = sorted(random.Random(7).sample(range(1, n + 1), min(args.chain_sample, n)))
    result["bad"], result["checked"] = verify_chains(ids, 2), len(ids)
    return result


def run_expiry(args: argparse.Namespace) -> dict:
    """Seed, expire, verify, write the digests, expire again, measure tracemalloc; return the figures."""
    from consents import clock
    from consents.db import db
    from consents.deadlines import expire_overdue, queue_expiry_digests

    prepare_database(args)
    app = make_app(args)
    result: dict = {}
    with app.app_context():
        at = clock.now()
        inline = args.memory_mode == "inline"
        log(f"[3] expire_overdue() on {args.consents:,} overdue consents (one call) ...")
        result.update(timed_expiry(at, traced=inline))
        describe_call("timed call", result)

        started = time.perf_counter()
        check = verify_expiry(args.consents, args.chain_sample)
        result["verify"] = check
        log(f"[4] verified in {time.perf_counter() - started:.1f} s: {check['pending']} pending left, "
            f"{check['events']:,} 'expired' events for {check['distinct']:,} consents; "
            f"{check['checked'] - len(check['bad'])}/{check['checked']} sampled chains verify"
            + (f" (broken: {check['bad'][:10]})" if check["bad"] else ""))

        started = time.perf_counter()
        digests = queue_expiry_digests(at.date()).email_ids
        result["digests"], result["digests_s"] = len(digests), time.perf_counter() - started
        log(f"[5] queue_expiry_digests({at.date()}): {len(digests)} digests in {result['digests_s']:.1f} s")

        started = time.perf_counter()
        again = expire_overdue()
        result["second"], result["second_s"] = sum(again.values()), time.perf_counter() - started
        log(f"  second expire_overdue(): {result['second']} expired in {result['second_s']:.2f} s")

        if not inline:
            log(f"[5b] tracemalloc pass: the first {min(args.memory_consents, args.consents):,} consents made pending "
                "again (chains kept), expired once more under tracemalloc")
            result["memory"] = memory_pass(args)
            describe_call("tracemalloc call", result["memory"])
            m = result["memory"]
            log(f"    {m['checked'] - len(m['bad'])}/{m['checked']} sampled chains of two linked expiries verify")
        db.session.remove()
        db.engine.dispose()
    return result


# -------------------------------------------------------------------------------------------- dispatch

def sink_main(port: int, conn, limit: float) -> None:
    """Run an aiosmtpd sink answering 250 to everything; report messages, Message-IDs and connections."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import SMTP

    class Handler:
        """Count messages and remember their Message-IDs."""

        def __init__(self):
            """Start at zero."""
            self.connections, self.messages, self.ids, self.duplicates = 0, 0, set(), 0

        async def handle_DATA(self, _server, _session, envelope):
            """Accept the message and count it."""
            self.messages += 1
            match = MESSAGE_ID.search(envelope.original_content or b"")
            if match:
                if match.group(1) in self.ids:
                    self.duplicates += 1
                self.ids.add(match.group(1))
            return "250 OK"

    class CountingSMTP(SMTP):
        """An SMTP session that counts the connections it serves."""

        def connection_made(self, transport):
            """Count, then serve as usual."""
            self.event_handler.connections += 1
            super().connection_made(transport)

    class SinkController(Controller):
        """A controller that builds counting sessions."""

        def factory(self):
            """Build one counting session."""
            return CountingSMTP(self.handler, **self.SMTP_kwargs)

    handler = Handler()
    controller = SinkController(handler, hostname="127.0.0.1", port=port, server_hostname="bench-sink")
    controller.start()
    handler.connections = 0  # the controller's own start-up probe
    conn.send("ready")
    if conn.poll(limit):
        conn.recv()
    controller.stop()
    conn.send({"connections": handler.connections, "messages": handler.messages,
               "distinct_ids": len(handler.ids), "duplicates": handler.duplicates})


def start_sink(limit: float):
    """Start the sink in its own process on a free port; return (process, pipe, port)."""
    ctx = multiprocessing.get_context("spawn")
    port = free_port()
    parent, child = ctx.Pipe()
    process = ctx.Process(target=sink_main, args=(port, child, limit), daemon=True)
    process.start()
    if not parent.poll(30) or parent.recv() != "ready":
        raise RuntimeError("the SMTP sink did not start")
    return process, parent, port


def stop_sink(process, pipe) -> dict:
    """Ask the sink for its counts and stop it."""
    stats = {}
    try:
        pipe.send("stop")
        if pipe.poll(15):
            stats = pipe.recv()
    except (OSError, EOFError):
        pass
    process.join(timeout=10)
    if process.is_alive():
        process.kill()
        process.join(timeout=5)
    return stats


def write_outbox(args: argparse.Namespace) -> list[int]:
    """Insert the outbox rows with one set-based INSERT; return their ids."""
    engine = create_engine(args.db_url)
    with engine.begin() as conn:
        ids = conn.execute(text(OUTBOX_SQL + " RETURNING id"), {
            "senders": args.senders, "consents": args.consents, "emails": args.emails,
            "with_requests": not args.plain_emails}).scalars().all()
    engine.dispose()
    vacuum(args.db_url, ["outbound_email"])
    return sorted(ids)


def start_workers(args: argparse.Namespace, port: int) -> list[subprocess.Popen]:
    """Start the burst SimpleWorkers, each logging to bench/results/rq-worker-N.log."""
    env = dict(os.environ, DATABASE_URL=args.db_url, REDIS_URL=args.redis_url, MAIL_BACKEND="smtp",
               MAIL_SERVER="127.0.0.1", MAIL_PORT=str(port), APP_ENV="testing", SECRET_KEY=BENCH_SECRET_KEY,
               PYTHONPATH=str(ROOT))
    RESULTS.mkdir(parents=True, exist_ok=True)
    workers = []
    for n in range(args.workers):
        with open(RESULTS / f"rq-worker-{n + 1}.log", "w") as out:
            workers.append(subprocess.Popen(
                [str(ROOT / ".venv" / "bin" / "rq"), "worker", "--burst", "--worker-class", "worker.AppWorker",
                 "--url", args.redis_url, "--name", f"bench-jobs-{os.getpid()}-{n + 1}", "--path", str(ROOT),
                 "default"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True))
    return workers


def stop_workers(workers: list[subprocess.Popen]) -> None:
    """Terminate the workers we started that are still running, killing them if they hang."""
    for worker in workers:
        if worker.poll() is None:
            worker.terminate()
    for worker in workers:
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(timeout=5)


def outbox_state(url: str) -> dict:
    """Sent, failed, claimed rows, attempts and the first/last sent_at of the outbox."""
    engine = create_engine(url)
    with engine.connect() as conn:
        row = conn.execute(text(
            "SELECT count(*) FILTER (WHERE sent_at IS NOT NULL), count(*) FILTER (WHERE failed_at IS NOT NULL), "
            "count(*) FILTER (WHERE claimed_at IS NOT NULL), count(*) FILTER (WHERE attempts > 1), "
            "min(sent_at), max(sent_at), count(*) FROM outbound_email WHERE kind = 'request'")).one()
        sent_events = conn.execute(text("SELECT count(*) FROM consent_event WHERE kind = 'sent'")).scalar_one()
    engine.dispose()
    window = (row[5] - row[4]).total_seconds() if row[4] and row[5] else 0.0
    return {"sent": row[0], "failed": row[1], "claimed": row[2], "retried": row[3], "window_s": window,
            "rows": row[6], "sent_events": sent_events}


def run_dispatch(args: argparse.Namespace) -> dict:
    """Send the outbox through RQ SimpleWorkers to the sink; return the figures."""
    from rq import Queue

    from consents.db import db
    from jobs.queue import dispatch_emails, get_redis

    redis = get_redis(args.redis_url)
    redis.flushdb()
    result: dict = {}
    sink = pipe = None
    workers: list[subprocess.Popen] = []
    try:
        sink, pipe, port = start_sink(args.worker_timeout + 120)
        started = time.perf_counter()
        ids = write_outbox(args)
        log(f"[6] SMTP sink (aiosmtpd, own process) on 127.0.0.1:{port}; wrote {len(ids):,} outbox rows "
            f"({'plain' if args.plain_emails else 'request emails: mark_sent chains a sent event'}) "
            f"in {time.perf_counter() - started:.1f} s")
        app = make_app(args)
        with app.app_context():
            started = time.perf_counter()
            queued = dispatch_emails(ids)
            result["enqueue_s"] = time.perf_counter() - started
            db.session.remove()
            db.engine.dispose()
        result["queued"] = queued
        log(f"  dispatch_emails: {queued:,} emails enqueued in {result['enqueue_s']:.1f} s "
            f"({queued / max(result['enqueue_s'], 1e-9):,.0f} emails/s) as {Queue('default', connection=redis).count:,} jobs")

        log(f"[7] {args.workers} x rq worker --burst --worker-class worker.AppWorker ...")
        started = time.perf_counter()
        workers = start_workers(args, port)
        sampler = PeakRSS([w.pid for w in workers], interval=0.2, limit=args.worker_timeout).start()
        deadline = time.monotonic() + args.worker_timeout
        while time.monotonic() < deadline and any(w.poll() is None for w in workers):
            time.sleep(0.1)
        result["seconds"] = time.perf_counter() - started
        result["timed_out"] = any(w.poll() is None for w in workers)
        result["worker_rss_mib"] = [p / 1024 for p in sampler.stop().values()]
        stop_workers(workers)
        result["exit_codes"] = [w.returncode for w in workers]
        queue = Queue("default", connection=redis)
        result["left_in_queue"], result["failed_jobs"] = queue.count, queue.failed_job_registry.count
        result["scheduled_retries"] = queue.scheduled_job_registry.count
        result["errors"] = sum((RESULTS / f"rq-worker-{n + 1}.log").read_text().count("Traceback")
                               for n in range(args.workers))
        result["sink"] = stop_sink(sink, pipe)
        sink = None
        result.update(outbox_state(args.db_url))
    finally:
        stop_workers(workers)
        if sink is not None:
            stop_sink(sink, pipe)
        redis.flushdb()
    result["rate"] = result["sink"].get("messages", 0) / max(result["seconds"], 1e-9)
    s = result["sink"]
    log(f"  workers exited {result['exit_codes']} after {result['seconds']:.1f} s"
        f"{' (TIME CAP REACHED, killed)' if result['timed_out'] else ''}: {result['rate']:.0f} emails/s end to end; "
        f"steady state {result['sent'] / max(result['window_s'], 1e-9):.0f} emails/s "
        f"(first to last sent_at {result['window_s']:.1f} s)")
    log(f"  sink: {s.get('messages')} messages ({s.get('distinct_ids')} distinct Message-IDs, "
        f"{s.get('duplicates')} duplicates) over {s.get('connections')} SMTP connections")
    log(f"  outbox: {result['sent']:,}/{result['rows']:,} rows sent_at set, {result['failed']} failed, "
        f"{result['claimed']} still claimed, {result['retried']} retried; {result['sent_events']:,} 'sent' events; "
        f"queue left {result['left_in_queue']}, failed jobs {result['failed_jobs']}, retries scheduled "
        f"{result['scheduled_retries']}, tracebacks in worker logs {result['errors']}")
    log(f"  worker peak RSS: {', '.join(f'{r:.0f} MiB' for r in result['worker_rss_mib'])}")
    return result


# ------------------------------------------------------------------------------------------------- main

def parse_args() -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/bench_jobs")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/5")
    parser.add_argument("--consents", type=int, default=1_000_000)
    parser.add_argument("--senders", type=int, default=100)
    parser.add_argument("--emails", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--chain-sample", type=int, default=100)
    parser.add_argument("--worker-timeout", type=float, default=600.0, help="time cap of the workers' run (s)")
    parser.add_argument("--memory-mode", choices=("separate", "inline"), default="separate",
                        help="separate: the timed call runs without tracemalloc (RSS sampled), then a second call on "
                             "--memory-consents rows runs under it; inline: tracemalloc during the timed call itself")
    parser.add_argument("--memory-consents", type=int, default=50_000)
    parser.add_argument("--plain-emails", action="store_true",
                        help="outbox rows without a request (mark_sent then writes no event)")
    args = parser.parse_args()
    if make_url(args.db_url).database in ("test", "bench"):
        parser.error("bench_jobs uses its own database, never 'test' or 'bench'")
    if args.redis_url.rstrip("/").endswith(("6379", "/0")):
        parser.error("use a Redis index other than 0")
    if not 0 < args.senders <= args.consents:
        parser.error("need 0 < --senders <= --consents")
    return args


def main() -> int:
    """Run both parts, print a summary; always exit 0."""
    args = parse_args()
    run_started, load_start = time.perf_counter(), os.getloadavg()[0]
    expiry = dispatch = None
    try:
        expiry = run_expiry(args)
    except Exception as exc:  # the summary still prints
        log(f"expiry part failed: {type(exc).__name__}: {exc}")
    try:
        if expiry is not None:
            dispatch = run_dispatch(args)
    except Exception as exc:
        log(f"dispatch part failed: {type(exc).__name__}: {exc}")

    lines = ["=" * 78, "SUMMARY  jobs_bench",
             f"{args.consents:,} consents, {args.senders} senders, {args.emails:,} emails, {args.workers} workers; "
             f"{os.cpu_count()} cores shared by PostgreSQL, Redis, the sink and the workers; code {code_version()}",
             "-" * 78]
    if expiry:
        v = expiry["verify"]
        correct = (v["pending"] == 0 and v["events"] == v["distinct"] == args.consents and not v["bad"]
                   and expiry["digests"] == args.senders and expiry["second"] == 0)
        m = expiry.get("memory") or expiry
        correct = correct and not m.get("bad")
        lines += [
            f"expire_overdue: {expiry['expired']:,} in {expiry['seconds']:.1f} s "
            f"({expiry['expired'] / max(expiry['seconds'], 1e-9):,.0f}/s; SQL {expiry['sql_seconds']:.1f} s over all connections, "
            f"own CPU {expiry['cpu']:.1f} s{', tracemalloc on' if expiry['traced'] else ''})",
            f"  memory: RSS peak {expiry['rss_peak_mib']:.0f} MiB (+{expiry['rss_peak_mib'] - expiry['rss_before_mib']:.0f} "
            f"MiB during the call), ru_maxrss +{expiry['maxrss_delta_mib']:.0f} MiB; tracemalloc peak "
            f"{m['traced_peak_mib']:.1f} MiB" + ("" if m is expiry else f" (separate call, {m['expired']:,} rows)"),
            f"  checks: {v['pending']} pending left, {v['events']:,} expired events ({v['distinct']:,} consents), "
            f"{v['checked'] - len(v['bad'])}/{v['checked']} chains verify, {expiry['digests']} digests "
            f"in {expiry['digests_s']:.1f} s, second run expired {expiry['second']}: {verdict(correct)}",
            f"expiry under {EXPIRY_TARGET_S:.0f} s: {verdict(expiry['seconds'] < EXPIRY_TARGET_S and correct)}",
            f"expiry RSS peak under {EXPIRY_RSS_TARGET_MIB:.0f} MiB: "
            f"{verdict(expiry['rss_peak_mib'] < EXPIRY_RSS_TARGET_MIB)}",
        ]
    else:
        lines.append(f"expiry under {EXPIRY_TARGET_S:.0f} s: FAIL (did not run to the end)")
    lines.append("-" * 78)
    if dispatch:
        s = dispatch["sink"]
        exact = (s.get("messages") == s.get("distinct_ids") == args.emails and not s.get("duplicates")
                 and dispatch["sent"] == args.emails and not dispatch["timed_out"] and not dispatch["errors"])
        lines += [
            f"dispatch: {s.get('messages', 0):,} emails in {dispatch['seconds']:.1f} s = {dispatch['rate']:.0f} emails/s "
            f"(steady {dispatch['sent'] / max(dispatch['window_s'], 1e-9):.0f}/s; enqueue {dispatch['enqueue_s']:.1f} s)",
            f"  sink: {s.get('messages')} messages, {s.get('distinct_ids')} distinct, {s.get('duplicates')} doubled, "
            f"{s.get('connections')} SMTP connections; {dispatch['sent']:,} rows sent_at set; "
            f"{dispatch['errors']} job errors; worker RSS {', '.join(f'{r:.0f}' for r in dispatch['worker_rss_mib'])} "
            f"MiB: {verdict(exact)}",
            f"emails/s >= {EMAILS_PER_S_TARGET:.0f}: {verdict(dispatch['rate'] >= EMAILS_PER_S_TARGET and exact)}",
        ]
    else:
        lines.append(f"emails/s >= {EMAILS_PER_S_TARGET:.0f}: FAIL (did not run to the end)")
    lines += [f"total run time {time.perf_counter() - run_started:.0f} s; load average at start {load_start:.1f}, "
              f"at end {os.getloadavg()[0]:.1f}", "=" * 78]
    log("\n" + "\n".join(lines))
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "jobs_last_summary.txt").write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        log("interrupted")
    except Exception as exc:  # exit 0 regardless, as the brief asks
        log(f"bench failed: {type(exc).__name__}: {exc}")
    sys.exit(0)
