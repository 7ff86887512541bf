"""A person's own shifts: the list, its print view and the private iCalendar feed."""
from flask import Blueprint

bp = Blueprint("calendar", __name__)

from . import routes  # noqa: E402,F401
