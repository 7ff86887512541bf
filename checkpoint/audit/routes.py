"""GET /audit: the activity log, filtered by person, action, dates (and ward for admins), paged by id."""
from __future__ import annotations

import json

from flask import render_template, request
from flask_login import current_user

from ..policy import roles
from ..rules.audit import audit_page
from . import bp
from .forms import AuditForm
from .labels import action_label, detail_label, subject_label, value_label

LONGEST_DETAIL = 300  # characters of one detail shown; the row keeps all of it


@bp.get("/audit")
@roles("admin", "police")
def audit():
    """Who did what, when, where. Admins read the whole city; police only their ward's rows.
    htmx fetches the next page only (it replaces the "Older entries" button)."""
    form = AuditForm(current_user, formdata=request.args)
    rows, next_before = [], None
    if form.validate():
        rows, next_before = audit_page(current_user, form.to_query(), before=_before())
    fragment = bool(request.headers.get("HX-Request")) and not request.headers.get("HX-History-Restore-Request")
    template = "audit/_page.html" if fragment else "audit/log.html"
    return (render_template(template, form=form, rows=rows, next_before=next_before, arguments=form.arguments()),
            200, {"Vary": "HX-Request"})


def _before() -> int | None:
    before = request.args.get("before", type=int)
    return before if before is not None and before > 0 else None


@bp.app_template_filter("action_label")
def _action_label(action: str) -> str:
    return action_label(action)


@bp.app_template_filter("subject_label")
def _subject_label(entry) -> str:
    return subject_label(entry.subject_type, entry.subject_id)


@bp.app_template_filter("detail_items")
def _detail_items(detail: dict | None) -> list[tuple[str, str]]:
    """The detail as (label, text) pairs, nested values flattened to words, long ones cut short."""
    items = []
    for key, value in sorted((detail or {}).items()):
        if value in (None, "", []):
            continue
        text = _words(value, key)
        items.append((detail_label(key), text if len(text) <= LONGEST_DETAIL else text[:LONGEST_DETAIL] + "…"))
    return items


def _words(value, key: str = "") -> str:
    if isinstance(value, dict):  # e.g. an export's filters: only the ones that were set
        return "; ".join(f"{detail_label(k)}: {_words(v, k)}" for k, v in sorted(value.items())
                         if v not in (None, "", []))
    if isinstance(value, list):
        return ", ".join(_words(v, key) for v in value)
    if isinstance(value, str):
        return value_label(key, value)
    return json.dumps(value, ensure_ascii=False)
