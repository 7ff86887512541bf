"""The append-only activity record: the audit log and the board's change feed."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, utcnow
from .user import User


class Activity(db.Model):
    """One change that matters. `id` is the sequence the board polls with."""

    __tablename__ = "activity"
    __table_args__ = (Index("ix_activity_ward_id", "ward_id", "id"),
                      Index("ix_activity_at", "at"))  # the audit view's dates, the purge's cut-off

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    action: Mapped[str] = mapped_column(String(40))  # e.g. "observation.created", "user.login"
    ward_id: Mapped[int | None] = mapped_column(ForeignKey("ward.id"))
    checkpoint_id: Mapped[int | None] = mapped_column(ForeignKey("checkpoint.id"))
    subject_type: Mapped[str | None] = mapped_column(String(24))
    subject_id: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    # The hash chain (rules/chain.py): each row's hash covers its content and the previous row's hash,
    # so a row edited or removed by hand shows up in `flask verify-log`.
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    actor: Mapped[User | None] = relationship()
