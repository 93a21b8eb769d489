"""The verifier's own tables: slots handed out and receipted, used requests, requesters'
policies, decisions, per-worker task scores, published results and settlement intents
(see `microtask.db.verifier_models`).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 12:12:49.465930
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import microtask.db.types

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "verifier_decisions",
        sa.Column("task_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("slot", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("worker", microtask.db.types.Address(length=42), nullable=False),
        sa.Column("envelope_cid", sa.String(length=128), nullable=True),
        sa.Column(
            "outcome",
            sa.Enum("approve", "reject", "undecided", name="outcome", native_enum=False),
            nullable=False,
        ),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("checks", sa.JSON(), nullable=False),
        sa.Column("run", sa.Integer(), nullable=False),
        sa.Column("assessed_at", sa.BigInteger(), nullable=False),
        sa.Column(
            "settled",
            sa.Enum(
                "pending",
                "approved",
                "rejected",
                "external",
                "left",
                "missed",
                name="settled",
                native_enum=False,
            ),
            nullable=False,
        ),
        sa.Column("settle_tx", sa.String(length=66), nullable=True),
        sa.PrimaryKeyConstraint("task_id", "slot", name=op.f("pk_verifier_decisions")),
    )
    with op.batch_alter_table("verifier_decisions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_verifier_decisions_task_id_settled"),
            ["task_id", "settled"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_verifier_decisions_worker"), ["worker"], unique=False)

    op.create_table(
        "verifier_policies",
        sa.Column("requester", microtask.db.types.Address(length=42), nullable=False),
        sa.Column("task_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("issued_at", sa.BigInteger(), nullable=False),
        sa.Column("signature", sa.String(length=132), nullable=False),
        sa.PrimaryKeyConstraint("requester", "task_id", name=op.f("pk_verifier_policies")),
    )
    op.create_table(
        "verifier_requests",
        sa.Column("digest", sa.String(length=66), nullable=False),
        sa.Column("task_id", sa.BigInteger(), nullable=False),
        sa.Column("slot", sa.BigInteger(), nullable=False),
        sa.Column("worker", microtask.db.types.Address(length=42), nullable=False),
        sa.Column("expiry", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_verifier_requests")),
    )
    with op.batch_alter_table("verifier_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_verifier_requests_expiry"), ["expiry"], unique=False)

    op.create_table(
        "verifier_results",
        sa.Column("task_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("requester", microtask.db.types.Address(length=42), nullable=False),
        sa.Column("run", sa.Integer(), nullable=False),
        sa.Column("cid", sa.String(length=128), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=40), nullable=True),
        sa.Column("submissions", sa.Integer(), nullable=False),
        sa.Column("approved", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("undecided", sa.Integer(), nullable=False),
        sa.Column("assessed_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("task_id", name=op.f("pk_verifier_results")),
    )
    op.create_table(
        "verifier_settlements",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("task_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("approve", "reject", name="intentkind", native_enum=False),
            nullable=False,
        ),
        sa.Column("slots", sa.JSON(), nullable=False),
        sa.Column("workers", sa.JSON(), nullable=False),
        sa.Column("reason_cid", sa.String(length=128), nullable=True),
        sa.Column("sender", microtask.db.types.Address(length=42), nullable=False),
        sa.Column("nonce", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("raw_tx", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "signed",
                "sent",
                "mined",
                "failed",
                "dropped",
                name="intentstatus",
                native_enum=False,
            ),
            nullable=False,
        ),
        sa.Column("created_wall", sa.Float(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verifier_settlements")),
        sa.UniqueConstraint("tx_hash", name=op.f("uq_verifier_settlements_tx_hash")),
    )
    with op.batch_alter_table("verifier_settlements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_verifier_settlements_status"), ["status"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_verifier_settlements_task_id"), ["task_id"], unique=False
        )

    op.create_table(
        "verifier_slots",
        sa.Column("task_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("slot", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("item_index", sa.BigInteger(), nullable=False),
        sa.Column("worker", microtask.db.types.Address(length=42), nullable=False),
        sa.Column(
            "status",
            sa.Enum("reserved", "receipted", name="slothold", native_enum=False),
            nullable=False,
        ),
        sa.Column("request_digest", sa.String(length=66), nullable=False),
        sa.Column("reserved_at", sa.BigInteger(), nullable=False),
        sa.Column("lease_end", sa.BigInteger(), nullable=False),
        sa.Column("envelope_cid", sa.String(length=128), nullable=True),
        sa.Column("result_digest", sa.String(length=66), nullable=True),
        sa.Column("submitted_at", sa.BigInteger(), nullable=True),
        sa.Column("receipt_expiry", sa.BigInteger(), nullable=True),
        sa.Column("signature", sa.String(length=132), nullable=True),
        sa.PrimaryKeyConstraint("task_id", "slot", name=op.f("pk_verifier_slots")),
    )
    with op.batch_alter_table("verifier_slots", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_verifier_slots_task_id_worker"), ["task_id", "worker"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_verifier_slots_worker_status"), ["worker", "status"], unique=False
        )

    op.create_table(
        "verifier_worker_tasks",
        sa.Column("task_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("worker", microtask.db.types.Address(length=42), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("gold_checked", sa.Integer(), nullable=False),
        sa.Column("gold_correct", sa.Integer(), nullable=False),
        sa.Column("agreement_items", sa.Integer(), nullable=False),
        sa.Column("agreement_sum", sa.Float(), nullable=False),
        sa.Column("slots", sa.Integer(), nullable=False),
        sa.Column("approved", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("undecided", sa.Integer(), nullable=False),
        sa.Column("assessed_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("task_id", "worker", name=op.f("pk_verifier_worker_tasks")),
    )
    with op.batch_alter_table("verifier_worker_tasks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_verifier_worker_tasks_assessed_at"), ["assessed_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_verifier_worker_tasks_worker_kind"), ["worker", "kind"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("verifier_worker_tasks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_verifier_worker_tasks_worker_kind"))
        batch_op.drop_index(batch_op.f("ix_verifier_worker_tasks_assessed_at"))

    op.drop_table("verifier_worker_tasks")
    with op.batch_alter_table("verifier_slots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_verifier_slots_worker_status"))
        batch_op.drop_index(batch_op.f("ix_verifier_slots_task_id_worker"))

    op.drop_table("verifier_slots")
    with op.batch_alter_table("verifier_settlements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_verifier_settlements_task_id"))
        batch_op.drop_index(batch_op.f("ix_verifier_settlements_status"))

    op.drop_table("verifier_settlements")
    op.drop_table("verifier_results")
    with op.batch_alter_table("verifier_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_verifier_requests_expiry"))

    op.drop_table("verifier_requests")
    op.drop_table("verifier_policies")
    with op.batch_alter_table("verifier_decisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_verifier_decisions_worker"))
        batch_op.drop_index(batch_op.f("ix_verifier_decisions_task_id_settled"))

    op.drop_table("verifier_decisions")
