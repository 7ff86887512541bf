"""People who log in, and which checkpoints they belong to."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, Column, ForeignKey, Integer, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from .types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from .ward import Checkpoint, Ward

ROLES = ("volunteer", "coordinator", "police", "admin")
LOCALES = ("vi", "en")

checkpoint_member = Table(
    "checkpoint_member",
    db.metadata,
    Column("user_id", ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
    Column("checkpoint_id", ForeignKey("checkpoint.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class User(UserMixin, db.Model):
    __tablename__ = "user"
    __table_args__ = (
        CheckConstraint("role IN ('volunteer', 'coordinator', 'police', 'admin')", name="role_known"),
        CheckConstraint("locale IN ('vi', 'en')", name="locale_known"),
        CheckConstraint("role = 'admin' OR ward_id IS NOT NULL", name="ward_unless_admin"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Normalised national form, e.g. 0901234567: the login name.
    phone: Mapped[str] = mapped_column(String(16), unique=True)
    full_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    ward_id: Mapped[int | None] = mapped_column(ForeignKey("ward.id"), index=True)
    locale: Mapped[str] = mapped_column(String(5), default="vi")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Part of the session identifier: bumping it ends every session and remember-me cookie.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The secret part of the person's private iCalendar feed URL; replacing it revokes old links.
    calendar_token: Mapped[str | None] = mapped_column(String(64), unique=True)

    ward: Mapped[Ward | None] = relationship()
    checkpoints: Mapped[list[Checkpoint]] = relationship(
        secondary=checkpoint_member, back_populates="members", order_by="Checkpoint.code"
    )

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)
        self.session_version = (self.session_version or 0) + 1

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def end_sessions(self) -> None:
        self.session_version = (self.session_version or 0) + 1

    # Flask-Login: the id in the session carries the version, so old sessions stop matching.
    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def is_active(self) -> bool:
        return self.active

    def belongs_to(self, checkpoint: Checkpoint) -> bool:
        return any(c.id == checkpoint.id for c in self.checkpoints)

    def __repr__(self) -> str:
        return f"<User {self.phone} {self.role}>"
