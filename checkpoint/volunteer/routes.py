"""Volunteer views: my shift."""
from flask import render_template
from flask_login import current_user

from ..models import utcnow
from ..policy import roles
from ..rules.shifts import current_or_next_shift
from . import bp


@bp.get("/me")
@roles("volunteer")
def my_shift():
    """The current or next shift at each checkpoint the volunteer belongs to."""
    now = utcnow()
    posts = [(c, current_or_next_shift(c, now)) for c in current_user.checkpoints if c.active]
    return render_template("volunteer/my_shift.html", posts=posts, now=now)
