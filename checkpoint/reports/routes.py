"""The attendance report: on screen (printable on A4) and as a CSV file."""
from __future__ import annotations

from datetime import date, timedelta

from flask import Response, render_template, request
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_login import current_user

from ..extensions import db
from ..forms import apply_violation
from ..localtime import to_local
from ..models import Ward, utcnow
from ..policy import authorize, roles
from ..rules import RuleViolation
from ..rules.activity import record
from ..rules.attendance_report import AttendanceReport, attendance_report
from ..ward.routes import ward_or_404
from . import bp
from .export import attendance_csv_text
from .forms import PeriodForm

READERS = ("coordinator", "police", "admin")


def _report(ward: Ward, form: PeriodForm, now) -> AttendanceReport | None:
    """The report of the period the form asks for, or None with the reason next to its field."""
    if not form.validate():
        return None
    first, last = form.period(to_local(now).date())
    try:
        report = attendance_report(ward, first, last, now)
    except RuleViolation as violation:
        apply_violation(form, violation, "date_to")
        return None
    form.show(first, last)
    return report


def _page(ward: Ward, form: PeriodForm, report: AttendanceReport | None, now):
    return (render_template("reports/attendance.html", ward=ward, form=form, report=report, now=now, hours=_hours,
                            shortcuts=_shortcuts(now)),
            200 if report else 422)


def _shortcuts(now) -> list[tuple[str, date, date]]:
    """This month so far and the whole of last month: the periods people print."""
    this_month = to_local(now).date().replace(day=1)
    last_month_end = this_month - timedelta(days=1)
    return [(_("This month"), this_month, to_local(now).date()),
            (_("Last month"), last_month_end.replace(day=1), last_month_end)]


@bp.get("/<code>/attendance")
@roles(*READERS)
def attendance(code: str):
    """Planned shifts against attendance for a period (this month so far by default), per volunteer
    and per checkpoint: on time, late, left early, missed, unscheduled, hours and night duties.
    The same page prints on A4."""
    ward = ward_or_404(code)
    authorize("ward.view", ward)
    now = utcnow()
    form = PeriodForm(formdata=request.args)
    return _page(ward, form, _report(ward, form, now), now)


@bp.get("/<code>/attendance.csv")
@roles(*READERS)
def attendance_csv(code: str):
    """The report as a CSV file for Excel (UTF-8 with BOM). Every export is recorded in the
    activity log: it carries names of people."""
    ward = ward_or_404(code)
    authorize("ward.view", ward)
    now = utcnow()
    form = PeriodForm(formdata=request.args)
    report = _report(ward, form, now)
    if report is None:
        return _page(ward, form, None, now)
    record("attendance_report.exported", actor=current_user, ward_id=ward.id, now=now,
           detail={"from": report.first_day.isoformat(), "to": report.last_day.isoformat(),
                   "rows": len(report.volunteers)})
    db.session.commit()
    filename = f"cham-cong-{ward.code.lower()}-{report.first_day.isoformat()}-{report.last_day.isoformat()}.csv"
    return Response(attendance_csv_text(report), content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _hours(value: float) -> str:
    """Hours with one decimal, in the reader's number format (7,5 in Vietnamese)."""
    return format_decimal(round(value, 1), format="#,##0.#")
