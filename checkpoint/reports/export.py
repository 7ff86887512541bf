"""The attendance report as CSV: the per-volunteer table, then the per-checkpoint table."""
from __future__ import annotations

from flask_babel import format_decimal
from flask_babel import gettext as _

from ..csvfile import csv_text, spreadsheet_cell
from ..rules.attendance_report import AttendanceReport, Tally


def _counts(tally: Tally) -> list:
    return [tally.planned, tally.on_time, tally.late, tally.left_early, tally.missed, tally.upcoming,
            tally.unscheduled, tally.no_check_out, format_decimal(round(tally.hours, 2), format="0.##")]


def attendance_csv_text(report: AttendanceReport) -> str:
    """The whole file, BOM first (without it Excel reads UTF-8 as the Windows code page and garbles
    the accents). Numbers are in the reader's format (7,5 for Vietnamese Excel); no phone numbers."""
    counts = [_("Planned shifts"), _("On time"), _("Late"), _("Left early"), _("Missed"), _("Not yet due"),
              _("Unscheduled"), _("No check-out"), _("Hours on duty")]
    rows = [[_("Attendance report"), report.ward.name, report.first_day.strftime("%d/%m/%Y"),
             report.last_day.strftime("%d/%m/%Y")],
            [_("Volunteer"), *counts, _("Night duties"), _("Over the night-duty cap")]]
    for line in report.volunteers:
        over = "; ".join(f"{m.label}: {m.nights}/{m.cap}" for m in line.over_cap)
        rows.append([spreadsheet_cell(line.user.full_name), *_counts(line), line.nights, over])
    rows += [[_("Total"), *_counts(report.totals), report.nights, ""], [], [_("Checkpoint"), *counts]]
    for line in report.checkpoints:
        rows.append([spreadsheet_cell(f"{line.checkpoint.code} · {line.checkpoint.name}"), *_counts(line)])
    rows.append([_("Total"), *_counts(report.totals)])
    return csv_text(rows)
