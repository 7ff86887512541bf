"""Index only corrections: a full index on observation.corrects_id misled SQLite's planner.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("observation", schema=None) as batch_op:
        batch_op.drop_index("ix_observation_corrects_id")
    op.create_index("ix_observation_corrections", "observation", ["corrects_id"],
                    sqlite_where=sa.text("corrects_id IS NOT NULL"),
                    postgresql_where=sa.text("corrects_id IS NOT NULL"))


def downgrade():
    op.drop_index("ix_observation_corrections", table_name="observation")
    with op.batch_alter_table("observation", schema=None) as batch_op:
        batch_op.create_index("ix_observation_corrects_id", ["corrects_id"], unique=False)
