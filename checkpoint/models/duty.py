"""What really happened at a checkpoint: attendance and handovers."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

from sqlalchemy import (JSON, Boolean, CheckConstraint, Column, Float, ForeignKey, Index, Integer, String, Table,
                        Text, Uuid, text)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime

if TYPE_CHECKING:
    from .observation import Observation
    from .roster import Shift
    from .user import User
    from .ward import Checkpoint


class Attendance(db.Model):
    """One person's presence at one checkpoint, from check-in to check-out.

    Check-in and check-out each come from the phone with their own client UUID, so both
    are idempotent. `shift_id` is empty for an unscheduled presence.
    """

    __tablename__ = "attendance"
    __table_args__ = (
        CheckConstraint("check_out_at IS NULL OR check_out_at >= check_in_at", name="out_after_in"),
        CheckConstraint("check_in_lat IS NULL OR (check_in_lat >= -90 AND check_in_lat <= 90)", name="in_lat"),
        CheckConstraint("check_in_lng IS NULL OR (check_in_lng >= -180 AND check_in_lng <= 180)", name="in_lng"),
        CheckConstraint("check_out_lat IS NULL OR (check_out_lat >= -90 AND check_out_lat <= 90)", name="out_lat"),
        CheckConstraint("check_out_lng IS NULL OR (check_out_lng >= -180 AND check_out_lng <= 180)", name="out_lng"),
        Index("ix_attendance_checkpoint_in", "checkpoint_id", "check_in_at"),
        Index("ix_attendance_user_in", "user_id", "check_in_at"),
        # Who is on duty now, without reading the attendance history (the board, "one place at a time").
        Index("ix_attendance_open_checkpoint", "checkpoint_id", sqlite_where=text("check_out_at IS NULL"),
              postgresql_where=text("check_out_at IS NULL")),
        Index("ix_attendance_open_user", "user_id", sqlite_where=text("check_out_at IS NULL"),
              postgresql_where=text("check_out_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[UUID] = mapped_column(Uuid, unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    checkpoint_id: Mapped[int] = mapped_column(ForeignKey("checkpoint.id"))
    shift_id: Mapped[int | None] = mapped_column(ForeignKey("shift.id"), index=True)
    check_in_at: Mapped[datetime] = mapped_column(UTCDateTime)  # device clock
    check_in_received_at: Mapped[datetime] = mapped_column(UTCDateTime)  # server clock
    check_in_lat: Mapped[float | None] = mapped_column(Float)
    check_in_lng: Mapped[float | None] = mapped_column(Float)
    distance_m: Mapped[int | None] = mapped_column(Integer)
    by_qr: Mapped[bool] = mapped_column(Boolean, default=False)
    late_minutes: Mapped[int | None] = mapped_column(Integer)
    check_out_uuid: Mapped[UUID | None] = mapped_column(Uuid, unique=True)
    check_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    check_out_received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    check_out_lat: Mapped[float | None] = mapped_column(Float)
    check_out_lng: Mapped[float | None] = mapped_column(Float)

    user: Mapped[User] = relationship()
    checkpoint: Mapped[Checkpoint] = relationship()
    shift: Mapped[Shift | None] = relationship()

    @property
    def unscheduled(self) -> bool:
        return self.shift_id is None

    @property
    def open(self) -> bool:
        return self.check_out_at is None


handover_observation = Table(
    "handover_observation",
    db.metadata,
    Column("handover_id", ForeignKey("handover.id", ondelete="CASCADE"), primary_key=True),
    Column("observation_id", ForeignKey("observation.id"), primary_key=True),
)


class Handover(db.Model):
    """Giao ca: written by the outgoing volunteer, accepted once by an incoming one."""

    __tablename__ = "handover"
    __table_args__ = (
        CheckConstraint("(accepted_at IS NULL) = (accepted_by_id IS NULL)", name="accept_pair"),
        Index("ix_handover_checkpoint_occurred", "checkpoint_id", "occurred_at"),
        # The handovers still waiting: the board finds them without walking every handover ever written.
        Index("ix_handover_waiting", "checkpoint_id", "occurred_at", sqlite_where=text("accepted_at IS NULL"),
              postgresql_where=text("accepted_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[UUID] = mapped_column(Uuid, unique=True)
    checkpoint_id: Mapped[int] = mapped_column(ForeignKey("checkpoint.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    from_attendance_id: Mapped[int | None] = mapped_column(ForeignKey("attendance.id"))
    summary: Mapped[str] = mapped_column(Text)
    # [{"item": "Bộ đàm", "ok": false, "remark": "hết pin"}, …]
    equipment: Mapped[list[dict]] = mapped_column(JSON, default=list)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accept_uuid: Mapped[UUID | None] = mapped_column(Uuid, unique=True)
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accept_received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accept_remark: Mapped[str | None] = mapped_column(Text)

    checkpoint: Mapped[Checkpoint] = relationship()
    author: Mapped[User] = relationship(foreign_keys=[author_id])
    accepted_by: Mapped[User | None] = relationship(foreign_keys=[accepted_by_id])
    from_attendance: Mapped[Attendance | None] = relationship()
    carried_over: Mapped[list[Observation]] = relationship(secondary=handover_observation)

    @property
    def accepted(self) -> bool:
        return self.accepted_at is not None
