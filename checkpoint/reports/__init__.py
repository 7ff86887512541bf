"""The attendance report: planned against actual, per volunteer and per checkpoint."""
from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/wards")

from . import routes  # noqa: E402,F401
