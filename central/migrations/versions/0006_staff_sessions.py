"""The back office's staff sessions: one row per signed-in browser (the SHA-256 of its cookie's token),
with when it began and when it was last used, for the idle and absolute expiry (``central.staff``).
A new table only: databases before this revision had no web sessions to carry over.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff_sessions",
        sa.Column("token_hash", sa.String(length=64), primary_key=True),
        sa.Column("staff_name", sa.String(length=64), sa.ForeignKey("staff.name"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_staff_sessions_staff_name", "staff_sessions", ["staff_name"])


def downgrade() -> None:
    op.drop_index("ix_staff_sessions_staff_name", table_name="staff_sessions")
    op.drop_table("staff_sessions")
