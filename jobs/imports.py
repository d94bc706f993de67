"""The import job: a previewed file's rows asked or recorded chunk by chunk, each chunk's emails sent as it commits."""
from __future__ import annotations

from consents.imports import run_import
from jobs.dispatch import dispatch


def import_file(import_id: int) -> int:
    """Run one import to its end; return how many chunks it committed."""
    chunks = 0
    for outcome in run_import(import_id):
        dispatch(outcome)
        chunks += 1
    return chunks
