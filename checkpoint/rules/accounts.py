"""Accounts: phone numbers, creating users, passwords, languages and deactivation."""
from __future__ import annotations

import re
from collections.abc import Iterable

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..extensions import db
from ..models import LOCALES, ROLES, Checkpoint, User, Ward
from . import RuleViolation
from .activity import record
from .text import clean_text

_SEPARATORS = re.compile(r"[\s.\-()]")
# Mobile numbers are 10 digits (03x, 05x, 07x, 08x, 09x); landlines 11 digits starting 02.
_NATIONAL = re.compile(r"^(0[35789][0-9]{8}|02[0-9]{9})$")
MIN_PASSWORD = 8
MAX_PASSWORD = 128


def normalize_phone(raw: str | None) -> str:
    """'+84 90 123 4567', '0901234567' and '0901 234 567' all become '0901234567'."""
    digits = _SEPARATORS.sub("", raw or "")
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) in (11, 12):
        digits = "0" + digits[2:]
    if not _NATIONAL.match(digits):
        raise RuleViolation(_l("Not a Vietnamese phone number (e.g. 0901 234 567)."), field="phone",
                            code="bad_phone")
    return digits


def grouped_phone(phone: str | None) -> str:
    """A stored number as people write it: 0901 234 567, landlines 028 3829 1234. Spreadsheets
    also keep a grouped number as text, with its leading zero."""
    phone = phone or ""
    if len(phone) == 10:
        return f"{phone[:4]} {phone[4:7]} {phone[7:]}"
    if len(phone) == 11:
        return f"{phone[:3]} {phone[3:7]} {phone[7:]}"
    return phone


def validate_password(password: str | None, field: str = "password") -> str:
    password = password or ""
    if len(password) < MIN_PASSWORD:
        raise RuleViolation(_l("The password needs at least %(n)d characters.", n=MIN_PASSWORD), field=field,
                            code="short_password")
    if len(password) > MAX_PASSWORD:
        raise RuleViolation(_l("At most %(n)d characters.", n=MAX_PASSWORD), field=field, code="too_long")
    if any(ord(ch) < 32 for ch in password):
        raise RuleViolation(_l("Contains characters that are not allowed."), field=field, code="control_chars")
    return password


def find_by_phone(raw: str) -> User | None:
    """The user with this phone number, or None also when the number is malformed."""
    try:
        phone = normalize_phone(raw)
    except RuleViolation:
        return None
    return db.session.scalar(select(User).where(User.phone == phone))


def find_ward(code: str) -> Ward:
    ward = db.session.scalar(select(Ward).where(Ward.code == (code or "").strip().upper()))
    if ward is None:
        raise RuleViolation(_l("No ward with code %(code)s.", code=code), field="ward", code="unknown_ward")
    return ward


def create_user(*, phone: str, full_name: str, role: str, password: str | None = None,
                password_hash: str | None = None, ward: Ward | None = None, checkpoints: Iterable[Checkpoint] = (),
                locale: str = "vi", actor: User | None = None) -> User:
    """A new account. `password_hash` lets bulk loaders hash one shared password once."""
    phone = normalize_phone(phone)
    full_name = clean_text(full_name, field="full_name", max_length=120)
    if role not in ROLES:
        raise RuleViolation(_l("Unknown role."), field="role", code="unknown_role")
    if locale not in LOCALES:
        raise RuleViolation(_l("Unknown language."), field="locale", code="unknown_locale")
    if role != "admin" and ward is None:
        raise RuleViolation(_l("Choose a ward."), field="ward", code="ward_required")
    checkpoints = list(checkpoints)
    if any(ward is None or c.ward_id != ward.id for c in checkpoints):
        raise RuleViolation(_l("A checkpoint is not in this ward."), field="checkpoints", code="other_ward")
    if db.session.scalar(select(User.id).where(User.phone == phone)) is not None:
        raise RuleViolation(_l("Phone number %(phone)s is already registered.", phone=phone), field="phone",
                            code="duplicate_phone")
    user = User(phone=phone, full_name=full_name, role=role, ward=ward, locale=locale, active=True,
                session_version=1)
    if password_hash is not None:
        user.password_hash = password_hash
    else:
        user.set_password(validate_password(password))
    user.checkpoints = checkpoints
    db.session.add(user)
    db.session.flush()
    record("user.created", actor=actor, ward_id=user.ward_id, subject=user,
           detail={"phone": phone, "role": role})
    return user


def change_password(user: User, *, current: str, new: str, actor: User | None = None) -> None:
    if not user.check_password(current or ""):
        raise RuleViolation(_l("The current password is wrong."), field="current_password", code="wrong_password")
    reset_password(user, validate_password(new, field="new_password"), actor=actor or user)


def reset_password(user: User, password: str, *, actor: User | None = None) -> None:
    """Sets a new password; every other session of this user ends."""
    user.set_password(validate_password(password))
    db.session.flush()
    record("user.password_changed", actor=actor, ward_id=user.ward_id, subject=user)


def set_locale(user: User, locale: str) -> None:
    if locale not in LOCALES:
        raise RuleViolation(_l("Unknown language."), field="locale", code="unknown_locale")
    user.locale = locale
    db.session.flush()


def deactivate(user: User, *, actor: User | None = None) -> None:
    """The person can no longer log in, and the sessions they have end; their history stays."""
    user.active = False
    user.end_sessions()
    db.session.flush()
    record("user.deactivated", actor=actor, ward_id=user.ward_id, subject=user)
