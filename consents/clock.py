"""The one source of the current time, so tests can move it."""
from datetime import datetime, timezone


def now() -> datetime:
    """Return the current UTC time as a naive datetime (the database stores naive UTC)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def days_until(at: datetime) -> int:
    """Whole days left before `at`, rounded up, never negative."""
    seconds = (at - now()).total_seconds()
    return max(0, -int(-seconds // 86400))
