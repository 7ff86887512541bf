"""The city-wide list of people for admins: filters by role, ward and name or phone, in pages."""
from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import and_, case, func, select, true

from ..extensions import db
from ..models import User, Ward
from .history import _contains

PER_PAGE = 50
MAX_WORDS = 5
STAFF = ("coordinator", "police")
_ROLE_ORDER = case({"coordinator": 0, "police": 1, "volunteer": 2, "admin": 3}, value=User.role)
_NOT_DIGITS = re.compile(r"[\s.\-()+]")


@dataclass
class PeopleQuery:
    role: str = "staff"  # "staff" (coordinators and police), "all", or one role
    ward_id: int | None = None
    text: str = ""  # words of the name, or digits of the phone number


def _phone_digits(text: str) -> str | None:
    """The digits to look for when the text is a phone number or part of one, in national form."""
    digits = _NOT_DIGITS.sub("", text)
    if len(digits) < 3 or not digits.isascii() or not digits.isdigit():
        return None
    if text.lstrip().startswith("+84") or (digits.startswith("84") and len(digits) >= 11):
        digits = "0" + digits[2:]  # +84 90… is stored as 090…
    return digits


def _conditions(query: PeopleQuery) -> list:
    conditions = []
    if query.role == "staff":
        conditions.append(User.role.in_(STAFF))
    elif query.role != "all":
        conditions.append(User.role == query.role)
    if query.ward_id is not None:
        conditions.append(User.ward_id == query.ward_id)
    text = query.text.strip()
    if digits := _phone_digits(text):
        conditions.append(User.phone.contains(digits, autoescape=True))
    elif text:
        conditions.extend(_contains(User.full_name, word) for word in text.split()[:MAX_WORDS])
    return conditions


def search_people(query: PeopleQuery, page: int = 1) -> tuple[list[tuple[User, Ward | None]], int]:
    """One page of people with their ward, ordered by ward, role and name, and how many match."""
    where = and_(true(), *_conditions(query))
    total = db.session.scalar(select(func.count(User.id)).where(where)) or 0
    rows = db.session.execute(
        select(User, Ward).outerjoin(Ward, Ward.id == User.ward_id).where(where)
        .order_by(Ward.code.nulls_first(), _ROLE_ORDER, User.full_name, User.id)
        .limit(PER_PAGE).offset((max(page, 1) - 1) * PER_PAGE)).all()
    return [(user, ward) for user, ward in rows], total
