"""The weekly roster of a ward: shift patterns, the grid, printing (HTML, PDF, CSV)."""
from flask import Blueprint

bp = Blueprint("roster", __name__, url_prefix="/wards")

from . import printing, routes  # noqa: E402,F401
