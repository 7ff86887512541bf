"""Managing a ward's checkpoints: editing, retiring, revoking QR posters, the ward's duty phone."""
from __future__ import annotations

import re
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..extensions import db
from ..models import Attendance, Checkpoint, User, Ward
from . import RuleViolation
from .accounts import normalize_phone
from .activity import record
from .moments import check_position
from .text import clean_text

MAX_EQUIPMENT = 30
MAX_ITEM = 60
MAX_ORDERS = 4000
# "10.776900, 106.700900" as a map application copies it, pasted into the latitude box.
_PAIR = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*[,;\s]\s*(-?\d+(?:\.\d+)?)\s*$")


def parse_position(lat_text: str | None, lng_text: str | None) -> tuple[float | None, float | None]:
    """Typed coordinates: a decimal comma is accepted, and a pasted "lat, lng" pair fills both."""
    lat_text, lng_text = (lat_text or "").strip(), (lng_text or "").strip()
    if lat_text and not lng_text and (pair := _PAIR.match(lat_text)):
        lat_text, lng_text = pair.groups()
    if not lat_text and not lng_text:
        return None, None
    if not lat_text or not lng_text:
        raise RuleViolation(_l("Give both latitude and longitude, or neither."), field="lat", code="half_position")
    # Vietnamese writes 10,7769; a comma in a single number can only be the decimal mark.
    return check_position(lat_text.replace(",", "."), lng_text.replace(",", "."))


def clean_equipment(text: str | None) -> list[str]:
    """One item a line; blank lines and repeats dropped, order kept."""
    items: list[str] = []
    for line in (text or "").splitlines():
        item = clean_text(line, field="equipment", max_length=MAX_ITEM, required=False)
        if item and item.casefold() not in {i.casefold() for i in items}:
            items.append(item)
    if len(items) > MAX_EQUIPMENT:
        raise RuleViolation(_l("At most %(n)d items.", n=MAX_EQUIPMENT), field="equipment", code="too_many_items")
    return items


def update_checkpoint(checkpoint: Checkpoint, *, name: str, address: str | None, lat: float | None,
                      lng: float | None, standing_orders: str | None, equipment: list[str], min_staff: int,
                      actor: User | None, now: datetime) -> list[str]:
    """Change what describes a checkpoint; returns the names of the fields that changed.

    The code stays: phones' offline outboxes and the sync API name checkpoints by it."""
    values = {
        "name": clean_text(name, field="name", max_length=120),
        "address": clean_text(address, field="address", max_length=255, required=False) or None,
        "standing_orders": clean_text(standing_orders, field="standing_orders", max_length=MAX_ORDERS,
                                      required=False, multiline=True) or None,
        "equipment": list(equipment),
    }
    values["lat"], values["lng"] = check_position(lat, lng)
    if not 1 <= min_staff <= 20:
        raise RuleViolation(_l("Minimum staff must be between 1 and 20."), field="min_staff", code="bad_min_staff")
    values["min_staff"] = min_staff
    changed = [key for key, value in values.items() if getattr(checkpoint, key) != value]
    for key in changed:
        setattr(checkpoint, key, values[key])
    db.session.flush()
    if changed:
        record("checkpoint.updated", actor=actor, ward_id=checkpoint.ward_id, checkpoint_id=checkpoint.id,
               subject=checkpoint, detail={"fields": changed}, now=now)
    return changed


def retire_checkpoint(checkpoint: Checkpoint, *, actor: User | None, now: datetime) -> None:
    """No more check-ins or entries there; its log, shifts and people stay as they were."""
    if not checkpoint.active:
        raise RuleViolation(_l("This checkpoint is already retired."), code="already_retired")
    on_duty = select(Attendance.id).where(Attendance.checkpoint_id == checkpoint.id,
                                          Attendance.check_out_at.is_(None)).limit(1)
    if db.session.scalar(on_duty) is not None:
        raise RuleViolation(_l("Someone is checked in there now. Retire it after they check out."),
                            code="on_duty")
    checkpoint.active = False
    db.session.flush()
    record("checkpoint.retired", actor=actor, ward_id=checkpoint.ward_id, checkpoint_id=checkpoint.id,
           subject=checkpoint, now=now)


def reactivate_checkpoint(checkpoint: Checkpoint, *, actor: User | None, now: datetime) -> None:
    if checkpoint.active:
        raise RuleViolation(_l("This checkpoint is already active."), code="already_active")
    checkpoint.active = True
    db.session.flush()
    record("checkpoint.reactivated", actor=actor, ward_id=checkpoint.ward_id, checkpoint_id=checkpoint.id,
           subject=checkpoint, now=now)


def revoke_posters(checkpoint: Checkpoint, *, actor: User | None, now: datetime) -> None:
    """Every QR poster printed so far stops working; a new one must be printed."""
    checkpoint.qr_generation = (checkpoint.qr_generation or 1) + 1
    db.session.flush()
    record("checkpoint.posters_revoked", actor=actor, ward_id=checkpoint.ward_id, checkpoint_id=checkpoint.id,
           subject=checkpoint, detail={"generation": checkpoint.qr_generation}, now=now)


def set_duty_phone(ward: Ward, raw: str | None, *, actor: User | None, now: datetime) -> None:
    """The number volunteers call after an urgent alert; empty removes it."""
    phone = normalize_phone(raw) if (raw or "").strip() else None
    if phone == ward.duty_phone:
        return
    ward.duty_phone = phone
    db.session.flush()
    record("ward.duty_phone_changed", actor=actor, ward_id=ward.id, subject=ward, detail={"phone": phone}, now=now)


def ward_checkpoints(ward: Ward) -> list[Checkpoint]:
    """Active checkpoints first, then retired ones, each by code."""
    query = select(Checkpoint).where(Checkpoint.ward_id == ward.id).order_by(Checkpoint.active.desc(),
                                                                              Checkpoint.code)
    return list(db.session.scalars(query))
