"""Offices and the applicant portal: offices with their hours, zone, slot length and capacity,
the days an office is shut or runs another capacity, the one-time ids of used booking forms, and
for each application its office, its status (booked or cancelled) and the applicant's consent,
and for each station (and registration token) the office it serves.

Applications made before this revision keep no office (the default office's, ``central.offices``),
are "booked", and carry no online consent (staff registered them).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "offices",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("opens", sa.String(length=5), nullable=False),
        sa.Column("closes", sa.String(length=5), nullable=False),
        sa.Column("slot_minutes", sa.Integer(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("closed_weekdays", sa.String(length=20), nullable=False, server_default="5,6"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_offices_name", "offices", ["name"], unique=True)
    op.create_table(
        "office_days",
        sa.Column("office_id", sa.Integer(), sa.ForeignKey("offices.id"), primary_key=True),
        sa.Column("day", sa.String(length=10), primary_key=True),
        sa.Column("closed", sa.Boolean(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=True),
    )
    op.create_table(
        "portal_forms",
        sa.Column("form_id", sa.String(length=64), primary_key=True),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_portal_forms_used_at", "portal_forms", ["used_at"])
    with op.batch_alter_table("applications") as batch:
        batch.add_column(sa.Column("office_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("status", sa.String(length=16), nullable=False, server_default="booked"))
        batch.add_column(sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("consent_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("privacy_notice", sa.String(length=16), nullable=True))
        batch.create_index("ix_applications_office_id", ["office_id"])
    for table in ("station_tokens", "stations"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("office_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    for table in ("stations", "station_tokens"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("office_id")
    with op.batch_alter_table("applications") as batch:
        batch.drop_index("ix_applications_office_id")
        batch.drop_column("privacy_notice")
        batch.drop_column("consent_at")
        batch.drop_column("cancelled_at")
        batch.drop_column("status")
        batch.drop_column("office_id")
    op.drop_index("ix_portal_forms_used_at", table_name="portal_forms")
    op.drop_table("portal_forms")
    op.drop_table("office_days")
    op.drop_index("ix_offices_name", table_name="offices")
    op.drop_table("offices")
