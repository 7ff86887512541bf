"""Wards and the checkpoints they own."""
from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import JSON, Boolean, CheckConstraint, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db

if TYPE_CHECKING:
    from .user import User


class Ward(db.Model):
    __tablename__ = "ward"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    # The ward police duty number volunteers call after an urgent alert.
    duty_phone: Mapped[str | None] = mapped_column(String(16))

    checkpoints: Mapped[list[Checkpoint]] = relationship(back_populates="ward", order_by="Checkpoint.code")

    def __repr__(self) -> str:
        return f"<Ward {self.code}>"


class Checkpoint(db.Model):
    __tablename__ = "checkpoint"
    __table_args__ = (
        UniqueConstraint("ward_id", "code", name="uq_checkpoint_ward_code"),
        CheckConstraint("min_staff >= 1 AND min_staff <= 20", name="min_staff_range"),
        CheckConstraint("lat IS NULL OR (lat >= -90 AND lat <= 90)", name="lat_range"),
        CheckConstraint("lng IS NULL OR (lng >= -180 AND lng <= 180)", name="lng_range"),
        CheckConstraint("(lat IS NULL) = (lng IS NULL)", name="position_pair"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ward_id: Mapped[int] = mapped_column(ForeignKey("ward.id"), index=True)
    code: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(120))
    address: Mapped[str | None] = mapped_column(String(255))
    lat: Mapped[float | None] = mapped_column(Float)
    lng: Mapped[float | None] = mapped_column(Float)
    standing_orders: Mapped[str | None] = mapped_column(Text)
    # Item names every handover checks, e.g. ["Bộ đàm", "Đèn pin", "Sổ trực"].
    equipment: Mapped[list[str]] = mapped_column(JSON, default=list)
    min_staff: Mapped[int] = mapped_column(Integer, default=2)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped to revoke every printed QR poster of this checkpoint at once.
    qr_generation: Mapped[int] = mapped_column(Integer, default=1)

    ward: Mapped[Ward] = relationship(back_populates="checkpoints")
    members: Mapped[list[User]] = relationship(
        secondary="checkpoint_member", back_populates="checkpoints", order_by="User.full_name"
    )

    def __repr__(self) -> str:
        return f"<Checkpoint {self.code}>"
