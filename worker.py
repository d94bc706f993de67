"""The RQ worker's entry point: `rq worker --worker-class worker.AppWorker` runs every job in the app's context."""
from __future__ import annotations

from rq import SimpleWorker

from app import create_app
from consents.db import db


class AppWorker(SimpleWorker):
    """A worker (no fork per job) whose jobs run inside one application, configured from the environment."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.app = create_app()

    def perform_job(self, job, queue) -> bool:
        """Run the job in an application context and release its database session afterwards."""
        with self.app.app_context():
            try:
                return super().perform_job(job, queue)
            finally:
                db.session.remove()
