"""Manifest qualifications: one row per qualification a valid manifest asks for, so the
API filters ``eligible_for`` by index. Filled for manifests already resolved, from their
stored documents.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 12:12:49.465930
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "manifest_qualifications",
        sa.Column("cid", sa.String(length=128), nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("min_score", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["cid"],
            ["manifests.cid"],
            name=op.f("fk_manifest_qualifications_cid_manifests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("cid", "name", name=op.f("pk_manifest_qualifications")),
    )
    manifests = sa.table(
        "manifests",
        sa.column("cid", sa.String()),
        sa.column("status", sa.String()),
        sa.column("document", sa.JSON()),
    )
    qualifications = sa.table(
        "manifest_qualifications",
        sa.column("cid", sa.String()),
        sa.column("name", sa.String()),
        sa.column("min_score", sa.Float()),
    )
    connection = op.get_bind()
    rows = []
    for cid, document in connection.execute(
        sa.select(manifests.c.cid, manifests.c.document).where(manifests.c.status == "ok")
    ):
        for qualification in (document or {}).get("qualifications") or []:
            rows.append(
                {
                    "cid": cid,
                    "name": qualification["name"],
                    "min_score": qualification.get("min_score"),
                }
            )
    if rows:
        op.bulk_insert(qualifications, rows)


def downgrade() -> None:
    op.drop_table("manifest_qualifications")
