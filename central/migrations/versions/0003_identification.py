"""Identification: the adjudicators' queue, application links, staff accounts, the central audit,
and each record's search status.

The per-modality ``duplicate_flags`` of earlier releases become queue items (one per flagged
application pair, its old scores kept under ``legacy``), so no flag an office has is lost.
Records stored before this revision were searched when they arrived: they are marked
"searched", not queued again.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "adjudication_items",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("packet_id", sa.String(length=32), sa.ForeignKey("records.packet_id"), nullable=False),
        sa.Column("application", sa.String(length=32), nullable=False),
        sa.Column("other_application", sa.String(length=32), nullable=False),
        sa.Column("other_packet_id", sa.String(length=32), nullable=True),
        sa.Column("pair", sa.String(length=70), nullable=False),
        sa.Column("scores", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decision", sa.String(length=24), nullable=True),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_adjudication_items_packet_id", "adjudication_items", ["packet_id"])
    op.create_index("ix_adjudication_items_pair", "adjudication_items", ["pair"])
    op.create_index("ix_adjudication_items_decision", "adjudication_items", ["decision"])
    op.create_table(
        "application_links",
        sa.Column("application", sa.String(length=32), primary_key=True),
        sa.Column("linked", sa.String(length=32), primary_key=True),
        sa.Column("item_id", sa.Integer(), sa.ForeignKey("adjudication_items.id"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "staff",
        sa.Column("name", sa.String(length=64), primary_key=True),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "central_audit",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=48), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
    )
    with op.batch_alter_table("records") as batch:
        batch.add_column(sa.Column("search_status", sa.String(length=16), nullable=False, server_default="queued"))
        batch.add_column(sa.Column("search_note", sa.Text(), nullable=True))
    conn = op.get_bind()
    conn.execute(sa.text("UPDATE records SET search_status = 'searched'"))
    old = conn.execute(sa.text(
        "SELECT f.packet_id, r.application, f.other_application, f.modality, f.score, f.created_at "
        "FROM duplicate_flags f JOIN records r ON r.packet_id = f.packet_id ORDER BY f.id")).all()
    grouped: dict[tuple[str, str], dict] = {}
    for packet_id, application, other, modality, score, created_at in old:
        item = grouped.setdefault((packet_id, other), {
            "kind": "possible_duplicate", "packet_id": packet_id, "application": application,
            "other_application": other, "pair": "|".join(sorted((application, other))),
            "legacy": {}, "created_at": created_at})
        item["legacy"][modality] = score
    if grouped:  # raw SQL: the old times go back as the database gave them (text on SQLite)
        conn.execute(sa.text(
            "INSERT INTO adjudication_items (kind, packet_id, application, other_application, pair, scores, "
            "created_at) VALUES (:kind, :packet_id, :application, :other_application, :pair, :scores, :created_at)"),
            [{k: v for k, v in item.items() if k != "legacy"} | {"scores": json.dumps({"legacy": item["legacy"]})}
             for item in grouped.values()])
    op.drop_index("ix_duplicate_flags_packet_id", table_name="duplicate_flags")
    op.drop_table("duplicate_flags")


def downgrade() -> None:
    op.create_table(
        "duplicate_flags",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("packet_id", sa.String(length=32), sa.ForeignKey("records.packet_id"), nullable=False),
        sa.Column("other_application", sa.String(length=32), nullable=False),
        sa.Column("modality", sa.String(length=16), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_duplicate_flags_packet_id", "duplicate_flags", ["packet_id"])
    with op.batch_alter_table("records") as batch:
        batch.drop_column("search_note")
        batch.drop_column("search_status")
    for table in ("central_audit", "staff", "application_links", "adjudication_items"):
        op.drop_table(table)
