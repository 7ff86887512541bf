"""The attendance report: each planned shift held against what really happened, hours on duty and
night duties, per volunteer and per checkpoint of a ward, for a period of local days."""
from __future__ import annotations

import unicodedata
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import takewhile
from typing import Protocol

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import Row, and_, or_, select

from ..extensions import db
from ..localtime import zone
from ..models import Attendance, Checkpoint, Shift, User, Ward, shift_assignment
from . import RuleViolation
from .attendance import EARLY_CHECK_IN
from .history import LONGEST_SHIFT
from .nights import night_dates

ON_TIME, LATE, LEFT_EARLY, LATE_AND_LEFT_EARLY, MISSED, UPCOMING = (
    "on_time", "late", "left_early", "late_and_left_early", "missed", "upcoming")
# A period longer than a year is a typing mistake, and would read every attendance of the ward.
MAX_PERIOD_DAYS = 366
# A check-out is believed up to this long after the planned end (an incident kept the team late);
# later than that it is far more likely a forgotten check-out closed when the person came back.
OVERRUN = timedelta(hours=2)
# Presence with no shift to measure against is assumed to last one usual shift.
UNPLANNED_SPAN = timedelta(hours=4)
# Shifts and attendances that began this long before the period are read too: they may reach into it.
LOOKBACK = timedelta(days=2)


class Timed(Protocol):
    starts_at: datetime
    ends_at: datetime


class Presence(Protocol):
    check_in_at: datetime
    check_out_at: datetime | None


# --- the rules, one shift and one attendance at a time ------------------------------------------


def classify(shift: Timed, attendances: Sequence[Presence], now: datetime, late_after: timedelta,
             early_leave: timedelta) -> str:
    """How one person kept one planned shift, given that person's attendances which count for it.

    Late means the first check-in came more than `late_after` after the start; left early means
    the last check-out came more than `early_leave` before the end. A person still checked in has
    not left early (a forgotten check-out is not held against arrival or departure). No attendance
    is a no-show once the shift has ended, and not yet anything before that."""
    if not attendances:
        return MISSED if now >= shift.ends_at else UPCOMING
    arrived = min(a.check_in_at for a in attendances)
    late = arrived - shift.starts_at > late_after
    still_there = any(a.check_out_at is None for a in attendances)
    left = None if still_there else max(a.check_out_at for a in attendances)
    early = left is not None and shift.ends_at - left > early_leave
    if late and early:
        return LATE_AND_LEFT_EARLY
    return LATE if late else LEFT_EARLY if early else ON_TIME


def counted_end(attendance: Presence, plan_end: datetime, now: datetime) -> datetime:
    """Until when an attendance counts as time on duty, given when its plan ended.

    Without a check-out the plan is assumed (never up to `now` once the plan has ended): a
    forgotten check-out must not grow by the hour. A check-out is believed up to OVERRUN past
    the plan; beyond that it is capped, as a check-out days later closes a forgotten one."""
    if attendance.check_out_at is None:
        end = min(now, plan_end)
    else:
        end = min(attendance.check_out_at, plan_end + OVERRUN)
    return max(attendance.check_in_at, end)


def shifts_of_attendance(attendance: Attendance | Row, candidates: Sequence[Shift | Row],
                         now: datetime) -> tuple[list, datetime]:
    """The shifts an attendance counts for, and until when it counts as time on duty.

    `candidates` are the person's own planned shifts at that checkpoint, in start order. The
    attendance counts for the shift it was linked to at check-in, and for each of those it
    overlaps: someone who checked in more than 30 minutes early (so was not linked), or stayed on
    into their next shift, was there all the same. Each shift it meets moves its plan's end."""
    check_in = attendance.check_in_at
    # Only shifts that began at most a day before the check-in can reach it: a year of shifts is
    # not walked for every attendance.
    first = bisect_left(candidates, check_in - LONGEST_SHIFT, key=lambda s: s.starts_at)
    nearby = candidates[first:]
    linked = None
    if attendance.shift_id is not None:
        linked = next((s for s in takewhile(lambda s: s.starts_at <= check_in + EARLY_CHECK_IN, nearby)
                       if s.id == attendance.shift_id), None)
    matched = [linked] if linked else []
    plan_end = linked.ends_at if linked else check_in + UNPLANNED_SPAN
    for shift in nearby:
        if shift.starts_at >= counted_end(attendance, plan_end, now):
            break  # the rest start later still
        if shift is not linked and shift.ends_at > check_in:
            matched.append(shift)
            plan_end = max(plan_end, shift.ends_at)
    return matched, counted_end(attendance, plan_end, now)


def night_span(attendance: Presence, matched: Sequence[Timed], until: datetime) -> tuple[datetime, datetime]:
    """The part of an attendance that can make a night duty: inside the planned shifts it kept.

    Minutes of handover after an evening shift ending at 22:00 are no night duty; presence with no
    plan counts as it was (up to `until`)."""
    if not matched:
        return attendance.check_in_at, until
    began = max(attendance.check_in_at, min(s.starts_at for s in matched))
    return began, max(began, min(until, max(s.ends_at for s in matched)))


def overlap_seconds(start: datetime, end: datetime, lower: datetime, upper: datetime) -> float:
    """Seconds of [start, end) inside [lower, upper); never negative."""
    return max(0.0, (min(end, upper) - max(start, lower)).total_seconds())


def given_name_key(full_name: str) -> tuple[str, str]:
    """Vietnamese lists are ordered by the given name (the last word), then the whole name;
    accents are folded for the order only, with đ after d as in the alphabet."""
    def fold(text: str) -> str:
        text = text.lower().replace("đ", "d\uffff")
        return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))

    words = full_name.split()
    return fold(words[-1] if words else ""), fold(full_name)


# --- the report ---------------------------------------------------------------------------------


@dataclass
class Tally:
    """The counts of one line of the report, or of the totals."""

    planned: int = 0  # person-shifts: one per person assigned to a shift that starts in the period
    on_time: int = 0
    late: int = 0  # late_and_left_early counts here and in left_early
    left_early: int = 0
    missed: int = 0
    upcoming: int = 0  # planned, not ended, nobody yet: neither kept nor missed
    unscheduled: int = 0  # attendances that count for no planned shift
    no_check_out: int = 0  # attendances still open after their plan ended
    seconds: float = 0.0  # time on duty inside the period

    @property
    def hours(self) -> float:
        return self.seconds / 3600

    def count(self, outcome: str) -> None:
        self.planned += 1
        if outcome in (LATE, LATE_AND_LEFT_EARLY):
            self.late += 1
        if outcome in (LEFT_EARLY, LATE_AND_LEFT_EARLY):
            self.left_early += 1
        if outcome == ON_TIME:
            self.on_time += 1
        elif outcome == MISSED:
            self.missed += 1
        elif outcome == UPCOMING:
            self.upcoming += 1

    def add(self, other: Tally) -> None:
        for name in ("planned", "on_time", "late", "left_early", "missed", "upcoming", "unscheduled",
                     "no_check_out", "seconds"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def has_records(self) -> bool:
        return bool(self.planned or self.unscheduled or self.seconds)


@dataclass
class NightMonth:
    """A person's night duties in one calendar month, against the cap."""

    year: int
    month: int
    nights: int
    cap: int

    @property
    def over(self) -> bool:
        return self.nights > self.cap

    @property
    def label(self) -> str:
        return f"{self.month:02d}/{self.year}"


@dataclass
class VolunteerLine(Tally):
    user: User | None = None
    nights: int = 0  # distinct nights on duty that begin inside the period
    # Every calendar month the period touches, counted whole: the cap is per month.
    months: list[NightMonth] = field(default_factory=list)

    @property
    def over_cap(self) -> list[NightMonth]:
        return [m for m in self.months if m.over]


@dataclass
class CheckpointLine(Tally):
    checkpoint: Checkpoint | None = None


@dataclass
class AttendanceReport:
    ward: Ward
    first_day: date
    last_day: date  # included
    start: datetime
    end: datetime  # exclusive
    now: datetime
    night_cap: int
    late_after: timedelta
    early_leave: timedelta
    volunteers: list[VolunteerLine]
    checkpoints: list[CheckpointLine]
    totals: Tally

    @property
    def nights(self) -> int:
        return sum(line.nights for line in self.volunteers)

    @property
    def over_cap(self) -> list[VolunteerLine]:
        return [line for line in self.volunteers if line.over_cap]


def check_period(first_day: date | None, last_day: date | None) -> None:
    """Refuse a period that ends before it starts, or longer than MAX_PERIOD_DAYS."""
    if first_day is None or last_day is None:
        return
    if last_day < first_day:
        raise RuleViolation(_l("The end date is before the start date."), field="date_to", code="reversed")
    if (last_day - first_day).days + 1 > MAX_PERIOD_DAYS:
        raise RuleViolation(_l("Choose a period of at most %(days)d days.", days=MAX_PERIOD_DAYS),
                            field="date_to", code="too_long")


def _bounds(first_day: date, last_day: date) -> tuple[datetime, datetime]:
    tz = zone()
    return (datetime.combine(first_day, time(0), tzinfo=tz),
            datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=tz))


def _months(first_day: date, last_day: date) -> list[tuple[int, int]]:
    months, year, month = [], first_day.year, first_day.month
    while (year, month) <= (last_day.year, last_day.month):
        months.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def attendance_report(ward: Ward, first_day: date, last_day: date, now: datetime, *,
                      late_after: timedelta | None = None, early_leave: timedelta | None = None,
                      night_cap: int | None = None) -> AttendanceReport:
    """The ward's attendance from `first_day` to `last_day` (local days, both included) as known at `now`.

    A planned shift belongs to the period when it starts in it; time on duty is counted inside the
    period only. Night duties are counted over whole calendar months, as the cap is monthly. Reads
    the ward in four queries whatever the number of people and checkpoints. Tolerances and the cap
    come from the configuration unless given."""
    check_period(first_day, last_day)
    config = current_app.config
    late_after = late_after if late_after is not None else timedelta(minutes=config["LATE_AFTER_MINUTES"])
    early_leave = early_leave if early_leave is not None else timedelta(minutes=config["EARLY_LEAVE_MINUTES"])
    night_cap = night_cap if night_cap is not None else config["NIGHT_DUTY_CAP"]
    start, end = _bounds(first_day, last_day)
    months = _months(first_day, last_day)
    lower, upper = _reading_window(start, end, months)

    checkpoints = {c.id: c for c in db.session.scalars(
        select(Checkpoint).where(Checkpoint.ward_id == ward.id).order_by(Checkpoint.code))}
    ids = list(checkpoints)
    shifts = _planned(ids, lower, upper) if ids else []
    attendances = _attended(ids, lower, upper) if ids else []
    people = _people(ward, {s.user_id for s in shifts} | {a.user_id for a in attendances})
    by_person = {user.id: VolunteerLine(user=user) for user in people}
    by_checkpoint = {cid: CheckpointLine(checkpoint=c) for cid, c in checkpoints.items()}

    plans: dict[tuple[int, int], list[Row]] = defaultdict(list)  # (person, checkpoint) -> shifts in start order
    for shift in shifts:
        plans[(shift.user_id, shift.checkpoint_id)].append(shift)
    kept: dict[tuple[int, int], list[Row]] = defaultdict(list)  # (shift, person) -> attendances
    night_spans: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)  # person -> spans
    for attendance in attendances:
        matched, until = shifts_of_attendance(
            attendance, plans.get((attendance.user_id, attendance.checkpoint_id), []), now)
        for shift in matched:
            kept[(shift.id, attendance.user_id)].append(attendance)
        night_spans[attendance.user_id].append(night_span(attendance, matched, until))
        for line in (by_person[attendance.user_id], by_checkpoint[attendance.checkpoint_id]):
            _count_attendance(line, attendance, bool(matched), until, start, end, now)

    for shift in shifts:
        if start <= shift.starts_at < end:
            outcome = classify(shift, kept.get((shift.id, shift.user_id), []), now, late_after, early_leave)
            by_person[shift.user_id].count(outcome)
            by_checkpoint[shift.checkpoint_id].count(outcome)

    for user_id, spans in night_spans.items():
        _count_nights(by_person[user_id], spans, first_day, last_day, months, night_cap)

    volunteers = sorted((line for line in by_person.values() if line.user.active or line.has_records),
                        key=lambda line: given_name_key(line.user.full_name))
    shown = [line for line in by_checkpoint.values() if line.checkpoint.active or line.has_records]
    totals = Tally()
    for line in shown:
        totals.add(line)
    return AttendanceReport(ward=ward, first_day=first_day, last_day=last_day, start=start, end=end, now=now,
                            night_cap=night_cap, late_after=late_after, early_leave=early_leave,
                            volunteers=volunteers, checkpoints=shown, totals=totals)


def _reading_window(start: datetime, end: datetime, months: list[tuple[int, int]]) -> tuple[datetime, datetime]:
    """Which starts of shifts and check-ins to read: the period and the whole months it touches
    (for the night cap), from LOOKBACK before (they may reach in) to the morning after the last
    month (a night begun on its last evening runs on)."""
    tz = zone()
    month_start = datetime.combine(date(*months[0], 1), time(0), tzinfo=tz)
    year, month = months[-1]
    after = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    month_end = datetime.combine(after, time(0), tzinfo=tz) + timedelta(days=1)
    return min(start, month_start) - LOOKBACK, max(end, month_end)


def _count_attendance(line: Tally, attendance: Row, planned: bool, until: datetime, start: datetime,
                      end: datetime, now: datetime) -> None:
    """Add one attendance to a line: its time inside the period; unscheduled and forgotten check-outs
    only when it began in the period, so that each is counted in one period."""
    line.seconds += overlap_seconds(attendance.check_in_at, until, start, min(end, now))
    if start <= attendance.check_in_at < end:
        line.unscheduled += 0 if planned else 1
        line.no_check_out += 1 if attendance.check_out_at is None and until < now else 0


def _count_nights(line: VolunteerLine, spans: list[tuple[datetime, datetime]], first_day: date, last_day: date,
                  months: list[tuple[int, int]], cap: int) -> None:
    tz = zone()
    nights = set().union(*(night_dates(began, until, tz) for began, until in spans if until > began))
    line.nights = sum(1 for night in nights if first_day <= night <= last_day)
    per_month = Counter((night.year, night.month) for night in nights)
    line.months = [NightMonth(year, month, per_month[(year, month)], cap) for year, month in months]


# Plain rows rather than model objects: a year of a ward is tens of thousands of them.
def _planned(ids: list[int], lower: datetime, upper: datetime) -> list[Row]:
    """One row (id, checkpoint_id, starts_at, ends_at, user_id) per person assigned to each of the
    ward's shifts starting in [lower, upper), in start order."""
    return list(db.session.execute(
        select(Shift.id, Shift.checkpoint_id, Shift.starts_at, Shift.ends_at, shift_assignment.c.user_id)
        .join(shift_assignment, shift_assignment.c.shift_id == Shift.id)
        .where(Shift.checkpoint_id.in_(ids), Shift.starts_at >= lower, Shift.starts_at < upper)
        .order_by(Shift.starts_at, Shift.id)))


def _attended(ids: list[int], lower: datetime, upper: datetime) -> list[Row]:
    """The attendances at the ward's checkpoints that began in [lower, upper), as rows."""
    return list(db.session.execute(
        select(Attendance.id, Attendance.user_id, Attendance.checkpoint_id, Attendance.shift_id,
               Attendance.check_in_at, Attendance.check_out_at)
        .where(Attendance.checkpoint_id.in_(ids), Attendance.check_in_at >= lower, Attendance.check_in_at < upper)
        .order_by(Attendance.check_in_at, Attendance.id)))


def _people(ward: Ward, seen: Iterable[int]) -> list[User]:
    """The ward's volunteers, and everyone else who was planned or present at its checkpoints."""
    seen = list(seen)
    condition = and_(User.ward_id == ward.id, User.role == "volunteer")
    if seen:
        condition = or_(condition, User.id.in_(seen))
    return list(db.session.scalars(select(User).where(condition)))
