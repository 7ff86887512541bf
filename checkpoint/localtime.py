"""The one place where UTC meets the ward's clock: conversion and display formats."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l


def zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def to_local(moment: datetime | None) -> datetime | None:
    return moment.astimezone(zone()) if moment is not None else None


def format_date(moment: datetime | None) -> str:
    """dd/mm/yyyy in the ward's timezone, as Vietnamese forms write it."""
    return to_local(moment).strftime("%d/%m/%Y") if moment else ""


def format_time(moment: datetime | None) -> str:
    return to_local(moment).strftime("%H:%M") if moment else ""


def format_datetime(moment: datetime | None) -> str:
    return to_local(moment).strftime("%H:%M %d/%m/%Y") if moment else ""


def init_app(app) -> None:
    app.jinja_env.filters.update(date=format_date, time=format_time, datetime=format_datetime)


def recent_days(now: datetime, count: int = 8) -> list[tuple[str, str]]:
    """(ISO date, label) for today and the days before it, for a "when did it happen" list."""
    today = to_local(now).date()
    labels = {0: str(_l("Today")), 1: str(_l("Yesterday"))}
    days = []
    for back in range(count):
        day = today - timedelta(days=back)
        label = day.strftime("%d/%m/%Y")
        days.append((day.isoformat(), f"{labels[back]} · {label}" if back in labels else label))
    return days


def typed_moment(day: str | None, hhmm: str | None, now: datetime) -> datetime:
    """The moment a person typed as a local day and HH:MM. Left at the current minute (the form's
    default), it is `now` to the second, so the entry sorts after what happened just before it."""
    if not day or not hhmm:
        return now
    try:
        typed = datetime.combine(date.fromisoformat(day), time.fromisoformat(hhmm), tzinfo=zone())
    except ValueError:
        return now
    if typed == to_local(now).replace(second=0, microsecond=0):
        return now
    return typed
