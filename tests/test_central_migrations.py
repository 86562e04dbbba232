"""The central record's schema migrations: built from nothing, adopted from before Alembic, idempotent,
and equal to ``central.db.metadata`` (the test that keeps a table added without a revision from landing).

SQLite always; PostgreSQL too with BIOSTATION_TEST_PG (the ``central_db`` fixture).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.exc import IntegrityError

from central import db
from central.migrations import BASELINE, BASELINE_TABLES, SchemaError, config, head


@pytest.fixture
def engine(central_db):
    """A plain engine on the fixture's empty database (no migration), disposed afterwards."""
    plain = create_engine(db.normalize_url(central_db))
    yield plain
    plain.dispose()


def _pre_alembic(engine) -> None:
    """What the release before Alembic left behind: the baseline's tables and ``schema_version`` = 1.

    Built by the frozen baseline revision, then its ``alembic_version`` dropped: that release's
    ``metadata.create_all`` made exactly these tables (the no-differences test below proved it while
    0001 was head), and unlike today's metadata the baseline does not move when tables are added.
    """
    with engine.begin() as conn:
        command.upgrade(config(conn), BASELINE)
        conn.execute(text("DROP TABLE alembic_version"))
        conn.execute(text("CREATE TABLE schema_version (version INTEGER NOT NULL, PRIMARY KEY (version))"))
        conn.execute(text("INSERT INTO schema_version (version) VALUES (1)"))


def _revision(engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _differences(engine) -> list:
    with engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), db.metadata)


def _schema(engine) -> dict:
    """Tables → columns (name, nullable), primary key, foreign keys and indexes, as the database reports them."""
    found = inspect(engine)
    return {name: {"columns": sorted((c["name"], c["nullable"]) for c in found.get_columns(name)),
                   "primary_key": sorted(found.get_pk_constraint(name)["constrained_columns"]),
                   "foreign_keys": sorted((tuple(f["constrained_columns"]), f["referred_table"],
                                           tuple(f["referred_columns"])) for f in found.get_foreign_keys(name)),
                   "indexes": sorted((i["name"], tuple(i["column_names"]), bool(i["unique"]))
                                     for i in found.get_indexes(name))}
            for name in found.get_table_names() if name != "alembic_version"}


def _declared() -> dict:
    """The same, as ``central.db.metadata`` declares it."""
    return {table.name: {"columns": sorted((c.name, c.nullable) for c in table.columns),
                         "primary_key": sorted(c.name for c in table.primary_key.columns),
                         "foreign_keys": sorted(((f.parent.name,), f.column.table.name, (f.column.name,))
                                                for f in table.foreign_keys),
                         "indexes": sorted((i.name, tuple(c.name for c in i.columns), bool(i.unique))
                                           for i in table.indexes)}
            for table in db.metadata.sorted_tables}


def test_an_empty_database_is_built_to_head(central_db, engine):
    migrated = db.connect(central_db)
    try:
        assert _revision(engine) == head()
        assert set(inspect(engine).get_table_names()) == set(db.metadata.tables) | {"alembic_version"}
        assert _schema(engine) == _declared()
    finally:
        migrated.dispose()


def test_the_migrated_schema_is_what_central_db_declares(central_db, engine):
    """Alembic's autogenerate sees nothing to do: add a table to central/db.py without a revision and this fails."""
    db.connect(central_db).dispose()
    assert _differences(engine) == []


def test_a_database_from_before_alembic_is_stamped_not_rebuilt(central_db, engine):
    _pre_alembic(engine)
    at = datetime(2026, 5, 4, 9, 30, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(db.applications.insert().values(number="A1", given_name="Siti", surname="Rahayu",
                                                     birth_date="1990-01-02", service="passport",
                                                     appointment_at=at, created_at=at))
        conn.execute(db.feedback.insert().values(application="A1", stars=5, comment="cepat", at=at))

    migrated = db.connect(central_db)
    try:
        assert _revision(engine) == head()
        assert "schema_version" not in inspect(engine).get_table_names()  # alembic_version replaces it
        with engine.connect() as conn:
            assert conn.execute(db.applications.select()).one().surname == "Rahayu"
            assert conn.execute(db.feedback.select()).one().comment == "cepat"
        assert _differences(engine) == []
    finally:
        migrated.dispose()


def test_migrating_an_up_to_date_database_changes_nothing(central_db, engine):
    db.connect(central_db).dispose()
    before = _schema(engine)
    writes: list[str] = []

    def _watch(_conn, _cursor, statement, *_args) -> None:
        if statement.lstrip().split(None, 1)[0].upper() in ("CREATE", "ALTER", "DROP", "INSERT", "UPDATE",
                                                             "DELETE"):
            writes.append(statement)

    event.listen(engine, "before_cursor_execute", _watch)
    assert db.migrate(engine) == head()
    assert db.migrate(engine) == head()
    event.remove(engine, "before_cursor_execute", _watch)
    assert writes == []
    assert _schema(engine) == before and _revision(engine) == head()


def test_a_partly_built_database_is_refused_not_guessed_at(central_db, engine):
    with engine.begin() as conn:
        db.applications.create(conn)
    with pytest.raises(SchemaError, match="partly built"):
        db.migrate(engine)
    assert set(inspect(engine).get_table_names()) == {"applications"}  # the failed step left nothing behind


def test_an_interrupted_first_start_of_the_old_release_is_built_afresh(central_db, engine):
    """The old migrator created ``schema_version`` and then the tables in a second transaction."""
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE schema_version (version INTEGER NOT NULL, PRIMARY KEY (version))"))
    assert db.migrate(engine) == head()
    assert set(inspect(engine).get_table_names()) == set(db.metadata.tables) | {"alembic_version"}


def test_the_baseline_creates_the_tables_a_pre_alembic_database_is_recognised_by(engine):
    with engine.begin() as conn:
        command.upgrade(config(conn), BASELINE)
    assert set(inspect(engine).get_table_names()) == BASELINE_TABLES | {"alembic_version"}


def _one_record(conn, at: datetime) -> None:
    """Application A1 with one record, p1, from station s1, as an office's database held it before an upgrade."""
    conn.execute(text("INSERT INTO applications VALUES ('A1', 'Siti', 'R', '1990-01-01', 'passport', :at, :at)"),
                 {"at": at})
    conn.execute(text("INSERT INTO stations VALUES ('s1', 'counter', :key, :at)"), {"key": b"k" * 32, "at": at})
    conn.execute(text("INSERT INTO records (packet_id, application, station_id, digest, received_at, manifest, "
                      "emulated) VALUES ('p1', 'A1', 's1', 'd', :at, '{}', false)"), {"at": at})


def test_revision_0003_turns_each_old_flag_pair_into_one_queue_item(central_db, engine):
    """Offices upgraded with per-modality flags keep them: one item per flagged pair, its scores kept."""
    at = datetime(2026, 5, 4, 9, 30, tzinfo=UTC)
    with engine.begin() as conn:
        command.upgrade(config(conn), "0002")
        _one_record(conn, at)
        for modality, score in (("face", 0.8), ("finger", 0.07)):
            conn.execute(text("INSERT INTO duplicate_flags (packet_id, other_application, modality, score, created_at) "
                              "VALUES ('p1', 'B2', :m, :s, :at)"), {"m": modality, "s": score, "at": at})
        command.upgrade(config(conn), "head")
        items = conn.execute(text("SELECT kind, application, other_application, pair, scores, decision "
                                  "FROM adjudication_items")).all()
        status = conn.execute(text("SELECT search_status FROM records")).scalar_one()
    assert [(i.kind, i.application, i.other_application, i.pair, i.decision) for i in items] == [
        ("possible_duplicate", "A1", "B2", "A1|B2", None)]
    assert json.loads(items[0].scores) == {"legacy": {"face": 0.8, "finger": 0.07}}
    assert status == "searched"  # searched when it arrived: not queued again
    assert "duplicate_flags" not in inspect(engine).get_table_names()


def test_revision_0004_adds_the_retention_tombstone_and_erases_nothing(central_db, engine):
    """Records kept by an office before retention existed have erased nothing: both columns empty."""
    at = datetime(2026, 5, 4, 9, 30, tzinfo=UTC)
    with engine.begin() as conn:
        command.upgrade(config(conn), "0003")
        _one_record(conn, at)
        command.upgrade(config(conn), "head")
        row = conn.execute(text("SELECT status, erased_at, erasure FROM records")).one()
    assert tuple(row) == ("accepted", None, None)
    assert {"erased_at", "erasure"} <= {c["name"] for c in inspect(engine).get_columns("records")}
    with engine.begin() as conn:  # and back: the columns go, the record stays
        command.downgrade(config(conn), "0003")
        assert conn.execute(text("SELECT packet_id FROM records")).scalars().all() == ["p1"]
    assert "erased_at" not in {c["name"] for c in inspect(engine).get_columns("records")}


def test_revision_0008_keeps_one_duplicate_item_a_pair_and_dates_what_the_gallery_holds(central_db, engine):
    """Accepted records take their arrival as the moment they entered the gallery (held ones none); a pair
    queued twice keeps its first item and every decided one; afterwards the database refuses a second
    possible-duplicate item for a pair (two central processes flagging at once), not a held item."""
    at = datetime(2026, 5, 4, 9, 30, tzinfo=UTC)
    item = ("INSERT INTO adjudication_items (kind, packet_id, application, other_application, pair, scores, "
            "created_at, decision) VALUES (:kind, 'p1', 'A1', :other, :pair, '{}', :at, :decision)")
    with engine.begin() as conn:
        command.upgrade(config(conn), "0003")
        _one_record(conn, at)
        conn.execute(text("INSERT INTO records (packet_id, application, station_id, digest, received_at, manifest, "
                          "emulated, status) VALUES ('p2', 'A1', 's1', 'e', :at, '{}', false, 'held')"), {"at": at})
        for kind, other, decision in (("possible_duplicate", "B2", None), ("possible_duplicate", "B2", None),
                                      ("possible_duplicate", "C3", None), ("possible_duplicate", "C3", "refer"),
                                      ("reenrollment_held", "A1", None)):
            conn.execute(text(item), {"kind": kind, "other": other, "pair": "|".join(sorted(("A1", other))),
                                      "at": at, "decision": decision})
        command.upgrade(config(conn), "head")
        kept = conn.execute(text("SELECT id, pair, decision FROM adjudication_items ORDER BY id")).all()
        accepted = dict(conn.execute(text("SELECT packet_id, accepted_at FROM records")).all())
    assert [(k.id, k.pair, k.decision) for k in kept] == [
        (1, "A1|B2", None), (4, "A1|C3", "refer"), (5, "A1|A1", None)]
    assert accepted["p2"] is None and accepted["p1"] is not None
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text(item), {"kind": "possible_duplicate", "other": "B2", "pair": "A1|B2", "at": at,
                                  "decision": None})
    with engine.begin() as conn:  # a held re-enrollment of the same pair is another kind of item
        conn.execute(text(item), {"kind": "reenrollment_held", "other": "A1", "pair": "A1|A1", "at": at,
                                  "decision": None})
