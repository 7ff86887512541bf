"""The activity log's hash chain: prev_hash and hash on every row, existing rows sealed in id order;
an index on the time for the audit view and the purge.

The canonical form is copied here rather than imported (migrations never import application code);
it must stay byte-for-byte what checkpoint/rules/chain.py computes.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""
import hashlib
import json
from datetime import timezone

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

GENESIS = "0" * 64

activity = sa.table(
    "activity",
    sa.column("id", sa.Integer), sa.column("at", sa.DateTime(timezone=True)), sa.column("actor_id", sa.Integer),
    sa.column("action", sa.String), sa.column("ward_id", sa.Integer), sa.column("checkpoint_id", sa.Integer),
    sa.column("subject_type", sa.String), sa.column("subject_id", sa.Integer), sa.column("detail", sa.JSON),
    sa.column("prev_hash", sa.String), sa.column("hash", sa.String),
)


def _digest(prev_hash: str, row) -> str:
    at = row.at.replace(tzinfo=timezone.utc) if row.at.tzinfo is None else row.at.astimezone(timezone.utc)
    content = {"id": row.id, "at": at.isoformat(timespec="microseconds"), "actor_id": row.actor_id,
               "action": row.action, "ward_id": row.ward_id, "checkpoint_id": row.checkpoint_id,
               "subject_type": row.subject_type, "subject_id": row.subject_id,
               "detail": json.loads(json.dumps(row.detail or {}))}
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((prev_hash + canonical).encode("utf-8")).hexdigest()


def upgrade():
    with op.batch_alter_table("activity") as batch:
        batch.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("hash", sa.String(length=64), nullable=True))
    conn = op.get_bind()
    previous, after = GENESIS, 0
    while True:  # in pages, so a large log is not held in memory at once
        rows = conn.execute(sa.select(activity).where(activity.c.id > after).order_by(activity.c.id)
                            .limit(5000)).all()
        if not rows:
            break
        for row in rows:
            sealed = _digest(previous, row)
            conn.execute(activity.update().where(activity.c.id == row.id).values(prev_hash=previous, hash=sealed))
            previous = sealed
        after = rows[-1].id
    with op.batch_alter_table("activity") as batch:
        batch.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
        batch.alter_column("hash", existing_type=sa.String(length=64), nullable=False)
        batch.create_index("ix_activity_at", ["at"], unique=False)


def downgrade():
    with op.batch_alter_table("activity") as batch:
        batch.drop_index("ix_activity_at")
        batch.drop_column("hash")
        batch.drop_column("prev_hash")
