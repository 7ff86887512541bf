"""Idempotent writes keyed by a client-made UUID, safe when two sends of one item race."""
from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar
from uuid import UUID

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from . import RuleViolation
from .batch import current, known

T = TypeVar("T")


def parse_uuid(value, field: str = "uuid") -> UUID:
    if isinstance(value, UUID):
        return value
    try:
        return UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        raise RuleViolation(_l("Not a valid identifier."), field=field, code="bad_uuid") from None


def find_once(model: type[T], column, key: UUID) -> T | None:
    """The row stored under this key, or None; a sync batch answers its own keys from one query."""
    found, row = known(model, column.key, key)
    if found:
        return row
    return db.session.scalar(select(model).where(column == key))


def insert_once(model: type[T], column, key: UUID, build: Callable[[], T]) -> tuple[T, bool]:
    """Insert what `build` makes unless a row with this key exists; returns (row, created).

    The unique constraint decides, not a check beforehand: when two sends race, the loser's
    insert fails inside its own savepoint and it finds the winner's row instead. Inside a sync
    batch's run (rules/batch.py) the row is only added: the run's savepoint and flush take the
    place of this one's, and a failing run is redone item by item through the path below.
    """
    existing = find_once(model, column, key)
    if existing is not None:
        return existing, False
    batch = current()
    if batch is not None and batch.holding:
        row = build()
        db.session.add(row)
        return row, True
    try:
        with db.session.begin_nested():
            row = build()
            db.session.add(row)
            db.session.flush()
    except IntegrityError:
        existing = db.session.scalar(select(model).where(column == key))
        if existing is None:
            raise
        return existing, False
    return row, True
