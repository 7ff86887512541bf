"""The installable app: service worker, web app manifest and offline page."""
from flask import Blueprint

bp = Blueprint("pwa", __name__)

from . import routes  # noqa: E402,F401
