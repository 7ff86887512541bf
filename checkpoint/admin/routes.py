"""Admin views: the wards, creating them, renaming them and their duty phone."""
from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from ..extensions import db
from ..forms import apply_violation
from ..models import Checkpoint, User, Ward, utcnow
from ..policy import roles
from ..rules import RuleViolation
from ..rules.wards import add_ward, update_ward
from ..ward.routes import ward_or_404
from . import bp
from .forms import WardEditForm, WardForm


@bp.get("/wards")
@roles("admin")
def wards():
    """All wards with how many checkpoints and people each has."""
    checkpoints = (select(func.count(Checkpoint.id)).where(Checkpoint.ward_id == Ward.id)
                   .correlate(Ward).scalar_subquery())
    people = select(func.count(User.id)).where(User.ward_id == Ward.id).correlate(Ward).scalar_subquery()
    rows = db.session.execute(select(Ward, checkpoints, people).order_by(Ward.code)).all()
    return render_template("admin/wards.html", rows=rows)


@bp.route("/wards/new", methods=["GET", "POST"])
@roles("admin")
def ward_new():
    """Create a ward: its code (fixed from then on), its name and the police duty phone."""
    form = WardForm()
    if form.validate_on_submit():
        try:
            ward = add_ward(code=form.code.data, name=form.name.data, duty_phone=form.duty_phone.data,
                            actor=current_user)
        except RuleViolation as violation:
            db.session.rollback()
            apply_violation(form, violation, "duty_phone")  # a bad number's rule names no field of ours
        else:
            db.session.commit()
            flash(_("Ward %(code)s created.", code=ward.code), "success")
            return redirect(url_for("admin.wards"), 303)
    return render_template("admin/ward_form.html", form=form, ward=None), 422 if form.errors else 200


@bp.route("/wards/<code>/edit", methods=["GET", "POST"])
@roles("admin")
def ward_edit(code: str):
    """Rename a ward or change its duty phone; the code stays."""
    ward = ward_or_404(code)
    form = WardEditForm(obj=ward)
    if form.validate_on_submit():
        try:
            update_ward(ward, name=form.name.data, duty_phone=form.duty_phone.data, now=utcnow(),
                        actor=current_user)
        except RuleViolation as violation:
            db.session.rollback()
            apply_violation(form, violation, "duty_phone")
        else:
            db.session.commit()
            flash(_("Ward %(code)s saved.", code=ward.code), "success")
            return redirect(url_for("admin.wards"), 303)
    return render_template("admin/ward_form.html", form=form, ward=ward), 422 if form.errors else 200
