"""Requesters' messages to workers who did their work (MTurk's NotifyWorkers), for each
worker's inbox (see `microtask.db.verifier_models.VerifierMessage`).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import microtask.db.types

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "verifier_messages",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("requester", microtask.db.types.Address(length=42), nullable=False),
        sa.Column("worker", microtask.db.types.Address(length=42), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("sent_at", sa.BigInteger(), nullable=False),
        sa.Column("command", sa.String(length=66), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verifier_messages")),
        sa.UniqueConstraint("command", "worker", name=op.f("uq_verifier_messages_command_worker")),
    )
    with op.batch_alter_table("verifier_messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_verifier_messages_worker_id"), ["worker", "id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("verifier_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_verifier_messages_worker_id"))
    op.drop_table("verifier_messages")
