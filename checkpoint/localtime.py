"""The one place where UTC meets the ward's clock: conversion and display formats."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app


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
