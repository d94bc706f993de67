"""Run job bodies inside an application context and release the database session afterwards."""
from __future__ import annotations

from contextlib import contextmanager

from flask import has_app_context

_app = None


def _worker_app():
    """Create the worker's application once per process, from the environment."""
    global _app
    if _app is None:
        from app import create_app
        _app = create_app()
    return _app


@contextmanager
def job_context():
    """Reuse the caller's app context (tests, eager runs) or push the worker's own."""
    if has_app_context():
        yield
        return
    from consents.db import db

    with _worker_app().app_context():
        try:
            yield
        finally:
            db.session.remove()
