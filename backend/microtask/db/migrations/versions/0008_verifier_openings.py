"""The answers each receipted slot's hand-in check opened, sealed to the verifier
(``verifier_slots.opened``), so an assessment in any process need not open the envelope
again (see `microtask.verifier.opened`).

Existing receipts have none: their envelopes are opened as before.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 14:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("verifier_slots", schema=None) as batch_op:
        batch_op.add_column(sa.Column("opened", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("verifier_slots", schema=None) as batch_op:
        batch_op.drop_column("opened")
