"""The verifier at scale: every receipt slot a row (free ones too), found through partial
indexes; at most one live reservation per worker and task; receipts the loop has not seen
yet (``verifier_arrivals``); the items a task's last assessment emptied; decisions by
task and worker (see `microtask.db.verifier_models`).

Existing reservations and receipts keep their rows; the free rows of a task are added when
its next claim arrives.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

import microtask.db.types

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FREE_WHEN_EMPTY = ("worker", "request_digest", "reserved_at", "lease_end")


def _column_type(name: str) -> sa.types.TypeEngine[Any]:
    if name == "worker":
        return microtask.db.types.Address(length=42)
    if name == "request_digest":
        return sa.String(length=66)
    return sa.BigInteger()


def upgrade() -> None:
    with op.batch_alter_table("verifier_slots", schema=None) as batch_op:
        for name in FREE_WHEN_EMPTY:
            batch_op.alter_column(name, existing_type=_column_type(name), nullable=True)
    op.create_index(
        "ix_verifier_slots_open",
        "verifier_slots",
        ["task_id", "slot"],
        unique=False,
        sqlite_where=sa.text("status != 'receipted'"),
        postgresql_where=sa.text("status != 'receipted'"),
    )
    op.create_index(
        "ix_verifier_slots_held",
        "verifier_slots",
        ["task_id", "worker"],
        unique=True,
        sqlite_where=sa.text("status = 'reserved'"),
        postgresql_where=sa.text("status = 'reserved'"),
    )
    op.create_table(
        "verifier_arrivals",
        sa.Column("task_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("slot", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("submitted_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("task_id", "slot", name=op.f("pk_verifier_arrivals")),
    )
    with op.batch_alter_table("verifier_results", schema=None) as batch_op:
        batch_op.add_column(sa.Column("emptied_items", sa.JSON(), nullable=True))
    with op.batch_alter_table("verifier_decisions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_verifier_decisions_task_id_worker_outcome"),
            ["task_id", "worker", "outcome"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("verifier_decisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_verifier_decisions_task_id_worker_outcome"))
    with op.batch_alter_table("verifier_results", schema=None) as batch_op:
        batch_op.drop_column("emptied_items")
    op.drop_table("verifier_arrivals")
    op.drop_index("ix_verifier_slots_held", table_name="verifier_slots")
    op.drop_index("ix_verifier_slots_open", table_name="verifier_slots")
    op.execute("DELETE FROM verifier_slots WHERE status = 'free'")
    with op.batch_alter_table("verifier_slots", schema=None) as batch_op:
        for name in FREE_WHEN_EMPTY:
            batch_op.alter_column(name, existing_type=_column_type(name), nullable=False)
