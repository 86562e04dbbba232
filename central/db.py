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

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Engine,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    text,
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
    # the applicant portal (revision 0005): the office booked (NULL: the default office, for
    # applications made before offices existed), "booked" or "cancelled", and when the applicant
    # consented to the privacy notice of which version (NULL: registered by staff, not online)
    # (no foreign key: a table of its own must stay creatable alone, as the migration tests build it;
    # offices are never deleted, and every writer takes the id from the offices table)
    Column("office_id", Integer, index=True),
    Column("status", String(16), nullable=False, server_default="booked"),
    Column("cancelled_at", DateTime(timezone=True)),
    Column("consent_at", DateTime(timezone=True)),
    Column("privacy_notice", String(16)),
)

station_tokens = Table(
    "station_tokens", metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True)),
    Column("office_id", Integer),  # the office the station will serve (revision 0005); NULL: the default
)

stations = Table(
    "stations", metadata,
    Column("station_id", String(32), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("public_key", LargeBinary, nullable=False),
    Column("registered_at", DateTime(timezone=True), nullable=False),
    Column("office_id", Integer),  # the office it serves: its queue (revision 0005); NULL: the default
    Column("revoked_at", DateTime(timezone=True)),  # set by ``central stations revoke`` (revision 0007)
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
    # the 1:N search after intake: queued until it has run (a search that cannot run stays
    # queued and is retried at the next start), then searched (revision 0003)
    Column("search_status", String(16), nullable=False, server_default="queued"),
    Column("search_note", Text),  # JSON: what was not usable, what the search found
    # retention (``central.retention``, revision 0004): when a record's biometrics were erased, and the
    # tombstone saying what was erased, under which rule, by whom; the row itself stays, so the record's
    # history (and every audit entry naming it) still resolves
    Column("erased_at", DateTime(timezone=True)),
    Column("erasure", Text),  # JSON tombstone
    # when the record became its application's accepted version: at intake, or when an adjudicator
    # released it from hold; the running gallery catches up on this (revision 0008)
    Column("accepted_at", DateTime(timezone=True), index=True),
)

record_files = Table(
    "record_files", metadata,
    Column("packet_id", String(32), ForeignKey("records.packet_id"), primary_key=True),
    Column("name", String(100), primary_key=True),
    Column("data", LargeBinary, nullable=False),
)

# -- identification (revision 0003) ----------------------------------------------------------
# Every candidate a search flags, and every re-enrollment held because it does not match the
# version before it, is an item of the adjudicators' queue; ``pair`` holds the two applications
# in sorted order ("A|B"), so a pair once decided is never queued again, whichever came first.
adjudication_items = Table(
    "adjudication_items", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(24), nullable=False),  # possible_duplicate | reenrollment_held
    Column("packet_id", String(32), ForeignKey("records.packet_id"), nullable=False, index=True),
    Column("application", String(32), nullable=False),
    Column("other_application", String(32), nullable=False),
    Column("other_packet_id", String(32)),
    Column("pair", String(70), nullable=False, index=True),
    Column("scores", Text, nullable=False),  # JSON: per modality and fused
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("decision", String(24), index=True),  # same_person | different_people | refer
    Column("decided_by", String(64)),
    Column("decided_at", DateTime(timezone=True)),
    # one item a pair of applications, whichever central process flagged it first (revision 0008)
    Index("uq_adjudication_items_duplicate_pair", "pair", unique=True,
          sqlite_where=text("kind = 'possible_duplicate'"), postgresql_where=text("kind = 'possible_duplicate'")),
)

# two applications an adjudicator found to be one person (both directions stored)
application_links = Table(
    "application_links", metadata,
    Column("application", String(32), primary_key=True),
    Column("linked", String(32), primary_key=True),
    Column("item_id", Integer, ForeignKey("adjudication_items.id"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# the central record's staff (adjudicators, administrators); ``name`` is the folded account key
staff = Table(
    "staff", metadata,
    Column("name", String(64), primary_key=True),
    Column("display_name", String(100), nullable=False),
    Column("role", String(16), nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("failures", Integer, nullable=False, server_default="0"),
    Column("locked_until", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# who did what at the central record beyond intake: staff accounts, decisions, links
central_audit = Table(
    "central_audit", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("action", String(48), nullable=False),
    Column("subject", String(64)),
    Column("detail", Text),
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


# -- offices and the applicant portal (revision 0005) ------------------------------------------
# an office's hours are wall-clock times in its own zone (WIB, WITA, WIT); ``closed_weekdays``
# lists Python weekdays (0 = Monday) separated by commas
offices = Table(
    "offices", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False, unique=True, index=True),
    Column("timezone", String(64), nullable=False),
    Column("opens", String(5), nullable=False),
    Column("closes", String(5), nullable=False),
    Column("slot_minutes", Integer, nullable=False),
    Column("capacity", Integer, nullable=False),
    Column("closed_weekdays", String(20), nullable=False, server_default="5,6"),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# a day an office is shut although its weekday is open (a holiday), or open with another capacity
office_days = Table(
    "office_days", metadata,
    Column("office_id", Integer, ForeignKey("offices.id"), primary_key=True),
    Column("day", String(10), primary_key=True),  # YYYY-MM-DD in the office's zone
    Column("closed", Boolean, nullable=False),
    Column("capacity", Integer),  # per slot on that day; NULL: the office's own
)

# the one-time ids of the portal's booking forms already used: a replayed form finds its id here
portal_forms = Table(
    "portal_forms", metadata,
    Column("form_id", String(64), primary_key=True),
    Column("used_at", DateTime(timezone=True), nullable=False, index=True),
)


# -- the back office (revision 0006) -----------------------------------------------------------
# a signed-in staff browser: only the SHA-256 of its cookie's token is kept (``central.staff``);
# a session ends after its idle or absolute time, or at log-out, when its row is deleted
staff_sessions = Table(
    "staff_sessions", metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("staff_name", String(64), ForeignKey("staff.name"), nullable=False, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_at", DateTime(timezone=True), nullable=False),
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


def private_sqlite_file(url: str) -> None:
    """Make a SQLite database's file 0600 before SQLite opens it (and tighten one left looser).

    SQLite creates a new file with 0644 under the usual umask of 022, and its ``-wal`` and ``-shm``
    files with the database file's own mode: so the file is made here first, with ``os.open`` and
    0600, and an existing file (and its ``-wal``/``-shm``) with group or other bits loses them.
    A path SQLite cannot open either is left for it to report.
    """
    from .keys import tighten

    database = make_url(url).database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return
    path = Path(database)
    try:
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    except OSError:
        return
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            tighten(file, 0o600)
        except FileNotFoundError:
            continue


def connect(url: str, keys: str | os.PathLike | None = None, wrapper=None) -> Engine:
    """An engine with the SQLite pragmas the intake depends on, schema migrated.

    ``keys`` is the key directory (``central.keys``), ``wrapper`` an HSM/KMS ``KeyWrapper``;
    without them the keys are found on first use (``BIOSTATION_CENTRAL_KEYS``, else beside a
    SQLite file). A SQLite file is created 0600 (:func:`private_sqlite_file`).
    """
    url = normalize_url(url)
    if url.startswith("sqlite"):
        private_sqlite_file(url)
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
    if keys is not None or wrapper is not None:
        from .keys import bind

        bind(engine, keys, wrapper)
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
