"""When a record entered the gallery, and one open-or-decided duplicate item per application pair.

``records.accepted_at``: when a record became its application's accepted version — at intake, or when
an adjudicator released a held re-enrollment. The running gallery catches up on it, so a released
version is searched against from the next search on, not from the next start. Existing accepted
records take their ``received_at``.

``adjudication_items``: a unique index on ``pair`` for the possible-duplicate kind. Two central
processes searching the same person's two records at the same moment both flag the pair; the index
keeps one item. Open items whose pair has a decided item or an earlier one are removed first (the
item kept carries every score an adjudicator needs; a decided item is never removed).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

ONE_ITEM_A_PAIR = "uq_adjudication_items_duplicate_pair"
DUPLICATE_KIND = sa.text("kind = 'possible_duplicate'")


def upgrade() -> None:
    with op.batch_alter_table("records") as batch:
        batch.add_column(sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_index("ix_records_accepted_at", ["accepted_at"])
    op.execute("UPDATE records SET accepted_at = received_at WHERE status = 'accepted'")
    op.execute("DELETE FROM adjudication_items WHERE kind = 'possible_duplicate' AND decision IS NULL AND EXISTS "
               "(SELECT 1 FROM adjudication_items AS other WHERE other.pair = adjudication_items.pair "
               " AND other.kind = 'possible_duplicate' AND other.id <> adjudication_items.id "
               " AND (other.decision IS NOT NULL OR other.id < adjudication_items.id))")
    op.create_index(ONE_ITEM_A_PAIR, "adjudication_items", ["pair"], unique=True,
                    sqlite_where=DUPLICATE_KIND, postgresql_where=DUPLICATE_KIND)


def downgrade() -> None:
    op.drop_index(ONE_ITEM_A_PAIR, table_name="adjudication_items")
    with op.batch_alter_table("records") as batch:
        batch.drop_index("ix_records_accepted_at")
        batch.drop_column("accepted_at")
