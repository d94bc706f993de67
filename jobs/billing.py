"""The monthly closing: the previous month's statements, issued once however often it runs."""
from __future__ import annotations

from consents import clock
from consents.billing import close_month, month_of, previous_month


def close_previous_month() -> str:
    """Issue every sender's statement of the month that just ended (nothing when it was closed already)."""
    month = previous_month(month_of(clock.now()))
    issued = close_month(month)
    return f"{month:%Y-%m}: {len(issued)} relevé(s) émis"
