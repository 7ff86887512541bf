"""City-wide screens for admins."""
from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from . import people, routes  # noqa: E402,F401
