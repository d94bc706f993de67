"""Benchmark of a consent's whole life at scale: import 100,000 rows (preview, then record), export them as CSV.

Usage: .venv/bin/python bench/life_bench.py [--rows 100000]
Uses its own PostgreSQL database `bench_life` (dropped and recreated). A syndic imports the attendance list of its
general assemblies: one Windows-1252 file with a header, `;` and accents, plus a few bad rows, as Excel writes it.
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from jobs_bench import PeakRSS, SqlTimer, verdict  # noqa: E402
from manager_bench import FIRST, LAST, code_version, log, reset_database  # noqa: E402
from wsgi_bench import bench_config  # noqa: E402

PREVIEW_TARGET_S, IMPORT_TARGET_S, IMPORT_RSS_TARGET_MIB, EXPORT_TARGET_S = 10.0, 60.0, 300.0, 10.0
EXPORT_GROWTH_MIB = 30.0  # a streamed export holds one chunk of rows, whatever their number


def spreadsheet(rows: int, bad_every: int = 1000) -> bytes:
    """A French Excel CSV: header, `;`, Windows-1252 accents; one row in `bad_every` is wrong."""
    pick = random.Random(7)
    lines = ["Email;Nom;Type"]
    for n in range(rows):
        name = f"{pick.choice(FIRST)} {pick.choice(LAST)}-{n}"
        email = "adresse invalide" if n % bad_every == 999 else f"coproprietaire{n}@exemple-syndic.fr"
        lines.append(f"{email};{name};{pick.choice(('particulier', 'Particulier', 'professionnel', ''))}")
    return ("\r\n".join(lines) + "\r\n").encode("cp1252", errors="replace")


def high_water_mib() -> float:
    """This process's peak resident memory (VmHWM: reset at exec, unlike ru_maxrss)."""
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024


def import_in_worker(db_url: str, files: str, import_id: int, results) -> None:
    """Run one import as an RQ worker would: a fresh process with the app, nothing else; report time and memory."""
    from app import create_app
    from consents.db import db
    from consents.imports import run_import

    app = create_app({**bench_config(db_url), "EVIDENCE_DIR": files})
    with app.app_context():
        sql = SqlTimer(db.engine)
        before = high_water_mib()
        cpu, started = time.process_time(), time.perf_counter()
        chunks = sum(1 for _outcome in run_import(import_id))
        results.put({"seconds": time.perf_counter() - started, "cpu": time.process_time() - cpu, "chunks": chunks,
                     "sql": sql.describe(), "rss_before": before,
                     "rss_peak": high_water_mib()})
        db.engine.dispose()


def main() -> int:
    """Seed nothing but a sender, then time the preview, the recorded import and the export."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/bench_life")
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()

    from flask_migrate import upgrade

    from app import create_app
    from consents.accounts import sign_up
    from consents.db import db
    from consents.events import verify_chains
    from consents.evidence_models import ImportFile, Proof
    from consents.exports import export_lines
    from consents.imports import RECORD, choose_action, parse, run_import, upload_import
    from consents.models import Consent

    reset_database(args.db_url)
    files = tempfile.mkdtemp(prefix="bench-life-")
    app = create_app({**bench_config(args.db_url), "EVIDENCE_DIR": files})
    content = spreadsheet(args.rows)
    lines = []
    with app.app_context():
        upgrade()
        user = sign_up("Syndic Bench Copropriétés", "", "syndic@bench-life.fr", "bench-mot-de-passe-solide")
        sender_id = user.sender_id
        log(f"[1] database bench_life migrated; file of {args.rows:,} rows, {len(content) / 1e6:.1f} MB (cp1252, ';')")

        started = time.perf_counter()
        parsed = parse(content)
        preview_s = time.perf_counter() - started
        imported, _parsed = upload_import(user.sender, user, "presences-ag.csv", content)
        log(f"[2] preview: {len(parsed.good):,} good rows, {len(parsed.bad):,} bad rows read in {preview_s:.2f} s "
            f"({parsed.encoding}, separator {parsed.separator!r}, header {parsed.header})")

        choose_action(imported, RECORD, {"lre": True, "avis": True, "obtained_on": date(2026, 3, 12).isoformat(),
                                         "source": "assemblee_generale", "reference": "AG du 12/03/2026, résolution 14"})
        import_id = imported.id
        db.session.remove()
        context = multiprocessing.get_context("spawn")
        results = context.Queue()
        worker = context.Process(target=import_in_worker, args=(args.db_url, files, import_id, results))
        worker.start()
        measured = results.get(timeout=1800)
        worker.join()
        import_s, import_cpu, chunks = measured["seconds"], measured["cpu"], measured["chunks"]
        before, peak = measured["rss_before"], measured["rss_peak"]
        sql_line = measured["sql"]
        imported = db.session.get(ImportFile, import_id)
        consents, proofs = Consent.query.count(), Proof.query.count()
        log(f"[3] record: {imported.created:,} created, {imported.skipped:,} skipped, {imported.rejected:,} rejected in "
            f"{chunks} chunks, {import_s:.1f} s in a worker process of its own (its CPU {import_cpu:.1f} s; SQL {sql_line}); "
            f"its RSS {before:.0f} MiB with the app loaded, peak {peak:.0f} MiB")
        report = verify_chains()
        correct = (imported.created == len(parsed.good) == consents == proofs and imported.rejected == len(parsed.bad)
                   and not report.breaks)
        log(f"    checks: {consents:,} consents, {proofs:,} signed declaration receipts, {report.events:,} events, "
            f"chains {'intact' if not report.breaks else 'BROKEN'}: {verdict(correct)}")

        db.session.remove()
        rss = PeakRSS([os.getpid()]).start()
        before_export = PeakRSS.rss_kib(os.getpid()) / 1024
        started, size, pieces = time.perf_counter(), 0, 0
        with app.test_request_context():
            for piece in export_lines(sender_id, status=None, q="", link_id=None):
                size += len(piece.encode("utf-8"))
                pieces += 1
        export_s = time.perf_counter() - started
        export_peak = rss.stop()[os.getpid()] / 1024
        growth = export_peak - before_export
        log(f"[4] export: {size / 1e6:.1f} MB in {pieces} pieces in {export_s:.1f} s; RSS {before_export:.0f} MiB "
            f"before, peak {export_peak:.0f} MiB (+{growth:.0f} MiB)")
        db.session.remove()
        db.engine.dispose()

    lines = [
        "=" * 78, "SUMMARY  life_bench",
        f"{args.rows:,} rows, one sender, PostgreSQL; 2 cores; code {code_version()}", "-" * 78,
        f"preview of {args.rows:,} rows: {preview_s:.2f} s  (target < {PREVIEW_TARGET_S:.0f} s): "
        f"{verdict(preview_s < PREVIEW_TARGET_S)}",
        f"import, record mode: {import_s:.1f} s  (target < {IMPORT_TARGET_S:.0f} s): "
        f"{verdict(import_s < IMPORT_TARGET_S and correct)}",
        f"import peak RSS: {peak:.0f} MiB  (target < {IMPORT_RSS_TARGET_MIB:.0f} MiB): "
        f"{verdict(peak < IMPORT_RSS_TARGET_MIB)}",
        f"export of {consents:,} rows ({size / 1e6:.1f} MB): {export_s:.1f} s, RSS +{growth:.0f} MiB  (target < "
        f"{EXPORT_TARGET_S:.0f} s, memory flat: under +{EXPORT_GROWTH_MIB:.0f} MiB): "
        f"{verdict(export_s < EXPORT_TARGET_S and growth < EXPORT_GROWTH_MIB)}",
        "=" * 78,
    ]
    log("\n" + "\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
