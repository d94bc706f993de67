"""The manager's acceptance funnel: per channel, what became of the last 30 days' requests, day by day."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import case, func, select

from consents import clock
from consents.db import db
from consents.link_models import LinkConfirmation, LinkVisit, ShareLink
from consents.models import ACCEPTED, ConsentRequest

FUNNEL_DAYS = 30
EMAIL, LINK = "email", "lien"


@dataclass
class Funnel:
    """A channel's three steps per UTC day, oldest first: sent, opened, accepted (or visits, confirmations, …)."""

    channel: str
    series: list[tuple[date, int, int, int]]

    @property
    def totals(self) -> tuple[int, int, int]:
        """Each step's total over the period."""
        return tuple(sum(day[step] for day in self.series) for step in (1, 2, 3))


def _day(value) -> date:
    """A grouped day as a date (SQLite's date() answers with text)."""
    return value if isinstance(value, date) else date.fromisoformat(value)


def funnels(sender_id: int, days: int = FUNNEL_DAYS) -> list[Funnel]:
    """The email and the share link funnels of a sender's requests made in the last `days` days (today included)."""
    start = clock.now().date() - timedelta(days=days - 1)
    since = datetime.combine(start, time())
    steps = {channel: {start + timedelta(days=i): [0, 0, 0] for i in range(days)} for channel in (EMAIL, LINK)}
    # Requests are grouped by the day they were made, so each step counts the same requests: a cohort per day,
    # read on the (sender_id, created_at) index. A link's request is made when its visitor asked for the email.
    made = func.date(ConsentRequest.created_at)
    requests = (select(ConsentRequest.channel, made, func.count(ConsentRequest.sent_at),
                       func.count(ConsentRequest.opened_at), func.count(case((ConsentRequest.answer == ACCEPTED, 1))))
                .where(ConsentRequest.sender_id == sender_id, ConsentRequest.created_at >= since,
                       ConsentRequest.channel.in_((EMAIL, LINK)))
                .group_by(ConsentRequest.channel, made))
    for channel, day, sent, opened, accepted in db.session.execute(requests):
        counts = steps[channel].get(_day(day))
        if counts is None:  # made after today: only a clock moved back does that
            continue
        if channel == EMAIL:
            counts[:] = [sent, opened, accepted]
        else:  # a link's visits and confirmations are counted where they are kept, below
            counts[2] = accepted
    visits = (select(LinkVisit.day, func.sum(LinkVisit.visits)).join(ShareLink, ShareLink.id == LinkVisit.link_id)
              .where(ShareLink.sender_id == sender_id, LinkVisit.day >= start).group_by(LinkVisit.day))
    asked = func.date(LinkConfirmation.created_at)
    confirmations = (select(asked, func.count()).join(ShareLink, ShareLink.id == LinkConfirmation.link_id)
                     .where(ShareLink.sender_id == sender_id, LinkConfirmation.created_at >= since).group_by(asked))
    for step, query in ((0, visits), (1, confirmations)):
        for day, n in db.session.execute(query):
            if _day(day) in steps[LINK]:
                steps[LINK][_day(day)][step] = int(n)
    return [Funnel(channel, [(day, *values) for day, values in sorted(by_day.items())])
            for channel, by_day in steps.items()]
