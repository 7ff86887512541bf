"""POST /api/v1/sync and POST /api/v1/photos."""
from __future__ import annotations

import hmac

from flask import jsonify, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from ..extensions import db
from ..models import utcnow
from ..policy import roles
from ..pwa.routes import user_key
from ..rules import RuleViolation
from ..rules.once import parse_uuid
from ..rules.photos import MAX_UPLOAD_BYTES
from ..rules.photos_store import store_photo
from ..rules.sync import MAX_ITEMS, apply_batch
from . import bp

DUTY_ROLES = ("volunteer", "coordinator")
# The phone's outbox names the person its items belong to (the user key of checkpoint/pwa); a
# session of anyone else refuses them, so they are never stored under the wrong name.
PERSON_HEADER = "X-Outbox-Person"


def refuse(status: int, reason: str, code: str):
    return jsonify(error=code, reason=reason), status


def someone_else():
    """A refusal when the items were queued by another person than the one now logged in."""
    claimed = request.headers.get(PERSON_HEADER)
    if claimed is not None and not hmac.compare_digest(claimed.encode(), user_key(current_user).encode()):
        return refuse(409, _("These entries were saved by another person on this phone. They are sent when "
                             "that person logs in again."), "other_person")
    return None


@bp.get("/session")
@roles(*DUTY_ROLES)
def session_info():
    """Whose session this is (the outbox's person key) and its CSRF token: a phone that kept its
    items on a page loaded long ago checks both before sending them."""
    response = jsonify(user_key=user_key(current_user), csrf_token=generate_csrf())
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/sync")
@roles(*DUTY_ROLES)
def sync():
    """Apply a batch of outbox items; one result per item, in order."""
    if refusal := someone_else():
        return refusal
    if not request.is_json:
        return refuse(415, _("Send the items as JSON (Content-Type: application/json)."), "not_json")
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # a body nested thousands deep: refused like any other malformed JSON
        body = None
    if not isinstance(body, dict) or not isinstance(body.get("items"), list):
        return refuse(400, _('The body must be a JSON object with a list "items".'), "bad_body")
    if len(body["items"]) > MAX_ITEMS:
        return refuse(413, _("At most %(n)d items per request.", n=MAX_ITEMS), "too_many_items")
    # The user itself, not the proxy: the rules read it a few times per item, and the proxy costs each time.
    results = apply_batch(current_user._get_current_object(), body["items"], utcnow())
    db.session.commit()
    return jsonify(results=results)


@bp.post("/photos")
@roles(*DUTY_ROLES)
def photo():
    """Upload one photo (multipart: `uuid`, `photo`); observations refer to it by that uuid."""
    if refusal := someone_else():
        return refusal
    upload = request.files.get("photo")
    try:
        uuid = parse_uuid(request.form.get("uuid"))
        if upload is None:
            raise RuleViolation(_("Attach the photo in the field \"photo\"."), field="photo", code="no_photo")
        # Read one byte past the limit: enough to know it is too large, never the whole of a huge file.
        raw = upload.stream.read(MAX_UPLOAD_BYTES + 1)
        _photo, created = store_photo(current_user, uuid=uuid, raw=raw, now=utcnow())
    except RuleViolation as violation:
        db.session.rollback()
        status = 413 if violation.code == "photo_too_large" else 422
        return jsonify(uuid=request.form.get("uuid"), status="rejected", reason=str(violation.message),
                       code=violation.code), status
    db.session.commit()
    return jsonify(uuid=str(uuid), status="accepted" if created else "duplicate", reason=None), 201 if created else 200
