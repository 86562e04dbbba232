"""The central record's database: SQLite by default, PostgreSQL in bigger offices.

Tables are SQLAlchemy Core; the schema is built by the Alembic revisions in
``central.migrations`` (recorded in ``alembic_version``), so a database created by an older
release is brought forward in place. Change a table here, then add a revision there (its
docstring says how); ``tests/test_central_migrations.py`` fails while the two disagree.
SQLite runs in WAL with ``BEGIN IMMEDIATE`` for every transaction: a deferred transaction
that later upgrades to a write ignores the busy timeout and fails at once under concurrent
intake, which would turn a burst of stations into refused packets.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Engine,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
)
from sqlalchemy.engine import make_url

metadata = MetaData()

identity = Table(
    "central_identity", metadata,
    Column("id", Integer, primary_key=True),
    Column("private_key", LargeBinary, nullable=False),
)

applications = Table(
    "applications", metadata,
    Column("number", String(32), primary_key=True),
    Column("given_name", String(100), nullable=False),
    Column("surname", String(100), nullable=False),
    Column("birth_date", String(10), nullable=False),
    Column("service", String(32), nullable=False),
    Column("appointment_at", DateTime(timezone=True), nullable=False, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

station_tokens = Table(
    "station_tokens", metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True)),
)

stations = Table(
    "stations", metadata,
    Column("station_id", String(32), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("public_key", LargeBinary, nullable=False),
    Column("registered_at", DateTime(timezone=True), nullable=False),
)

records = Table(
    "records", metadata,
    Column("packet_id", String(32), primary_key=True),
    Column("application", String(32), ForeignKey("applications.number"), nullable=False, index=True),
    Column("station_id", String(32), ForeignKey("stations.station_id"), nullable=False),
    Column("digest", String(64), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("manifest", Text, nullable=False),
    Column("emulated", Boolean, nullable=False),
    # Every version of an application's record is kept; the newest "accepted" one is what
    # verification reads. A later version that does not match it 1:1 is stored "held" for an
    # adjudicator (``hold_reason`` a catalog id) and never replaces it (revision 0002).
    Column("status", String(16), nullable=False, server_default="accepted"),
    Column("hold_reason", String(64)),
    Column("verification", Text),  # JSON: the version compared against and the 1:1 scores
)

record_files = Table(
    "record_files", metadata,
    Column("packet_id", String(32), ForeignKey("records.packet_id"), primary_key=True),
    Column("name", String(100), primary_key=True),
    Column("data", LargeBinary, nullable=False),
)

flags = Table(
    "duplicate_flags", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("packet_id", String(32), ForeignKey("records.packet_id"), nullable=False, index=True),
    Column("other_application", String(32), nullable=False),
    Column("modality", String(16), nullable=False),
    Column("score", Float, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

intake_log = Table(
    "intake_log", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("station_id", String(64)),
    Column("packet_id", String(64)),
    Column("outcome", String(32), nullable=False),
    Column("detail", Text),
)

feedback = Table(
    "feedback", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("application", String(32), nullable=False),
    Column("stars", Integer, nullable=False),
    Column("comment", Text, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)


def normalize_url(url: str) -> str:
    """Accept ``sqlite:///file``, a bare file path, and ``postgresql://`` (driven by psycopg 3)."""
    if "://" not in url:
        return "sqlite:///" + str(Path(url).expanduser().resolve())
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return url


@contextmanager
def scratch_database(server_url: str, prefix: str = "bs_") -> Iterator[str]:
    """A fresh PostgreSQL database on ``server_url`` for one test or benchmark, dropped afterwards.

    (``initdb`` refuses to run as root, so tests use the machine's server, not their own.)
    """
    import psycopg

    admin = server_url.replace("postgresql+psycopg://", "postgresql://")
    name = prefix + uuid.uuid4().hex[:12]
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    try:
        yield admin.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def connect(url: str) -> Engine:
    """An engine with the SQLite pragmas the intake depends on, schema migrated."""
    url = normalize_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection, _record) -> None:
            dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
            cur = dbapi_connection.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        engine = create_engine(url, pool_pre_ping=True)
    migrate(engine)
    return engine


def migrate(engine: Engine) -> str:
    """Bring the database to the newest schema revision and return it (see ``central.migrations``).

    An empty database is built from the revisions; one built before Alembic (its tables and a
    ``schema_version`` table, no ``alembic_version``) is stamped with the baseline, not rebuilt;
    an up-to-date one is left alone.
    """
    from .migrations import upgrade_to_head

    return upgrade_to_head(engine)
