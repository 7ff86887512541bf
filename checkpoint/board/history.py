"""The ward's history for police and coordinators: search, CSV export, and the printable daily report."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import timedelta

from flask import Response, render_template, request
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import Session

from ..csvfile import BOM, spreadsheet_cell
from ..extensions import db
from ..localtime import to_local, zone
from ..models import Observation, utcnow
from ..policy import authorize, roles
from ..rules.activity import record
from ..rules.history import PER_PAGE, count_observations, daily_report, iter_observations, search_observations
from ..volunteer.forms import CATEGORY_LABELS, SEVERITY_LABELS, STATUS_LABELS
from ..ward.routes import ward_or_404
from . import bp
from .history_forms import HistoryForm, ReportForm

READERS = ("police", "coordinator", "admin")
# Past this a page number is a typing game, not a reader: there are never that many pages.
LAST_PAGE = 100_000
# The export hands rows to the network this many at a time.
ROWS_PER_WRITE = 100


def _page() -> int:
    page = request.args.get("page", 1, type=int)
    return min(max(page, 1), LAST_PAGE)


def _wants_fragment() -> bool:
    # htmx restoring a page from history after a cache miss asks for the whole page.
    return bool(request.headers.get("HX-Request")) and not request.headers.get("HX-History-Restore-Request")


@bp.get("/wards/<code>/history")
@roles(*READERS)
def history(code: str):
    """Search the ward's observations by day, checkpoint, category, severity, status and words.
    htmx fetches other pages of the results only; a normal request gets the whole page."""
    ward = ward_or_404(code)
    authorize("ward.view", ward)
    form = HistoryForm(ward, formdata=request.args)
    rows, total, page = [], 0, _page()
    if form.validate():
        rows, total = search_observations(ward, form.to_query(), page)
    template = "board/_history_results.html" if _wants_fragment() else "board/history.html"
    pages = max(1, -(-total // PER_PAGE))
    return (render_template(template, ward=ward, form=form, rows=rows, total=total, page=page, pages=pages,
                            arguments=form.arguments()),
            200, {"Vary": "HX-Request"})


@bp.get("/wards/<code>/history.csv")
@roles(*READERS)
def history_csv(code: str):
    """The search's results as a CSV file for Excel (UTF-8 with BOM). Every export is recorded in
    the activity log: it carries names of people."""
    ward = ward_or_404(code)
    authorize("ward.view", ward)
    form = HistoryForm(ward, formdata=request.args)
    if not form.validate():
        return render_template("board/history.html", ward=ward, form=form, rows=[], total=0, page=1, pages=1,
                               arguments={})
    query = form.to_query()
    now = utcnow()
    record("history.exported", actor=current_user, ward_id=ward.id, now=now,
           detail={"filters": query.as_detail(), "rows": count_observations(ward, query)})
    db.session.commit()
    filename = f"lich-su-{ward.code.lower()}-{to_local(now).date().isoformat()}.csv"
    # The file is written while it streams, after this request and its session have ended, so it
    # reads on a session of its own and takes the words and the timezone with it.
    session = Session(db.engine)
    lines = _csv_lines(session, iter_observations(ward, query, session=session), _CsvWords(), zone())
    return Response(lines, content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


class _CsvWords:
    """The export's words in the reader's language, taken while the request is still there."""

    def __init__(self):
        self.header = [_("Code"), _("Time"), _("Checkpoint"), _("Category"), _("Severity"), _("Status"), _("Text"),
                       _("Written by"), _("Acknowledged by"), _("Resolved by"), _("Resolution note")]
        self.categories = {k: str(v) for k, v in CATEGORY_LABELS.items()}
        self.severities = {k: str(v) for k, v in SEVERITY_LABELS.items()}
        self.statuses = {k: str(v) for k, v in STATUS_LABELS.items()}
        self.correction = _("Correction")


def _csv_lines(session: Session, observations: Iterator[Observation], words: _CsvWords, tz) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    try:
        writer.writerow(words.header)
        yield BOM + flush()
        for number, observation in enumerate(observations, start=1):
            writer.writerow([spreadsheet_cell(value) for value in _csv_row(observation, words, tz)])
            if number % ROWS_PER_WRITE == 0:
                yield flush()
        yield flush()
    finally:
        session.close()


def _csv_row(o: Observation, words: _CsvWords, tz) -> list:
    def local(moment) -> str:
        return moment.astimezone(tz).strftime("%d/%m/%Y %H:%M")

    text = o.text
    for later in o.corrections:
        text += f"\n[{words.correction} {local(later.received_at)}] {later.text}"
    return [o.id, local(o.occurred_at), f"{o.checkpoint.code} · {o.checkpoint.name}",
            words.categories.get(o.category, o.category), words.severities.get(o.severity, o.severity),
            words.statuses.get(o.status, o.status), text, o.author.full_name,
            o.acknowledged_by.full_name if o.acknowledged_by else "",
            o.resolved_by.full_name if o.resolved_by else "", o.resolution_note or ""]


@bp.get("/wards/<code>/report")
@roles(*READERS)
def report(code: str):
    """The daily report of a day (today by default): hours staffed against planned, observations by
    category and severity, open items and unaccepted handovers, per checkpoint. Prints on A4."""
    ward = ward_or_404(code)
    authorize("ward.view", ward)
    now = utcnow()
    form = ReportForm(formdata=request.args)
    result = None
    if form.validate():
        day = form.day.data or to_local(now).date()
        result = daily_report(ward, day, now)
        form.day.data, form.day.raw_data = day, None
    return render_template("board/report.html", ward=ward, form=form, report=result, now=now,
                           hours=_hours, timedelta=timedelta), 422 if form.errors else 200


def _hours(value: float) -> str:
    """Person-hours with one decimal, in the reader's number format (7,5 in Vietnamese)."""
    return format_decimal(round(value, 1), format="#,##0.#")
