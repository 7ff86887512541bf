"""Observations (ghi nhận), their photos and the police comments on them."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, Integer, String, Text, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from .user import User
    from .ward import Checkpoint

CATEGORIES = ("suspicious", "theft", "disturbance", "traffic", "fire", "drugs",
              "property", "assistance", "nuisance", "other")
SEVERITIES = ("info", "attention", "urgent")
STATUSES = ("open", "acknowledged", "resolved")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Photo(db.Model):
    """A re-encoded JPEG kept outside static/; uploaded on its own, then referred to by uuid."""

    __tablename__ = "photo"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[UUID] = mapped_column(Uuid, unique=True)
    uploader_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    size_bytes: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    uploader: Mapped[User] = relationship()


class Observation(db.Model):
    __tablename__ = "observation"
    __table_args__ = (
        CheckConstraint(_in("category", CATEGORIES), name="category_known"),
        CheckConstraint(_in("severity", SEVERITIES), name="severity_known"),
        CheckConstraint(_in("status", STATUSES), name="status_known"),
        CheckConstraint("lat IS NULL OR (lat >= -90 AND lat <= 90)", name="lat_range"),
        CheckConstraint("lng IS NULL OR (lng >= -180 AND lng <= 180)", name="lng_range"),
        CheckConstraint("status = 'open' OR acknowledged_at IS NOT NULL", name="ack_before_status"),
        CheckConstraint("status <> 'resolved' OR resolved_at IS NOT NULL", name="resolved_has_time"),
        Index("ix_observation_checkpoint_occurred", "checkpoint_id", "occurred_at"),
        Index("ix_observation_checkpoint_status", "checkpoint_id", "status"),
        # Partial: only corrections are indexed. A full index on a mostly-NULL column lured SQLite's
        # planner into walking all history for "corrects_id IS NULL" (bench/README.md).
        Index("ix_observation_corrections", "corrects_id", sqlite_where=text("corrects_id IS NOT NULL"),
              postgresql_where=text("corrects_id IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[UUID] = mapped_column(Uuid, unique=True)
    checkpoint_id: Mapped[int] = mapped_column(ForeignKey("checkpoint.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)  # device clock
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)  # server clock
    category: Mapped[str] = mapped_column(String(16))
    severity: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    # The client's uuid of its photo. Photo and observation travel separately and may arrive in
    # either order, so this is a reference by uuid rather than a foreign key.
    photo_uuid: Mapped[UUID | None] = mapped_column(Uuid, index=True)
    lat: Mapped[float | None] = mapped_column(Float)
    lng: Mapped[float | None] = mapped_column(Float)
    # A correction is a new observation pointing at the one it corrects.
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("observation.id"))
    status: Mapped[str] = mapped_column(String(16), default="open")
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution_note: Mapped[str | None] = mapped_column(Text)

    checkpoint: Mapped[Checkpoint] = relationship()
    author: Mapped[User] = relationship(foreign_keys=[author_id])
    photo: Mapped[Photo | None] = relationship(primaryjoin="foreign(Observation.photo_uuid) == Photo.uuid",
                                               viewonly=True)
    corrects: Mapped[Observation | None] = relationship(remote_side=[id], back_populates="corrections")
    corrections: Mapped[list[Observation]] = relationship(back_populates="corrects", order_by="Observation.received_at")
    acknowledged_by: Mapped[User | None] = relationship(foreign_keys=[acknowledged_by_id])
    resolved_by: Mapped[User | None] = relationship(foreign_keys=[resolved_by_id])
    comments: Mapped[list[Comment]] = relationship(back_populates="observation", order_by="Comment.created_at")


class Comment(db.Model):
    """A police follow-up on an observation."""

    __tablename__ = "comment"

    id: Mapped[int] = mapped_column(primary_key=True)
    observation_id: Mapped[int] = mapped_column(ForeignKey("observation.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    observation: Mapped[Observation] = relationship(back_populates="comments")
    author: Mapped[User] = relationship()
