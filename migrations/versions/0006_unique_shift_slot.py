"""One shift per checkpoint and time slot: the roster's duplicate check, enforced by the database.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28
"""
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("shift") as batch:
        batch.create_unique_constraint("uq_shift_slot", ["checkpoint_id", "starts_at", "ends_at"])


def downgrade():
    with op.batch_alter_table("shift") as batch:
        batch.drop_constraint("uq_shift_slot", type_="unique")
