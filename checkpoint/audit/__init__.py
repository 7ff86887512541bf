"""The audit log view: the activity record for admins (whole city) and ward police (their ward)."""
from flask import Blueprint

bp = Blueprint("audit", __name__)

from . import routes  # noqa: E402,F401
