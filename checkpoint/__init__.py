"""The application factory: configuration, extensions, blueprints, errors and CLI."""
from __future__ import annotations

from flask import Flask, flash, has_request_context, jsonify, redirect, request, session, url_for
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

from .config import INSTANCE, ROOT, TestConfig, config_for_environment, development_secret_key, engine_options
from . import sqlite  # noqa: F401  (registers the SQLite connection hooks)
from .extensions import babel, compress, csrf, db, limiter, login_manager, migrate


def create_app(config=None) -> Flask:
    """Build the app. `config` is a config class or a dict of overrides (tests pass one)."""
    app = Flask(__name__, template_folder=str(ROOT / "templates"), static_folder=str(ROOT / "static"),
                instance_path=str(INSTANCE))
    app.config.from_object(config_for_environment())
    if isinstance(config, dict):
        app.config.update(config)
    elif config is not None:
        app.config.from_object(config)
    _check_secret_key(app)
    if app.config.get("PROXY_COUNT"):
        # Behind nginx: the client's address (login throttle per address) and https come from
        # the proxy's X-Forwarded-For / -Proto, trusted for exactly that many proxies.
        hops = int(app.config["PROXY_COUNT"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)

    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(
        app.config["SQLALCHEMY_DATABASE_URI"], app.config["SQLALCHEMY_ENGINE_OPTIONS"],
        app.config["DATABASE_CONNECT_TIMEOUT"])

    # First registered, so its after_request runs last and compresses the finished response.
    compress.init_app(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=lambda: app.config["TIMEZONE"])
    _init_login(app)

    from . import admin, api, audit, auth, board, calendar, cli, errors, pwa, reports, roster, volunteer, ward, web
    for module in (web, auth, volunteer, ward, roster, calendar, reports, board, admin, audit, api, pwa):
        app.register_blueprint(module.bp)
    errors.init_app(app)
    web.init_app(app)
    cli.init_app(app)
    return app


def _check_secret_key(app: Flask) -> None:
    if app.config.get("SECRET_KEY"):
        return
    if app.config["APP_ENV"] == "production":
        raise RuntimeError("SECRET_KEY must be set in production (APP_ENV=production).")
    app.config["SECRET_KEY"] = development_secret_key()


def select_locale() -> str:
    """The user's own setting, then the choice made on the login page, then the browser."""
    languages = ("vi", "en")
    if not has_request_context():
        return "vi"
    if current_user and current_user.is_authenticated:
        return current_user.locale
    if session.get("locale") in languages:
        return session["locale"]
    return request.accept_languages.best_match(languages, default="vi")


def _init_login(app: Flask) -> None:
    from flask_babel import lazy_gettext as _l

    from .models import User

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to continue.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @login_manager.unauthorized_handler
    def unauthorized():
        # The phone's outbox must learn that its session is gone (and keep its items), not
        # receive a login page in place of JSON.
        if request.path.startswith("/api/"):
            return jsonify(error="login_required", reason=str(_l("Please log in to continue."))), 401
        if request.headers.get("Sec-Fetch-Mode", "navigate") != "navigate" and "HX-Request" not in request.headers:
            # A background fetch (the service worker keeping pages for offline use): a flash and a
            # redirect to the login form would write a new session cookie over the one of the login
            # form the person may have open, and its CSRF token would no longer match.
            return "", 401
        flash(login_manager.login_message, login_manager.login_message_category)
        return redirect(url_for(login_manager.login_view, next=request.full_path.rstrip("?")))

    @login_manager.user_loader
    def load_user(token: str):
        # The token is "<id>:<session_version>"; a bumped version (password change,
        # deactivation) no longer matches, which ends that session and its remember-me cookie.
        user_id, _, version = token.partition(":")
        if not user_id.isdigit() or not version.isdigit():
            return None
        user = db.session.get(User, int(user_id))
        if user is None or not user.active or user.session_version != int(version):
            return None
        return user


__all__ = ["create_app", "TestConfig"]
