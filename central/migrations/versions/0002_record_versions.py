"""Record versions: each record's status (accepted / held), why it is held, and its 1:1 check.

A second enrollment of an application is compared with the version it would replace; one
that does not match is kept but held for an adjudicator instead of becoming what
verification reads (``central.store.intake``). Records stored before this revision were
taken as they came, so they are "accepted" (the server default fills them in place).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-13
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("records") as batch:
        batch.add_column(sa.Column("status", sa.String(length=16), nullable=False, server_default="accepted"))
        batch.add_column(sa.Column("hold_reason", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("verification", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("records") as batch:
        batch.drop_column("verification")
        batch.drop_column("hold_reason")
        batch.drop_column("status")
