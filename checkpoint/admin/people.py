"""Admin views of people city-wide: the list, coordinator and police accounts, moving between wards."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..extensions import db
from ..forms import apply_violation
from ..models import User, Ward, utcnow
from ..policy import roles
from ..rules import RuleViolation
from ..rules.accounts import create_user, find_ward
from ..rules.directory import PER_PAGE, PeopleQuery, search_people
from ..rules.transfers import move_person, move_plan
from . import bp
from .forms import ROLE_LABELS, MoveForm, PeopleFilter, StaffForm


def _all_wards() -> list[Ward]:
    return list(db.session.scalars(select(Ward).order_by(Ward.code)))


def _page() -> int:
    page = request.args.get("page", type=int) or 1
    return min(max(page, 1), 10_000)


@bp.get("/people")
@roles("admin")
def people():
    """Coordinators and police of every ward (or anyone, by the filters), 50 a page."""
    wards = _all_wards()
    form = PeopleFilter(wards, formdata=request.args)
    rows, total, page = [], 0, _page()
    if form.validate():
        ward_id = next((w.id for w in wards if w.code == form.ward.data), None)
        rows, total = search_people(PeopleQuery(role=form.role.data, ward_id=ward_id, text=form.q.data or ""), page)
    pages = max(1, -(-total // PER_PAGE))
    return render_template("admin/people.html", form=form, rows=rows, total=total, page=page, pages=pages,
                           arguments=form.arguments(), role_labels=ROLE_LABELS)


@bp.route("/people/new", methods=["GET", "POST"])
@roles("admin")
def person_new():
    """Create a coordinator or police account for one ward."""
    form = StaffForm(_all_wards())
    if request.method == "GET" and request.args.get("ward"):
        form.ward.data = request.args["ward"].upper()
    if form.validate_on_submit():
        try:
            person = create_user(phone=form.phone.data, full_name=form.full_name.data, role=form.role.data,
                                 password=form.password.data, ward=find_ward(form.ward.data), actor=current_user)
        except RuleViolation as violation:
            db.session.rollback()
            apply_violation(form, violation, "phone")
        else:
            db.session.commit()
            flash(_("Account created for %(name)s (%(phone)s). Give them the first password; they can change "
                    "it under Account.", name=person.full_name, phone=person.phone), "success")
            return redirect(url_for("admin.people", ward=person.ward.code), 303)
    return render_template("admin/person_new.html", form=form), 422 if form.errors else 200


@bp.route("/people/<int:user_id>/move", methods=["GET", "POST"])
@roles("admin")
def person_move(user_id: int):
    """Move a person to another ward. The page first shows what the move removes in the old ward."""
    person = db.session.get(User, user_id)
    if person is None:
        abort(404)
    form = MoveForm([w for w in _all_wards() if w.id != person.ward_id])
    now = utcnow()
    refusal = None
    if form.validate_on_submit():
        try:
            result = move_person(person, find_ward(form.ward.data), now=now, actor=current_user)
        except RuleViolation as violation:
            db.session.rollback()
            apply_violation(form, violation, "ward")
        else:
            db.session.commit()
            flash(_("%(name)s moved from %(old)s to %(new)s: %(memberships)d checkpoint memberships and "
                    "%(shifts)d future shifts removed; their history stays.", name=person.full_name,
                    old=result.from_ward.name, new=result.to_ward.name,
                    memberships=result.memberships_removed, shifts=result.assignments_removed), "success")
            return redirect(url_for("admin.people", ward=result.to_ward.code, role="all"), 303)
    try:
        plan = move_plan(person, now)
    except RuleViolation as violation:
        plan, refusal = None, violation.message
        if request.method == "POST":
            form.ward.errors = [str(refusal)]
    status = 422 if form.errors else 200
    return render_template("admin/person_move.html", person=person, form=form, plan=plan, refusal=refusal,
                           role_labels=ROLE_LABELS), status
