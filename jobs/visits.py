"""Moving share-link visit counts from Redis into the database."""
from __future__ import annotations

from consents.visits import flush_visits
from jobs.context import job_context


def flush_link_visits() -> int:
    """Store the visits counted in Redis since the last run; return how many."""
    with job_context():
        return flush_visits()
