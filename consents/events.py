"""The append-only, hash-chained history: every event of every kind is built and written here, and only here.

Each consent has its own chain: an event's hash covers the previous event's hash and the event's
canonical content, and the consent row keeps the head. Editing or deleting any event breaks the chain.
Every time an event carries (its own, or a deadline in its data) is written by `event_time`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Integer, String, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import ARRAY

from consents import clock
from consents.canonical import canonical_json, sha256_hex
from consents.db import db, insert_rows
from consents.models import Consent, ConsentEvent, User
from consents.webhooks import queue_webhooks

GENESIS = "0" * 64
_consent = Consent.__table__
_event = ConsentEvent.__table__


def event_time(at: datetime) -> str:
    """The one time format of the history: naive UTC in ISO 8601, to the microsecond."""
    return at.isoformat(timespec="microseconds")


def event_content(*, consent_id: int, request_id: int | None, kind: str, actor: str, actor_user_id: int | None,
                  created_at: datetime, ip: str | None, user_agent: str | None, data: dict, prev_hash: str) -> dict:
    """The fields an event's hash covers, in a stable form."""
    return {
        "consent_id": consent_id, "request_id": request_id, "kind": kind, "actor": actor,
        "actor_user_id": actor_user_id, "created_at": event_time(created_at),
        "ip": ip, "user_agent": user_agent, "data": data, "prev_hash": prev_hash,
    }


def hash_event(event: ConsentEvent) -> str:
    """Recompute the chain hash of a stored event."""
    return sha256_hex(canonical_json(event_content(
        consent_id=event.consent_id, request_id=event.request_id, kind=event.kind, actor=event.actor,
        actor_user_id=event.actor_user_id, created_at=event.created_at, ip=event.ip,
        user_agent=event.user_agent, data=event.data or {}, prev_hash=event.prev_hash,
    )))


def chain_event(consent_id: int, kind: str, *, prev_hash: str, at: datetime, actor: str = "system",
                user: User | None = None, request_id: int | None = None, ip: str | None = None,
                user_agent: str | None = None, data: dict | None = None) -> dict:
    """The row of one new event extending a chain whose head is `prev_hash`: its content and its hash."""
    content = event_content(
        consent_id=consent_id, request_id=request_id, kind=kind, actor="user" if user is not None else actor,
        actor_user_id=user.id if user is not None else None, created_at=at, ip=ip,
        user_agent=(user_agent or "")[:500] or None, data=data or {}, prev_hash=prev_hash or GENESIS,
    )
    return {**content, "created_at": at, "hash": sha256_hex(canonical_json(content))}


def write_events(rows: list[dict], **consent_values) -> list[dict]:
    """Insert chained event rows (at most one per consent) and move each consent's head to its event.

    `consent_values` are set on the same consent rows in the same statement (the expiry refuses them there).
    Returns the rows with their ids. On PostgreSQL many rows travel as arrays: two statements however many.
    The webhook messages the events cause are written here too, so no change can skip them.
    """
    for row, event_id in zip(rows, insert_rows(_event, rows)):
        row["id"] = event_id
    if len(rows) > 1 and db.session.get_bind().dialect.name == "postgresql":
        heads = func.unnest(bindparam("ids", [row["consent_id"] for row in rows], type_=ARRAY(Integer)),
                            bindparam("heads", [row["hash"] for row in rows], type_=ARRAY(String))
                            ).table_valued("id", "head").render_derived(name="heads")
        db.session.execute(update(_consent).where(_consent.c.id == heads.c.id)
                           .values(head_hash=heads.c.head, **consent_values))
    elif rows:
        db.session.execute(
            update(_consent).where(_consent.c.id == bindparam("event_consent_id"))
            .values(head_hash=bindparam("event_hash"), **consent_values),
            [{"event_consent_id": row["consent_id"], "event_hash": row["hash"]} for row in rows],
        )
    queue_webhooks(rows)
    return rows


# Built once: every event locks its consent's head, and building the query costs more than running it.
_LOCK_HEAD = select(Consent.head_hash).where(Consent.id == bindparam("consent_id")).with_for_update()


def lock_head(consent_id: int) -> str:
    """Return the consent's chain head, locking its row so concurrent writers queue instead of forking."""
    return db.session.execute(_LOCK_HEAD, {"consent_id": consent_id}).scalar_one() or GENESIS


def record_event(consent_id: int, kind: str, **fields) -> dict:
    """Append one event to a consent's chain in the current transaction; return its row (with id and hash).

    `fields` are those of `chain_event`: actor, user, request_id, ip, user_agent, data.
    """
    row = chain_event(consent_id, kind, prev_hash=lock_head(consent_id), at=clock.now(), **fields)
    return write_events([row])[0]


def history(consent: Consent) -> list[ConsentEvent]:
    """Return the consent's events, oldest first."""
    return ConsentEvent.query.filter_by(consent_id=consent.id).order_by(ConsentEvent.id).all()


def first_event_after(consent_id: int, event_id: int, kind: str) -> ConsentEvent | None:
    """The first event of a kind that followed a given event in a consent's history."""
    return (ConsentEvent.query.filter(ConsentEvent.consent_id == consent_id, ConsentEvent.kind == kind,
                                      ConsentEvent.id > event_id).order_by(ConsentEvent.id).first())


# --- Verification ---------------------------------------------------------------------------------------------

@dataclass
class Break:
    """The first broken link found in one consent's chain."""

    consent_id: int
    event_id: int | None
    reason: str  # content_changed, link_broken (an event before it was deleted), head_mismatch, checkpoint_lost

    def describe(self) -> str:
        """The break in plain French, for the operator."""
        where = f"événement {self.event_id}" if self.event_id is not None else "fin de chaîne"
        return {
            "content_changed": f"{where} : son contenu ne correspond plus à son empreinte (modifié)",
            "link_broken": f"{where} : ne suit pas l'événement précédent (un événement a été supprimé ou réordonné)",
            "head_mismatch": f"{where} : la tête de chaîne enregistrée ne correspond pas (dernier événement supprimé)",
            "checkpoint_lost": f"{where} : l'état horodaté au point de contrôle n'existe plus dans la chaîne",
        }[self.reason]


@dataclass
class ChainReport:
    """What a walk of every chain found."""

    consents: int = 0
    events: int = 0
    breaks: list[Break] = field(default_factory=list)


def _check_one(consent_id: int, head: str | None, events: list[ConsentEvent]) -> tuple[Break | None, set[str]]:
    """Walk one consent's events in order; return its first break (or None) and the hashes seen."""
    expected_prev = GENESIS
    seen = set()
    for event in events:
        if event.prev_hash != expected_prev:
            return Break(consent_id, event.id, "link_broken"), seen
        if hash_event(event) != event.hash:
            return Break(consent_id, event.id, "content_changed"), seen
        seen.add(event.hash)
        expected_prev = event.hash
    if (head or GENESIS) != expected_prev:
        return Break(consent_id, None, "head_mismatch"), seen
    return None, seen


def verify_chains(checkpoint_heads: dict[str, str] | None = None) -> ChainReport:
    """Walk every consent's chain; with checkpoint heads, each must still be in its chain."""
    report = ChainReport()
    heads = dict(db.session.execute(select(Consent.id, Consent.head_hash)).all())
    current_id, batch = None, []

    def close(consent_id: int, events: list[ConsentEvent]) -> None:
        broken, seen = _check_one(consent_id, heads.pop(consent_id, None), events)
        report.consents += 1
        if broken is None and checkpoint_heads and checkpoint_heads.get(str(consent_id)) not in (None, *seen):
            broken = Break(consent_id, None, "checkpoint_lost")
        if broken is not None:
            report.breaks.append(broken)

    # Stream in consent order so memory stays flat however long the history is.
    rows = db.session.execute(
        select(ConsentEvent).order_by(ConsentEvent.consent_id, ConsentEvent.id).execution_options(yield_per=2000, populate_existing=True)
    ).scalars()
    for event in rows:
        report.events += 1
        if event.consent_id != current_id:
            if current_id is not None:
                close(current_id, batch)
            current_id, batch = event.consent_id, []
        batch.append(event)
    if current_id is not None:
        close(current_id, batch)
    for consent_id in sorted(heads):  # consents whose every event vanished
        close(consent_id, [])
    seen_ids = set(dict(db.session.execute(select(Consent.id, Consent.id)).all()))
    for consent_id in sorted(checkpoint_heads or {}, key=int):  # consents deleted outright since the checkpoint
        if int(consent_id) not in seen_ids:
            report.breaks.append(Break(int(consent_id), None, "checkpoint_lost"))
    report.breaks.sort(key=lambda b: (b.consent_id, b.event_id or 0))
    return report
