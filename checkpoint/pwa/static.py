"""Static files as a phone's first visit wants them: the same bytes for everyone, made small once.

Three things Flask, Flask-Login and flask-compress do not know about static files:

- Flask adds `Vary: Cookie` to any answer whose request looked at the session, and Flask-Login
  looks at it on every request. A stylesheet does not depend on who asks, and `Vary: Cookie` makes
  the browser ask again for every file the moment the cookie changes — which it does at login,
  just before the service worker copies the page's files into its cache (bench/README.md).
- Our scripts and stylesheets are written to be read, with comments; a phone needs none of them.
  They are minified when served (rjsmin, rcssmin: made for use at run time), so static/ stays the
  source with no build step. `STATIC_MINIFY` turns it off (off under `flask run --debug`, so that a
  stack trace points at the line in the file).
- flask-compress compresses each answer anew, at the level chosen for pages (brotli 5: cheap for a
  page rendered once). A static file is the same bytes a thousand times, so it is compressed once
  per process at the highest level and kept in memory.
"""
from __future__ import annotations

import gzip

import brotli
import rcssmin
import rjsmin
from flask import Flask, current_app, request
from flask.sessions import SecureCookieSessionInterface

# Endpoints whose answer is a file, the same for everyone: no session cookie is read into them or
# written, and they carry no document headers (checkpoint/web.py).
FILES = frozenset({"static", "pwa.outbox_words"})
COMPRESSIBLE = frozenset({"text/css", "text/javascript", "application/javascript", "image/svg+xml",
                          "application/json", "application/manifest+json", "text/plain"})
MIN_SIZE = 500  # as COMPRESS_MIN_SIZE: below this the headers outweigh the saving
# (file name, ETag, minified, encoding) -> the bytes to send. The ETag changes with the file; a
# deploy restarts the process, and the cap only guards against a file edited over and over in
# development.
_PREPARED: dict[tuple[str, str, bool, str | None], tuple[bytes, str | None]] = {}
_MAX_KEPT = 256


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, except that a file (FILES) neither varies on nor sets the cookie."""

    def save_session(self, app, session, response) -> None:
        if request.endpoint in FILES:
            return
        super().save_session(app, session, response)


def init_app(app: Flask) -> None:
    app.config.setdefault("STATIC_MINIFY", not app.debug)
    app.session_interface = SessionInterface()
    app.after_request(prepare_static_file)


def minifier(filename: str):
    """The minifier for a file of ours, or None (vendored files come minified already)."""
    if filename.endswith(".js") and not filename.endswith(".min.js"):
        return rjsmin.jsmin
    if filename.endswith(".css") and not filename.endswith(".min.css"):
        return rcssmin.cssmin
    return None


def _encoding() -> str | None:
    accepted = request.accept_encodings
    for encoding in ("br", "gzip"):
        if accepted[encoding] > 0:
            return encoding
    return None


def _prepare(data: bytes, minify, encoding: str | None) -> tuple[bytes, str | None]:
    """The bytes to send and their Content-Encoding (None: as they are)."""
    if minify:
        data = minify(data.decode("utf-8")).encode("utf-8")
    if encoding is None or len(data) < MIN_SIZE:
        return data, None
    if encoding == "br":
        return brotli.compress(data, quality=11), encoding
    return gzip.compress(data, compresslevel=9, mtime=0), encoding


def prepare_static_file(response):
    """Answer a static file minified and compressed at the highest level, once per process;
    flask-compress leaves an answer that already has a Content-Encoding alone."""
    if request.endpoint != "static" or response.status_code != 200 or "Content-Encoding" in response.headers:
        return response
    response.vary.add("Accept-Encoding")
    etag, weak = response.get_etag()
    filename = (request.view_args or {}).get("filename", "")
    minify = minifier(filename) if current_app.config["STATIC_MINIFY"] else None
    encoding = _encoding() if response.mimetype in COMPRESSIBLE else None
    if etag is None or not (minify or (encoding and (response.content_length or 0) >= MIN_SIZE)):
        return response
    key = (filename, etag, minify is not None, encoding)
    prepared = _PREPARED.get(key)
    if prepared is None:
        if len(_PREPARED) >= _MAX_KEPT:
            _PREPARED.clear()
        response.direct_passthrough = False
        prepared = _PREPARED[key] = _prepare(response.get_data(), minify, encoding)
    elif hasattr(response.response, "close"):
        response.response.close()  # the file send_file opened is not read
    body, encoding = prepared
    response.direct_passthrough = False
    response.set_data(body)
    response.headers.pop("Accept-Ranges", None)  # byte ranges of the file, not of these bytes
    tag = etag + (":min" if minify else "")
    if encoding:
        response.headers["Content-Encoding"] = encoding
        tag += f":{encoding}"
    response.set_etag(tag, weak=weak)
    # The request's If-None-Match names these bytes' tag: asked again, the answer is a 304.
    return response.make_conditional(request)
