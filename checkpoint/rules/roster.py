"""The weekly roster: reading a week with its warnings, patterns, and planning shifts."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Attendance, Checkpoint, Shift, ShiftPattern, User, Ward, checkpoint_member, shift_assignment
from . import RuleViolation
from .activity import record
from .nights import night_dates
from .text import clean_text

# No duty lasts longer than a day (the pattern and shift checks refuse it), so a shift that
# overlaps a period started at most this long before it.
LONGEST_SHIFT = timedelta(hours=24)
WARNING_KINDS = ("overlap", "understaffed", "night_cap", "not_member", "inactive")


# --- weeks -----------------------------------------------------------------------------------

def week_monday(day: date) -> date:
    """The Monday of the ISO week `day` belongs to."""
    return day - timedelta(days=day.weekday())


def parse_week(text: str | None) -> date | None:
    """The Monday of "2026-W48" (ISO week) or of the week holding "2026-11-25"; None when unreadable."""
    text = (text or "").strip()
    try:
        if "W" in text.upper():
            year, week = text.upper().split("-W")
            return date.fromisocalendar(int(year), int(week), 1)
        return week_monday(date.fromisoformat(text))
    except ValueError:
        return None


def week_label(monday: date) -> str:
    """The ISO week name used in URLs, e.g. 2026-W48."""
    year, week, _day = monday.isocalendar()
    return f"{year}-W{week:02d}"


def week_bounds(monday: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """[start, end) in UTC of the local week beginning on `monday`: a shift belongs to the week
    (and to the day) its local start falls in, so Sunday 23:00–03:00 is Sunday's."""
    start = datetime.combine(monday, time(0), tzinfo=tz)
    end = datetime.combine(monday + timedelta(days=7), time(0), tzinfo=tz)
    return start.astimezone(ZoneInfo("UTC")), end.astimezone(ZoneInfo("UTC"))


# --- reading a week --------------------------------------------------------------------------

@dataclass(frozen=True)
class RosterWarning:
    """Something the coordinator must see in the grid. `user_id` is set for warnings about one
    person on the shift; `detail` carries what the message names."""

    kind: str  # one of WARNING_KINDS
    shift_id: int
    user_id: int | None = None
    detail: tuple = ()

    @property
    def text(self) -> str:
        d = dict(self.detail)
        if self.kind == "overlap":
            return gettext("%(name)s is also booked at %(checkpoint)s %(start)s–%(end)s %(day)s", **d)
        if self.kind == "understaffed":
            return gettext("%(count)s of at least %(minimum)s people", **d)
        if self.kind == "night_cap":
            return gettext("%(name)s: %(nights)s nights in %(month)s, over the cap of %(cap)s", **d)
        if self.kind == "not_member":
            return gettext("%(name)s is not a member of this checkpoint", **d)
        return gettext("%(name)s is no longer active in this ward", **d)


@dataclass
class CheckpointWeek:
    """One checkpoint's shifts of the week, by local start day, each day in start order."""

    checkpoint: Checkpoint
    by_day: dict[date, list[Shift]]
    tz: ZoneInfo

    @property
    def shifts(self) -> list[Shift]:
        return [shift for day in sorted(self.by_day) for shift in self.by_day[day]]

    def slot_of(self, shift: Shift) -> tuple[time, time]:
        return shift.starts_at.astimezone(self.tz).time(), shift.ends_at.astimezone(self.tz).time()

    @property
    def slots(self) -> list[tuple[time, time]]:
        """The distinct local (start, end) times of the week: the rows of the grid, so the same
        slot lines up across the days."""
        return sorted({self.slot_of(s) for s in self.shifts})

    def in_slot(self, day: date, slot: tuple[time, time]) -> list[Shift]:
        return [s for s in self.by_day[day] if self.slot_of(s) == slot]


@dataclass
class RosterWeek:
    """A ward's (or one checkpoint's) roster for the week of `monday`, with its warnings."""

    ward: Ward
    monday: date
    days: list[date]
    starts_at: datetime  # UTC bounds of the local week
    ends_at: datetime
    checkpoints: list[Checkpoint]
    weeks: dict[int, CheckpointWeek]  # by checkpoint id
    warnings: list[RosterWarning] = field(default_factory=list)
    by_shift: dict[int, list[RosterWarning]] = field(default_factory=dict)
    by_person: dict[tuple[int, int], list[RosterWarning]] = field(default_factory=dict)
    attended: set[int] = field(default_factory=set)  # ids of shifts someone has checked in to

    def locked(self, shift: Shift, now: datetime) -> bool:
        """Begun or checked in to: history, no longer changed (see require_changeable)."""
        return shift.starts_at <= now or shift.id in self.attended

    @property
    def label(self) -> str:
        return week_label(self.monday)

    @property
    def previous(self) -> str:
        return week_label(self.monday - timedelta(days=7))

    @property
    def next(self) -> str:
        return week_label(self.monday + timedelta(days=7))

    @property
    def shifts(self) -> list[Shift]:
        return [shift for c in self.checkpoints for shift in self.weeks[c.id].shifts]

    @property
    def shift_by_id(self) -> dict[int, Shift]:
        return {shift.id: shift for shift in self.shifts}

    def cell(self, checkpoint: Checkpoint, day: date) -> list[Shift]:
        return self.weeks[checkpoint.id].by_day[day]

    def shift_warnings(self, shift: Shift) -> list[RosterWarning]:
        return self.by_shift.get(shift.id, [])

    def person_warnings(self, shift: Shift, person: User) -> list[RosterWarning]:
        return self.by_person.get((shift.id, person.id), [])

    def counts(self) -> dict[str, int]:
        """How many warnings of each kind, for the summary at the top of the page."""
        counted = {kind: 0 for kind in WARNING_KINDS}
        for warning in self.warnings:
            counted[warning.kind] += 1
        return counted


def active_checkpoints(ward: Ward) -> list[Checkpoint]:
    return list(db.session.scalars(
        select(Checkpoint).where(Checkpoint.ward_id == ward.id, Checkpoint.active.is_(True)).order_by(Checkpoint.code)))


def roster_week(ward: Ward, monday: date, checkpoint: Checkpoint | None = None, *,
                night_cap: int | None = None, tz: ZoneInfo | None = None) -> RosterWeek:
    """The week of `monday` for the ward's active checkpoints (or for `checkpoint` alone), shifts
    grouped by local start day with their volunteers loaded, and every warning of those shifts.

    A fixed handful of queries whatever the number of checkpoints, shifts and people."""
    tz = tz or ZoneInfo(current_app.config["TIMEZONE"])
    night_cap = current_app.config["NIGHT_DUTY_CAP"] if night_cap is None else night_cap
    monday = week_monday(monday)
    days = [monday + timedelta(days=n) for n in range(7)]
    starts_at, ends_at = week_bounds(monday, tz)
    checkpoints = [checkpoint] if checkpoint is not None else active_checkpoints(ward)
    weeks = {c.id: CheckpointWeek(c, {day: [] for day in days}, tz) for c in checkpoints}
    if checkpoints:
        shifts = db.session.scalars(
            select(Shift)
            .where(Shift.checkpoint_id.in_(list(weeks)), Shift.starts_at >= starts_at, Shift.starts_at < ends_at)
            .order_by(Shift.starts_at, Shift.ends_at, Shift.id)
            .options(selectinload(Shift.volunteers)))
        for shift in shifts:
            weeks[shift.checkpoint_id].by_day[shift.starts_at.astimezone(tz).date()].append(shift)
    week = RosterWeek(ward=ward, monday=monday, days=days, starts_at=starts_at, ends_at=ends_at,
                      checkpoints=checkpoints, weeks=weeks)
    shift_ids = [shift.id for shift in week.shifts]
    if shift_ids:
        week.attended = set(db.session.scalars(
            select(Attendance.shift_id).where(Attendance.shift_id.in_(shift_ids)).distinct()))
    week.warnings = roster_warnings(week.shifts, ward, night_cap=night_cap, tz=tz)
    for warning in week.warnings:
        week.by_shift.setdefault(warning.shift_id, []).append(warning)
        if warning.user_id is not None:
            week.by_person.setdefault((warning.shift_id, warning.user_id), []).append(warning)
    return week


def roster_warnings(shifts: list[Shift], ward: Ward, *, night_cap: int, tz: ZoneInfo) -> list[RosterWarning]:
    """Every warning about `shifts` (their volunteers loaded): people booked twice at once (at any
    checkpoint), shifts below their checkpoint's minimum, people over the monthly night-duty cap,
    volunteers who are not members of the checkpoint, people no longer active in the ward.

    Two queries: the people's other shifts around these, and their memberships."""
    warnings: list[RosterWarning] = []
    people = {person.id: person for shift in shifts for person in shift.volunteers}
    for shift in shifts:
        if len(shift.volunteers) < shift.checkpoint.min_staff:
            warnings.append(RosterWarning("understaffed", shift.id, None, (
                ("count", len(shift.volunteers)), ("minimum", shift.checkpoint.min_staff))))
    if not people:
        return warnings

    # Each person's shifts anywhere, over the whole months these shifts touch (the night cap is
    # monthly) and a day around them (overlaps).
    first = min(s.starts_at for s in shifts).astimezone(tz).date() - timedelta(days=1)
    last = max(s.ends_at for s in shifts).astimezone(tz).date() + timedelta(days=1)
    window_start = datetime.combine(first.replace(day=1), time(0), tzinfo=tz) - LONGEST_SHIFT
    window_end = datetime.combine(_next_month(last), time(0), tzinfo=tz) + LONGEST_SHIFT
    rows = db.session.execute(
        select(shift_assignment.c.user_id, Shift.id, Shift.starts_at, Shift.ends_at, Checkpoint.code)
        .join(Shift, Shift.id == shift_assignment.c.shift_id)
        .join(Checkpoint, Checkpoint.id == Shift.checkpoint_id)
        .where(shift_assignment.c.user_id.in_(list(people)),
               Shift.starts_at < window_end, Shift.ends_at > window_start)
        .order_by(Shift.starts_at, Shift.id)).all()
    booked: dict[int, list] = defaultdict(list)
    for user_id, shift_id, starts, ends, code in rows:
        booked[user_id].append((shift_id, starts, ends, code))

    members = defaultdict(set)
    for user_id, checkpoint_id in db.session.execute(
            select(checkpoint_member.c.user_id, checkpoint_member.c.checkpoint_id)
            .where(checkpoint_member.c.user_id.in_(list(people)))):
        members[user_id].add(checkpoint_id)

    # Night duties per person per month, counted once for all of the person's shifts.
    nights: dict[int, dict[tuple[int, int], set[date]]] = defaultdict(lambda: defaultdict(set))
    for user_id, bookings in booked.items():
        for _shift_id, starts, ends, _code in bookings:
            for night in night_dates(starts, ends, tz):
                nights[user_id][(night.year, night.month)].add(night)

    for shift in shifts:
        for person in shift.volunteers:
            name = person.full_name
            for other_id, starts, ends, code in booked[person.id]:
                if other_id != shift.id and starts < shift.ends_at and shift.starts_at < ends:
                    local_start = starts.astimezone(tz)
                    warnings.append(RosterWarning("overlap", shift.id, person.id, (
                        ("name", name), ("checkpoint", code), ("start", local_start.strftime("%H:%M")),
                        ("end", ends.astimezone(tz).strftime("%H:%M")), ("day", local_start.strftime("%d/%m")),
                        ("other_shift", other_id))))
            for month in sorted({(n.year, n.month) for n in night_dates(shift.starts_at, shift.ends_at, tz)}):
                count = len(nights[person.id][month])
                if count > night_cap:
                    warnings.append(RosterWarning("night_cap", shift.id, person.id, (
                        ("name", name), ("nights", count), ("month", f"{month[1]:02d}/{month[0]}"),
                        ("cap", night_cap))))
            if person.role == "volunteer" and shift.checkpoint_id not in members[person.id]:
                warnings.append(RosterWarning("not_member", shift.id, person.id, (("name", name),)))
            if not person.active or person.ward_id != ward.id:
                warnings.append(RosterWarning("inactive", shift.id, person.id, (("name", name),)))
    return warnings


def _next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


# --- planning: single shifts -----------------------------------------------------------------

def check_times(starts_at: datetime, ends_at: datetime) -> None:
    """A shift ends after it starts and lasts at most a day."""
    if ends_at <= starts_at:
        raise RuleViolation(_l("The shift ends before it starts. For a shift past midnight, choose "
                               "\"the next day\" under \"Ends on\"."), field="end", code="ends_before_start")
    if ends_at - starts_at > LONGEST_SHIFT:
        raise RuleViolation(_l("A shift lasts at most 24 hours."), field="end", code="too_long")


def require_changeable(shift: Shift, now: datetime) -> None:
    """A shift that has begun, or that someone has checked in to, is history: it stays as it is."""
    if shift.starts_at <= now:
        raise RuleViolation(_l("This shift started at %(at)s; it can no longer be changed.",
                               at=shift.starts_at.astimezone(_tz()).strftime("%H:%M %d/%m/%Y")),
                            code="started")
    if db.session.scalar(select(Attendance.id).where(Attendance.shift_id == shift.id).limit(1)) is not None:
        raise RuleViolation(_l("Someone has already checked in to this shift; it can no longer be changed."),
                            code="attended")


def _identical(checkpoint_id: int, starts_at: datetime, ends_at: datetime, but: int | None = None) -> bool:
    query = select(Shift.id).where(Shift.checkpoint_id == checkpoint_id, Shift.starts_at == starts_at,
                                   Shift.ends_at == ends_at)
    if but is not None:
        query = query.where(Shift.id != but)
    return db.session.scalar(query.limit(1)) is not None


def _check_new_slot(checkpoint: Checkpoint, starts_at: datetime, ends_at: datetime, now: datetime,
                    but: int | None = None) -> None:
    check_times(starts_at, ends_at)
    if starts_at <= now:
        raise RuleViolation(_l("The shift would start in the past."), field="start", code="past")
    if _identical(checkpoint.id, starts_at, ends_at, but):
        raise RuleViolation(_l("This checkpoint already has a shift at that time."), field="start",
                            code="duplicate")


def _write_slot(shift: Shift, change) -> None:
    """Make the change (add the shift, or give it new times) and write it in its own savepoint: a
    twin written by someone else at the same instant (the unique slot constraint) becomes the same
    message as the check above, not an error page, and the rest of the transaction lives on."""
    try:
        with db.session.begin_nested():
            change()
            db.session.flush()
    except IntegrityError:
        if inspect(shift).persistent:  # a moved shift forgets its refused times
            db.session.expire(shift)
        raise RuleViolation(_l("This checkpoint already has a shift at that time."), field="start",
                            code="duplicate") from None


def _shift_detail(shift: Shift) -> dict:
    tz = _tz()
    return {"checkpoint": shift.checkpoint.code,
            "starts_at": shift.starts_at.astimezone(tz).isoformat(),
            "ends_at": shift.ends_at.astimezone(tz).isoformat()}


def add_shift(checkpoint: Checkpoint, starts_at: datetime, ends_at: datetime, *, by: User,
              now: datetime) -> Shift:
    """Plan one shift at a checkpoint, in the future, not twice."""
    if not checkpoint.active:
        raise RuleViolation(_l("This checkpoint is retired."), code="retired")
    _check_new_slot(checkpoint, starts_at, ends_at, now)
    shift = Shift(checkpoint=checkpoint, starts_at=starts_at, ends_at=ends_at, created_by_id=by.id, created_at=now)
    _write_slot(shift, lambda: db.session.add(shift))
    record("shift.added", actor=by, ward_id=checkpoint.ward_id, checkpoint_id=checkpoint.id, subject=shift,
           detail=_shift_detail(shift), now=now)
    return shift


def move_shift(shift: Shift, starts_at: datetime, ends_at: datetime, *, by: User, now: datetime) -> Shift:
    """Give a future shift new times; its volunteers stay on it."""
    require_changeable(shift, now)
    _check_new_slot(shift.checkpoint, starts_at, ends_at, now, but=shift.id)
    before = _shift_detail(shift)
    _write_slot(shift, lambda: (setattr(shift, "starts_at", starts_at), setattr(shift, "ends_at", ends_at)))
    after = _shift_detail(shift)
    record("shift.moved", actor=by, ward_id=shift.checkpoint.ward_id, checkpoint_id=shift.checkpoint_id,
           subject=shift, detail={**after, "from": [before["starts_at"], before["ends_at"]]}, now=now)
    return shift


def cancel_shift(shift: Shift, *, by: User, now: datetime) -> None:
    """Remove a future shift nobody has checked in to; the activity record keeps what it was."""
    require_changeable(shift, now)
    record("shift.cancelled", actor=by, ward_id=shift.checkpoint.ward_id, checkpoint_id=shift.checkpoint_id,
           subject=shift, detail={**_shift_detail(shift),
                                  "volunteers": [[p.id, p.full_name] for p in shift.volunteers]}, now=now)
    db.session.delete(shift)
    db.session.flush()


def may_be_assigned(person: User, ward: Ward) -> bool:
    return person.active and person.ward_id == ward.id and person.role in ("volunteer", "coordinator")


def assign(shift: Shift, person: User, *, by: User, now: datetime) -> bool:
    """Put a person of the ward on a shift; False when they already were. A non-member may be
    assigned (the grid warns about it): a neighbour standing in is normal."""
    require_changeable(shift, now)
    if not may_be_assigned(person, shift.checkpoint.ward):
        raise RuleViolation(_l("Only active volunteers of this ward can be assigned."), field="user",
                            code="not_assignable")
    if any(p.id == person.id for p in shift.volunteers):
        return False
    shift.volunteers.append(person)
    db.session.flush()
    record("shift.assigned", actor=by, ward_id=shift.checkpoint.ward_id, checkpoint_id=shift.checkpoint_id,
           subject=shift, detail={**_shift_detail(shift), "user": [person.id, person.full_name]}, now=now)
    return True


def unassign(shift: Shift, person: User, *, by: User, now: datetime) -> bool:
    """Take a person off a shift; False when they were not on it."""
    require_changeable(shift, now)
    if not any(p.id == person.id for p in shift.volunteers):
        return False
    shift.volunteers = [p for p in shift.volunteers if p.id != person.id]
    db.session.flush()
    record("shift.unassigned", actor=by, ward_id=shift.checkpoint.ward_id, checkpoint_id=shift.checkpoint_id,
           subject=shift, detail={**_shift_detail(shift), "user": [person.id, person.full_name]}, now=now)
    return True


def candidates(ward: Ward, checkpoint: Checkpoint) -> list[tuple[User, bool]]:
    """Who may be put on a shift of `checkpoint`: (person, is a member), members first, then the
    ward's other volunteers, then its coordinators, each by name."""
    people = db.session.scalars(
        select(User).where(User.ward_id == ward.id, User.active.is_(True),
                           User.role.in_(("volunteer", "coordinator"))).order_by(User.full_name, User.id))
    member_ids = set(db.session.scalars(
        select(checkpoint_member.c.user_id).where(checkpoint_member.c.checkpoint_id == checkpoint.id)))
    listed = [(p, p.id in member_ids) for p in people]
    return sorted(listed, key=lambda item: (not item[1], item[0].role != "volunteer"))


# --- patterns and whole weeks ----------------------------------------------------------------

def pattern_minutes(starts: time, ends: time) -> int:
    """Minutes from `starts` to `ends` on the wall clock; an end at or before the start is the next
    day (23:00–03:00 is 240 minutes, 07:00–07:00 a whole day)."""
    minutes = (ends.hour * 60 + ends.minute) - (starts.hour * 60 + starts.minute)
    return minutes if minutes > 0 else minutes + 24 * 60


def add_pattern(checkpoint: Checkpoint, starts: time, ends: time, label: str | None, *, by: User,
                now: datetime) -> ShiftPattern:
    minutes = pattern_minutes(starts, ends)
    if minutes < 15:
        raise RuleViolation(_l("A shift lasts at least 15 minutes."), field="end", code="too_short")
    starts = starts.replace(second=0, microsecond=0)
    if db.session.scalar(select(ShiftPattern.id).where(
            ShiftPattern.checkpoint_id == checkpoint.id, ShiftPattern.starts_at == starts,
            ShiftPattern.duration_minutes == minutes)) is not None:
        raise RuleViolation(_l("This checkpoint already has that pattern."), field="start", code="duplicate")
    label = clean_text(label, field="label", max_length=60, required=False) or None
    pattern = ShiftPattern(checkpoint=checkpoint, starts_at=starts, duration_minutes=minutes, label=label)
    db.session.add(pattern)
    db.session.flush()
    record("pattern.added", actor=by, ward_id=checkpoint.ward_id, checkpoint_id=checkpoint.id, subject=pattern,
           detail={"starts_at": starts.strftime("%H:%M"), "minutes": minutes, "label": label}, now=now)
    return pattern


def delete_pattern(pattern: ShiftPattern, *, by: User, now: datetime) -> None:
    """Patterns carry no history (the shifts made from them stay), so they may simply go."""
    record("pattern.deleted", actor=by, ward_id=pattern.checkpoint.ward_id, checkpoint_id=pattern.checkpoint_id,
           subject=pattern, detail={"starts_at": pattern.starts_at.strftime("%H:%M"),
                                    "minutes": pattern.duration_minutes, "label": pattern.label}, now=now)
    db.session.delete(pattern)
    db.session.flush()


def expand_pattern(pattern: ShiftPattern, days: list[date], tz: ZoneInfo) -> list[tuple[datetime, datetime]]:
    """The pattern's dated (start, end) in UTC on each day, started at the local wall-clock time."""
    utc = ZoneInfo("UTC")
    slots = []
    for day in days:
        starts = datetime.combine(day, pattern.starts_at, tzinfo=tz).astimezone(utc)
        slots.append((starts, starts + timedelta(minutes=pattern.duration_minutes)))
    return slots


@dataclass
class Planned:
    """What a whole-week action did: shifts made, and slots left alone."""

    created: list[Shift] = field(default_factory=list)
    existing: int = 0  # an identical shift was already there
    past: int = 0  # the slot had already begun


def _existing_slots(checkpoint_ids: list[int], starts_at: datetime, ends_at: datetime) -> set[tuple]:
    rows = db.session.execute(select(Shift.checkpoint_id, Shift.starts_at, Shift.ends_at).where(
        Shift.checkpoint_id.in_(checkpoint_ids), Shift.starts_at >= starts_at, Shift.starts_at < ends_at))
    return {(c, s, e) for c, s, e in rows}


def _plan(result: Planned, existing: set, checkpoint: Checkpoint, starts_at: datetime, ends_at: datetime,
          by: User, now: datetime) -> Shift | None:
    if starts_at <= now:
        result.past += 1
        return None
    if (checkpoint.id, starts_at, ends_at) in existing:
        result.existing += 1
        return None
    existing.add((checkpoint.id, starts_at, ends_at))
    shift = Shift(checkpoint=checkpoint, starts_at=starts_at, ends_at=ends_at, created_by_id=by.id, created_at=now)
    db.session.add(shift)
    result.created.append(shift)
    return shift


def apply_patterns(ward: Ward, checkpoints: list[Checkpoint], monday: date, *, by: User, now: datetime,
                   tz: ZoneInfo | None = None) -> Planned:
    """Turn every pattern of these checkpoints into shifts on each day of the week. Slots that
    already have an identical shift, or have begun, are skipped, so applying twice changes nothing."""
    tz = tz or _tz()
    monday = week_monday(monday)
    days = [monday + timedelta(days=n) for n in range(7)]
    starts_at, ends_at = week_bounds(monday, tz)
    by_id = {c.id: c for c in checkpoints if c.active and c.ward_id == ward.id}
    result = Planned()
    if not by_id:
        return result
    existing = _existing_slots(list(by_id), starts_at, ends_at)
    patterns = db.session.scalars(select(ShiftPattern).where(ShiftPattern.checkpoint_id.in_(list(by_id)))
                                  .order_by(ShiftPattern.checkpoint_id, ShiftPattern.starts_at))
    for pattern in patterns:
        for slot_start, slot_end in expand_pattern(pattern, days, tz):
            _plan(result, existing, by_id[pattern.checkpoint_id], slot_start, slot_end, by, now)
    db.session.flush()
    record("shift.patterns_applied", actor=by, ward_id=ward.id,
           checkpoint_id=checkpoints[0].id if len(checkpoints) == 1 else None,
           detail={"week": week_label(monday), "checkpoints": sorted(c.code for c in by_id.values()),
                   "created": len(result.created), "existing": result.existing, "past": result.past}, now=now)
    return result


def copy_previous_week(ward: Ward, checkpoints: list[Checkpoint], monday: date, *, by: User, now: datetime,
                       tz: ZoneInfo | None = None) -> Planned:
    """Plan the week of `monday` like the week before, with the same people where they are still
    active in the ward. Slots already planned, or begun, are skipped, so copying twice changes nothing."""
    tz = tz or _tz()
    monday = week_monday(monday)
    starts_at, ends_at = week_bounds(monday, tz)
    before_start, _ = week_bounds(monday - timedelta(days=7), tz)
    by_id = {c.id: c for c in checkpoints if c.active and c.ward_id == ward.id}
    result = Planned()
    if not by_id:
        return result
    existing = _existing_slots(list(by_id), starts_at, ends_at)
    earlier = db.session.scalars(
        select(Shift).where(Shift.checkpoint_id.in_(list(by_id)), Shift.starts_at >= before_start,
                            Shift.starts_at < starts_at)
        .order_by(Shift.starts_at, Shift.id).options(selectinload(Shift.volunteers)))
    utc = ZoneInfo("UTC")
    for old in earlier:
        local_start = old.starts_at.astimezone(tz)
        # A week later on the wall clock, the same length.
        new_start = datetime.combine(local_start.date() + timedelta(days=7), local_start.time(),
                                     tzinfo=tz).astimezone(utc)
        shift = _plan(result, existing, by_id[old.checkpoint_id], new_start,
                      new_start + (old.ends_at - old.starts_at), by, now)
        if shift is not None:
            shift.volunteers = [p for p in old.volunteers if may_be_assigned(p, ward)]
    db.session.flush()
    record("shift.week_copied", actor=by, ward_id=ward.id,
           checkpoint_id=checkpoints[0].id if len(checkpoints) == 1 else None,
           detail={"week": week_label(monday), "checkpoints": sorted(c.code for c in by_id.values()),
                   "created": len(result.created), "existing": result.existing, "past": result.past}, now=now)
    return result


def to_utc(moment: datetime) -> datetime:
    return moment.astimezone(ZoneInfo("UTC"))


def _tz() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])
