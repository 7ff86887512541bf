"""Readable, translated names of the actions and subjects the activity log records."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..admin.forms import ROLE_LABELS
from ..volunteer.forms import CATEGORY_LABELS, SEVERITY_LABELS, STATUS_LABELS

ACTION_LABELS = {
    "attendance.check_in": _l("Checked in"),
    "attendance.check_out": _l("Checked out"),
    "attendance_report.exported": _l("Attendance report exported"),
    "calendar.link_replaced": _l("Calendar link replaced"),
    "calendar.link_revoked": _l("Calendar link revoked"),
    "checkpoint.created": _l("Checkpoint added"),
    "checkpoint.posters_revoked": _l("QR posters revoked"),
    "checkpoint.reactivated": _l("Checkpoint back in service"),
    "checkpoint.retired": _l("Checkpoint retired"),
    "checkpoint.updated": _l("Checkpoint changed"),
    "comment.created": _l("Police comment added"),
    "handover.accepted": _l("Handover accepted"),
    "handover.created": _l("Handover written"),
    "history.exported": _l("History exported (CSV)"),
    "observation.acknowledged": _l("Observation acknowledged"),
    "observation.corrected": _l("Correction logged"),
    "observation.created": _l("Observation logged"),
    "observation.resolved": _l("Observation resolved"),
    "pattern.added": _l("Shift pattern added"),
    "pattern.deleted": _l("Shift pattern deleted"),
    "people.imported": _l("Volunteers imported"),
    "photo.uploaded": _l("Photo uploaded"),
    "retention.purged": _l("Old records purged"),
    "roster.exported": _l("Roster exported"),
    "shift.added": _l("Shift added"),
    "shift.assigned": _l("Volunteer put on a shift"),
    "shift.cancelled": _l("Shift cancelled"),
    "shift.moved": _l("Shift moved"),
    "shift.patterns_applied": _l("Shift patterns applied"),
    "shift.unassigned": _l("Volunteer taken off a shift"),
    "shift.week_copied": _l("Week copied"),
    "user.created": _l("Account created"),
    "user.deactivated": _l("Account deactivated"),
    "user.login": _l("Logged in"),
    "user.logout": _l("Logged out"),
    "user.moved": _l("Moved to another ward"),
    "user.password_changed": _l("Password changed"),
    "user.reactivated": _l("Account reactivated"),
    "user.updated": _l("Account changed"),
    "ward.created": _l("Ward created"),
    "ward.duty_phone_changed": _l("Duty phone changed"),
    "ward.renamed": _l("Ward renamed"),
}

SUBJECT_LABELS = {
    "attendance": _l("Attendance"),
    "checkpoint": _l("Checkpoint"),
    "comment": _l("Comment"),
    "handover": _l("Handover"),
    "observation": _l("Observation"),
    "photo": _l("Photo"),
    "shift": _l("Shift"),
    "user": _l("Account"),
    "ward": _l("Ward"),
}

# The detail keys rules write most; any other key shows as written.
DETAIL_LABELS = {
    "anchor": _l("Chain anchor"),
    "by_qr": _l("By QR poster"),
    "carried_over": _l("Carried over"),
    "category": _l("Category"),
    "checkpoints": _l("Checkpoints"),
    "code": _l("Code"),
    "counts": _l("Removed"),
    "cutoff": _l("Before"),
    "distance_m": _l("Distance (m)"),
    "fields": _l("Changed"),
    "filters": _l("Filters"),
    "from": _l("From"),
    "kept_open": _l("Kept (not resolved)"),
    "late_minutes": _l("Minutes late"),
    "missing": _l("Missing equipment"),
    "older_than_days": _l("Older than (days)"),
    "phone": _l("Phone"),
    "remark": _l("Remark"),
    "role": _l("Role"),
    "rows": _l("Rows"),
    "severity": _l("Severity"),
    "to": _l("To"),
    "week": _l("Week"),
    "words": _l("Words"),
    "status": _l("Status"),
    "date_from": _l("From date"),
    "date_to": _l("To date"),
}


def detail_label(key: str) -> str:
    return str(DETAIL_LABELS.get(key, key))


def value_label(key: str, value: str) -> str:
    """Stored codes read as words: a category, a severity, a status, a role."""
    labels = {"category": CATEGORY_LABELS, "severity": SEVERITY_LABELS, "status": STATUS_LABELS,
              "role": ROLE_LABELS}.get(key, {})
    return str(labels.get(value, value))


def action_label(action: str) -> str:
    """An action someone added without a label here still shows, as its code."""
    return str(ACTION_LABELS.get(action, action))


def subject_label(subject_type: str | None, subject_id: int | None) -> str:
    if not subject_type:
        return ""
    return f"{SUBJECT_LABELS.get(subject_type, subject_type)} #{subject_id}"
