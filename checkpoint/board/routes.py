"""The live board: the full page, the change poll, and the tiles' own refresh."""
from __future__ import annotations

from flask import abort, render_template, request, url_for

from ..models import utcnow
from ..policy import authorize, roles
from ..rules import board as board_rules
from ..rules.board import (REGIONS, changes_since, open_observations, unaccepted_handovers,
                           urgent_unacknowledged)
from ..rules.coverage import coverage_for, ward_and_change_seq, ward_change_seq
from ..ward.routes import ward_or_404
from . import bp

BOARD_ROLES = ("police", "coordinator", "admin")


def _ward(code: str):
    ward = ward_or_404(code)
    authorize("ward.view", ward)
    return ward


def _regions(ward, names, now) -> dict:
    """Render-ready data for the named regions only: an unchanged region costs nothing."""
    data = {}
    if "urgent" in names:
        data["urgent"] = urgent_unacknowledged(ward)
    if "tiles" in names:
        data["tiles"] = coverage_for(ward, now)
    if "open" in names:
        data["open"] = open_observations(ward)
    if "handovers" in names:
        data["handovers"] = unaccepted_handovers(ward)
    return data


@bp.get("/wards/<code>/board")
@roles(*BOARD_ROLES)
def board(code: str):
    """The ward board; `?wall=1` is the large-type layout for a TV, without navigation."""
    ward = _ward(code)
    now = utcnow()
    seq = ward_change_seq(ward.id)
    return render_template("board/board.html", ward=ward, now=now, seq=seq, wall=request.args.get("wall") == "1",
                           **_regions(ward, REGIONS, now))


@bp.get("/wards/<code>/board/changes")
@roles(*BOARD_ROLES)
def changes(code: str):
    """204 when nothing changed since `since` (one indexed query); else the changed regions, or
    only the new cards of the open list and the tiles' "last entry" lines when new observations
    are all that happened to them."""
    ward, seq = ward_and_change_seq(code)
    if ward is None:
        abort(404)
    authorize("ward.view", ward)
    since = request.args.get("since", type=int, default=0)
    if seq <= since:
        return "", 204
    now = utcnow()
    changes = changes_since(ward, since)
    return render_template("board/_changes.html", ward=ward, now=now, seq=seq, new_open=changes.new_open,
                           last_entries=changes.last_entries, **_regions(ward, changes.regions, now))


@bp.get("/wards/<code>/board/tiles")
@roles(*BOARD_ROLES)
def tiles(code: str):
    """The tiles alone, refreshed each minute: a grace period runs out without any activity."""
    ward = _ward(code)
    now = utcnow()
    return render_template("board/_tiles.html", ward=ward, now=now, tiles=coverage_for(ward, now))


def poll_url(ward, seq: int) -> str:
    return url_for("board.changes", code=ward.code, since=seq)


@bp.app_context_processor
def board_helpers():
    return {"poll_url": poll_url, "open_limit": board_rules.OPEN_LIMIT}
