"""Ward screens for coordinators and police."""
from flask import Blueprint

bp = Blueprint("ward", __name__, url_prefix="/wards")

from . import checkpoints, people, routes  # noqa: E402,F401
