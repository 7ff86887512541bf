"""People of a ward for coordinators: volunteers, passwords, CSV import."""
from __future__ import annotations

import json
import zlib

from flask import abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.security import generate_password_hash

from ..errors import render_error
from ..extensions import db
from ..forms import EmptyForm, apply_violation
from ..models import Checkpoint, User, Ward, utcnow
from ..policy import authorize, can, roles
from ..rules import RuleViolation
from ..rules.accounts import deactivate, reset_password
from ..rules.checkpoints import ward_checkpoints
from ..rules.people import add_person, generate_password, reactivate, roles_managed_by, update_person, ward_people
from ..rules.people_import import (MAX_BYTES, Plan, SourceRow, apply_plan, plan_import, read_csv,
                                   template_csv)
from . import bp
from .checkpoints import MANAGERS, managed_ward
from .forms import ROLE_LABELS, ImportConfirmForm, ImportForm, NewPersonForm, PasswordResetForm, PersonForm

PLAN_SALT = "people-import"
PLAN_MAX_AGE = 3600  # seconds between the preview and the confirmation


def ward_person(ward: Ward, user_id: int) -> User:
    """A person of this ward whom the current user may manage; anyone else does not exist for them."""
    person = db.session.get(User, user_id)
    if person is None or person.ward_id != ward.id:
        abort(404)
    authorize("person.manage", person)
    return person


def _chosen(ward: Ward, ids) -> list[Checkpoint]:
    by_id = {c.id: c for c in ward.checkpoints}
    return [by_id[i] for i in ids or () if i in by_id]


def _offered(ward: Ward, person: User | None) -> list[Checkpoint]:
    """Active checkpoints, and retired ones the person still belongs to (so saving keeps them)."""
    mine = {c.id for c in person.checkpoints} if person else set()
    return [c for c in ward_checkpoints(ward) if c.active or c.id in mine]


def _secret_page(template: str, **context):
    """A page that shows a password: never stored by the browser or any cache on the way."""
    response = make_response(render_template(template, **context))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/<code>/people")
@roles(*MANAGERS)
def people(code: str):
    """The ward's volunteers (and, for admins, its coordinators and police); ?all=1 shows deactivated ones."""
    ward = managed_ward(code)
    include_inactive = request.args.get("all") == "1"
    persons = ward_people(ward, roles=roles_managed_by(current_user), include_inactive=include_inactive)
    return render_template("ward/people.html", ward=ward, people=persons, include_inactive=include_inactive,
                           role_labels=ROLE_LABELS)


@bp.route("/<code>/people/new", methods=["GET", "POST"])
@roles(*MANAGERS)
def person_new(code: str):
    """Add one person; a password made up here is shown once."""
    ward = managed_ward(code)
    form = NewPersonForm(checkpoints=_offered(ward, None), roles=roles_managed_by(current_user))
    if form.validate_on_submit():
        password = form.password.data or generate_password()
        try:
            person = add_person(ward, full_name=form.full_name.data, phone=form.phone.data,
                                role=form.role.data if form.role else "volunteer",
                                checkpoints=_chosen(ward, form.checkpoints.data), password=password,
                                actor=current_user)
        except RuleViolation as violation:
            db.session.rollback()
            apply_violation(form, violation, "full_name")
        else:
            db.session.commit()
            if form.password.data:
                flash(_("%(name)s has been added.", name=person.full_name), "success")
                return redirect(url_for("ward.person_edit", code=ward.code, user_id=person.id), 303)
            return _secret_page("ward/password_shown.html", ward=ward, person=person, password=password,
                                created=True)
    status = 422 if form.is_submitted() else 200
    return render_template("ward/person_form.html", ward=ward, form=form, person=None), status


@bp.route("/<code>/people/<int:user_id>", methods=["GET", "POST"])
@roles(*MANAGERS)
def person_edit(code: str, user_id: int):
    """Name, phone, role (admins), checkpoints; with the password and deactivation actions."""
    ward = managed_ward(code)
    person = ward_person(ward, user_id)
    form = PersonForm(obj=person, checkpoints=_offered(ward, person), roles=roles_managed_by(current_user))
    if not form.is_submitted():
        form.checkpoints.data = [c.id for c in person.checkpoints]
    if form.validate_on_submit():
        try:
            changed = update_person(person, full_name=form.full_name.data, phone=form.phone.data,
                                    role=form.role.data if form.role else person.role,
                                    checkpoints=_chosen(ward, form.checkpoints.data), actor=current_user,
                                    now=utcnow())
        except RuleViolation as violation:
            db.session.rollback()
            apply_violation(form, violation, "full_name")
        else:
            db.session.commit()
            flash(_("Saved.") if changed else _("Nothing was changed."), "success")
            return redirect(url_for("ward.person_edit", code=ward.code, user_id=person.id), 303)
    status = 422 if form.is_submitted() else 200
    return render_template("ward/person_form.html", ward=ward, form=form, person=person,
                           action_form=EmptyForm(), password_form=PasswordResetForm()), status


@bp.post("/<code>/people/<int:user_id>/password")
@roles(*MANAGERS)
def person_password(code: str, user_id: int):
    """A new password, typed or made up (then shown once); the person's sessions end."""
    ward = managed_ward(code)
    person = ward_person(ward, user_id)
    form = PasswordResetForm()
    if form.validate_on_submit():
        password = form.password.data or generate_password()
        try:
            reset_password(person, password, actor=current_user)
        except RuleViolation as violation:
            db.session.rollback()
            apply_violation(form, violation, "password")
        else:
            db.session.commit()
            if form.password.data:
                flash(_("The new password is set. %(name)s must log in again.", name=person.full_name), "success")
                return redirect(url_for("ward.person_edit", code=ward.code, user_id=person.id), 303)
            return _secret_page("ward/password_shown.html", ward=ward, person=person, password=password,
                                created=False)
    person_form = PersonForm(obj=person, checkpoints=_offered(ward, person), roles=roles_managed_by(current_user),
                             formdata=None)
    person_form.checkpoints.data = [c.id for c in person.checkpoints]
    page = render_template("ward/person_form.html", ward=ward, form=person_form, person=person,
                           action_form=EmptyForm(), password_form=form)
    return page, 422


@bp.post("/<code>/people/<int:user_id>/deactivate")
@roles(*MANAGERS)
def person_deactivate(code: str, user_id: int):
    """The person can no longer log in; their shifts, entries and handovers stay."""
    ward = managed_ward(code)
    person = ward_person(ward, user_id)
    if EmptyForm().validate_on_submit() and person.active:
        deactivate(person, actor=current_user)
        db.session.commit()
        flash(_("%(name)s has been deactivated.", name=person.full_name), "success")
    return redirect(url_for("ward.person_edit", code=ward.code, user_id=person.id), 303)


@bp.post("/<code>/people/<int:user_id>/reactivate")
@roles(*MANAGERS)
def person_reactivate(code: str, user_id: int):
    """The person may log in again with the password they had."""
    ward = managed_ward(code)
    person = ward_person(ward, user_id)
    if EmptyForm().validate_on_submit():
        try:
            reactivate(person, actor=current_user, now=utcnow())
        except RuleViolation as violation:
            db.session.rollback()
            flash(str(violation.message), "error")
        else:
            db.session.commit()
            flash(_("%(name)s is active again.", name=person.full_name), "success")
    return redirect(url_for("ward.person_edit", code=ward.code, user_id=person.id), 303)


# ——— CSV import: upload → preview (nothing written) → confirm (all or nothing) ———

def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=PLAN_SALT)


def _sign(ward: Ward, plan: Plan) -> str:
    """The previewed rows travel with the page, signed: confirming cannot smuggle other rows in."""
    rows = [[r.line, r.name, r.phone, " ".join(r.codes)] for r in plan.rows]
    packed = zlib.compress(json.dumps(rows, ensure_ascii=False, separators=(",", ":")).encode("utf-8"), 9)
    return _serializer().dumps({"ward": ward.id, "by": current_user.id, "rows": packed.hex(),
                                "promised": plan.signature()})


def _unsign(ward: Ward, token: str) -> tuple[list[SourceRow], list] | None:
    """The signed rows, if this page made them for this ward and this person within the hour."""
    try:
        data = _serializer().loads(token or "", max_age=PLAN_MAX_AGE)
        rows = json.loads(zlib.decompress(bytes.fromhex(data["rows"]), bufsize=MAX_BYTES).decode("utf-8"))
    except (BadSignature, ValueError, KeyError, TypeError, zlib.error):
        return None
    if data.get("ward") != ward.id or data.get("by") != current_user.id:
        return None
    return [SourceRow(*row) for row in rows], data.get("promised")


@bp.route("/<code>/people/import", methods=["GET", "POST"])
@roles(*MANAGERS)
def people_import(code: str):
    """Upload a CSV file; the answer is a preview of every row. Nothing is written here."""
    ward = managed_ward(code)
    form = ImportForm()
    if form.validate_on_submit():
        try:
            plan = plan_import(ward, read_csv(form.file.data.read(MAX_BYTES + 1)))
        except RuleViolation as violation:
            apply_violation(form, violation, "file")
        else:
            confirm = ImportConfirmForm(formdata=None, plan=_sign(ward, plan) if plan.ok else "")
            return render_template("ward/people_import_preview.html", ward=ward, plan=plan, form=confirm)
    status = 422 if form.is_submitted() else 200
    return render_template("ward/people_import.html", ward=ward, form=form, max_mb=MAX_BYTES // 2**20), status


@bp.post("/<code>/people/import/confirm")
@roles(*MANAGERS)
def people_import_confirm(code: str):
    """Write the previewed rows in one transaction, or nothing when anything changed since the preview."""
    ward = managed_ward(code)
    form = ImportConfirmForm()
    valid = form.validate_on_submit()
    unsigned = _unsign(ward, form.plan.data)
    if unsigned is None:
        flash(_("The preview has expired or is not valid. Upload the file again."), "error")
        return redirect(url_for("ward.people_import", code=ward.code), 303)
    rows, promised = unsigned
    plan = plan_import(ward, rows)
    if not valid or plan.signature() != promised or not plan.ok:
        # The password is unusable, or someone changed the ward's people meanwhile: show the rows again.
        notice = None if not valid else _("Something changed since the preview. Check the rows again.")
        form.plan.data = _sign(ward, plan) if plan.ok else ""
        page = render_template("ward/people_import_preview.html", ward=ward, plan=plan, form=form, notice=notice)
        return page, 422
    password_hash = generate_password_hash(form.password.data) if form.password.data else None
    try:
        counts = apply_plan(ward, plan, password_hash=password_hash, actor=current_user, now=utcnow())
    except RuleViolation as violation:
        db.session.rollback()
        flash(str(violation.message), "error")
        return redirect(url_for("ward.people_import", code=ward.code), 303)
    db.session.commit()
    flash(_("Import done: %(created)d added, %(updated)d updated, %(unchanged)d unchanged.", **counts), "success")
    return redirect(url_for("ward.people", code=ward.code), 303)


@bp.get("/<code>/people/import/template.csv")
@roles(*MANAGERS)
def people_import_template(code: str):
    """An empty file with the column names, to fill in with Excel."""
    managed_ward(code)
    response = make_response(template_csv().encode("utf-8"))
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = 'attachment; filename="nhap-to-vien.csv"'
    return response


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error):
    """A huge upload is refused before the view runs (MAX_CONTENT_LENGTH): say so on the upload form."""
    if request.endpoint != "ward.people_import" or not current_user.is_authenticated:
        return render_error(413)
    ward = ward_or_none(request.view_args.get("code", ""))
    if ward is None or not _may_manage(ward):
        return render_error(404)
    form = ImportForm(formdata=None)
    form.file.errors = [_("The file is larger than %(n)d MB. Split it into smaller files.", n=MAX_BYTES // 2**20)]
    return render_template("ward/people_import.html", ward=ward, form=form, max_mb=MAX_BYTES // 2**20), 413


def ward_or_none(code: str) -> Ward | None:
    return db.session.scalar(select(Ward).where(Ward.code == code.upper()))


def _may_manage(ward: Ward) -> bool:
    return current_user.role in MANAGERS and can(current_user, "ward.manage", ward)
