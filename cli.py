"""Command-line tools: the demo account and the embedded all-in-one runner."""
from __future__ import annotations

import os
import signal
import subprocess
import sys

import click
from flask import Flask

DEMO_EMAIL = "demo@cabinet-demo.fr"
DEMO_PASSWORD = "demo-consentement-2026"


def register(app: Flask) -> None:
    """Attach the CLI commands to `app`."""

    @app.cli.command("demo")
    def demo():
        """Create the demo sender account (once) and print its credentials."""
        from consents.accounts import sign_up
        from consents.models import User

        if User.query.filter_by(email=DEMO_EMAIL).first() is None:
            sign_up("Cabinet Démo Gestion Locative", "732829320", DEMO_EMAIL, DEMO_PASSWORD)
        click.echo(f"Compte de démonstration : {DEMO_EMAIL} / {DEMO_PASSWORD}")

    @app.cli.command("embedded")
    @click.option("--host", default="127.0.0.1")
    @click.option("--port", default=5000, type=int)
    @click.option("--redis-port", default=6399, type=int)
    def embedded(host: str, port: int, redis_port: int):
        """Run the dev server, an in-process Redis stand-in and an RQ worker together."""
        from jobs.standin import start_standin

        server = start_standin(redis_port)
        redis_url = f"redis://127.0.0.1:{redis_port}/0"
        env = dict(os.environ, REDIS_URL=redis_url, BASE_URL=os.environ.get("BASE_URL", f"http://{host}:{port}"))
        # The stand-in speaks too little Lua for the limiter's scripts: keep rate limits in memory here.
        env.setdefault("RATELIMIT_STORAGE_URI", "memory://")
        rq = os.path.join(os.path.dirname(sys.executable), "rq")
        worker = subprocess.Popen(
            [rq, "worker", "--with-scheduler", "--worker-class", "rq.worker.SimpleWorker", "--url", redis_url, "default"],
            env=env,
        )
        click.echo(f"Redis de substitution : {redis_url} ; worker RQ lancé (pid {worker.pid}).")
        click.echo(f"Ouvrez {env['BASE_URL']}  —  emails envoyés : {env['BASE_URL']}/dev/outbox")
        try:
            subprocess.run([sys.executable, "-m", "flask", "--app", "app", "run", "--host", host, "--port", str(port)],
                           env=env, check=False)
        except KeyboardInterrupt:
            pass
        finally:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=10)
            server.shutdown()
