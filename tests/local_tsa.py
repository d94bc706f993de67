"""The tests' RFC 3161 authority lives with the application's demonstration one (jobs/demo_tsa.py)."""
from jobs.demo_tsa import LocalTSA, make_authority  # noqa: F401 - kept importable for tests that name it here
