"""Partial indexes on open attendances and waiting handovers: the board reads what is open now,
not all history (bench/README.md).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

OPEN = sa.text("check_out_at IS NULL")
WAITING = sa.text("accepted_at IS NULL")


def upgrade():
    op.create_index("ix_attendance_open_checkpoint", "attendance", ["checkpoint_id"],
                    sqlite_where=OPEN, postgresql_where=OPEN)
    op.create_index("ix_attendance_open_user", "attendance", ["user_id"], sqlite_where=OPEN, postgresql_where=OPEN)
    op.create_index("ix_handover_waiting", "handover", ["checkpoint_id", "occurred_at"],
                    sqlite_where=WAITING, postgresql_where=WAITING)


def downgrade():
    op.drop_index("ix_handover_waiting", table_name="handover")
    op.drop_index("ix_attendance_open_user", table_name="attendance")
    op.drop_index("ix_attendance_open_checkpoint", table_name="attendance")
