"""The planned roster: shifts and who is assigned to them."""
from __future__ import annotations

from datetime import datetime, time
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, Integer, String, Table, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from .user import User
    from .ward import Checkpoint

shift_assignment = Table(
    "shift_assignment",
    db.metadata,
    Column("shift_id", ForeignKey("shift.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("user.id"), primary_key=True, index=True),
)


class Shift(db.Model):
    """A planned slot. Crossing midnight is just an end on the next day; times are UTC."""

    __tablename__ = "shift"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        Index("ix_shift_checkpoint_starts", "checkpoint_id", "starts_at"),
        # The roster refuses or skips an identical slot; this makes two coordinators clicking at once safe.
        UniqueConstraint("checkpoint_id", "starts_at", "ends_at", name="uq_shift_slot"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    checkpoint_id: Mapped[int] = mapped_column(ForeignKey("checkpoint.id"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    checkpoint: Mapped[Checkpoint] = relationship()
    volunteers: Mapped[list[User]] = relationship(secondary=shift_assignment, order_by="User.full_name")

    def covers(self, moment: datetime) -> bool:
        return self.starts_at <= moment < self.ends_at


class ShiftPattern(db.Model):
    """A recurring slot of one checkpoint, in the ward's local time, e.g. 23:00 for 240 minutes.

    Applying a pattern to a week turns it into dated `Shift` rows (rules/roster.py); the pattern
    itself carries no history, so it may be deleted."""

    __tablename__ = "shift_pattern"
    __table_args__ = (
        CheckConstraint("duration_minutes >= 15 AND duration_minutes <= 1440", name="pattern_duration_range"),
        UniqueConstraint("checkpoint_id", "starts_at", "duration_minutes", name="uq_shift_pattern_slot"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    checkpoint_id: Mapped[int] = mapped_column(ForeignKey("checkpoint.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[time] = mapped_column(Time)  # local wall-clock time
    duration_minutes: Mapped[int] = mapped_column(Integer)
    label: Mapped[str | None] = mapped_column(String(60))

    checkpoint: Mapped[Checkpoint] = relationship()
