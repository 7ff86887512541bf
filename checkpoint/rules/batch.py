"""One sync batch's shared state: the uuids it looked up in one go, and the activity rows it seals at its end."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import inspect, select

from ..extensions import db
from .chain import seal_many

KEY = "checkpoint.batch"


@dataclass
class Batch:
    """Lives in `session.info` while `apply_batch` runs; the rules' helpers consult it, views never set it.

    `known` answers "is this uuid stored, and by whom" for the batch's own uuids without a query per
    item: (model, column name) → {uuid: row, or None when not stored}. It is a hint that saves the
    look-up before an insert; the unique constraints still decide (rules/once.py).
    `holding` makes `insert_once` add rows without a savepoint and a flush of their own: the batch
    runs them in one savepoint and one flush, and redoes them one by one if that fails.
    `activity` holds (row, subject) of `record()` until `seal_held()`, so the chain lock is taken
    once, at the end, just before the commit."""

    known: dict[tuple[type, str], dict[Any, Any]] = field(default_factory=dict)
    holding: bool = False
    activity: list[tuple[Any, Any]] = field(default_factory=list)
    checkpoints: dict[str, Any] = field(default_factory=dict)

    def look_up(self, model: type, column: str, keys) -> None:
        """Load the rows of these keys in one query; the keys not found are known to be absent."""
        keys = list(dict.fromkeys(keys))
        table = self.known.setdefault((model, column), {})
        table.update(dict.fromkeys(keys))
        if keys:
            for row in db.session.scalars(select(model).where(getattr(model, column).in_(keys))):
                table[getattr(row, column)] = row

    def remember(self, model: type, column: str, key, row) -> None:
        self.known.setdefault((model, column), {})[key] = row

    def mark(self) -> tuple:
        """What to go back to when the savepoint opened now is rolled back."""
        return {name: dict(table) for name, table in self.known.items()}, len(self.activity)

    def reset(self, mark: tuple) -> None:
        self.known, held = {name: dict(table) for name, table in mark[0].items()}, mark[1]
        del self.activity[held:]


def seal_held(batch: Batch) -> None:
    """Seal the batch's activity rows in the order they were recorded, after its last item: one
    chain lock, one read of the chain's head, one insert."""
    if not batch.activity:
        return
    db.session.flush()  # the subjects held back by a run get their ids
    entries = []
    for entry, subject in batch.activity:
        if subject is not None:
            entry.subject_id = _id_of(subject)
        entries.append(entry)
    batch.activity.clear()
    seal_many(entries)
    db.session.add_all(entries)
    db.session.flush()


def _id_of(subject) -> Any:
    """From the identity, not the attribute: after a failed run every object is expired, and
    reading `.id` would load each subject again."""
    state = inspect(subject, raiseerr=False)
    if state is not None and state.identity:
        return state.identity[0]
    return getattr(subject, "id", None)


def current() -> Batch | None:
    return db.session.info.get(KEY)


def known(model: type, column: str, key) -> tuple[bool, Any]:
    """(True, row or None) when the running batch already knows this key; (False, None) otherwise."""
    batch = current()
    if batch is not None:
        table = batch.known.get((model, column))
        if table is not None and key in table:
            return True, table[key]
    return False, None


@contextmanager
def batch_scope() -> Iterator[Batch]:
    batch = Batch()
    db.session.info[KEY] = batch
    try:
        yield batch
    finally:
        db.session.info.pop(KEY, None)
