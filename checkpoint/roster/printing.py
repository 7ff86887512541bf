"""The printed roster of a week: the A4 print view, its PDF, and the CSV for spreadsheets."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Response, render_template, request, url_for
from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from flask_login import current_user

from ..csvfile import csv_text, spreadsheet_cell
from ..extensions import db
from ..localtime import to_local, zone
from ..models import Checkpoint, Shift, Ward, utcnow
from ..policy import authorize, roles
from ..rules.accounts import grouped_phone
from ..rules.activity import record
from ..rules.roster import RosterWeek, roster_week
from ..ward.routes import ward_or_404
from . import bp
from .routes import _checkpoint_of, _week_asked as _monday_asked

READERS = ("coordinator", "police", "admin")


@bp.app_template_filter("phone")
def phone_filter(phone: str | None) -> str:
    return grouped_phone(phone)


def _asked(ward: Ward) -> tuple[RosterWeek, Checkpoint | None]:
    """The week (`?week=2026-W48` or a date; this week otherwise, as the grid does) and the
    checkpoint (`?checkpoint=<id>` of this ward; the whole ward when absent) the reader asked for."""
    authorize("ward.view", ward)
    checkpoint = None
    if request.args.get("checkpoint"):
        checkpoint = _checkpoint_of(ward, request.args.get("checkpoint", type=int) or 0)
    return roster_week(ward, _monday_asked(), checkpoint), checkpoint


def _arguments(week: RosterWeek, checkpoint: Checkpoint | None) -> dict:
    arguments = {"code": week.ward.code, "week": week.label}
    if checkpoint is not None:
        arguments["checkpoint"] = checkpoint.id
    return arguments


def _file_name(week: RosterWeek, checkpoint: Checkpoint | None, suffix: str) -> str:
    parts = ["lich-truc", week.ward.code.lower(), week.label.lower()]
    if checkpoint is not None:
        parts.append(checkpoint.code.lower())
    return "-".join(parts) + suffix


def admin_date(day: date) -> tuple[str, str, str]:
    """Day, month and year as Vietnamese administrative papers write them: the day with two digits
    below 10, and January and February with a leading zero (so nobody adds a 1 in front)."""
    return f"{day.day:02d}", f"{day.month:02d}" if day.month < 3 else str(day.month), str(day.year)


def _sheet(week: RosterWeek, checkpoint: Checkpoint | None, now: datetime, pdf: bool) -> str:
    """The printed sheet, always in Vietnamese: it is an administrative paper for the notice board,
    signed by the ward police, whatever language the person printing it reads."""
    with force_locale("vi"):
        return render_template(
            "roster/print.html", week=week, checkpoint=checkpoint, pdf=pdf,
            today=admin_date(to_local(now).date()), maker=_maker(week.ward),
            weekday=lambda day: format_date(day, "EEEE"), arguments=_arguments(week, checkpoint),
            back=_back(week, checkpoint))


def _back(week: RosterWeek, checkpoint: Checkpoint | None) -> str:
    """The print view's way back: the grid of the same week."""
    if checkpoint is not None:
        return url_for("roster.checkpoint_week", code=week.ward.code, checkpoint_id=checkpoint.id, week=week.label)
    return url_for("roster.week", code=week.ward.code, week=week.label)


def _maker(ward: Ward) -> str | None:
    """Whose name goes under "made by": the coordinator printing it; others sign by hand."""
    if current_user.role == "coordinator" and current_user.ward_id == ward.id:
        return current_user.full_name
    return None


@bp.get("/<code>/roster/print")
@roles(*READERS)
def print_week(code: str):
    """The week's roster as an A4 landscape sheet: the administrative header, every shift with
    names and phone numbers, the duty phone, and signature lines. A Print button; no navigation."""
    week, checkpoint = _asked(ward_or_404(code))
    return _sheet(week, checkpoint, utcnow(), pdf=False)


@bp.get("/<code>/roster.pdf")
@roles(*READERS)
def pdf_week(code: str):
    """The same sheet as a PDF file (WeasyPrint). The export is recorded: it carries phone numbers."""
    week, checkpoint = _asked(ward_or_404(code))
    now = utcnow()
    html = _sheet(week, checkpoint, now, pdf=True)
    _record_export(week, checkpoint, "pdf", now)
    # The conversion takes a while and needs no database: the transaction is over before it starts.
    db.session.commit()
    # WeasyPrint loads Pango when imported: a server without it still runs, only PDFs fail.
    from ..pdf import html_to_pdf

    document = html_to_pdf(html, base_url=request.url_root)
    return Response(document, content_type="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{_file_name(week, checkpoint, ".pdf")}"'})


@bp.get("/<code>/roster.csv")
@roles(*READERS)
def csv_week(code: str):
    """The week as a CSV file for Excel (UTF-8 with BOM): one line per person per shift, in the
    reader's language. Recorded like every export of personal data."""
    week, checkpoint = _asked(ward_or_404(code))
    now = utcnow()
    text = _csv_text(week, zone())
    _record_export(week, checkpoint, "csv", now)
    db.session.commit()
    return Response(text, content_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{_file_name(week, checkpoint, ".csv")}"'})


def _record_export(week: RosterWeek, checkpoint: Checkpoint | None, kind: str, now: datetime) -> None:
    record("roster.exported", actor=current_user, ward_id=week.ward.id,
           checkpoint_id=checkpoint.id if checkpoint else None, now=now,
           detail={"format": kind, "week": week.label, "shifts": len(week.shifts)})


def _csv_text(week: RosterWeek, tz: ZoneInfo) -> str:
    rows = [[_("Date"), _("Weekday"), _("Checkpoint code"), _("Checkpoint"), _("Start"), _("End"),
             _("Full name"), _("Phone")]]
    for checkpoint in week.checkpoints:
        for shift in week.weeks[checkpoint.id].shifts:
            for person in shift.volunteers or [None]:
                rows.append([spreadsheet_cell(value) for value in _csv_row(shift, checkpoint, person, tz)])
    return csv_text(rows)


def _csv_row(shift: Shift, checkpoint: Checkpoint, person, tz: ZoneInfo) -> list:
    start, end = shift.starts_at.astimezone(tz), shift.ends_at.astimezone(tz)
    return [start.strftime("%d/%m/%Y"), format_date(start.date(), "EEEE"), checkpoint.code, checkpoint.name,
            start.strftime("%H:%M"), end.strftime("%H:%M"),
            person.full_name if person else "", grouped_phone(person.phone) if person else ""]

