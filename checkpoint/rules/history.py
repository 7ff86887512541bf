"""The ward's observation history: the police search, its CSV export and the daily report.

Every function reads one ward in a fixed handful of queries, however many checkpoints it has.
"""
from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, aliased, selectinload

from ..extensions import db
from ..localtime import zone
from ..models import (CATEGORIES, SEVERITIES, Attendance, Checkpoint, Handover, Observation, Shift, Ward,
                      shift_assignment)

PER_PAGE = 50
# More words than this add nothing a person means and only make the query heavier.
MAX_WORDS = 8
# Shifts and attendances that began longer than this before a day are not looked for: it keeps
# their queries an index range. No duty runs longer than a day (open attendances are the exception
# and are asked for separately).
LONGEST_SHIFT = timedelta(hours=24)
# How many rows the CSV export holds in memory at a time.
CHUNK = 500


@dataclass(frozen=True)
class HistoryQuery:
    """The filters of the history search; every one is optional. Dates are the ward's local days,
    both ends included."""

    date_from: date | None = None
    date_to: date | None = None
    checkpoint_id: int | None = None
    category: str | None = None
    severity: str | None = None
    status: str | None = None
    words: str = ""

    def terms(self) -> list[str]:
        """The distinct words to look for, NFC like the stored text, at most MAX_WORDS."""
        terms: list[str] = []
        for word in unicodedata.normalize("NFC", self.words or "").split():
            if word.lower() not in (t.lower() for t in terms):
                terms.append(word)
        return terms[:MAX_WORDS]

    def as_detail(self) -> dict:
        """The filters as JSON-friendly values, for the activity record of an export."""
        return {
            "date_from": self.date_from.isoformat() if self.date_from else None,
            "date_to": self.date_to.isoformat() if self.date_to else None,
            "checkpoint_id": self.checkpoint_id, "category": self.category, "severity": self.severity,
            "status": self.status, "words": self.words or "",
        }


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The UTC-comparable start and end (exclusive) of a local day in the ward's timezone."""
    start = datetime.combine(day, time(0), tzinfo=zone())
    return start, datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone())


def _contains(column, word: str):
    """Case-insensitive containment, accents as typed ("đèn" does not find "den").

    PostgreSQL's lower() folds every letter under a UTF-8 locale; SQLite's folds only ASCII, and a
    "C" PostgreSQL locale neither. The capitalised and upper-case spellings are also tried, so a
    lower-case search still finds "Đường …" at the start of a sentence, or "ĐÈN" written in capitals.
    """
    folded = word.lower()
    variants = sorted({folded.capitalize(), folded.upper()} - {folded})
    return or_(func.lower(column).contains(folded, autoescape=True),
               *(column.contains(variant, autoescape=True) for variant in variants))


def _matching(ward: Ward, query: HistoryQuery):
    """The select of the ward's original observations (corrections ride with them) under the filters."""
    stmt = (select(Observation)
            .join(Checkpoint, Checkpoint.id == Observation.checkpoint_id)
            .where(Checkpoint.ward_id == ward.id, Observation.corrects_id.is_(None)))
    if query.date_from is not None:
        stmt = stmt.where(Observation.occurred_at >= day_bounds(query.date_from)[0])
    if query.date_to is not None:
        stmt = stmt.where(Observation.occurred_at < day_bounds(query.date_to)[1])
    if query.checkpoint_id is not None:
        stmt = stmt.where(Observation.checkpoint_id == query.checkpoint_id)
    if query.category:
        stmt = stmt.where(Observation.category == query.category)
    if query.severity:
        stmt = stmt.where(Observation.severity == query.severity)
    if query.status:
        stmt = stmt.where(Observation.status == query.status)
    correction = aliased(Observation)
    for word in query.terms():
        # A word in a correction finds its original: the correction is how the entry reads now.
        in_correction = (select(correction.id)
                         .where(correction.corrects_id == Observation.id, _contains(correction.text, word))
                         .exists())
        stmt = stmt.where(or_(_contains(Observation.text, word), in_correction))
    return stmt


_SHOWN_WITH = (selectinload(Observation.checkpoint), selectinload(Observation.author),
               selectinload(Observation.acknowledged_by), selectinload(Observation.resolved_by),
               selectinload(Observation.corrections), selectinload(Observation.photo))


def count_observations(ward: Ward, query: HistoryQuery) -> int:
    """How many originals match: the total of the search."""
    matching = _matching(ward, query).with_only_columns(Observation.id).order_by(None).subquery()
    return db.session.scalar(select(func.count()).select_from(matching)) or 0


def search_observations(ward: Ward, query: HistoryQuery, page: int = 1,
                        per_page: int = PER_PAGE) -> tuple[list[Observation], int]:
    """One page (1-based) of matching observations, newest first, and the total that match."""
    page = max(1, page)
    total = count_observations(ward, query)
    if total <= (page - 1) * per_page:
        return [], total
    stmt = (_matching(ward, query)
            .order_by(Observation.occurred_at.desc(), Observation.id.desc())
            .offset((page - 1) * per_page).limit(per_page)
            .options(*_SHOWN_WITH))
    return list(db.session.scalars(stmt)), total


def iter_observations(ward: Ward, query: HistoryQuery, session: Session | None = None) -> Iterator[Observation]:
    """Every matching observation, newest first, fetched CHUNK rows at a time: for the CSV export.

    The query is built at once (its day bounds need the app's timezone); rows are read as the
    iterator is consumed, on `session` when given: a streamed response is read after the request
    and its session have ended.
    """
    stmt = (_matching(ward, query)
            .order_by(Observation.occurred_at.desc(), Observation.id.desc())
            .options(*_SHOWN_WITH)
            .execution_options(yield_per=CHUNK))
    return _read(session, stmt)


def _read(session: Session | None, stmt) -> Iterator[Observation]:
    yield from (session if session is not None else db.session).scalars(stmt)


# --- the daily report ----------------------------------------------------------------------------


@dataclass
class CheckpointDay:
    """One checkpoint's line of the daily report."""

    checkpoint: Checkpoint
    shifts: int = 0  # planned shifts overlapping the day
    planned_hours: float = 0.0  # person-hours: overlap with the day × people assigned, summed
    staffed_hours: float = 0.0  # person-hours present, open attendances counted up to `now`
    by_category: dict[str, int] = field(default_factory=dict)
    by_severity: dict[str, int] = field(default_factory=dict)
    open_items: list[Observation] = field(default_factory=list)
    unaccepted: list[Handover] = field(default_factory=list)

    @property
    def observations(self) -> int:
        return sum(self.by_severity.values())

    @property
    def has_records(self) -> bool:
        return bool(self.shifts or self.staffed_hours or self.by_severity or self.open_items or self.unaccepted)


@dataclass
class DailyReport:
    """The ward's day: one CheckpointDay per checkpoint, and the totals."""

    ward: Ward
    day: date
    start: datetime
    end: datetime  # exclusive
    now: datetime
    checkpoints: list[CheckpointDay]

    @property
    def planned_hours(self) -> float:
        return sum(c.planned_hours for c in self.checkpoints)

    @property
    def staffed_hours(self) -> float:
        return sum(c.staffed_hours for c in self.checkpoints)

    @property
    def shifts(self) -> int:
        return sum(c.shifts for c in self.checkpoints)

    @property
    def by_severity(self) -> dict[str, int]:
        return {s: sum(c.by_severity.get(s, 0) for c in self.checkpoints) for s in SEVERITIES}

    @property
    def by_category(self) -> dict[str, int]:
        return {k: sum(c.by_category.get(k, 0) for c in self.checkpoints) for k in CATEGORIES}

    @property
    def observations(self) -> int:
        return sum(c.observations for c in self.checkpoints)

    @property
    def open_items(self) -> list[Observation]:
        return sorted((o for c in self.checkpoints for o in c.open_items), key=lambda o: (o.occurred_at, o.id))

    @property
    def unaccepted(self) -> list[Handover]:
        return sorted((h for c in self.checkpoints for h in c.unaccepted), key=lambda h: (h.occurred_at, h.id))


def _hours(start: datetime, end: datetime, lower: datetime, upper: datetime) -> float:
    """Hours of [start, end) that fall inside [lower, upper); never negative."""
    seconds = (min(end, upper) - max(start, lower)).total_seconds()
    return max(0.0, seconds / 3600)


def daily_report(ward: Ward, day: date, now: datetime) -> DailyReport:
    """The day `day` (local) of the ward as it stands at `now`.

    Open items are the observations that happened up to the end of the day and were not resolved
    by then (or by `now`, for today); unaccepted handovers were written that day and not accepted
    by the end of it. So a past day's report reads the same whenever it is printed.
    """
    start, end = day_bounds(day)
    cutoff = min(end, now)  # what is known of the day so far
    lines = {c.id: CheckpointDay(c) for c in db.session.scalars(
        select(Checkpoint).where(Checkpoint.ward_id == ward.id).order_by(Checkpoint.code))}
    ids = list(lines)
    if ids:
        _add_planned(lines, ids, start, end)
        _add_staffed(lines, ids, start, end, now)
        _add_counts(lines, ids, start, end)
        _add_open_items(lines, ids, end, cutoff)
        _add_unaccepted(lines, ids, start, end, cutoff)
    # Retired checkpoints appear only when they have something on that day.
    shown = [line for line in lines.values() if line.checkpoint.active or line.has_records]
    return DailyReport(ward=ward, day=day, start=start, end=end, now=now, checkpoints=shown)


def _add_planned(lines: dict[int, CheckpointDay], ids: list[int], start: datetime, end: datetime) -> None:
    people = (select(func.count()).select_from(shift_assignment)
              .where(shift_assignment.c.shift_id == Shift.id).correlate(Shift).scalar_subquery())
    rows = db.session.execute(
        select(Shift.checkpoint_id, Shift.starts_at, Shift.ends_at, people)
        .where(Shift.checkpoint_id.in_(ids), Shift.starts_at > start - LONGEST_SHIFT,
               Shift.starts_at < end, Shift.ends_at > start))
    for checkpoint_id, starts_at, ends_at, assigned in rows:
        line = lines[checkpoint_id]
        line.shifts += 1
        line.planned_hours += _hours(starts_at, ends_at, start, end) * assigned


def _add_staffed(lines: dict[int, CheckpointDay], ids: list[int], start: datetime, end: datetime,
                 now: datetime) -> None:
    rows = db.session.execute(
        select(Attendance.checkpoint_id, Attendance.check_in_at, Attendance.check_out_at)
        .where(Attendance.checkpoint_id.in_(ids), Attendance.check_in_at < end,
               or_(Attendance.check_out_at.is_(None),
                   and_(Attendance.check_in_at > start - LONGEST_SHIFT, Attendance.check_out_at > start))))
    for checkpoint_id, check_in_at, check_out_at in rows:
        lines[checkpoint_id].staffed_hours += _hours(check_in_at, check_out_at or now, start, min(end, now))


def _add_counts(lines: dict[int, CheckpointDay], ids: list[int], start: datetime, end: datetime) -> None:
    rows = db.session.execute(
        select(Observation.checkpoint_id, Observation.category, Observation.severity, func.count())
        .where(Observation.checkpoint_id.in_(ids), Observation.occurred_at >= start, Observation.occurred_at < end,
               Observation.corrects_id.is_(None))
        .group_by(Observation.checkpoint_id, Observation.category, Observation.severity))
    for checkpoint_id, category, severity, count in rows:
        line = lines[checkpoint_id]
        line.by_category[category] = line.by_category.get(category, 0) + count
        line.by_severity[severity] = line.by_severity.get(severity, 0) + count


def _add_open_items(lines: dict[int, CheckpointDay], ids: list[int], end: datetime, cutoff: datetime) -> None:
    query = (select(Observation)
             .where(Observation.checkpoint_id.in_(ids), Observation.corrects_id.is_(None),
                    Observation.occurred_at < end,
                    or_(Observation.status != "resolved", Observation.resolved_at >= cutoff))
             .order_by(Observation.occurred_at, Observation.id)
             .options(selectinload(Observation.author), selectinload(Observation.acknowledged_by),
                      selectinload(Observation.resolved_by), selectinload(Observation.corrections)))
    for observation in db.session.scalars(query):
        lines[observation.checkpoint_id].open_items.append(observation)


def _add_unaccepted(lines: dict[int, CheckpointDay], ids: list[int], start: datetime, end: datetime,
                    cutoff: datetime) -> None:
    query = (select(Handover)
             .where(Handover.checkpoint_id.in_(ids), Handover.occurred_at >= start, Handover.occurred_at < end,
                    or_(Handover.accepted_at.is_(None), Handover.accepted_at >= cutoff))
             .order_by(Handover.occurred_at, Handover.id)
             .options(selectinload(Handover.author), selectinload(Handover.accepted_by)))
    for handover in db.session.scalars(query):
        lines[handover.checkpoint_id].unaccepted.append(handover)
