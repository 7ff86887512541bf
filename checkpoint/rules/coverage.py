"""Who covers each checkpoint of a ward right now: the tiles of the police board.

Everything is read for the whole ward at once, in a fixed handful of queries however many
checkpoints it has: the board is polled every few seconds by every police desk of the city.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import joinedload, selectinload

from ..extensions import db
from ..localtime import to_local, zone
from ..models import Activity, Attendance, Checkpoint, Handover, Observation, Shift, User, Ward
from .attendance import NEAR_ENOUGH_M

# After a shift starts, nobody there yet: "waiting" until this has passed, then "missing".
GRACE = timedelta(minutes=15)
# An unaccepted handover older than this is flagged on the board.
HANDOVER_PATIENCE = timedelta(minutes=30)
# A check-in farther than this from the checkpoint's position is shown as "far".
FAR_M = NEAR_ENOUGH_M
# Shifts that started longer ago than this are not looked for. It keeps the shift query an index
# range instead of a walk through the roster's whole history; no duty runs longer than a day.
LONGEST_SHIFT = timedelta(hours=24)

STATES = ("staffed", "missing", "waiting", "unplanned")


@dataclass
class Presence:
    """One person checked in at the checkpoint now."""

    user: User
    attendance: Attendance
    since: datetime
    late_minutes: int | None  # None when the check-in is not linked to a shift
    by_qr: bool
    far: bool
    unscheduled: bool


@dataclass
class Coverage:
    """The state of one checkpoint at `now`, as its tile on the board shows it."""

    checkpoint: Checkpoint
    state: str  # one of STATES
    shift: Shift | None  # running now, else the next one to start today
    present: list[Presence]
    expected: list[User]  # assigned to the running shift and not checked in here
    understaffed: bool  # fewer present than the checkpoint's minimum while a shift runs
    left_early: list[Attendance]  # checked out of the running shift before its end, not back
    handover: Handover | None  # the newest one not yet accepted
    handover_overdue: bool
    last_entry_at: datetime | None  # newest observation, corrections included


# A tile's last entry: its checkpoint's newest observation, corrections included (see coverage_for).
LAST_ENTRY = (select(func.max(Observation.occurred_at)).where(Observation.checkpoint_id == Checkpoint.id)
              .correlate(Checkpoint).scalar_subquery())
_LAST_ENTRIES = (select(Checkpoint.id, LAST_ENTRY)
                 .where(Checkpoint.ward_id == bindparam("ward_id"), Checkpoint.active.is_(True),
                        Checkpoint.id.in_(bindparam("ids", expanding=True)))
                 .order_by(Checkpoint.code))


def last_entries(ward: Ward, checkpoint_ids) -> dict[int, datetime | None]:
    """The last entry of these checkpoints of the ward that have a tile (active ones), in code
    order: what a poll sends when new observations are all that changed the tiles (rules/board)."""
    if not checkpoint_ids:
        return {}
    rows = db.session.execute(_LAST_ENTRIES, {"ward_id": ward.id, "ids": list(checkpoint_ids)})
    return {checkpoint_id: newest_at for checkpoint_id, newest_at in rows}


def coverage_for(ward: Ward, now: datetime) -> list[Coverage]:
    """One Coverage per active checkpoint of the ward, in code order."""
    # Last entry and waiting handover ride along with the checkpoints as correlated subqueries:
    # each is one backward step on its (checkpoint_id, occurred_at) index, never a scan of history.
    waiting_handover = (select(Handover.id)
                        .where(Handover.checkpoint_id == Checkpoint.id, Handover.accepted_at.is_(None))
                        .order_by(Handover.occurred_at.desc()).limit(1)
                        .correlate(Checkpoint).scalar_subquery())
    rows = db.session.execute(
        select(Checkpoint, LAST_ENTRY, waiting_handover)
        .where(Checkpoint.ward_id == ward.id, Checkpoint.active.is_(True))
        .order_by(Checkpoint.code)).all()
    if not rows:
        return []
    ids = [checkpoint.id for checkpoint, _last, _handover in rows]

    shifts = _shift_on(ids, now)
    running_ids = [shift.id for shift in shifts.values() if shift.covers(now)]
    present = _present(ids)
    left = _left_early(running_ids, shifts, present)
    handover_ids = [handover_id for _c, _l, handover_id in rows if handover_id is not None]
    handovers = {h.id: h for h in db.session.scalars(
        select(Handover).where(Handover.id.in_(handover_ids)).options(joinedload(Handover.author)))
    } if handover_ids else {}

    tiles = []
    for checkpoint, last_entry_at, handover_id in rows:
        shift = shifts.get(checkpoint.id)
        running = shift if shift is not None and shift.covers(now) else None
        here = present.get(checkpoint.id, [])
        here_ids = {p.user.id for p in here}
        handover = handovers.get(handover_id)
        tiles.append(Coverage(
            checkpoint=checkpoint,
            state=_state(here, running, now),
            shift=shift,
            present=here,
            expected=[u for u in running.volunteers if u.id not in here_ids] if running else [],
            understaffed=bool(here) and running is not None and len(here) < checkpoint.min_staff,
            left_early=left.get(checkpoint.id, []),
            handover=handover,
            handover_overdue=handover is not None and now - handover.occurred_at > HANDOVER_PATIENCE,
            last_entry_at=last_entry_at,
        ))
    return tiles


def ward_change_seq(ward_id: int) -> int:
    """The newest activity id of the ward (0 when none): the board refreshes when it grows."""
    # A bare max() on the (ward_id, id) index: one backward step, on both databases.
    return db.session.scalar(select(func.max(Activity.id)).where(Activity.ward_id == ward_id)) or 0


# Built once: the board's poll runs it a hundred times a second across the city, and building a
# statement costs more than the database's answer (bench/README.md, request_cost).
_WARD_AND_SEQ = select(Ward, select(func.max(Activity.id)).where(Activity.ward_id == Ward.id)
                       .correlate(Ward).scalar_subquery()).where(Ward.code == bindparam("code"))


def ward_and_change_seq(code: str) -> tuple[Ward | None, int]:
    """The ward with this code and its change sequence (as ward_change_seq), in one query: the
    poll's whole cost when nothing changed, besides loading the user."""
    row = db.session.execute(_WARD_AND_SEQ, {"code": code.upper()}).first()
    return (row[0], row[1] or 0) if row else (None, 0)


def _state(here: list[Presence], running: Shift | None, now: datetime) -> str:
    if here:
        return "staffed"
    if running is None:
        return "unplanned"
    return "missing" if now >= running.starts_at + GRACE else "waiting"


def _shift_on(ids: list[int], now: datetime) -> dict[int, Shift]:
    """Per checkpoint: the running shift (the earliest started, if several overlap), else today's next."""
    local = to_local(now)
    end_of_day = datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=zone())
    query = (select(Shift)
             .where(Shift.checkpoint_id.in_(ids), Shift.starts_at > now - LONGEST_SHIFT,
                    Shift.starts_at < end_of_day, Shift.ends_at > now)
             .order_by(Shift.starts_at, Shift.id)
             .options(selectinload(Shift.volunteers)))
    chosen: dict[int, Shift] = {}
    for shift in db.session.scalars(query):
        # In start order, the first shift of a checkpoint is the running one when any runs.
        chosen.setdefault(shift.checkpoint_id, shift)
    return chosen


def _present(ids: list[int]) -> dict[int, list[Presence]]:
    """Open attendances per checkpoint, earliest arrival first."""
    query = (select(Attendance)
             .where(Attendance.checkpoint_id.in_(ids), Attendance.check_out_at.is_(None))
             .order_by(Attendance.check_in_at, Attendance.id)
             .options(joinedload(Attendance.user)))
    present: dict[int, list[Presence]] = {}
    for attendance in db.session.scalars(query):
        present.setdefault(attendance.checkpoint_id, []).append(Presence(
            user=attendance.user,
            attendance=attendance,
            since=attendance.check_in_at,
            late_minutes=attendance.late_minutes,
            by_qr=attendance.by_qr,
            far=attendance.distance_m is not None and attendance.distance_m > FAR_M,
            unscheduled=attendance.unscheduled,
        ))
    return present


def _left_early(running_ids: list[int], shifts: dict[int, Shift],
                present: dict[int, list[Presence]]) -> dict[int, list[Attendance]]:
    """Per checkpoint, who checked out of the running shift before its end and is not back.

    One entry per person (their latest check-out), so someone who stepped out twice is listed once.
    """
    if not running_ids:
        return {}
    query = (select(Attendance)
             .where(Attendance.shift_id.in_(running_ids), Attendance.check_out_at.is_not(None))
             .order_by(Attendance.check_out_at, Attendance.id)
             .options(joinedload(Attendance.user)))
    latest: dict[int, dict[int, Attendance]] = {}
    for attendance in db.session.scalars(query):
        shift = shifts.get(attendance.checkpoint_id)
        if shift is None or shift.id != attendance.shift_id or attendance.check_out_at >= shift.ends_at:
            continue
        if any(p.user.id == attendance.user_id for p in present.get(attendance.checkpoint_id, [])):
            continue  # came back: present, not gone
        latest.setdefault(attendance.checkpoint_id, {})[attendance.user_id] = attendance
    return {checkpoint_id: sorted(by_user.values(), key=lambda a: (a.check_out_at, a.id))
            for checkpoint_id, by_user in latest.items()}
