"""Public pages rendered once, kept in Redis and served again with the visitor's own CSRF token spliced in.

A recipient's page and a share link's landing page are the same for every visitor of one language, except
for the CSRF token. Keeping the rendered HTML lets a flood of visits (mail scanners that prefetch links,
a newsletter sent to thousands) cost one Redis call each instead of database queries and a template render.

Each worker process also keeps the pages it served in memory for LOCAL_LIFE, so a burst of visits costs no
Redis call at all: after an answer, another process may show the old page for that long (answering from it
again only shows the recorded answer). Visits seen from memory are added to Redis at most a second later.

Each page has a generation counter. `forget` bumps it when the state a page shows changes (an answer, a link
switched off), and a page rendered from data read before that change is never stored: the store only
succeeds while the generation is the one read before the database was. Every entry also carries the time it
stops being true (clock time, so a frozen clock in tests holds too), for example a request's deadline.
"""
from __future__ import annotations

import atexit
import calendar
import hashlib
import logging
import threading
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import redis
from flask import current_app, g, render_template, request, session
from flask_babel import get_locale
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from consents import clock
from jobs.queue import get_redis

log = logging.getLogger(__name__)

# Markup is inserted as is, while any text a sender typed is escaped: the marker cannot come from content.
CSRF_MARKER = Markup("<csrf-token/>")
LONGEST = timedelta(days=1)

# A hit returns {page}; a miss returns {false, generation}. A hit may count a visit in the same call.
_FETCH = """
local page = redis.call('GET', KEYS[1])
if page then
  if KEYS[3] then redis.call('HINCRBY', KEYS[3], ARGV[1], 1) end
  return {page}
end
return {false, redis.call('GET', KEYS[2]) or '0'}
"""
_STORE = """
if (redis.call('GET', KEYS[2]) or '0') ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
return 1
"""
_scripts: dict = {}

LOCAL_LIFE = 2.0  # seconds a process serves a page from memory before asking Redis again
LOCAL_MAX = 2000  # pages kept in memory per process
VISIT_FLUSH = 1.0  # seconds between two additions of the visits seen from memory
_local: dict[str, tuple[float, bytes]] = {}
_visits: Counter = Counter()  # (hash key, field) -> visits seen from memory, not yet in Redis
_visits_lock = threading.Lock()
_visits_redis = None  # the Redis of the app this process serves, for the flusher thread and the exit
_flusher: threading.Thread | None = None
_signed_tokens: dict[tuple[str, str], str] = {}


def _code_version() -> str:
    """A digest of the templates and catalogues, so pages kept by an older release are never served."""
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted([*root.glob("templates/**/*.html"), *root.glob("translations/*/LC_MESSAGES/*.mo")]):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


_VERSION = _code_version()


def _script(connection, source: str):
    """A Lua script bound to this connection: sent by its hash, loaded once per Redis."""
    if (connection, source) not in _scripts:
        _scripts[connection, source] = connection.register_script(source)
    return _scripts[connection, source]


def _epoch(at: datetime) -> int:
    """Seconds since 1970 of a naive UTC datetime."""
    return calendar.timegm(at.utctimetuple())


def _page_key(kind: str, ident: str, language: str) -> str:
    """Redis key of one page in one language, for this release."""
    return f"page:{kind}:{ident}:{language}:{_VERSION}"


def _generation_key(kind: str, ident: str) -> str:
    """Redis key of the counter `forget` bumps."""
    return f"page-gen:{kind}:{ident}"


def _servable() -> bool:
    """False for a signed-in user or pending flash messages: their page differs from everyone else's."""
    return "_user_id" not in session and "_flashes" not in session


def _csrf_token() -> str:
    """The visitor's signed CSRF token, signed once per session token (it carries no expiry to renew)."""
    raw = session.get("csrf_token")
    if raw is None or current_app.config.get("WTF_CSRF_TIME_LIMIT") is not None:
        return generate_csrf()
    memo_key = (current_app.secret_key, raw)
    if memo_key not in _signed_tokens:
        if len(_signed_tokens) >= LOCAL_MAX:
            _signed_tokens.clear()
        _signed_tokens[memo_key] = generate_csrf()
    return _signed_tokens[memo_key]


def _serve(html: str, status: int) -> tuple[str, int]:
    """Put the visitor's CSRF token where the marker stands."""
    return html.replace(str(CSRF_MARKER), _csrf_token()), status


def fetch(kind: str, ident: str, count: tuple[str, str] | None = None) -> tuple[str, int] | None:
    """Return the kept page (body, status) for this visitor's language, or None; `count` is (hash key, field)."""
    g.page_generation = None
    if not _servable():
        return None
    page_key = _page_key(kind, ident, str(get_locale()))
    local = _local.get(page_key)
    if local is not None and local[0] > time.monotonic():
        entry = local[1]
        if count:
            _count_later(count)
    else:
        keys = [page_key, _generation_key(kind, ident)] + ([count[0]] if count else [])
        try:
            reply = _script(get_redis(), _FETCH)(keys=keys, args=[count[1]] if count else [])
        except redis.RedisError as exc:
            log.warning("page cache unreachable: %s", exc)
            return None
        if reply[0] is None:
            g.page_generation = reply[1]
            return None
        entry = reply[0]
        _keep_locally(page_key, entry)
    header, _, body = entry.partition(b"\n")
    status, valid_until = (int(part) for part in header.split())
    if _epoch(clock.now()) >= valid_until:
        return None
    return _serve(body.decode("utf-8"), status)


def _keep_locally(page_key: str, entry: bytes) -> None:
    """Remember a page in this process for LOCAL_LIFE."""
    if len(_local) >= LOCAL_MAX:
        _local.clear()  # cheaper than tracking age, and refilled from Redis within one visit per page
    _local[page_key] = (time.monotonic() + LOCAL_LIFE, entry)


def _count_later(count: tuple[str, str]) -> None:
    """Note a visit served from memory; a thread of this process adds the noted visits to Redis every second."""
    with _visits_lock:
        _visits[count] += 1
        if _flusher is None or not _flusher.is_alive():
            _start_flusher()


def _start_flusher() -> None:
    """Start the thread that adds noted visits to Redis (one per process, started after gunicorn forks)."""
    global _flusher, _visits_redis
    _visits_redis = get_redis()

    def loop():
        while True:
            time.sleep(VISIT_FLUSH)
            add_noted_visits()

    _flusher = threading.Thread(target=loop, name="visit-flusher", daemon=True)
    _flusher.start()


@atexit.register
def add_noted_visits() -> None:
    """Add the visits noted in memory to their Redis counters in one round trip; a stopping worker does it too."""
    with _visits_lock:
        pending = dict(_visits)
        _visits.clear()
    if not pending or _visits_redis is None:
        return
    try:
        pipe = _visits_redis.pipeline(transaction=False)
        for (key, field), visits in pending.items():
            pipe.hincrby(key, field, visits)
        pipe.execute()
    except redis.RedisError as exc:
        log.warning("visits kept in memory, Redis unreachable: %s", exc)
        with _visits_lock:
            _visits.update(pending)


def render_and_keep(kind: str, ident: str, template: str, *, until: datetime, status: int = 200,
                    **context) -> tuple[str, int]:
    """Render a page, keep it until `until` (naive UTC, at most a day away) and return it for this visitor.

    Call `fetch` first in the same request: it reads the generation this page is rendered under.
    """
    generation = g.get("page_generation")
    if generation is None:
        return render_template(template, **context), status
    # The language switch keeps the path only: the page is shared by every query string.
    html = render_template(template, csrf_token=lambda: CSRF_MARKER, switch_next=request.path, **context)
    now = clock.now()
    until = min(until, now + LONGEST)
    if until > now:
        entry = f"{status} {_epoch(until)}\n".encode() + html.encode("utf-8")
        try:
            _script(get_redis(), _STORE)(
                keys=[_page_key(kind, ident, str(get_locale())), _generation_key(kind, ident)],
                args=[generation, entry, max(1, int((until - now).total_seconds()))])
        except redis.RedisError as exc:
            log.warning("page cache unreachable: %s", exc)
    return _serve(html, status)


def forget(kind: str, *idents: str) -> None:
    """After the state these pages show changed: drop them in every language and refuse older renders."""
    from app import LANGUAGES

    if not idents:
        return
    for ident in idents:
        for language in LANGUAGES:
            _local.pop(_page_key(kind, ident, language), None)
    try:
        pipe = get_redis().pipeline()
        for ident in idents:
            pipe.incr(_generation_key(kind, ident))
            # A render that read the database before the change stores within seconds; a day is plenty.
            pipe.expire(_generation_key(kind, ident), int(LONGEST.total_seconds()))
            pipe.delete(*(_page_key(kind, ident, language) for language in LANGUAGES))
        pipe.execute()
    except redis.RedisError as exc:
        # Then the old page may be served until its time runs out; an answer posted from it changes nothing.
        log.error("page cache unreachable, pages of %s %s not forgotten: %s", kind, idents, exc)
