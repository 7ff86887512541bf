"""The volunteer's phone screens."""
from flask import Blueprint

bp = Blueprint("volunteer", __name__)

from . import outbox, routes  # noqa: E402,F401
