"""Volunteer views: my shift, check in and out, log, urgent alert, handover, the checkpoint log."""
from __future__ import annotations

from datetime import datetime

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from ..extensions import db
from ..forms import apply_violation
from ..localtime import format_time, recent_days, typed_moment
from ..models import Checkpoint, Handover, Observation, Photo, utcnow
from ..policy import authorize, can, roles
from ..rules import RuleViolation
from ..rules.attendance import check_in, check_out, checkpoint_for_qr, open_attendance
from ..rules.handovers import accept_handover, waiting_handover, write_handover
from ..rules.logbook import Cursor, checkpoint_log
from ..rules.observations import log_observation, open_observations
from ..rules.once import parse_uuid
from ..rules.photos import MAX_UPLOAD_BYTES
from ..rules.photos_store import photo_path, store_photo
from ..rules.shifts import current_or_next_shift
from . import bp
from .forms import (CATEGORY_LABELS, SEVERITY_LABELS, AcceptForm, CheckInForm, CheckOutForm, CorrectionForm,
                    HandoverForm, ObservationForm, STATUS_LABELS, UrgentForm, new_uuid)

DUTY = ("volunteer", "coordinator")
READERS = ("volunteer", "coordinator", "police", "admin")


def duty_checkpoint(checkpoint_id: int) -> Checkpoint:
    checkpoint = db.session.get(Checkpoint, checkpoint_id)
    if checkpoint is None:
        abort(404)
    authorize("checkpoint.duty", checkpoint)
    return checkpoint


def readable_checkpoint(checkpoint_id: int) -> Checkpoint:
    checkpoint = db.session.get(Checkpoint, checkpoint_id)
    if checkpoint is None:
        abort(404)
    authorize("checkpoint.read", checkpoint)
    return checkpoint


def _position(form) -> tuple[float | None, float | None]:
    """The phone's position, if the volunteer allowed it; garbage counts as no position."""
    try:
        return float(form.lat.data), float(form.lng.data)
    except (TypeError, ValueError):
        return None, None


def _uuid(form):
    return parse_uuid(form.uuid.data)


@bp.app_context_processor
def duty_context():
    return {"category_labels": CATEGORY_LABELS, "severity_labels": SEVERITY_LABELS, "status_labels": STATUS_LABELS,
            "new_uuid": new_uuid, "can": can}


@bp.get("/me")
@roles(*DUTY)
def my_shift():
    """The current or next shift at each checkpoint, check-in, duty timer, handover to accept."""
    now = utcnow()
    present = open_attendance(current_user)
    posts = []
    for checkpoint in current_user.checkpoints:
        if not checkpoint.active:
            continue
        posts.append({
            "checkpoint": checkpoint,
            "shift": current_or_next_shift(checkpoint, now, person=current_user),
            "here": present if present and present.checkpoint_id == checkpoint.id else None,
            "handover": waiting_handover(checkpoint, current_user),
        })
    return render_template("volunteer/my_shift.html", posts=posts, present=present, now=now,
                           check_in_form=CheckInForm(), check_out_form=CheckOutForm(), accept_form=AcceptForm())


@bp.post("/checkpoints/<int:checkpoint_id>/check-in")
@roles(*DUTY)
def check_in_view(checkpoint_id: int):
    """Check in now, optionally proven by the poster's QR token."""
    checkpoint = duty_checkpoint(checkpoint_id)
    form = CheckInForm()
    if form.validate_on_submit():
        lat, lng = _position(form)
        try:
            attendance, _created = check_in(current_user, checkpoint, uuid=_uuid(form), occurred_at=utcnow(),
                                            now=utcnow(), lat=lat, lng=lng, qr=form.qr.data or None)
        except RuleViolation as violation:
            db.session.rollback()
            flash(str(violation.message), "error")
        else:
            db.session.commit()
            if attendance.shift and attendance.late_minutes:
                flash(_("Checked in at %(name)s, %(minutes)d minutes late.", name=checkpoint.name,
                        minutes=attendance.late_minutes), "success")
            else:
                flash(_("Checked in at %(name)s.", name=checkpoint.name), "success")
    return redirect(url_for("volunteer.my_shift"), 303)


@bp.get("/qr/<token>")
@roles(*DUTY)
def qr_check_in(token: str):
    """Where the poster's QR code leads: the check-in of that checkpoint, already chosen."""
    checkpoint = checkpoint_for_qr(token)
    if checkpoint is None:
        abort(404)
    authorize("checkpoint.duty", checkpoint)
    form = CheckInForm(qr=token)
    return render_template("volunteer/qr_check_in.html", checkpoint=checkpoint, form=form,
                           present=open_attendance(current_user))


@bp.route("/checkpoints/<int:checkpoint_id>/check-out", methods=["GET", "POST"])
@roles(*DUTY)
def check_out_view(checkpoint_id: int):
    """Check out; the page offers the handover first but lets the volunteer leave without one."""
    checkpoint = duty_checkpoint(checkpoint_id)
    form = CheckOutForm()
    if form.validate_on_submit():
        lat, lng = _position(form)
        try:
            check_out(current_user, checkpoint, uuid=_uuid(form), occurred_at=utcnow(), now=utcnow(), lat=lat, lng=lng)
        except RuleViolation as violation:
            db.session.rollback()
            flash(str(violation.message), "error")
        else:
            db.session.commit()
            flash(_("Checked out of %(name)s. Thank you!", name=checkpoint.name), "success")
        return redirect(url_for("volunteer.my_shift"), 303)
    return render_template("volunteer/check_out.html", checkpoint=checkpoint, form=form,
                           handover_form=HandoverForm(), open_items=open_observations(checkpoint)), _status(form)


@bp.route("/checkpoints/<int:checkpoint_id>/observe", methods=["GET", "POST"])
@roles(*DUTY)
def observe(checkpoint_id: int):
    """Log an observation; it appears at the top of the checkpoint log."""
    checkpoint = duty_checkpoint(checkpoint_id)
    now = utcnow()
    form = ObservationForm()
    form.occurred_day.choices = [SelectChoice(value, label) for value, label in recent_days(now)]
    if request.method == "GET":
        form.occurred_day.data = form.occurred_day.choices[0].value
        form.occurred_time.data = format_time(now)
    if form.validate_on_submit():
        occurred = typed_moment(form.occurred_day.data, form.occurred_time.data, now)
        lat, lng = _position(form)
        try:
            photo_uuid = _store_uploaded_photo(form, now)
            log_observation(current_user, checkpoint, uuid=_uuid(form), occurred_at=occurred, now=now,
                            category=form.category.data, severity=form.severity.data, text=form.text.data,
                            lat=lat, lng=lng, photo_uuid=photo_uuid)
        except RuleViolation as violation:
            db.session.rollback()
            apply_violation(form, violation, "text")
        else:
            db.session.commit()
            flash(_("Logged."), "success")
            return redirect(url_for("volunteer.log", checkpoint_id=checkpoint.id), 303)
    return render_template("volunteer/observe.html", checkpoint=checkpoint, form=form), _status(form)


def _store_uploaded_photo(form, now: datetime):
    upload = form.photo.data
    if not upload or not getattr(upload, "filename", None):
        return None
    raw = upload.stream.read(MAX_UPLOAD_BYTES + 1)
    # The photo takes the observation's uuid: one form, one pair, and a resubmit finds both.
    photo, _created = store_photo(current_user, uuid=_uuid(form), raw=raw, now=now)
    return photo.uuid


@bp.route("/urgent", methods=["GET", "POST"])
@roles(*DUTY)
def urgent():
    """Báo khẩn: one tap, a cancellable countdown, then an urgent observation with position."""
    checkpoints = [c for c in current_user.checkpoints if c.active]
    present = open_attendance(current_user)
    form = UrgentForm()
    if form.validate_on_submit():
        checkpoint = next((c for c in checkpoints if str(c.id) == form.checkpoint.data), None)
        if checkpoint is None or not can(current_user, "checkpoint.duty", checkpoint):
            abort(404)
        lat, lng = _position(form)
        now = utcnow()
        try:
            observation, _created = log_observation(
                current_user, checkpoint, uuid=_uuid(form), occurred_at=now, now=now, category="other",
                severity="urgent", text=form.text.data or _("Urgent alert"), lat=lat, lng=lng)
        except RuleViolation as violation:
            db.session.rollback()
            apply_violation(form, violation, "text")
        else:
            db.session.commit()
            return redirect(url_for("volunteer.urgent_sent", observation_id=observation.id), 303)
    default = present.checkpoint if present else (checkpoints[0] if checkpoints else None)
    return (render_template("volunteer/urgent.html", form=form, checkpoints=checkpoints, default=default),
            _status(form))


@bp.get("/urgent/<int:observation_id>")
@roles(*DUTY)
def urgent_sent(observation_id: int):
    """After the alert: one-tap calls to the ward police and the emergency numbers."""
    observation = db.session.get(Observation, observation_id)
    if observation is None or observation.author_id != current_user.id:
        abort(404)
    return render_template("volunteer/urgent_sent.html", observation=observation)


@bp.post("/checkpoints/<int:checkpoint_id>/handover")
@roles(*DUTY)
def handover(checkpoint_id: int):
    """Giao ca: write the handover, then check out."""
    checkpoint = duty_checkpoint(checkpoint_id)
    form = HandoverForm()
    equipment = _equipment_from(request.form, checkpoint)
    equipment_error = None
    if form.validate_on_submit():
        now = utcnow()
        try:
            write_handover(current_user, checkpoint, uuid=_uuid(form), occurred_at=now, now=now,
                           summary=form.summary.data, equipment=equipment)
            present = open_attendance(current_user)
            if present is not None and present.checkpoint_id == checkpoint.id:
                lat, lng = _position(form)
                check_out(current_user, checkpoint, uuid=parse_uuid(request.form.get("check_out_uuid")),
                          occurred_at=now, now=now, lat=lat, lng=lng)
        except RuleViolation as violation:
            db.session.rollback()
            if violation.field == "equipment":
                equipment_error = str(violation.message)
            else:
                apply_violation(form, violation, "summary")
        else:
            db.session.commit()
            flash(_("Handover written. The next team will accept it."), "success")
            return redirect(url_for("volunteer.log", checkpoint_id=checkpoint.id), 303)
    status = 422 if form.errors or equipment_error else 200
    return render_template("volunteer/check_out.html", checkpoint=checkpoint, form=CheckOutForm(),
                           handover_form=form, equipment=equipment, equipment_error=equipment_error,
                           open_items=open_observations(checkpoint)), status


def _status(form) -> int:
    """422 when a submitted form comes back with its mistakes marked (rule 4), else 200."""
    return 422 if form.errors else 200


def _equipment_from(values, checkpoint: Checkpoint) -> list[dict]:
    """The checklist as ticked: item i is ok when `ok-i` is sent, with `remark-i` beside it."""
    return [{"item": name, "ok": values.get(f"ok-{i}") == "1", "remark": values.get(f"remark-{i}", "")}
            for i, name in enumerate(checkpoint.equipment)]


@bp.route("/handovers/<int:handover_id>", methods=["GET", "POST"])
@roles(*DUTY)
def handover_accept(handover_id: int):
    """Nhận ca: read the handover and accept it, noting any discrepancy."""
    item = db.session.get(Handover, handover_id)
    if item is None:
        abort(404)
    authorize("checkpoint.duty", item.checkpoint)
    form = AcceptForm()
    if form.validate_on_submit():
        now = utcnow()
        try:
            accept_handover(current_user, item, uuid=_uuid(form), occurred_at=now, now=now, remark=form.remark.data)
        except RuleViolation as violation:
            db.session.rollback()
            apply_violation(form, violation, "remark")
        else:
            db.session.commit()
            flash(_("Handover accepted."), "success")
            return redirect(url_for("volunteer.my_shift"), 303)
    return render_template("volunteer/handover.html", handover=item, form=form), _status(form)


@bp.get("/checkpoints/<int:checkpoint_id>/log")
@roles(*READERS)
def log(checkpoint_id: int):
    """Sổ trực: the checkpoint's entries, newest first, by day; htmx asks for more pages."""
    checkpoint = readable_checkpoint(checkpoint_id)
    before = None
    if request.args.get("before"):
        try:
            before = Cursor.parse(request.args["before"])
        except ValueError:
            abort(400)
    entries = checkpoint_log(checkpoint, before=before)
    template = "volunteer/_log_page.html" if request.headers.get("HX-Request") else "volunteer/log.html"
    response = render_template(template, checkpoint=checkpoint, entries=entries)
    return response, 200, {"Vary": "HX-Request"}


@bp.route("/observations/<int:observation_id>", methods=["GET", "POST"])
@roles(*READERS)
def observation(observation_id: int):
    """One observation with its corrections, comments and status; its author may add a correction."""
    item = db.session.get(Observation, observation_id)
    if item is None:
        abort(404)
    authorize("checkpoint.read", item.checkpoint)
    original = item.corrects or item
    form = CorrectionForm()
    may_correct = original.author_id == current_user.id and can(current_user, "checkpoint.duty", item.checkpoint)
    if may_correct and form.validate_on_submit():
        now = utcnow()
        try:
            log_observation(current_user, original.checkpoint, uuid=_uuid(form), occurred_at=original.occurred_at,
                            now=now, category=original.category, severity=original.severity, text=form.text.data,
                            corrects=original)
        except RuleViolation as violation:
            db.session.rollback()
            apply_violation(form, violation, "text")
        else:
            db.session.commit()
            flash(_("Correction added."), "success")
            return redirect(url_for("volunteer.observation", observation_id=original.id), 303)
    return (render_template("volunteer/observation.html", observation=original, form=form, may_correct=may_correct),
            _status(form))


@bp.get("/photos/<photo_uuid>.jpg")
@roles(*READERS)
def photo(photo_uuid: str):
    """A photo, only for people who may read an observation that shows it (or who took it)."""
    try:
        key = parse_uuid(photo_uuid)
    except RuleViolation:
        abort(404)
    item = db.session.scalar(select(Photo).where(Photo.uuid == key))
    if item is None:
        abort(404)
    shown_in = db.session.scalars(select(Observation).where(Observation.photo_uuid == key)).all()
    if item.uploader_id != current_user.id and not any(can(current_user, "checkpoint.read", o.checkpoint)
                                                       for o in shown_in):
        abort(404)
    response = send_file(photo_path(key), mimetype="image/jpeg", max_age=0)
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response
