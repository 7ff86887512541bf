"""The attendance report as CSV: the per-volunteer table, then the per-checkpoint table."""
from __future__ import annotations

import csv
import io

from flask_babel import format_decimal
from flask_babel import gettext as _

from ..board.history import _cell
from ..rules.attendance_report import AttendanceReport, Tally


def _counts(tally: Tally) -> list:
    return [tally.planned, tally.on_time, tally.late, tally.left_early, tally.missed, tally.upcoming,
            tally.unscheduled, tally.no_check_out, format_decimal(round(tally.hours, 2), format="0.##")]


def attendance_csv_text(report: AttendanceReport) -> str:
    """The whole file, BOM first (without it Excel reads UTF-8 as the Windows code page and garbles
    the accents). Numbers are in the reader's format (7,5 for Vietnamese Excel); no phone numbers."""
    counts = [_("Planned shifts"), _("On time"), _("Late"), _("Left early"), _("Missed"), _("Not yet due"),
              _("Unscheduled"), _("No check-out"), _("Hours on duty")]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([_("Attendance report"), report.ward.name, report.first_day.strftime("%d/%m/%Y"),
                     report.last_day.strftime("%d/%m/%Y")])
    writer.writerow([_("Volunteer"), *counts, _("Night duties"), _("Over the night-duty cap")])
    for line in report.volunteers:
        over = "; ".join(f"{m.label}: {m.nights}/{m.cap}" for m in line.over_cap)
        writer.writerow([_cell(line.user.full_name), *_counts(line), line.nights, over])
    writer.writerow([_("Total"), *_counts(report.totals), report.nights, ""])
    writer.writerow([])
    writer.writerow([_("Checkpoint"), *counts])
    for line in report.checkpoints:
        writer.writerow([_cell(f"{line.checkpoint.code} · {line.checkpoint.name}"), *_counts(line)])
    writer.writerow([_("Total"), *_counts(report.totals)])
    return "\ufeff" + buffer.getvalue()
