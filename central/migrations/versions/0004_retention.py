"""Retention: when a record's biometric files were erased, and the tombstone saying what and why.

``biostation central retention`` (``central.retention``) erases the biometric files of records
past their retention period and keeps the record's row with ``erased_at`` and ``erasure`` (JSON:
the files erased, the rule, the policy's period, who ran it), so the history of an application
and every audit entry naming a record still resolve. Records stored before this revision have
erased nothing: both columns are empty.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("records") as batch:
        batch.add_column(sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("erasure", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("records") as batch:
        batch.drop_column("erasure")
        batch.drop_column("erased_at")
