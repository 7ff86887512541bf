"""The service worker, the web app manifest and the offline page; the user key pages carry."""
from __future__ import annotations

import hmac
import json
from datetime import datetime, timezone
from hashlib import sha256

from flask import abort, current_app, make_response, render_template, request, url_for
from flask_babel import force_locale
from flask_login import current_user

from ..forms import LANGUAGE_CHOICES
from ..policy import public
from ..volunteer.outbox import fingerprint, outbox_script, outbox_script_url
from . import bp, static
from .shell import Shell, build_shell

THEME_COLOUR = "#0b4f8a"  # --primary in static/css/app.css
BACKGROUND_COLOUR = "#ffffff"
LANGUAGES = tuple(code for code, _label in LANGUAGE_CHOICES)


@bp.record_once
def _compute_shell(state) -> None:
    # Once per process, at start-up: a deploy that changes the shell restarts the app anyway.
    app = state.app
    app.extensions["pwa_shell"] = build_shell(app.static_folder, salt=app.config.get("PWA_VERSION_SALT", ""))
    app.url_defaults(_fingerprint_static_urls)
    static.init_app(app)  # registered first: its compression runs after the caching headers are set
    app.after_request(_cache_fingerprinted_static_files)


def _fingerprint_static_urls(endpoint: str, values: dict) -> None:
    """Every url_for('static', …) carries the file's content hash: a new file is a new URL."""
    if endpoint == "static" and "v" not in values:
        fingerprint = current_app.extensions["pwa_shell"].fingerprints.get(values.get("filename"))
        if fingerprint:
            values["v"] = fingerprint


def _cache_fingerprinted_static_files(response):
    """A static file asked for by its current fingerprint never changes: browsers keep it a year,
    and the service worker's precache finds it in the HTTP cache instead of downloading it again."""
    if request.endpoint == "static" and response.status_code == 200:
        filename = (request.view_args or {}).get("filename")
        if request.args.get("v") and request.args.get("v") == current_shell().fingerprints.get(filename):
            response.cache_control.public = True
            response.cache_control.max_age = 31536000
            response.cache_control.immutable = True
            response.cache_control.no_cache = None
    return response


def current_shell() -> Shell:
    return current_app.extensions["pwa_shell"]


def user_key(user) -> str:
    """Names the person's offline page cache on the phone without giving away their id: an HMAC of
    the id with the app's secret."""
    secret = current_app.config["SECRET_KEY"]
    secret = secret if isinstance(secret, bytes) else secret.encode()
    return hmac.new(secret, f"pwa-user-key:{user.id}".encode(), sha256).hexdigest()[:32]


@bp.app_context_processor
def pwa_context():
    if current_user and getattr(current_user, "is_authenticated", False):
        # rendered_at: the time a page saved for offline reading was made, shown when it is.
        return {"user_key": user_key(current_user), "rendered_at": datetime.now(timezone.utc)}
    return {"user_key": None}


@bp.get("/sw.js")
@public
def service_worker():
    """The service worker, served from the root so that it controls every page of the app."""
    shell = current_shell()
    offline_pages = {code: url_for("pwa.offline", lang=code) for code in LANGUAGES}
    precache = [url_for("static", filename=name) for name in shell.phone_files] + list(offline_pages.values())
    precache += [outbox_script_url(code) for code in LANGUAGES]  # the outbox's words, in each language
    # The same bytes for everyone (no language, no user): any change makes browsers install it anew.
    # The outbox's store and sender (static/js/outbox.js) run in the worker too, for Background Sync.
    outbox = {"script": url_for("static", filename="js/outbox.js"),
              "urls": {"sync": url_for("api.sync"), "photos": url_for("api.photo"),
                       "session": url_for("api.session_info")}}
    body = render_template("pwa/sw.js", version=shell.version, precache=precache, offline_pages=offline_pages,
                           default_language=LANGUAGES[0], outbox=outbox)
    if current_app.config["STATIC_MINIFY"]:
        body = static.minifier("sw.js")(body)  # as our static scripts (checkpoint/pwa/static.py)
    response = make_response(body)
    response.mimetype = "text/javascript"
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    # Browsers ask for the worker again on every navigation: unchanged, it costs a 304 and no body.
    response.add_etag()
    return response.make_conditional(request)


@bp.get("/outbox-words.js")
@public
def outbox_words():
    """The outbox script's words and settings in one language (`?lang=`), the same for everyone.
    Asked for by its current `?v=` it never changes and is kept a year, like a static file."""
    lang = request.args.get("lang")
    if lang not in LANGUAGES:
        abort(404)
    script = outbox_script(lang)
    response = make_response(script)
    response.mimetype = "text/javascript"
    if request.args.get("v") == fingerprint(script):
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    else:
        response.headers["Cache-Control"] = "no-cache"
    response.add_etag()
    return response.make_conditional(request)


@bp.get("/manifest.webmanifest")
@public
def manifest():
    """The web app manifest: what the phone needs to install the app on its home screen."""
    def icon(filename: str, size: int, purpose: str = "any") -> dict:
        return {"src": url_for("static", filename=f"icons/{filename}"), "sizes": f"{size}x{size}",
                "type": "image/png", "purpose": purpose}

    data = {
        "id": "/",
        "name": "Sổ trực chốt",
        "short_name": "Sổ trực",
        "description": "Sổ trực của chốt nhân dân tự quản về an ninh trật tự.",
        "lang": "vi",
        "dir": "ltr",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "theme_color": THEME_COLOUR,
        "background_color": BACKGROUND_COLOUR,
        "icons": [icon("icon-192.png", 192), icon("icon-512.png", 512),
                  icon("icon-maskable-512.png", 512, "maskable")],
    }
    response = current_app.response_class(json.dumps(data, ensure_ascii=False, indent=1),
                                          mimetype="application/manifest+json")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/offline")
@public
def offline():
    """What the phone shows for a page it cannot load without a connection. It holds nothing of
    anyone: the worker keeps one copy per language (`?lang=`) for everybody on the phone."""
    lang = request.args.get("lang")
    if lang in LANGUAGES:
        with force_locale(lang):
            return render_template("pwa/offline.html")
    return render_template("pwa/offline.html")
