"""Shift patterns per checkpoint and the private calendar-feed token of a person.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "shift_pattern",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("checkpoint_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.Time(), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=60), nullable=True),
        sa.CheckConstraint("duration_minutes >= 15 AND duration_minutes <= 1440", name=op.f("ck_shift_pattern_pattern_duration_range")),
        sa.ForeignKeyConstraint(["checkpoint_id"], ["checkpoint.id"], name=op.f("fk_shift_pattern_checkpoint_id_checkpoint"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shift_pattern")),
        sa.UniqueConstraint("checkpoint_id", "starts_at", "duration_minutes", name="uq_shift_pattern_slot"),
    )
    op.create_index(op.f("ix_shift_pattern_checkpoint_id"), "shift_pattern", ["checkpoint_id"])
    with op.batch_alter_table("user") as batch:
        batch.add_column(sa.Column("calendar_token", sa.String(length=64), nullable=True))
        batch.create_unique_constraint(op.f("uq_user_calendar_token"), ["calendar_token"])


def downgrade():
    with op.batch_alter_table("user") as batch:
        batch.drop_constraint(op.f("uq_user_calendar_token"), type_="unique")
        batch.drop_column("calendar_token")
    op.drop_index("ix_shift_pattern_checkpoint_id", table_name="shift_pattern")
    op.drop_table("shift_pattern")
