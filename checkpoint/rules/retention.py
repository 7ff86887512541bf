"""Retention (Decree 13/2023): what the purge removes once it is older than N days, and the removal."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from uuid import UUID

from sqlalchemy import delete, exists, func, select

from ..extensions import db
from ..models import Activity, Comment, Handover, Observation, Photo, handover_observation
from . import RuleViolation
from .activity import record
from .chain import GENESIS, PURGED, last_link

MIN_DAYS = 30  # a typo such as "--older-than 3" must not wipe the month's logbook
MAX_DAYS = 36_500  # a century; beyond it the cut-off date would overflow
# A photo file with no row yet may be an upload in flight (the file is written before its row
# commits): only files older than this are strays.
STRAY_AFTER = timedelta(days=1)
CHUNK = 500  # ids per DELETE … IN (…): portable, and no statement grows with the history


@dataclass
class PurgePlan:
    """What a purge with this cut-off removes. `counts()` is what the dry run prints."""

    days: int
    cutoff: datetime
    observations: list[int] = field(default_factory=list)  # originals and their corrections
    comments: int = 0
    handover_links: int = 0
    handovers: list[int] = field(default_factory=list)
    photos: list[UUID] = field(default_factory=list)
    activity_upto: int | None = None  # activity rows with id <= this go
    activity: int = 0
    stray_files: list[Path] = field(default_factory=list)
    kept_open: int = 0  # observations older than the cut-off that are not resolved: kept

    def counts(self) -> dict[str, int]:
        return {"observations": len(self.observations), "comments": self.comments,
                "handover_links": self.handover_links, "handovers": len(self.handovers),
                "photos": len(self.photos), "stray_photo_files": len(self.stray_files),
                "activity": self.activity}


def plan_purge(days: int, *, now: datetime, photo_dir: Path) -> PurgePlan:
    """Read what is older than `days` days. Changes nothing.

    An observation goes when it was resolved before the cut-off and nothing was added to it since
    (no newer comment or correction), together with its corrections, comments, handover links and
    photos. Open and acknowledged ones stay whatever their age: the police still work on them.
    Accepted handovers go by their acceptance time; waiting ones stay (they are on the board).
    The activity log goes as a prefix (every row before the first one newer than the cut-off), so
    what remains is still one unbroken chain. Attendance and shifts are work records (hours,
    night-duty pay) and stay.
    """
    if days < MIN_DAYS:
        raise RuleViolation(f"--older-than must be at least {MIN_DAYS} days (got {days})")
    if days > MAX_DAYS:
        raise RuleViolation(f"--older-than must be at most {MAX_DAYS} days (got {days})")
    cutoff = now - timedelta(days=days)
    plan = PurgePlan(days=days, cutoff=cutoff)

    newer_comment = exists().where(Comment.observation_id == Observation.id, Comment.created_at >= cutoff)
    correction = Observation.__table__.alias("correction")
    newer_correction = exists().where(correction.c.corrects_id == Observation.id,
                                      correction.c.received_at >= cutoff)
    originals = list(db.session.scalars(select(Observation.id).where(
        Observation.corrects_id.is_(None), Observation.status == "resolved", Observation.resolved_at < cutoff,
        ~newer_comment, ~newer_correction).order_by(Observation.id)))
    corrections = [oid for chunk in _chunks(originals) for oid in db.session.scalars(
        select(Observation.id).where(Observation.corrects_id.in_(chunk)))]
    plan.observations = corrections + originals  # corrections first: they point at their originals
    plan.comments = _count(Comment, Comment.observation_id, plan.observations)
    plan.handovers = list(db.session.scalars(select(Handover.id).where(Handover.accepted_at < cutoff)
                                             .order_by(Handover.id)))
    plan.handover_links = sum(db.session.scalar(
        select(func.count()).select_from(handover_observation).where(
            handover_observation.c.observation_id.in_(chunk),
            handover_observation.c.handover_id.not_in(select(Handover.id).where(Handover.accepted_at < cutoff)))) or 0
        for chunk in _chunks(plan.observations))
    plan.kept_open = db.session.scalar(select(func.count(Observation.id)).where(
        Observation.corrects_id.is_(None), Observation.status != "resolved", Observation.received_at < cutoff)) or 0

    purged = set(plan.observations)
    shown = {u for chunk in _chunks(plan.observations) for u in db.session.scalars(
        select(Observation.photo_uuid).where(Observation.id.in_(chunk), Observation.photo_uuid.is_not(None)))}
    still_shown = {u for chunk in _chunks(sorted(shown, key=str)) for oid, u in db.session.execute(
        select(Observation.id, Observation.photo_uuid).where(Observation.photo_uuid.in_(chunk))) if oid not in purged}
    unattached = set(db.session.scalars(select(Photo.uuid).where(
        Photo.received_at < cutoff, ~exists().where(Observation.photo_uuid == Photo.uuid))))
    known = set(db.session.scalars(select(Photo.uuid)))
    plan.photos = sorted(((shown - still_shown) & known) | unattached, key=str)
    plan.stray_files = _stray_files(photo_dir, known, now)
    _plan_activity(plan)
    return plan


def _plan_activity(plan: PurgePlan) -> None:
    first_kept = db.session.scalar(select(func.min(Activity.id)).where(Activity.at >= plan.cutoff))
    plan.activity_upto = (first_kept - 1 if first_kept is not None
                          else db.session.scalar(select(func.max(Activity.id))))
    plan.activity = 0
    if plan.activity_upto is not None:
        plan.activity = db.session.scalar(select(func.count(Activity.id))
                                          .where(Activity.id <= plan.activity_upto)) or 0


def purge(days: int, *, now: datetime, photo_dir: Path, actor=None) -> tuple[PurgePlan, list[Path]]:
    """Remove what `plan_purge` finds and record it as a `retention.purged` activity row carrying the
    anchor: the hash the oldest remaining activity row links to. Returns the plan and the photo
    files to delete once the transaction has committed (a rolled-back purge keeps its photos)."""
    plan = plan_purge(days, now=now, photo_dir=photo_dir)
    for chunk in _chunks(plan.observations):
        db.session.execute(delete(handover_observation).where(handover_observation.c.observation_id.in_(chunk)))
        db.session.execute(delete(Comment).where(Comment.observation_id.in_(chunk)))
        db.session.execute(delete(Observation).where(Observation.id.in_(chunk)))
    for chunk in _chunks(plan.handovers):
        db.session.execute(delete(handover_observation).where(handover_observation.c.handover_id.in_(chunk)))
        db.session.execute(delete(Handover).where(Handover.id.in_(chunk)))
    for chunk in _chunks(plan.photos):
        db.session.execute(delete(Photo).where(Photo.uuid.in_(chunk)))

    # The log's prefix is settled under the chain lock, taken only now so that the deletions above do
    # not hold up every writer; a concurrent purge is then seen whole (READ COMMITTED), not half.
    last_link()
    _plan_activity(plan)
    record(PURGED, actor=actor, now=now, detail={
        "older_than_days": days, "cutoff": plan.cutoff.isoformat(), "counts": plan.counts(),
        "kept_open": plan.kept_open, "anchor": _anchor(plan)})
    if plan.activity_upto is not None:
        db.session.execute(delete(Activity).where(Activity.id <= plan.activity_upto))
    db.session.flush()
    db.session.expire_all()
    files = [photo_dir / f"{uuid}.jpg" for uuid in plan.photos] + plan.stray_files
    return plan, files


def remove_files(paths: list[Path]) -> int:
    """Delete the purged photo files after the commit; a file already gone is not an error."""
    removed = 0
    for path in paths:
        try:
            path.unlink()
            removed += 1
        except FileNotFoundError:
            pass
    return removed


def _anchor(plan: PurgePlan) -> str:
    """The hash of the newest row the purge removes, which the oldest remaining row links to; when
    no row goes, whatever the oldest row links to already (the start, or the previous anchor)."""
    if plan.activity:
        return db.session.scalar(select(Activity.hash).where(Activity.id <= plan.activity_upto)
                                 .order_by(Activity.id.desc()).limit(1))
    return db.session.scalar(select(Activity.prev_hash).order_by(Activity.id).limit(1)) or GENESIS


def _stray_files(photo_dir: Path, known: set[UUID], now: datetime) -> list[Path]:
    """Files in the photo folder with no Photo row (an upload whose row was rolled back, a
    half-written .part), older than STRAY_AFTER. Anything not named like ours is left alone."""
    if not photo_dir.is_dir():
        return []
    names = {f"{uuid}.jpg" for uuid in known}
    limit = (now - STRAY_AFTER).timestamp()
    stray = []
    for path in sorted(photo_dir.iterdir()):
        if not path.is_file() or path.name in names or path.stat().st_mtime >= limit:
            continue
        if path.suffix == ".part" or (path.suffix == ".jpg" and _is_uuid(path.stem)):
            stray.append(path)
    return stray


def _is_uuid(text: str) -> bool:
    try:
        UUID(text)
    except ValueError:
        return False
    return True


def _count(model, column, ids: list[int]) -> int:
    return sum(db.session.scalar(select(func.count()).select_from(model).where(column.in_(chunk))) or 0
               for chunk in _chunks(ids))


def _chunks(items: list) -> list[list]:
    return [items[start:start + CHUNK] for start in range(0, len(items), CHUNK)]
