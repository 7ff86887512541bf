"""Admin views: the list of wards."""
from flask import render_template
from sqlalchemy import func, select

from ..extensions import db
from ..models import Checkpoint, User, Ward
from ..policy import roles
from . import bp


@bp.get("/wards")
@roles("admin")
def wards():
    """All wards with how many checkpoints and people each has."""
    checkpoints = (select(func.count(Checkpoint.id)).where(Checkpoint.ward_id == Ward.id)
                   .correlate(Ward).scalar_subquery())
    people = select(func.count(User.id)).where(User.ward_id == Ward.id).correlate(Ward).scalar_subquery()
    rows = db.session.execute(select(Ward, checkpoints, people).order_by(Ward.code)).all()
    return render_template("admin/wards.html", rows=rows)
