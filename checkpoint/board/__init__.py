"""The ward police's screens: the live board, police actions, history and the daily report."""
from flask import Blueprint

bp = Blueprint("board", __name__)

from . import actions, history, routes  # noqa: E402,F401
