"""Share-link visits: counted in Redis by the public page, moved into `link_visit` by a job every minute.

Counting in Redis keeps a database write (and a lock on one hot row per link and day) off every visit.
"""
from __future__ import annotations

import logging
from collections import Counter
from datetime import date

import redis
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from consents import clock
from consents.db import db, skip_disk_wait
from consents.models import LinkVisit, ShareLink
from jobs.queue import get_redis

log = logging.getLogger(__name__)
COUNTING = "link-visits:"  # + slug: a hash of ISO day -> visits not yet in the database
MOVING = "link-visits-moving:"  # + slug: counts a flush took out of COUNTING and has not yet stored
FLUSH_LOCK = "link-visits-flush-lock"
# Atomic: visits counted from now on go to a fresh hash, none is lost or moved twice; a crashed flush's
# leftovers in the moving hash are added to, not overwritten.
_MOVE_ASIDE = """
local counts = redis.call('HGETALL', KEYS[1])
for i = 1, #counts, 2 do redis.call('HINCRBY', KEYS[2], counts[i], counts[i + 1]) end
redis.call('DEL', KEYS[1])
return #counts
"""


def counter_key(slug: str) -> str:
    """The Redis hash that counts a link's visits per day."""
    return COUNTING + slug


def today() -> str:
    """The counter field of today's visits (UTC day, like the stored counts)."""
    return clock.now().date().isoformat()


def count_visit(link: ShareLink) -> None:
    """Count one opening of the link's page today; straight into the database when Redis is unreachable."""
    try:
        get_redis().hincrby(counter_key(link.slug), today(), 1)
    except redis.RedisError as exc:
        log.warning("visit of link %s counted in the database, Redis unreachable: %s", link.id, exc)
        store_visits({(link.id, clock.now().date()): 1})
        db.session.commit()


def store_visits(counts: dict[tuple[int, date], int]) -> None:
    """Add visits per (link id, day) to the stored counts, in the current transaction."""
    insert = postgresql_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    skip_disk_wait()  # visit counts are statistics
    for (link_id, day), visits in counts.items():
        statement = insert(LinkVisit).values(link_id=link_id, day=day, visits=visits)
        db.session.execute(statement.on_conflict_do_update(
            index_elements=["link_id", "day"], set_={"visits": LinkVisit.visits + statement.excluded.visits}))


def _decode(counts: dict) -> Counter:
    """Redis hash of bytes -> Counter of date."""
    return Counter({date.fromisoformat(day.decode()): int(n) for day, n in counts.items()})


def pending_visits(link: ShareLink) -> Counter:
    """Visits per day counted in Redis and not yet stored (empty when Redis is unreachable)."""
    try:
        pipe = get_redis().pipeline(transaction=False)
        counting, moving = pipe.hgetall(counter_key(link.slug)).hgetall(MOVING + link.slug).execute()
    except redis.RedisError as exc:
        log.warning("pending visits unknown, Redis unreachable: %s", exc)
        return Counter()
    return _decode(counting) + _decode(moving)


def flush_visits() -> int:
    """Move every counted visit from Redis into the database; return how many moved."""
    connection = get_redis()
    # Two flushes at once would both store what one of them moved aside.
    if not connection.set(FLUSH_LOCK, b"1", nx=True, ex=300):
        return 0
    try:
        return _flush(connection)
    finally:
        connection.delete(FLUSH_LOCK)


def _flush(connection) -> int:
    """Move COUNTING hashes aside, store them with any MOVING leftovers, then drop them."""
    move_aside = connection.register_script(_MOVE_ASIDE)
    for key in list(connection.scan_iter(f"{COUNTING}*")):
        move_aside(keys=[key, MOVING + key.decode()[len(COUNTING):]])
    moving = list(connection.scan_iter(f"{MOVING}*"))
    if not moving:
        return 0
    by_slug = {key.decode()[len(MOVING):]: _decode(connection.hgetall(key)) for key in moving}
    link_ids = dict(db.session.query(ShareLink.slug, ShareLink.id).filter(ShareLink.slug.in_(list(by_slug))))
    counts = {(link_ids[slug], day): n for slug, days in by_slug.items() if slug in link_ids
              for day, n in days.items()}
    store_visits(counts)
    db.session.commit()
    # A crash between this commit and the delete would count these visits twice: statistics, not evidence.
    connection.delete(*moving)
    return sum(counts.values())
