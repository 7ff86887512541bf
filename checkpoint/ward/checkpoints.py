"""Checkpoint management for coordinators: create, edit, retire, revoke posters, the ward duty phone."""
from __future__ import annotations

from collections.abc import Callable

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..board.maps import DEFAULT_TILE_URL, tile_url_template
from ..extensions import db
from ..forms import EmptyForm, apply_violation
from ..models import Checkpoint, Ward, utcnow
from ..policy import authorize, roles
from ..rules import RuleViolation
from ..rules.checkpoints import (clean_equipment, parse_position, reactivate_checkpoint, retire_checkpoint,
                                 revoke_posters, set_duty_phone, update_checkpoint, ward_checkpoints)
from ..rules.wards import DEFAULT_EQUIPMENT, add_checkpoint
from . import bp
from .forms import CheckpointForm, DutyPhoneForm
from .routes import ward_or_404

MANAGERS = ("coordinator", "admin")


def managed_ward(code: str) -> Ward:
    ward = ward_or_404(code)
    authorize("ward.manage", ward)
    return ward


def ward_checkpoint(ward: Ward, checkpoint_id: int) -> Checkpoint:
    checkpoint = db.session.get(Checkpoint, checkpoint_id)
    if checkpoint is None or checkpoint.ward_id != ward.id:
        abort(404)
    return checkpoint


@bp.get("/<code>/checkpoints")
@roles(*MANAGERS)
def checkpoints(code: str):
    """The ward's checkpoints, active first, and the ward's police duty phone."""
    ward = managed_ward(code)
    phone_form = DutyPhoneForm(duty_phone=ward.duty_phone)
    return render_template("ward/checkpoints.html", ward=ward, checkpoints=ward_checkpoints(ward),
                           phone_form=phone_form)


@bp.post("/<code>/duty-phone")
@roles(*MANAGERS)
def duty_phone(code: str):
    """Change the number volunteers are offered after an urgent alert."""
    ward = managed_ward(code)
    form = DutyPhoneForm()
    if form.validate_on_submit():
        try:
            set_duty_phone(ward, form.duty_phone.data, actor=current_user, now=utcnow())
        except RuleViolation as violation:
            db.session.rollback()
            apply_violation(form, violation, "duty_phone")
        else:
            db.session.commit()
            flash(_("The duty phone has been saved."), "success")
            return redirect(url_for("ward.checkpoints", code=ward.code), 303)
    page = render_template("ward/checkpoints.html", ward=ward, checkpoints=ward_checkpoints(ward), phone_form=form)
    return page, 422


@bp.route("/<code>/checkpoints/new", methods=["GET", "POST"])
@roles(*MANAGERS)
def checkpoint_new(code: str):
    """A new checkpoint, with the usual equipment list filled in."""
    ward = managed_ward(code)
    form = CheckpointForm()
    if not form.is_submitted():
        form.equipment.data = "\n".join(DEFAULT_EQUIPMENT)
    if form.validate_on_submit():
        try:
            lat, lng = parse_position(form.lat.data, form.lng.data)
            checkpoint = add_checkpoint(
                ward=ward, code=form.code.data, name=form.name.data, address=form.address.data, lat=lat, lng=lng,
                standing_orders=form.standing_orders.data, equipment=clean_equipment(form.equipment.data),
                min_staff=form.min_staff.data, actor=current_user)
        except RuleViolation as violation:
            db.session.rollback()
            apply_violation(form, violation, "name")
        else:
            db.session.commit()
            flash(_("Checkpoint %(code)s has been created.", code=checkpoint.code), "success")
            return redirect(url_for("ward.checkpoint_edit", code=ward.code, checkpoint_id=checkpoint.id), 303)
    return _form_page(ward, form, None)


@bp.route("/<code>/checkpoints/<int:checkpoint_id>", methods=["GET", "POST"])
@roles(*MANAGERS)
def checkpoint_edit(code: str, checkpoint_id: int):
    """Everything that describes a checkpoint except its code."""
    ward = managed_ward(code)
    checkpoint = ward_checkpoint(ward, checkpoint_id)
    form = CheckpointForm(obj=checkpoint)
    del form.code
    if not form.is_submitted():
        form.equipment.data = "\n".join(checkpoint.equipment or [])
        form.lat.data = _coordinate(checkpoint.lat)
        form.lng.data = _coordinate(checkpoint.lng)
    if form.validate_on_submit():
        try:
            lat, lng = parse_position(form.lat.data, form.lng.data)
            changed = update_checkpoint(
                checkpoint, name=form.name.data, address=form.address.data, lat=lat, lng=lng,
                standing_orders=form.standing_orders.data, equipment=clean_equipment(form.equipment.data),
                min_staff=form.min_staff.data, actor=current_user, now=utcnow())
        except RuleViolation as violation:
            db.session.rollback()
            apply_violation(form, violation, "name")
        else:
            db.session.commit()
            flash(_("Saved.") if changed else _("Nothing was changed."), "success")
            return redirect(url_for("ward.checkpoint_edit", code=ward.code, checkpoint_id=checkpoint.id), 303)
    return _form_page(ward, form, checkpoint)


def _coordinate(value: float | None) -> str:
    return "" if value is None else f"{value:.6f}"


def _form_page(ward: Ward, form: CheckpointForm, checkpoint: Checkpoint | None):
    status = 422 if form.is_submitted() else 200
    tile_url = tile_url_template() or DEFAULT_TILE_URL
    return render_template("ward/checkpoint_form.html", ward=ward, form=form, checkpoint=checkpoint,
                           action_form=EmptyForm(), tile_url=tile_url), status


@bp.post("/<code>/checkpoints/<int:checkpoint_id>/retire")
@roles(*MANAGERS)
def checkpoint_retire(code: str, checkpoint_id: int):
    """No more check-ins there; its history stays. Checkpoints are never deleted."""
    return _act(code, checkpoint_id, retire_checkpoint, _("The checkpoint has been retired."))


@bp.post("/<code>/checkpoints/<int:checkpoint_id>/reactivate")
@roles(*MANAGERS)
def checkpoint_reactivate(code: str, checkpoint_id: int):
    """Back in service."""
    return _act(code, checkpoint_id, reactivate_checkpoint, _("The checkpoint is active again."))


@bp.post("/<code>/checkpoints/<int:checkpoint_id>/revoke-posters")
@roles(*MANAGERS)
def checkpoint_revoke_posters(code: str, checkpoint_id: int):
    """Every printed QR poster of the checkpoint stops working (one was stolen, or a copy went around)."""
    return _act(code, checkpoint_id, revoke_posters,
                _("Old posters no longer work. Print the new poster and put it up."))


def _act(code: str, checkpoint_id: int, rule: Callable, done: str):
    ward = managed_ward(code)
    checkpoint = ward_checkpoint(ward, checkpoint_id)
    if EmptyForm().validate_on_submit():
        try:
            rule(checkpoint, actor=current_user, now=utcnow())
        except RuleViolation as violation:
            db.session.rollback()
            flash(str(violation.message), "error")
        else:
            db.session.commit()
            flash(done, "success")
    return redirect(url_for("ward.checkpoint_edit", code=ward.code, checkpoint_id=checkpoint.id), 303)
