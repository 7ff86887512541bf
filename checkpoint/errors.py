"""Friendly error pages in the user's language; JSON reasons under /api/."""
from __future__ import annotations

from flask import g, jsonify, make_response, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

from .extensions import db, login_manager

# Stable codes for JSON answers under /api/: the phone reacts to these, not to the translated text.
CODES = {400: "bad_request", 401: "login_required", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
         413: "too_large", 415: "unsupported_media_type", 429: "rate_limited", 500: "server_error",
         503: "unavailable"}

MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be understood. Go back and try again.")),
    403: (_l("Not allowed"), _l("Your account may not open this page.")),
    404: (_l("Not found"), _l("This page does not exist, or it is not yours to see.")),
    405: (_l("Not allowed"), _l("This action is not possible here.")),
    413: (_l("Too large"), _l("What you sent is too large.")),
    429: (_l("Too many requests"), _l("Wait a moment, then try again.")),
    500: (_l("Something went wrong"), _l("The error has been logged. Try again in a moment.")),
    503: (_l("Service unavailable"), _l("The database cannot be reached. Try again in a moment.")),
}


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def render_error(code: int, detail: str | None = None, error: str | None = None):
    title, message = MESSAGES.get(code, MESSAGES[500])
    if _wants_json():
        return jsonify(error=error or CODES.get(code, "error"), reason=detail or str(message)), code
    return render_template("errors/error.html", code=code, title=title, message=detail or message), code


def init_app(app) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_error(400, str(_l("The form has expired. Reload the page and try again.")), error="csrf_failed")

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.response is not None:  # e.g. the login page answering a rate limit itself
            return error.response
        return render_error(error.code or 500)

    @app.errorhandler(OperationalError)
    def database_down(error):
        db.session.rollback()
        # Render as nobody: loading the logged-in user would ask the database again.
        g._login_user = login_manager.anonymous_user()
        app.logger.error("database unavailable: %s", error)
        response = make_response(render_error(ServiceUnavailable.code))
        # The phone's outbox and monitors wait this long before asking again.
        response.headers["Retry-After"] = "10"
        return response

    @app.errorhandler(Exception)
    def unexpected(error):
        db.session.rollback()
        app.logger.exception("unhandled error")
        return render_error(InternalServerError.code)
