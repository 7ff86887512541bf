"""The sync API for the phone's offline outbox (PRODUCT §6, docs/api.md)."""
from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from . import routes  # noqa: E402,F401
