"""Task listings: an index of the status columns and the columns GET /tasks filters on,
so a filtered count reads the index alone instead of every open task's row.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 16:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COVERED = [
    "cancelled",
    "deadline",
    "available_slots",
    "token",
    "reward",
    "requester",
    "manifest_cid",
    "verifier",
    "arbitrator",
    "min_approved",
    "min_approval_bps",
]


def upgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.create_index("ix_tasks_listing", COVERED, unique=False)


def downgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_tasks_listing")
