"""Importing many volunteers from a CSV file: reading it, planning every row, then writing all or nothing."""
from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Checkpoint, User, Ward
from . import RuleViolation
from .accounts import create_user, normalize_phone
from .activity import record
from .people import NO_PASSWORD
from .text import clean_text

MAX_BYTES = 1024 * 1024
MAX_ROWS = 1000
# Header names as people write them, compared case- and space-insensitively.
HEADERS = {
    "name": ("họ và tên", "họ tên", "tên", "name", "full name", "full_name"),
    "phone": ("số điện thoại", "điện thoại", "sđt", "sdt", "phone", "phone number", "mobile"),
    "checkpoints": ("chốt", "các chốt", "mã chốt", "checkpoint", "checkpoints"),
}
TEMPLATE_HEADER = ("Họ và tên", "Số điện thoại", "Chốt")
_CODES = re.compile(r"[\s,;]+")


@dataclass
class SourceRow:
    """One line of the file, as typed."""
    line: int
    name: str
    phone: str
    checkpoints: str


@dataclass
class PlannedRow:
    """What confirming will do with one line: create, update, nothing (unchanged), or refuse (error)."""
    line: int
    name: str
    phone: str
    codes: list[str]
    action: str = "create"
    errors: list[str] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)  # for updates: "name", "checkpoints", "reactivated"
    person: User | None = None


@dataclass
class Plan:
    rows: list[PlannedRow]

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action)

    @property
    def ok(self) -> bool:
        return bool(self.rows) and not any(row.action == "error" for row in self.rows)

    def signature(self) -> list:
        """What the preview promised, compared again when the coordinator confirms."""
        return [[row.line, row.action, row.person.id if row.person else None] for row in self.rows]


def _header_key(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def read_csv(raw: bytes) -> list[SourceRow]:
    """The file's lines, or one RuleViolation saying why the file as a whole cannot be read."""
    if len(raw) > MAX_BYTES:
        raise RuleViolation(_l("The file is larger than %(n)d MB. Split it into smaller files.", n=MAX_BYTES // 2**20),
                            field="file", code="too_large")
    if b"\x00" in raw:  # spreadsheets (.xlsx), pictures, UTF-16 text: not a CSV file we can read
        raise RuleViolation(_l("This is not a CSV file. In Excel choose Save As → “CSV UTF-8”."), field="file",
                            code="not_csv")
    try:
        text = raw.decode("utf-8-sig")  # Excel's "CSV UTF-8" starts with a byte order mark
    except UnicodeDecodeError:
        raise RuleViolation(_l("The file is not UTF-8 text. In Excel choose Save As → “CSV UTF-8”."),
                            field="file", code="not_utf8") from None
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise RuleViolation(_l("The file is empty or its first line (the column names) is blank."), field="file",
                            code="empty")
    # Excel in a Vietnamese locale separates with ';' (the comma is the decimal mark).
    delimiter = ";" if lines[0].count(";") > lines[0].count(",") else ","
    try:
        table = list(csv.reader(lines, delimiter=delimiter, strict=True))
    except csv.Error:
        raise RuleViolation(_l("This is not a CSV file. In Excel choose Save As → “CSV UTF-8”."), field="file",
                            code="not_csv") from None
    columns = {}
    for index, title in enumerate(table[0]):
        key = _header_key(title)
        for name, aliases in HEADERS.items():
            if key in aliases and name not in columns:
                columns[name] = index
    if "name" not in columns or "phone" not in columns:
        raise RuleViolation(_l("The first line must name the columns “Họ và tên” and “Số điện thoại” "
                               "(and optionally “Chốt”)."), field="file", code="no_header")
    rows = []
    for number, cells in enumerate(table[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue  # blank lines, and Excel's trailing ";;;"
        def cell(name: str) -> str:
            index = columns.get(name)
            return cells[index] if index is not None and index < len(cells) else ""
        rows.append(SourceRow(number, cell("name"), cell("phone"), cell("checkpoints")))
    if not rows:
        raise RuleViolation(_l("The file has no rows under the column names."), field="file", code="no_rows")
    if len(rows) > MAX_ROWS:
        raise RuleViolation(_l("At most %(n)d people per file. Split it into smaller files.", n=MAX_ROWS),
                            field="file", code="too_many_rows")
    return rows


def plan_import(ward: Ward, rows: list[SourceRow]) -> Plan:
    """Every row checked against the file itself and the database; nothing is written."""
    checkpoints = {c.code: c for c in db.session.scalars(select(Checkpoint).where(Checkpoint.ward_id == ward.id))}
    planned: list[PlannedRow] = []
    seen: dict[str, int] = {}
    for source in rows:
        row = PlannedRow(source.line, source.name.strip(), source.phone.strip(), [])
        try:
            row.name = clean_text(source.name, field="name", max_length=120)
        except RuleViolation as violation:
            row.errors.append(str(_l("Name: %(reason)s", reason=violation.message)))
        try:
            row.phone = normalize_phone(source.phone)
        except RuleViolation as violation:
            row.errors.append(str(violation.message))  # it names the phone number already
        else:
            if row.phone in seen:
                row.errors.append(str(_l("The same phone number as line %(line)d.", line=seen[row.phone])))
            else:
                seen[row.phone] = row.line
        for code in dict.fromkeys(c.upper() for c in _CODES.split(source.checkpoints.strip()) if c):
            checkpoint = checkpoints.get(code)
            if checkpoint is None:
                row.errors.append(str(_l("No checkpoint %(code)s in this ward.", code=code)))
            elif not checkpoint.active:
                row.errors.append(str(_l("Checkpoint %(code)s is retired.", code=code)))
            else:
                row.codes.append(code)
        planned.append(row)
    _match_people(ward, planned, checkpoints)
    return Plan(planned)


def _match_people(ward: Ward, planned: list[PlannedRow], checkpoints: dict[str, Checkpoint]) -> None:
    """Rows whose phone is already registered update that person, if they are a volunteer of this ward."""
    phones = [row.phone for row in planned if row.phone]
    people = {}
    for start in range(0, len(phones), 500):  # stay under every database's bound-parameter limit
        query = select(User).where(User.phone.in_(phones[start:start + 500])).options(selectinload(User.checkpoints))
        people.update({p.phone: p for p in db.session.scalars(query)})
    for row in planned:
        person = people.get(row.phone)
        if person is not None and (person.ward_id != ward.id):
            row.errors.append(str(_l("This phone number is registered in another ward.")))
        elif person is not None and person.role != "volunteer":
            row.errors.append(str(_l("This phone number belongs to a coordinator or police account.")))
        elif person is not None and not row.errors:
            row.person = person
            if row.name != person.full_name:
                row.changes.append("name")
            if row.codes and sorted(row.codes) != sorted(c.code for c in person.checkpoints):
                row.changes.append("checkpoints")
            if not person.active:
                row.changes.append("reactivated")
            row.action = "update" if row.changes else "unchanged"
        if row.errors:
            row.action, row.person = "error", None


def apply_plan(ward: Ward, plan: Plan, *, password_hash: str | None, actor: User, now: datetime) -> dict[str, int]:
    """Write a plan without errors: new volunteers created, known ones updated. The caller commits."""
    if not plan.ok:
        raise RuleViolation(_l("Fix the rows with errors and upload the file again."), code="plan_has_errors")
    checkpoints = {c.code: c for c in ward.checkpoints}
    for row in plan.rows:
        chosen = [checkpoints[code] for code in row.codes]
        if row.action == "create":
            create_user(phone=row.phone, full_name=row.name, role="volunteer", ward=ward, checkpoints=chosen,
                        password_hash=password_hash or NO_PASSWORD, actor=actor)
        elif row.action == "update":
            person = row.person
            person.full_name = row.name
            if "checkpoints" in row.changes:
                person.checkpoints = chosen
            if "reactivated" in row.changes:
                person.active = True
            db.session.flush()
            record("user.updated", actor=actor, ward_id=ward.id, subject=person,
                   detail={"fields": row.changes, "checkpoints": [c.code for c in person.checkpoints],
                           "by": "import"}, now=now)
    counts = {"created": plan.count("create"), "updated": plan.count("update"), "unchanged": plan.count("unchanged")}
    record("people.imported", actor=actor, ward_id=ward.id, subject=ward, detail=counts, now=now)
    return counts


def template_csv() -> str:
    """The file to fill in: the column names and one example line, with Excel's byte order mark."""
    lines = [",".join(TEMPLATE_HEADER), "Nguyễn Văn An,0901 234 567,C01 C02"]
    return "\ufeff" + "\r\n".join(lines) + "\r\n"
