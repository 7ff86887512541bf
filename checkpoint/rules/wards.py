"""Wards and checkpoints: creating them with valid codes, names and positions."""
from __future__ import annotations

import re
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..extensions import db
from ..models import Checkpoint, User, Ward
from . import RuleViolation
from .activity import record
from .moments import check_position
from .text import clean_text

CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{0,15}$")


def clean_code(raw: str | None, field: str = "code") -> str:
    code = (raw or "").strip().upper()
    if not CODE.match(code):
        raise RuleViolation(_l("A code is 1–16 letters, digits, - or _ (e.g. P4, C01)."), field=field,
                            code="bad_code")
    return code


def add_ward(*, code: str, name: str, duty_phone: str | None = None, actor: User | None = None) -> Ward:
    from .accounts import normalize_phone

    code = clean_code(code)
    name = clean_text(name, field="name", max_length=120)
    if db.session.scalar(select(Ward.id).where(Ward.code == code)) is not None:
        raise RuleViolation(_l("Ward code %(code)s already exists.", code=code), field="code", code="duplicate_code")
    ward = Ward(code=code, name=name, duty_phone=normalize_phone(duty_phone) if duty_phone else None)
    db.session.add(ward)
    db.session.flush()
    record("ward.created", actor=actor, ward_id=ward.id, subject=ward, detail={"code": code})
    return ward


def update_ward(ward: Ward, *, name: str, duty_phone: str | None, now: datetime, actor: User | None = None) -> Ward:
    """Rename a ward and set its duty phone. The code never changes: QR posters, the command line,
    CSV files and saved links all name the ward by it."""
    from .checkpoints import set_duty_phone

    name = clean_text(name, field="name", max_length=120)
    set_duty_phone(ward, duty_phone, actor=actor, now=now)
    if name != ward.name:
        record("ward.renamed", actor=actor, ward_id=ward.id, subject=ward, detail={"from": ward.name, "to": name},
               now=now)
        ward.name = name
        db.session.flush()
    return ward


def add_checkpoint(*, ward: Ward, code: str, name: str, address: str | None = None, lat: float | None = None,
                   lng: float | None = None, standing_orders: str | None = None, equipment: list[str] | None = None,
                   min_staff: int = 2, actor: User | None = None) -> Checkpoint:
    code = clean_code(code)
    name = clean_text(name, field="name", max_length=120)
    address = clean_text(address, field="address", max_length=255, required=False) or None
    lat, lng = check_position(lat, lng)
    if not 1 <= min_staff <= 20:
        raise RuleViolation(_l("Minimum staff must be between 1 and 20."), field="min_staff", code="bad_min_staff")
    exists = select(Checkpoint.id).where(Checkpoint.ward_id == ward.id, Checkpoint.code == code)
    if db.session.scalar(exists) is not None:
        raise RuleViolation(_l("Checkpoint code %(code)s already exists in this ward.", code=code), field="code",
                            code="duplicate_code")
    checkpoint = Checkpoint(
        ward=ward, code=code, name=name, address=address, lat=lat, lng=lng,
        standing_orders=clean_text(standing_orders, field="standing_orders", max_length=4000, required=False,
                                   multiline=True) or None,
        equipment=list(equipment if equipment is not None else DEFAULT_EQUIPMENT),
        min_staff=min_staff, active=True, qr_generation=1,
    )
    db.session.add(checkpoint)
    db.session.flush()
    record("checkpoint.created", actor=actor, ward_id=ward.id, checkpoint_id=checkpoint.id, subject=checkpoint,
           detail={"code": code})
    return checkpoint


# What a checkpoint usually keeps, in the words on the paper checklists.
DEFAULT_EQUIPMENT = ["Bộ đàm", "Đèn pin", "Gậy điều khiển giao thông", "Áo phản quang", "Sổ trực"]
