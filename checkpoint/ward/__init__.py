"""Ward screens for coordinators and police."""
from flask import Blueprint

bp = Blueprint("ward", __name__, url_prefix="/wards")

from . import routes  # noqa: E402,F401
