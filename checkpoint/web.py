"""Cross-cutting pages and response headers: home, health, language, security headers."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask_babel import get_locale
from flask import Blueprint, current_app, g, jsonify, redirect, request, session, url_for
from flask_login import current_user
from sqlalchemy import text

from . import localtime
from .board.maps import DEFAULT_TILE_URL, map_tile_origin
from .extensions import db, login_manager
from .forms import LANGUAGE_CHOICES, LanguageForm
from .pwa.static import FILES
from .policy import public
from .rules import RuleViolation
from .rules.accounts import set_locale

bp = Blueprint("web", __name__)

# Strict: only our own files. No inline script, no eval, no inline style.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
       "font-src 'self'; connect-src 'self'; manifest-src 'self'; worker-src 'self'; object-src 'none'; "
       "base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
# An SVG file opened on its own is a document: it may draw, nothing else (no script, no loads).
SVG_CSP = "default-src 'none'; frame-ancestors 'none'; sandbox"


@bp.get("/")
@public
def home():
    """Send each person to the screen their role starts on."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    if current_user.role == "volunteer":
        return redirect(url_for("volunteer.my_shift"))
    if current_user.role == "admin":
        return redirect(url_for("admin.wards"))
    if current_user.role == "police":
        return redirect(url_for("board.board", code=current_user.ward.code))
    return redirect(url_for("ward.overview", code=current_user.ward.code))


@bp.get("/healthz")
@public
def healthz():
    """200 when the database answers, 503 when it does not."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # any database failure means "not healthy"
        db.session.rollback()
        # Answer as nobody: loading a logged-in visitor for the response headers would ask the
        # database again, and that failure would turn this clear 503 into a 500.
        g._login_user = login_manager.anonymous_user()
        return jsonify(status="unavailable", reason="database"), 503, {"Retry-After": "10"}
    return jsonify(status="ok")


@bp.post("/language")
@public
def language():
    """Switch the language: saved on the account when logged in, in the session otherwise."""
    form = LanguageForm()
    if form.validate_on_submit():
        try:
            if current_user.is_authenticated:
                set_locale(current_user, form.locale.data)
                db.session.commit()
            session["locale"] = form.locale.data
        except RuleViolation:
            db.session.rollback()
    return redirect(safe_next(request.form.get("next")) or url_for("web.home"))


def safe_next(target: str | None) -> str | None:
    """Only local paths: never an open redirect.

    Browsers drop tabs and newlines inside a URL ("/\t/evil.example" becomes "//evil.example")
    and read a backslash as a slash, so control characters, whitespace and backslashes are
    refused outright; what is left must be a path with no scheme and no host.
    """
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if any(char.isspace() or not char.isprintable() for char in target):
        return None
    if not target.isascii():  # a Location header is Latin-1; our own URLs are ASCII
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def init_app(app) -> None:
    localtime.init_app(app)
    app.jinja_env.add_extension("jinja2.ext.do")  # the form macros build attribute dicts

    @app.context_processor
    def frame_context():
        return {"languages": LANGUAGE_CHOICES, "get_locale": get_locale}

    # The observation page's small map loads tiles from the configured tile server.
    tiles = map_tile_origin(app.config.get("MAP_TILE_URL", DEFAULT_TILE_URL))
    csp = CSP.replace("img-src 'self' data: blob:", f"img-src 'self' data: blob: {tiles}") if tiles else CSP

    @app.after_request
    def security_headers(response):
        response.headers["X-Content-Type-Options"] = "nosniff"
        if request.endpoint in FILES:
            # CSP, framing and referrer rules govern documents; a stylesheet, script or PNG ignores
            # them, and a phone's first visit would pay ~450 bytes a file for nothing. An SVG opened
            # on its own is a document that could run script: it gets a short policy that allows
            # nothing at all, stricter than the pages' and a tenth of the bytes.
            response.headers.pop("Content-Disposition", None)  # "inline; filename=…": says nothing
            if response.mimetype == "image/svg+xml":
                response.headers["Content-Security-Policy"] = SVG_CSP
            return response
        response.headers.setdefault("Content-Security-Policy", csp)
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Frame-Options"] = "DENY"
        if current_app.config.get("SESSION_COOKIE_SECURE"):
            response.headers["Strict-Transport-Security"] = "max-age=31536000"
        if current_user and not getattr(current_user, "is_anonymous", True):
            # Pages with someone's data are not kept by shared caches or the back button of the next person.
            # (is_anonymous, not is_authenticated: the latter reads `active`, which a commit has expired,
            # and would cost every writing request a second SELECT of the user.)
            response.headers.setdefault("Cache-Control", "private, no-store")
        return response
