"""The activity log's hash chain: sealing each new row to the one before it, and checking the chain."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timezone
from typing import NamedTuple

from sqlalchemy import event, select, text
from sqlalchemy.orm import Session

from ..extensions import db
from ..models import Activity

GENESIS = "0" * 64  # the "previous hash" of the very first row
# Key of the PostgreSQL advisory lock that serialises activity writers ("activity chain" in hex-speak).
CHAIN_LOCK = 0x5C4A_1A7C
PURGED = "retention.purged"  # the purge's own row; it carries the anchor of the rows it left
LINK = "checkpoint.chain_link"  # session.info: the Link this transaction sealed last


class Link(NamedTuple):
    id: int
    hash: str


def canonical(row) -> str:
    """The bytes a row's hash covers: its content as sorted, compact JSON. Frozen: migration 0005
    holds a copy, and every stored hash depends on it."""
    at = row.at.replace(tzinfo=timezone.utc) if row.at.tzinfo is None else row.at.astimezone(timezone.utc)
    content = {"id": row.id, "at": at.isoformat(timespec="microseconds"), "actor_id": row.actor_id,
               "action": row.action, "ward_id": row.ward_id, "checkpoint_id": row.checkpoint_id,
               "subject_type": row.subject_type, "subject_id": row.subject_id, "detail": plain(row.detail)}
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def plain(detail) -> dict:
    """The detail as the database hands it back (tuples become lists, number keys become strings)."""
    return json.loads(json.dumps(detail or {}))


def digest(prev_hash: str, row) -> str:
    return hashlib.sha256((prev_hash + canonical(row)).encode("utf-8")).hexdigest()


def seal(entry: Activity) -> None:
    """Give a new, unsaved row its id and its link to the newest row."""
    seal_many([entry])


def seal_many(entries: list[Activity]) -> None:
    """Give new, unsaved rows their ids and links, in list order, after the newest row. The lock
    taken here is held until the transaction ends, so no other writer can link to the same row: the
    chain cannot fork, and ids commit in order. For the same reason the newest row stays this
    transaction's own, so later calls in it link on from what was sealed here without reading it
    back (a rollback, even of a savepoint, forgets it: see `_forget_link`)."""
    if not entries:
        return
    previous = db.session.info.get(LINK) or last_link()
    prev_hash = previous.hash if previous is not None else GENESIS
    for entry, entry_id in zip(entries, _next_ids(previous, len(entries))):
        entry.id = entry_id
        entry.detail = plain(entry.detail)
        entry.prev_hash = prev_hash
        entry.hash = prev_hash = digest(prev_hash, entry)
    db.session.info[LINK] = Link(entries[-1].id, entries[-1].hash)


def last_link():
    """(id, hash) of the newest row, read under the chain lock, or None when the log is empty.

    PostgreSQL: a transaction-level advisory lock; under READ COMMITTED the SELECT after it sees
    what the previous holder committed. SQLite allows one writer at a time anyway: a transaction
    whose snapshot is stale cannot write (SQLITE_BUSY_SNAPSHOT), so it cannot link to an old row.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK})
    return db.session.execute(select(Activity.id, Activity.hash).order_by(Activity.id.desc()).limit(1)).first()


def _next_ids(previous, count: int) -> list[int]:
    if db.session.get_bind().dialect.name == "postgresql":
        return sorted(db.session.scalars(
            text("SELECT nextval(pg_get_serial_sequence('activity', 'id')) FROM generate_series(1, :n)"),
            {"n": count}))
    start = (previous.id if previous is not None else 0) + 1  # what SQLite's rowid would pick
    return list(range(start, start + count))


@event.listens_for(Session, "after_soft_rollback")
def _forget_link(session, _previous_transaction) -> None:
    """A rollback may have taken the remembered newest row with it: read the chain's head again."""
    session.info.pop(LINK, None)


@event.listens_for(Session, "after_transaction_end")
def _forget_link_at_end(session, transaction) -> None:
    """The lock ends with the transaction; the next one reads the head under its own lock."""
    if transaction.parent is None:
        session.info.pop(LINK, None)


def rechain(after_id: int) -> None:
    """Seal again the rows after `after_id`, for a loader that rewrites rows it has just written in
    the same transaction (the demo backdates its set-up). Never for rows that were committed."""
    db.session.flush()
    db.session.info.pop(LINK, None)  # the head's hash changes below
    previous = db.session.scalar(select(Activity.hash).where(Activity.id == after_id)) or GENESIS
    for row in db.session.scalars(select(Activity).where(Activity.id > after_id).order_by(Activity.id)):
        row.detail = plain(row.detail)
        row.prev_hash, row.hash = previous, digest(previous, row)
        previous = row.hash
    db.session.flush()


@dataclass(frozen=True)
class Verdict:
    """What verify_chain found: `broken_at` is the id of the first bad row, None when all is well."""

    count: int
    head_id: int | None = None
    head_hash: str | None = None
    broken_at: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def verify_chain(batch: int = 2000) -> Verdict:
    """Walk the log in id order and check every link. The oldest row must start the chain (GENESIS)
    or be the anchor that the newest purge recorded: what a purge removed is accounted for, while
    rows deleted by hand from the start are not."""
    anchor = _purge_anchor()
    query = select(Activity.id, Activity.at, Activity.actor_id, Activity.action, Activity.ward_id,
                   Activity.checkpoint_id, Activity.subject_type, Activity.subject_id, Activity.detail,
                   Activity.prev_hash, Activity.hash).order_by(Activity.id)
    count, previous = 0, None
    for row in db.session.execute(query.execution_options(yield_per=batch)):
        problem = _check(row, previous, anchor)
        if problem:
            return Verdict(count, broken_at=row.id, reason=problem)
        count += 1
        previous = row
    if previous is None:
        return Verdict(0)
    return Verdict(count, head_id=previous.id, head_hash=previous.hash)


def _check(row, previous, anchor: str | None) -> str:
    if not row.hash or not row.prev_hash:
        return "it has no hash (written around the application)"
    if previous is None:
        if row.prev_hash not in (GENESIS, anchor):
            return ("it is the oldest row, but neither the start of the chain nor the anchor the last purge "
                    "recorded (rows before it were deleted)")
    elif row.prev_hash != previous.hash:
        return (f"its link to the previous row does not match row #{previous.id} "
                f"(a row between them was deleted or inserted, or #{previous.id}'s hash was changed)")
    if digest(row.prev_hash, row) != row.hash:
        return "its content does not match its hash (the row was changed after it was written)"
    return ""


def _purge_anchor() -> str | None:
    """The previous-hash the oldest row may carry after the newest purge. The purge row itself is
    checked by the walk like every other row, so an edited anchor breaks the chain there."""
    detail = db.session.scalar(select(Activity.detail).where(Activity.action == PURGED)
                               .order_by(Activity.id.desc()).limit(1))
    return (detail or {}).get("anchor")
