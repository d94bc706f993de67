"""Folding the manager's count deltas, so reading them stays a short sum."""
from __future__ import annotations

from consents.counts import merge_counts
from jobs.context import job_context


def merge_consent_counts() -> int:
    """Merge each sender's count rows into one; return how many senders."""
    with job_context():
        return merge_counts()
