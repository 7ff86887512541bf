"""The people of a ward as its coordinator manages them: adding, editing, reactivating, passwords."""
from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Checkpoint, User, Ward
from . import RuleViolation
from .accounts import create_user, normalize_phone
from .activity import record
from .text import clean_text

# A password hash that no password matches: people imported without a password cannot log in
# until their coordinator sets one (check_password_hash answers False for it).
NO_PASSWORD = "!no-password"
# Easy to read aloud and to type on a phone: no 0/o, 1/l/i.
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def roles_managed_by(actor: User) -> tuple[str, ...]:
    """Coordinators manage volunteers; admins also the ward's coordinators and police."""
    if actor.role == "admin":
        return ("volunteer", "coordinator", "police")
    return ("volunteer",)


def generate_password() -> str:
    """Twelve random characters in three groups, e.g. "k7mp-x9qa-4thd" (about 59 bits)."""
    return "-".join("".join(secrets.choice(_ALPHABET) for _ in range(4)) for _ in range(3))


def has_password(user: User) -> bool:
    return not user.password_hash.startswith("!")


def ward_people(ward: Ward, *, roles: Iterable[str], include_inactive: bool = False) -> list[User]:
    query = (select(User).where(User.ward_id == ward.id, User.role.in_(tuple(roles)))
             .options(selectinload(User.checkpoints)).order_by(User.active.desc(), User.full_name, User.id))
    if not include_inactive:
        query = query.where(User.active.is_(True))
    return list(db.session.scalars(query))


def _check_role(role: str, actor: User) -> None:
    if role not in roles_managed_by(actor):
        raise RuleViolation(_l("You may not give this role."), field="role", code="role_not_allowed")


def _check_checkpoints(ward: Ward, checkpoints: Iterable[Checkpoint]) -> list[Checkpoint]:
    checkpoints = list(checkpoints)
    if any(c.ward_id != ward.id for c in checkpoints):
        raise RuleViolation(_l("A checkpoint is not in this ward."), field="checkpoints", code="other_ward")
    return checkpoints


def add_person(ward: Ward, *, full_name: str, phone: str, role: str, checkpoints: Iterable[Checkpoint],
               password: str, actor: User) -> User:
    """A new account in the ward (accounts.create_user does the checking and the activity row)."""
    _check_role(role, actor)
    return create_user(phone=phone, full_name=full_name, role=role, password=password, ward=ward,
                       checkpoints=_check_checkpoints(ward, checkpoints), actor=actor)


def update_person(person: User, *, full_name: str, phone: str, role: str, checkpoints: Iterable[Checkpoint],
                  actor: User, now: datetime) -> list[str]:
    """Name, phone (the login name), role and checkpoints; returns the names of what changed."""
    if person.role not in roles_managed_by(actor):
        raise RuleViolation(_l("You may not change this person."), code="not_allowed")
    _check_role(role, actor)
    phone = normalize_phone(phone)
    full_name = clean_text(full_name, field="full_name", max_length=120)
    checkpoints = _check_checkpoints(person.ward, checkpoints)
    if phone != person.phone and db.session.scalar(select(User.id).where(User.phone == phone)) is not None:
        raise RuleViolation(_l("Phone number %(phone)s is already registered.", phone=phone), field="phone",
                            code="duplicate_phone")
    changed = []
    if full_name != person.full_name:
        person.full_name, changed = full_name, changed + ["full_name"]
    if phone != person.phone:
        person.phone, changed = phone, changed + ["phone"]
    if role != person.role:
        person.role, changed = role, changed + ["role"]
    if sorted(c.id for c in checkpoints) != sorted(c.id for c in person.checkpoints):
        person.checkpoints, changed = checkpoints, changed + ["checkpoints"]
    db.session.flush()
    if changed:
        record("user.updated", actor=actor, ward_id=person.ward_id, subject=person,
               detail={"fields": changed, "checkpoints": [c.code for c in person.checkpoints]}, now=now)
    return changed


def reactivate(person: User, *, actor: User, now: datetime) -> None:
    """The person may log in again, with the password they had."""
    if person.active:
        raise RuleViolation(_l("This account is already active."), code="already_active")
    person.active = True
    db.session.flush()
    record("user.reactivated", actor=actor, ward_id=person.ward_id, subject=person, now=now)
