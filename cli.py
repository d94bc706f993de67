"""Command-line tools: the demo account and the embedded all-in-one runner."""
from __future__ import annotations

import os
import signal
import subprocess
import sys

import click
from flask import Flask
from rq.job import Job

from consents.accounts import sign_up
from consents.models import User
from jobs.billing import close_previous_month
from jobs.evidence import checkpoint_chains
from jobs.maintenance import nightly_expiry, send_reminders, sweep_outbox
from jobs.queue import get_queue
from jobs.demo_tsa import start_demo_tsa
from jobs.standin import start_standin

DEMO_EMAIL = "demo@cabinet-demo.fr"
DEMO_PASSWORD = "demo-consentement-2026"


def register(app: Flask) -> None:
    """Attach the CLI commands to `app`."""

    @app.cli.command("demo")
    def demo():
        """Create the demo sender account (once) and print its credentials."""
        if User.query.filter_by(email=DEMO_EMAIL).first() is None:
            sign_up("Cabinet Démo Gestion Locative", "732829320", DEMO_EMAIL, DEMO_PASSWORD)
        click.echo(f"Compte de démonstration : {DEMO_EMAIL} / {DEMO_PASSWORD}")

    @app.cli.command("embedded")
    @click.option("--host", default="127.0.0.1")
    @click.option("--port", default=5000, type=int)
    @click.option("--redis-port", default=6399, type=int)
    def embedded(host: str, port: int, redis_port: int):
        """Run the dev server, an in-process Redis stand-in, the demonstration TSA and an RQ worker together."""
        server = start_standin(redis_port)
        redis_url = f"redis://127.0.0.1:{redis_port}/0"
        env = dict(os.environ, REDIS_URL=redis_url, BASE_URL=os.environ.get("BASE_URL", f"http://{host}:{port}"))
        tsa = None
        if not env.get("TSA_URL"):
            # A newcomer sees a complete proof: a local `openssl ts` authority, labelled as a demonstration everywhere.
            try:
                tsa = start_demo_tsa(app.instance_path)
            except (OSError, subprocess.CalledProcessError) as exc:  # no openssl here: run on, proofs wait for a TSA
                click.echo(f"Pas d'autorité d'horodatage de démonstration (openssl absent ou en échec : {exc}) ; "
                           "les preuves resteront « horodatage en attente ».")
            else:
                env.update(TSA_URL=tsa.url, TSA_CA_FILE=str(tsa.ca_file))
                click.echo(f"Autorité d'horodatage de DÉMONSTRATION (non qualifiée) : {tsa.url}")
        # The stand-in speaks too little Lua for the limiter's scripts: keep rate limits in memory here.
        env.setdefault("RATELIMIT_STORAGE_URI", "memory://")
        rq = os.path.join(os.path.dirname(sys.executable), "rq")
        worker = subprocess.Popen(
            [rq, "worker", "--with-scheduler", "--worker-class", "worker.AppWorker", "--url", redis_url, "default"],
            env=env,
        )
        scheduler = subprocess.Popen([rq, "cron", "jobs.cron", "--url", redis_url], env=env)
        click.echo(f"Redis de substitution : {redis_url} ; worker RQ (pid {worker.pid}) et cron RQ (pid {scheduler.pid}) lancés.")
        click.echo(f"Ouvrez {env['BASE_URL']}  —  emails envoyés : {env['BASE_URL']}/dev/outbox")
        try:
            subprocess.run([sys.executable, "-m", "flask", "--app", "app", "run", "--host", host, "--port", str(port)],
                           env=env, check=False)
        except KeyboardInterrupt:
            pass
        finally:
            for process in (scheduler, worker):
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=10)
            if tsa is not None:
                tsa.stop()
            server.shutdown()

    jobs = click.Group("jobs", help="Background jobs: failures, requeue, and running scheduled work now.")
    app.cli.add_command(jobs)

    @jobs.command("failures")
    def failures():
        """List the failed jobs with their last error line."""
        registry = get_queue().failed_job_registry
        ids = registry.get_job_ids()
        if not ids:
            click.echo("Aucun job en échec.")
        for job in Job.fetch_many(ids, connection=registry.connection):
            if job is not None:
                last = (job.latest_result().exc_string or "").strip().splitlines()[-1:] if job.latest_result() else []
                click.echo(f"{job.id}  {job.func_name}{job.args}  {last[0] if last else ''}")

    @jobs.command("requeue")
    @click.argument("job_ids", nargs=-1)
    @click.option("--all", "requeue_all", is_flag=True, help="Requeue every failed job.")
    def requeue(job_ids, requeue_all):
        """Put failed jobs back in the queue."""
        registry = get_queue().failed_job_registry
        targets = registry.get_job_ids() if requeue_all else list(job_ids)
        if not targets:
            raise click.UsageError("Indiquez des identifiants de jobs ou --all.")
        for job_id in targets:
            registry.requeue(job_id)
        click.echo(f"{len(targets)} job(s) remis en file.")

    @jobs.command("run")
    @click.argument("name", type=click.Choice(["expiry", "reminders", "sweep", "checkpoint", "billing"]))
    def run_now(name):
        """Run one scheduled job now, in this process."""
        result = {"expiry": nightly_expiry, "reminders": send_reminders, "sweep": sweep_outbox,
                  "checkpoint": checkpoint_chains, "billing": close_previous_month}[name]()
        click.echo(f"{name}: {result}")
