"""Reading the audit log: the activity rows a person may see, filtered and paged by id."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Activity, Checkpoint, User, Ward
from . import RuleViolation
from .accounts import normalize_phone
from .history import _contains, day_bounds

PER_PAGE = 50
NO_WARD = 0  # the admin's "city-wide rows" choice: wards, admins' logins, purges


@dataclass(frozen=True)
class AuditQuery:
    """The filters of the audit view; each optional. `person` is a phone number or words of a name."""

    person: str = ""
    action: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    ward_id: int | None = None  # admins only; police are held to their own ward whatever this says


@dataclass(frozen=True)
class AuditRow:
    entry: Activity
    ward: Ward | None
    checkpoint: Checkpoint | None


def audit_page(viewer: User, query: AuditQuery, *, before: int | None = None,
               per_page: int = PER_PAGE) -> tuple[list[AuditRow], int | None]:
    """Up to `per_page` rows older than id `before`, newest first, and the cursor of the next page
    (None on the last). Ids are the log's order: they commit in order (rules/chain.py)."""
    stmt = _visible(viewer, query).options(selectinload(Activity.actor))
    if before is not None:
        stmt = stmt.where(Activity.id < before)
    entries = list(db.session.scalars(stmt.order_by(Activity.id.desc()).limit(per_page + 1)))
    more = len(entries) > per_page
    entries = entries[:per_page]
    wards = _by_id(Ward, {e.ward_id for e in entries})
    checkpoints = _by_id(Checkpoint, {e.checkpoint_id for e in entries})
    rows = [AuditRow(e, wards.get(e.ward_id), checkpoints.get(e.checkpoint_id)) for e in entries]
    return rows, (entries[-1].id if more else None)


def _visible(viewer: User, query: AuditQuery):
    stmt = select(Activity)
    if viewer.role == "admin":
        if query.ward_id == NO_WARD:
            stmt = stmt.where(Activity.ward_id.is_(None))
        elif query.ward_id is not None:
            stmt = stmt.where(Activity.ward_id == query.ward_id)
    elif viewer.role == "police" and viewer.ward_id is not None:
        stmt = stmt.where(Activity.ward_id == viewer.ward_id)
    else:  # the view lets no one else in; a rule must not rely on that
        stmt = stmt.where(False)
    if query.action:
        stmt = stmt.where(Activity.action == query.action)
    if query.date_from is not None:
        stmt = stmt.where(Activity.at >= day_bounds(query.date_from)[0])
    if query.date_to is not None:
        stmt = stmt.where(Activity.at < day_bounds(query.date_to)[1])
    person = (query.person or "").strip()
    if person:
        stmt = stmt.where(Activity.actor_id.in_(_people(person)))
    return stmt


def _people(person: str):
    """The ids of people with this phone number, or whose name holds every word typed."""
    try:
        return select(User.id).where(User.phone == normalize_phone(person))
    except RuleViolation:
        pass
    stmt = select(User.id)
    for word in person.split()[:8]:
        stmt = stmt.where(_contains(User.full_name, word))
    return stmt


def _by_id(model, ids: set) -> dict:
    ids.discard(None)
    if not ids:
        return {}
    return {thing.id: thing for thing in db.session.scalars(select(model).where(model.id.in_(ids)))}
