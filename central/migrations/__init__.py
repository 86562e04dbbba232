"""Schema migrations of the central record (Alembic), run by the central record itself.

Adding or changing a table: edit ``central/db.py`` (the SQLAlchemy Core tables are the
truth), then write the revision that brings an existing database there::

    .venv/bin/python -m central.migrations revision -m "add office capacity" --autogenerate

That builds a scratch SQLite database at the current head, compares it with
``central.db.metadata`` and writes ``versions/NNNN_add_office_capacity.py`` (numbered after
the newest one) with the operations it found. Read it before committing: autogenerate sees
added and dropped tables, columns, indexes and foreign keys and changed types, but not
renames (it writes drop + add, which loses data) nor data that has to move; it renders
``op.batch_alter_table`` so the same revision alters SQLite (which rebuilds the table) and
PostgreSQL. ``--db postgresql://…`` compares against that database instead of a scratch one.
Without ``--autogenerate`` the revision is an empty skeleton. Other commands:
``upgrade --db URL`` (what every start does anyway), ``current --db URL``, ``history``,
``check`` (fails while ``central/db.py`` has changes no revision makes).
``tests/test_central_migrations.py`` runs the same comparison, so a table added to
``central/db.py`` without a revision fails the tests. The plain ``alembic`` CLI works too,
given a config naming this folder: ``script_location = central:migrations`` and
``sqlalchemy.url = …``.

Every ``central.db.connect`` calls :func:`upgrade_to_head`: an empty database is built by
the revisions; a database created before Alembic (all the baseline tables and the old
``schema_version`` table, but no ``alembic_version``) is stamped with the baseline, its
rows untouched, and its ``schema_version`` dropped; a database at head is left alone. The
whole step is one transaction (SQLite ``BEGIN IMMEDIATE``; a PostgreSQL advisory lock), so
two processes starting on the same new database do not both build it.
"""

from __future__ import annotations

import threading
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect, text

HERE = Path(__file__).resolve().parent

BASELINE = "0001"
"""The revision that creates the schema as it was when Alembic arrived."""

BASELINE_TABLES = frozenset({"central_identity", "applications", "station_tokens", "stations", "records",
                             "record_files", "duplicate_flags", "intake_log", "feedback"})
"""The tables a pre-Alembic database has; exactly what revision 0001 creates. Never edit."""

LEGACY_VERSION_TABLE = "schema_version"
_LEGACY_VERSION = 1  # the last number the pre-Alembic migrator wrote (its one step: create_all)
_PG_LOCK = 0x62696F5F63656E  # pg_advisory_xact_lock key: b"bio_cen"

_lock = threading.Lock()  # alembic's ``context`` is one module-level proxy: one migration at a time per process


class SchemaError(RuntimeError):
    """The database is in a state no revision explains (partly built, or from a newer release)."""


def config(connection: Connection | None = None, url: str | None = None) -> Config:
    """An Alembic config for this package's revisions (no alembic.ini), optionally bound to a connection."""
    cfg = Config(attributes={"connection": connection} if connection is not None else {})
    cfg.set_main_option("script_location", str(HERE))
    cfg.set_main_option("path_separator", "os")
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def head() -> str:
    """The newest revision in ``versions/``."""
    return ScriptDirectory.from_config(config()).get_current_head()


def current(connection: Connection) -> str | None:
    """The revision the database is at, ``None`` when it has none."""
    return MigrationContext.configure(connection).get_current_revision()


def upgrade_to_head(engine: Engine) -> str:
    """Bring the database to the newest revision (see the module docstring); returns it."""
    with _lock, engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK})
        cfg = config(conn)
        if current(conn) is None:
            _adopt_pre_alembic(conn, cfg)
        if current(conn) != head():
            command.upgrade(cfg, "head")
        return current(conn)


def _adopt_pre_alembic(conn: Connection, cfg: Config) -> None:
    """Stamp a database made before Alembic with the baseline (its schema is the baseline's)."""
    tables = set(inspect(conn).get_table_names())
    if LEGACY_VERSION_TABLE in tables:
        versions = conn.execute(text(f"SELECT version FROM {LEGACY_VERSION_TABLE}")).scalars().all()
        if max(versions, default=0) > _LEGACY_VERSION:
            raise SchemaError(f"{LEGACY_VERSION_TABLE} says version {max(versions)}, which no release knows")
    present = tables & BASELINE_TABLES
    if present == BASELINE_TABLES:
        command.stamp(cfg, BASELINE)
    elif present:
        missing = ", ".join(sorted(BASELINE_TABLES - present))
        raise SchemaError(f"the central record's database is partly built (no {missing}) and has no "
                          "alembic_version; restore it or start from an empty database")
    if LEGACY_VERSION_TABLE in tables:
        conn.execute(text(f"DROP TABLE {LEGACY_VERSION_TABLE}"))
