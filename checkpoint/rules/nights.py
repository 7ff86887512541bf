"""Night duty: which nights (22:00–06:00 local) a stretch of time touches, and counting them
against the monthly cap HCMC pays for."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

NIGHT_STARTS = time(22, 0)
NIGHT_ENDS = time(6, 0)


def night_dates(starts_at: datetime, ends_at: datetime, tz: ZoneInfo) -> set[date]:
    """The nights that [starts_at, ends_at) overlaps, each named by the local date it begins on.

    A shift 23:00–03:00 is one night; 19:00–23:00 touches the night of its own date; 04:00–08:00
    belongs to the night that began the evening before."""
    start, end = starts_at.astimezone(tz), ends_at.astimezone(tz)
    nights = set()
    day = start.date() - timedelta(days=1)
    while day <= end.date():
        night_start = datetime.combine(day, NIGHT_STARTS, tzinfo=tz)
        night_end = datetime.combine(day + timedelta(days=1), NIGHT_ENDS, tzinfo=tz)
        if start < night_end and end > night_start:
            nights.add(day)
        day += timedelta(days=1)
    return nights


def nights_in_month(periods: Iterable[tuple[datetime, datetime]], year: int, month: int, tz: ZoneInfo) -> set[date]:
    """The distinct nights of a month (by the date each begins) that any of the periods touch:
    two shifts in one night are one night duty."""
    found = set()
    for starts_at, ends_at in periods:
        found |= {d for d in night_dates(starts_at, ends_at, tz) if (d.year, d.month) == (year, month)}
    return found
