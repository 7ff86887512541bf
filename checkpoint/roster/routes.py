"""The roster grid: the ward's week, one checkpoint's week, and the coordinator's changes to it.

Changes to one shift (assign, unassign, cancel) answer htmx with the shift's cell, plus the
warning summary and the other cells of the people concerned, swapped out of band; without
JavaScript every form posts and the page comes back.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from ..extensions import db
from ..forms import EmptyForm, apply_violation
from ..localtime import to_local, zone
from ..models import Checkpoint, Shift, ShiftPattern, User, Ward, utcnow
from ..policy import authorize, roles
from ..rules import RuleViolation
from ..rules import roster as rules
from ..ward.routes import ward_or_404
from . import bp
from .forms import PatternDeleteForm, PatternForm, PersonForm, ShiftTimesForm, WeekForm, parse_time_of_day

READERS = ("coordinator", "police", "admin")
EDITORS = ("coordinator", "admin")


# --- reading -------------------------------------------------------------------------------

@bp.get("/<code>/roster")
@roles(*READERS)
def week(code: str):
    """The ward's week: a row per checkpoint, a column per day, warnings summed at the top."""
    ward = ward_or_404(code)
    authorize("ward.view", ward)
    roster = rules.roster_week(ward, _week_asked())
    return render_template("roster/week.html", ward=ward, roster=roster, now=utcnow(), **_page_tools(ward))


@bp.get("/<code>/roster/<int:checkpoint_id>")
@roles(*READERS)
def checkpoint_week(code: str, checkpoint_id: int):
    """One checkpoint's week: days across, shifts down; coordinators plan it right here."""
    ward = ward_or_404(code)
    authorize("ward.view", ward)
    checkpoint = _checkpoint_of(ward, checkpoint_id)
    return _checkpoint_page(ward, checkpoint, _week_asked())


# --- one shift -----------------------------------------------------------------------------

@bp.post("/<code>/roster/<int:checkpoint_id>/shifts")
@roles(*EDITORS)
def add_shift(code: str, checkpoint_id: int):
    """Plan one shift on a day of the week shown."""
    ward = ward_or_404(code)
    authorize("ward.manage", ward)
    checkpoint = _checkpoint_of(ward, checkpoint_id)
    monday = _week_asked()
    form = ShiftTimesForm(days=_days(monday), prefix="add")
    if form.validate_on_submit():
        starts_at, ends_at = _moments(form)
        try:
            shift = rules.add_shift(checkpoint, starts_at, ends_at, by=current_user, now=utcnow())
        except RuleViolation as violation:
            db.session.rollback()
            apply_violation(form, violation, "start")
        else:
            db.session.commit()
            flash(_("Shift added: %(when)s.", when=_when(shift)), "success")
            return redirect(_page_url(ward, checkpoint, monday), 303)
    return _checkpoint_page(ward, checkpoint, monday, add_form=form, status=422)


@bp.post("/<code>/roster/shifts/<int:shift_id>/move")
@roles(*EDITORS)
def move_shift(code: str, shift_id: int):
    """Give a future shift another day or other times; the page comes back with it in its new place."""
    ward, shift = _shift_of(code, shift_id)
    monday = _monday_of(shift)
    form = ShiftTimesForm(days=_days(monday), prefix=f"move{shift.id}")
    if form.validate_on_submit():
        starts_at, ends_at = _moments(form)
        try:
            rules.move_shift(shift, starts_at, ends_at, by=current_user, now=utcnow())
        except RuleViolation as violation:
            db.session.rollback()
            apply_violation(form, violation, "start")
        else:
            db.session.commit()
            flash(_("Shift moved to %(when)s.", when=_when(shift)), "success")
            return redirect(_page_url(ward, shift.checkpoint, monday), 303)
    return _checkpoint_page(ward, shift.checkpoint, monday, move_forms={shift.id: form}, status=422)


@bp.post("/<code>/roster/shifts/<int:shift_id>/cancel")
@roles(*EDITORS)
def cancel_shift(code: str, shift_id: int):
    """Remove a future shift nobody has checked in to (the activity log keeps what it was)."""
    ward, shift = _shift_of(code, shift_id)
    people = {p.id for p in shift.volunteers}
    return _change(ward, shift, EmptyForm(), people,
                   lambda form: rules.cancel_shift(shift, by=current_user, now=utcnow()),
                   done=_("Shift cancelled."))


@bp.post("/<code>/roster/shifts/<int:shift_id>/assign")
@roles(*EDITORS)
def assign(code: str, shift_id: int):
    """Put a volunteer of the ward on the shift; a non-member is allowed, with a warning."""
    ward, shift = _shift_of(code, shift_id)
    form = PersonForm()
    return _change(ward, shift, form, {form.user_id.data} if isinstance(form.user_id.data, int) else set(),
                   lambda form: rules.assign(shift, _person(form), by=current_user, now=utcnow()),
                   done=_("Volunteer assigned."))


@bp.post("/<code>/roster/shifts/<int:shift_id>/unassign")
@roles(*EDITORS)
def unassign(code: str, shift_id: int):
    """Take a person off the shift."""
    ward, shift = _shift_of(code, shift_id)
    form = PersonForm()
    return _change(ward, shift, form, {form.user_id.data} if isinstance(form.user_id.data, int) else set(),
                   lambda form: rules.unassign(shift, _person(form), by=current_user, now=utcnow()),
                   done=_("Volunteer taken off the shift."))


# --- patterns and whole weeks --------------------------------------------------------------

@bp.post("/<code>/roster/<int:checkpoint_id>/patterns")
@roles(*EDITORS)
def add_pattern(code: str, checkpoint_id: int):
    """A recurring slot of the checkpoint, e.g. 23:00–03:00."""
    ward = ward_or_404(code)
    authorize("ward.manage", ward)
    checkpoint = _checkpoint_of(ward, checkpoint_id)
    monday = _week_asked()
    form = PatternForm(prefix="pattern")
    if form.validate_on_submit():
        try:
            rules.add_pattern(checkpoint, form_time(form.start), form_time(form.end), form.label.data,
                              by=current_user, now=utcnow())
        except RuleViolation as violation:
            db.session.rollback()
            apply_violation(form, violation, "start")
        else:
            db.session.commit()
            flash(_("Pattern added."), "success")
            return redirect(_page_url(ward, checkpoint, monday) + "#patterns", 303)
    return _checkpoint_page(ward, checkpoint, monday, pattern_form=form, status=422)


@bp.post("/<code>/roster/<int:checkpoint_id>/patterns/delete")
@roles(*EDITORS)
def delete_pattern(code: str, checkpoint_id: int):
    """Remove a pattern; the shifts already made from it stay."""
    ward = ward_or_404(code)
    authorize("ward.manage", ward)
    checkpoint = _checkpoint_of(ward, checkpoint_id)
    monday = _week_asked()
    form = PatternDeleteForm()
    if not form.validate_on_submit():
        return _checkpoint_page(ward, checkpoint, monday, status=422)
    pattern = db.session.get(ShiftPattern, form.pattern_id.data)
    if pattern is None or pattern.checkpoint_id != checkpoint.id:
        abort(404)
    rules.delete_pattern(pattern, by=current_user, now=utcnow())
    db.session.commit()
    flash(_("Pattern removed."), "success")
    return redirect(_page_url(ward, checkpoint, monday) + "#patterns", 303)


@bp.post("/<code>/roster/apply-patterns")
@roles(*EDITORS)
def apply_patterns(code: str):
    """Turn the patterns into shifts for every day of the week, for one checkpoint or the whole ward."""
    return _whole_week(code, rules.apply_patterns)


@bp.post("/<code>/roster/copy-week")
@roles(*EDITORS)
def copy_week(code: str):
    """Plan the week like the one before, people included where they are still active in the ward."""
    return _whole_week(code, rules.copy_previous_week)


def _whole_week(code: str, action: Callable) -> object:
    ward = ward_or_404(code)
    authorize("ward.manage", ward)
    form = WeekForm()
    checkpoint = None
    if form.checkpoint.data:
        if not form.checkpoint.data.isdigit():
            abort(404)
        checkpoint = _checkpoint_of(ward, int(form.checkpoint.data))
    monday = rules.parse_week(form.week.data)
    if not form.validate_on_submit() or monday is None:
        flash(_("Choose the week again and retry."), "error")
        if checkpoint is not None:
            return _checkpoint_page(ward, checkpoint, _week_asked(), status=422)
        return render_template("roster/week.html", ward=ward, roster=rules.roster_week(ward, _week_asked()),
                               now=utcnow(), **_page_tools(ward)), 422
    checkpoints = [checkpoint] if checkpoint is not None else rules.active_checkpoints(ward)
    planned = action(ward, checkpoints, monday, by=current_user, now=utcnow())
    db.session.commit()
    flash(_planned_message(planned), "success" if planned.created else "info")
    return redirect(_page_url(ward, checkpoint, monday), 303)


# --- helpers -------------------------------------------------------------------------------

def _week_asked() -> date:
    """The week in ?week= (2026-W48 or a date), else this week."""
    return rules.parse_week(request.values.get("week")) or rules.week_monday(to_local(utcnow()).date())


def _days(monday: date) -> list[date]:
    return [monday + timedelta(days=n) for n in range(7)]


def _monday_of(shift: Shift) -> date:
    return rules.week_monday(to_local(shift.starts_at).date())


def _checkpoint_of(ward: Ward, checkpoint_id: int) -> Checkpoint:
    checkpoint = db.session.get(Checkpoint, checkpoint_id)
    if checkpoint is None or checkpoint.ward_id != ward.id:
        abort(404)
    return checkpoint


def _shift_of(code: str, shift_id: int) -> tuple[Ward, Shift]:
    """The shift, if it belongs to a checkpoint of this ward and the coordinator manages the ward."""
    ward = ward_or_404(code)
    authorize("ward.manage", ward)
    shift = db.session.get(Shift, shift_id)
    if shift is None or shift.checkpoint.ward_id != ward.id:
        abort(404)
    return ward, shift


def _person(form: PersonForm) -> User:
    person = db.session.get(User, form.user_id.data)
    if person is None:
        raise RuleViolation(_("Only active volunteers of this ward can be assigned."), field="user_id")
    return person


def form_time(field) -> time:
    return parse_time_of_day(field.data)


def _moments(form: ShiftTimesForm) -> tuple[datetime, datetime]:
    """The form's local day and times as UTC moments; the end on the chosen day."""
    tz = zone()
    starts = datetime.combine(form.day_value, form.start_value, tzinfo=tz)
    ends = datetime.combine(form.day_value + timedelta(days=int(form.end_day.data or 0)), form.end_value, tzinfo=tz)
    return rules.to_utc(starts), rules.to_utc(ends)


def _when(shift: Shift) -> str:
    return f"{to_local(shift.starts_at):%H:%M}–{to_local(shift.ends_at):%H:%M} {to_local(shift.starts_at):%d/%m/%Y}"


def _page_url(ward: Ward, checkpoint: Checkpoint | None, monday: date) -> str:
    if checkpoint is None:
        return url_for("roster.week", code=ward.code, week=rules.week_label(monday))
    return url_for("roster.checkpoint_week", code=ward.code, checkpoint_id=checkpoint.id,
                   week=rules.week_label(monday))


def _planned_message(planned: rules.Planned) -> str:
    parts = [ngettext("%(num)d shift planned.", "%(num)d shifts planned.", len(planned.created))]
    if planned.existing:
        parts.append(ngettext("%(num)d was already there.", "%(num)d were already there.", planned.existing))
    if planned.past:
        parts.append(ngettext("%(num)d had already begun and was left out.",
                              "%(num)d had already begun and were left out.", planned.past))
    return " ".join(parts)


def _page_tools(ward: Ward) -> dict:
    """What every roster page offers besides the grid."""
    return {"can_edit": current_user.role in EDITORS,
            "has_print": "roster.print_week" in current_app.view_functions,
            "today": to_local(utcnow()).date(), "move_form_for": _move_form, "pattern_end": _pattern_end}


def _move_form(shift: Shift, days: list[date]) -> ShiftTimesForm:
    """The move form of a shift, filled with its present day and times."""
    starts, ends = to_local(shift.starts_at), to_local(shift.ends_at)
    return ShiftTimesForm(formdata=None, days=days, prefix=f"move{shift.id}", data={
        "day": starts.date().isoformat(), "start": f"{starts:%H:%M}", "end": f"{ends:%H:%M}",
        "end_day": "1" if ends.date() > starts.date() else "0"})


def _pattern_end(pattern: ShiftPattern) -> str:
    ends = datetime.combine(date(2000, 1, 1), pattern.starts_at) + timedelta(minutes=pattern.duration_minutes)
    return f"{ends:%H:%M}"


def _checkpoint_page(ward: Ward, checkpoint: Checkpoint, monday: date, *, status: int = 200,
                     add_form: ShiftTimesForm | None = None, move_forms: dict | None = None,
                     pattern_form: PatternForm | None = None, problems: dict | None = None):
    roster = rules.roster_week(ward, monday, checkpoint)
    tools = _page_tools(ward)
    context = {"ward": ward, "checkpoint": checkpoint, "roster": roster, "now": utcnow(),
               "problems": problems or {}, "move_forms": move_forms or {}, **tools}
    if tools["can_edit"]:
        context.update(
            candidates=rules.candidates(ward, checkpoint),
            patterns=list(db.session.scalars(select(ShiftPattern).where(ShiftPattern.checkpoint_id == checkpoint.id)
                                             .order_by(ShiftPattern.starts_at, ShiftPattern.duration_minutes))),
            add_form=add_form or ShiftTimesForm(formdata=None, days=roster.days, prefix="add"),
            pattern_form=pattern_form or PatternForm(formdata=None, prefix="pattern"),
        )
    return render_template("roster/checkpoint_week.html", **context), status, {"Vary": "HX-Request"}


def _change(ward: Ward, shift: Shift, form, people: set[int], rule: Callable, *, done: str):
    """Validate, run the rule, commit. htmx gets the shift's cell back (empty when cancelled), the
    summary and the other cells of the people concerned; plain requests get the page."""
    htmx = bool(request.headers.get("HX-Request"))
    checkpoint, monday, shift_id = shift.checkpoint, _monday_of(shift), shift.id
    problem = None
    if form.validate_on_submit():
        try:
            rule(form)
        except RuleViolation as violation:
            db.session.rollback()
            problem = str(violation.message)
        else:
            db.session.commit()
            if not htmx:
                flash(done, "success")
                return redirect(_page_url(ward, checkpoint, monday), 303)
    else:
        problem = " ".join(str(e) for errors in form.errors.values() for e in errors) or _("Please try again.")
    if not htmx:
        return _checkpoint_page(ward, checkpoint, monday, problems={shift_id: problem}, status=422)
    roster = rules.roster_week(ward, monday, checkpoint)
    others = [s for s in roster.shifts if s.id != shift_id and people & {p.id for p in s.volunteers}]
    this = next((s for s in roster.shifts if s.id == shift_id), None)
    body = render_template("roster/_change.html", ward=ward, checkpoint=checkpoint, roster=roster, now=utcnow(),
                           shift=this, others=others, problems={shift_id: problem} if problem else {},
                           candidates=rules.candidates(ward, checkpoint), move_forms={}, **_page_tools(ward))
    return body, 200, {"Vary": "HX-Request"}
