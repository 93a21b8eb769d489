"""Initial schema: events, blocks, checkpoints, escrow state, tasks, slots, assignments,
settlements, disputes, accounts, ledger, manifests.

Revision ID: 0001
Revises:
Create Date: 2026-11-23 10:24:19.356502
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import microtask.db.types

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("token", microtask.db.types.Address(length=42), nullable=False),
        sa.Column("address", microtask.db.types.Address(length=42), nullable=False),
        sa.Column("balance", microtask.db.types.Amount(length=78), nullable=False),
        sa.Column("approved", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("disputes_won", sa.Integer(), nullable=False),
        sa.Column("disputes_lost", sa.Integer(), nullable=False),
        sa.Column("earned", microtask.db.types.Amount(length=78), nullable=False),
        sa.Column("bonuses", microtask.db.types.Amount(length=78), nullable=False),
        sa.Column("fees", microtask.db.types.Amount(length=78), nullable=False),
        sa.Column("refunded", microtask.db.types.Amount(length=78), nullable=False),
        sa.Column("funded", microtask.db.types.Amount(length=78), nullable=False),
        sa.Column("withdrawn", microtask.db.types.Amount(length=78), nullable=False),
        sa.Column("updated_block", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("token", "address", name=op.f("pk_accounts")),
    )
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_accounts_address_token"), ["address", "token"], unique=False
        )

    op.create_table(
        "blocks",
        sa.Column("number", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.String(length=66), nullable=False),
        sa.Column("parent_hash", sa.String(length=66), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("number", name=op.f("pk_blocks")),
        sa.UniqueConstraint("hash", name=op.f("uq_blocks_hash")),
    )
    op.create_table(
        "checkpoints",
        sa.Column("contract", microtask.db.types.Address(length=42), nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("deployment_block", sa.BigInteger(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.Column("block_timestamp", sa.BigInteger(), nullable=False),
        sa.Column("chain_head", sa.BigInteger(), nullable=False),
        sa.Column("chain_head_timestamp", sa.BigInteger(), nullable=False),
        sa.Column("chain_head_seen_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("contract", name=op.f("pk_checkpoints")),
    )
    op.create_table(
        "disputes",
        sa.Column("task_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("slot", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("assignment", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("worker", microtask.db.types.Address(length=42), nullable=False),
        sa.Column("arbitrator", microtask.db.types.Address(length=42), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "upheld",
                "overturned",
                "timed_out",
                "settled",
                name="disputestatus",
                native_enum=False,
            ),
            nullable=False,
        ),
        sa.Column("reason_cid", sa.String(length=128), nullable=False),
        sa.Column("opened_at", sa.BigInteger(), nullable=False),
        sa.Column("ruling_cid", sa.String(length=128), nullable=True),
        sa.Column("resolved_at", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("task_id", "slot", "assignment", name=op.f("pk_disputes")),
    )
    with op.batch_alter_table("disputes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_disputes_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_disputes_worker"), ["worker"], unique=False)

    op.create_table(
        "escrow_state",
        sa.Column("contract", microtask.db.types.Address(length=42), nullable=False),
        sa.Column("owner", microtask.db.types.Address(length=42), nullable=False),
        sa.Column("pending_owner", microtask.db.types.Address(length=42), nullable=True),
        sa.Column("treasury", microtask.db.types.Address(length=42), nullable=False),
        sa.Column("fee_bps", sa.Integer(), nullable=False),
        sa.Column("default_arbitrator", microtask.db.types.Address(length=42), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("dispute_window", sa.BigInteger(), nullable=False),
        sa.Column("arbitration_timeout", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("contract", name=op.f("pk_escrow_state")),
    )
    op.create_table(
        "events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.Column("block_timestamp", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("tx_index", sa.Integer(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("task_id", sa.BigInteger(), nullable=True),
        sa.Column("args", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
        sa.UniqueConstraint("block_hash", "log_index", name=op.f("uq_events_block_hash_log_index")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_events_block_number_log_index"),
            ["block_number", "log_index"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_events_task_id_id"), ["task_id", "id"], unique=False)

    op.create_table(
        "ledger",
        sa.Column("block_number", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("log_index", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("token", microtask.db.types.Address(length=42), nullable=False),
        sa.Column("account", microtask.db.types.Address(length=42), nullable=False),
        sa.Column("amount", microtask.db.types.Amount(length=78), nullable=False),
        sa.Column(
            "direction", sa.Enum("in", "out", name="direction", native_enum=False), nullable=False
        ),
        sa.Column(
            "kind",
            sa.Enum(
                "reward",
                "fee",
                "refund",
                "bonus",
                "withdrawal",
                "funding",
                name="movementkind",
                native_enum=False,
            ),
            nullable=False,
        ),
        sa.Column("task_id", sa.BigInteger(), nullable=True),
        sa.Column("slot", sa.BigInteger(), nullable=True),
        sa.Column("counterparty", microtask.db.types.Address(length=42), nullable=True),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("block_number", "log_index", "seq", name=op.f("pk_ledger")),
    )
    with op.batch_alter_table("ledger", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ledger_account_token_block_number"),
            ["account", "token", "block_number"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_ledger_task_id"), ["task_id"], unique=False)

    op.create_table(
        "manifests",
        sa.Column("cid", sa.String(length=128), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending", "ok", "invalid", "unreachable", name="manifeststatus", native_enum=False
            ),
            nullable=False,
        ),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.Float(), nullable=True),
        sa.Column("fetched_at", sa.Float(), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=True),
        sa.Column("language", sa.String(length=35), nullable=True),
        sa.Column("time_estimate_seconds", sa.BigInteger(), nullable=True),
        sa.Column("item_count", sa.BigInteger(), nullable=True),
        sa.Column("redundancy", sa.Integer(), nullable=True),
        sa.Column("requester", microtask.db.types.Address(length=42), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=True),
        sa.Column("document", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("cid", name=op.f("pk_manifests")),
    )
    with op.batch_alter_table("manifests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_manifests_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_manifests_language"), ["language"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_manifests_status_next_attempt_at"),
            ["status", "next_attempt_at"],
            unique=False,
        )

    op.create_table(
        "settlements",
        sa.Column("block_number", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("log_index", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("slot", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("task_id", sa.BigInteger(), nullable=False),
        sa.Column("assignment", sa.Integer(), nullable=False),
        sa.Column("worker", microtask.db.types.Address(length=42), nullable=False),
        sa.Column(
            "outcome",
            sa.Enum("approved", "rejected", "closed", name="settlementoutcome", native_enum=False),
            nullable=False,
        ),
        sa.Column(
            "basis",
            sa.Enum(
                "review",
                "silence",
                "arbitration",
                "arbitration_timeout",
                name="approvalbasis",
                native_enum=False,
            ),
            nullable=True,
        ),
        sa.Column("reward", microtask.db.types.Amount(length=78), nullable=True),
        sa.Column("fee", microtask.db.types.Amount(length=78), nullable=True),
        sa.Column("refunded", microtask.db.types.Amount(length=78), nullable=True),
        sa.Column("reason_cid", sa.String(length=128), nullable=True),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("block_number", "log_index", "slot", name=op.f("pk_settlements")),
    )
    with op.batch_alter_table("settlements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_settlements_task_id_slot"), ["task_id", "slot"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_settlements_worker_block_number"),
            ["worker", "block_number"],
            unique=False,
        )

    op.create_table(
        "manifest_tags",
        sa.Column("cid", sa.String(length=128), nullable=False),
        sa.Column("tag", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["cid"],
            ["manifests.cid"],
            name=op.f("fk_manifest_tags_cid_manifests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("cid", "tag", name=op.f("pk_manifest_tags")),
    )
    with op.batch_alter_table("manifest_tags", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_manifest_tags_tag"), ["tag"], unique=False)

    op.create_table(
        "tasks",
        sa.Column("task_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("requester", microtask.db.types.Address(length=42), nullable=False),
        sa.Column("token", microtask.db.types.Address(length=42), nullable=False),
        sa.Column("manifest_cid", sa.String(length=128), nullable=False),
        sa.Column("reward", microtask.db.types.Amount(length=78), nullable=False),
        sa.Column("fee_bps", sa.Integer(), nullable=False),
        sa.Column("slot_count", sa.BigInteger(), nullable=False),
        sa.Column("receipt_slots", sa.BigInteger(), nullable=False),
        sa.Column("open_slots", sa.BigInteger(), nullable=False),
        sa.Column("receipt_slots_used", sa.BigInteger(), nullable=False),
        sa.Column("deadline", sa.BigInteger(), nullable=False),
        sa.Column("review_period", sa.BigInteger(), nullable=False),
        sa.Column("lease", sa.BigInteger(), nullable=False),
        sa.Column("verifier", microtask.db.types.Address(length=42), nullable=False),
        sa.Column("arbitrator", microtask.db.types.Address(length=42), nullable=False),
        sa.Column("min_approved", sa.BigInteger(), nullable=False),
        sa.Column("min_approval_bps", sa.Integer(), nullable=False),
        sa.Column("cancelled", sa.Boolean(), nullable=False),
        sa.Column("receipt_slots_reclaimed", sa.Boolean(), nullable=False),
        sa.Column("escrow", microtask.db.types.Amount(length=78), nullable=False),
        sa.Column("fee", microtask.db.types.Amount(length=78), nullable=False),
        sa.Column("available_slots", sa.BigInteger(), nullable=False),
        sa.Column("approved_slots", sa.BigInteger(), nullable=False),
        sa.Column("closed_slots", sa.BigInteger(), nullable=False),
        sa.Column("funded", microtask.db.types.Amount(length=78), nullable=False),
        sa.Column("paid", microtask.db.types.Amount(length=78), nullable=False),
        sa.Column("fees_paid", microtask.db.types.Amount(length=78), nullable=False),
        sa.Column("refunded", microtask.db.types.Amount(length=78), nullable=False),
        sa.Column("bonuses", microtask.db.types.Amount(length=78), nullable=False),
        sa.Column("created_block", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("created_tx", sa.String(length=66), nullable=False),
        sa.Column("cancelled_at", sa.BigInteger(), nullable=True),
        sa.Column("updated_block", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["manifest_cid"], ["manifests.cid"], name=op.f("fk_tasks_manifest_cid_manifests")
        ),
        sa.PrimaryKeyConstraint("task_id", name=op.f("pk_tasks")),
    )
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_tasks_cancelled_deadline_available_slots"),
            ["cancelled", "deadline", "available_slots"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_tasks_deadline_task_id"), ["deadline", "task_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_tasks_manifest_cid"), ["manifest_cid"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_tasks_requester_task_id"), ["requester", "task_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_tasks_reward_task_id"), ["reward", "task_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_tasks_token_reward_task_id"),
            ["token", "reward", "task_id"],
            unique=False,
        )

    op.create_table(
        "slots",
        sa.Column("task_id", sa.BigInteger(), nullable=False),
        sa.Column("slot", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "open",
                "claimed",
                "submitted",
                "rejected",
                "disputed",
                "approved",
                "closed",
                name="slotstatus",
                native_enum=False,
            ),
            nullable=False,
        ),
        sa.Column("worker", microtask.db.types.Address(length=42), nullable=True),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.Column("assignments", sa.Integer(), nullable=False),
        sa.Column("updated_block", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.task_id"], name=op.f("fk_slots_task_id_tasks"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("task_id", "slot", name=op.f("pk_slots")),
    )
    with op.batch_alter_table("slots", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_slots_worker_state"), ["worker", "state"], unique=False
        )

    op.create_table(
        "assignments",
        sa.Column("task_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("slot", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("number", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("worker", microtask.db.types.Address(length=42), nullable=False),
        sa.Column(
            "source",
            sa.Enum("claim", "receipt", "direct", name="assignmentsource", native_enum=False),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "claimed",
                "released",
                "lapsed",
                "submitted",
                "rejected",
                "disputed",
                "approved",
                "closed",
                name="assignmentstatus",
                native_enum=False,
            ),
            nullable=False,
        ),
        sa.Column("claimed_at", sa.BigInteger(), nullable=True),
        sa.Column("lease_end", sa.BigInteger(), nullable=True),
        sa.Column("submitted_at", sa.BigInteger(), nullable=True),
        sa.Column("result_cid", sa.String(length=128), nullable=True),
        sa.Column("result_digest", sa.String(length=66), nullable=True),
        sa.Column("receipt_signer", microtask.db.types.Address(length=42), nullable=True),
        sa.Column("rejected_at", sa.BigInteger(), nullable=True),
        sa.Column("rejection_cid", sa.String(length=128), nullable=True),
        sa.Column(
            "basis",
            sa.Enum(
                "review",
                "silence",
                "arbitration",
                "arbitration_timeout",
                name="approvalbasis",
                native_enum=False,
            ),
            nullable=True,
        ),
        sa.Column("reward", microtask.db.types.Amount(length=78), nullable=True),
        sa.Column("refunded", microtask.db.types.Amount(length=78), nullable=True),
        sa.Column("ended_at", sa.BigInteger(), nullable=True),
        sa.Column("started_block", sa.BigInteger(), nullable=False),
        sa.Column("updated_block", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["task_id", "slot"],
            ["slots.task_id", "slots.slot"],
            name=op.f("fk_assignments_task_id_slots"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("task_id", "slot", "number", name=op.f("pk_assignments")),
    )
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assignments_status"), ["status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_assignments_worker_task_id"), ["worker", "task_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assignments_worker_task_id"))
        batch_op.drop_index(batch_op.f("ix_assignments_status"))

    op.drop_table("assignments")
    with op.batch_alter_table("slots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_slots_worker_state"))

    op.drop_table("slots")
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tasks_token_reward_task_id"))
        batch_op.drop_index(batch_op.f("ix_tasks_reward_task_id"))
        batch_op.drop_index(batch_op.f("ix_tasks_requester_task_id"))
        batch_op.drop_index(batch_op.f("ix_tasks_manifest_cid"))
        batch_op.drop_index(batch_op.f("ix_tasks_deadline_task_id"))
        batch_op.drop_index(batch_op.f("ix_tasks_cancelled_deadline_available_slots"))

    op.drop_table("tasks")
    with op.batch_alter_table("manifest_tags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_manifest_tags_tag"))

    op.drop_table("manifest_tags")
    with op.batch_alter_table("settlements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_settlements_worker_block_number"))
        batch_op.drop_index(batch_op.f("ix_settlements_task_id_slot"))

    op.drop_table("settlements")
    with op.batch_alter_table("manifests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_manifests_status_next_attempt_at"))
        batch_op.drop_index(batch_op.f("ix_manifests_language"))
        batch_op.drop_index(batch_op.f("ix_manifests_kind"))

    op.drop_table("manifests")
    with op.batch_alter_table("ledger", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ledger_task_id"))
        batch_op.drop_index(batch_op.f("ix_ledger_account_token_block_number"))

    op.drop_table("ledger")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_task_id_id"))
        batch_op.drop_index(batch_op.f("ix_events_block_number_log_index"))

    op.drop_table("events")
    op.drop_table("escrow_state")
    with op.batch_alter_table("disputes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_disputes_worker"))
        batch_op.drop_index(batch_op.f("ix_disputes_status"))

    op.drop_table("disputes")
    op.drop_table("checkpoints")
    op.drop_table("blocks")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_accounts_address_token"))

    op.drop_table("accounts")
