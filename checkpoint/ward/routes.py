"""Ward views: the overview of a ward's checkpoints."""
from flask import abort, render_template
from sqlalchemy import select

from ..extensions import db
from ..models import Ward, utcnow
from ..policy import authorize, roles
from ..rules.shifts import current_or_next_shift
from . import bp


def ward_or_404(code: str) -> Ward:
    ward = db.session.scalar(select(Ward).where(Ward.code == code.upper()))
    if ward is None:
        abort(404)
    return ward


@bp.get("/<code>")
@roles("coordinator", "police", "admin")
def overview(code: str):
    """Every checkpoint of the ward with its members and its current or next shift."""
    ward = ward_or_404(code)
    authorize("ward.view", ward)
    now = utcnow()
    posts = [(c, current_or_next_shift(c, now)) for c in ward.checkpoints]
    return render_template("ward/overview.html", ward=ward, posts=posts, now=now)
