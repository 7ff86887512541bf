"""Keeping photos: cleaned JPEGs on disk outside static/, one Photo row each, idempotent by uuid."""
from __future__ import annotations

import os
import tempfile
from datetime import datetime
from pathlib import Path
from uuid import UUID

from flask import current_app
from flask_babel import lazy_gettext as _l

from ..extensions import db
from ..models import Photo, User
from . import RuleViolation
from .activity import record
from .guards import earlier_send
from .once import insert_once
from .photos import clean_photo


def photo_path(uuid: UUID) -> Path:
    return Path(current_app.config["PHOTO_DIR"]) / f"{uuid}.jpg"


def store_photo(user: User, *, uuid: UUID, raw: bytes, now: datetime) -> tuple[Photo, bool]:
    """Decode, shrink, strip and keep the photo. Returns (photo, created)."""
    existing = earlier_send(Photo, uuid, user, owner="uploader_id")
    if existing is not None:
        return existing, False
    clean = clean_photo(raw)
    path = photo_path(uuid)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Write-then-rename: a reader never sees half a file. A file whose row is then rolled back
    # is only an orphan, which the purge command removes.
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".part")
    with os.fdopen(handle, "wb") as out:
        out.write(clean.data)
    os.replace(temporary, path)

    def build() -> Photo:
        return Photo(uuid=uuid, uploader_id=user.id, width=clean.width, height=clean.height,
                     size_bytes=len(clean.data), received_at=now)

    photo, created = insert_once(Photo, Photo.uuid, uuid, build)
    if photo.uploader_id != user.id:
        raise RuleViolation(_l("This identifier is already used."), field="uuid", code="uuid_taken")
    if created:
        record("photo.uploaded", actor=user, ward_id=user.ward_id, subject=photo, now=now,
               detail={"bytes": len(clean.data)})
    return photo, created
