"""The central record at rest (review issue 27, finding 2): private files, keys outside the database,
biometric files encrypted under a key the database does not hold.

As the reviewer found it: after the walkthrough (umask 022) the SQLite file was 0644 and held the
X25519 private key, names, birth dates, face images and WSQ finger images in clear. SQLite always;
PostgreSQL too with BIOSTATION_TEST_PG where the test is about the database, not its file.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select

from central import db, keys, store
from central.wire import PacketContent, new_packet_id, open_sealed, private_bytes, public_bytes, seal
from enrollment.packet import packet_layout
from enrollment.synthetic import sample_record
from station.central_link import stop_server, wait_until_ready
from station.embedded_central import free_port
from tests.conftest import BIOSTATION, run_cli


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _key_dir(url: str) -> Path:
    return keys.resolve_directory(db.normalize_url(url))


def _station(engine) -> tuple[str, Ed25519PrivateKey]:
    key = Ed25519PrivateKey.generate()
    station_id, _ = store.register_station(engine, store.issue_token(engine, "counter"), public_bytes(key.public_key()))
    return station_id, key


def _deliver(engine, station_id: str, key: Ed25519PrivateKey, fingers: Path, seed: int = 0, sealed_to=None):
    """A real record (drawn face JPEG, synthetic prints as WSQ and ISO templates) taken in; its clear files."""
    number = store.add_application(engine, "Siti", "Rahayu", "1990-04-01", "passport")
    record = sample_record(store.get_application(engine, number), station_id, fingers, seed)
    pid = new_packet_id()
    manifest, files = packet_layout(record, pid, "0" * 64)
    sealed = seal(PacketContent(manifest, files), pid, station_id, key,
                  sealed_to or store.central_key(engine).public_key())
    opened = open_sealed(sealed, store.central_key(engine), store.station_keys(engine).get)
    assert store.intake(engine, opened).status == "stored"
    return number, pid, record, files


def _old_install(url: str, fingers: Path) -> tuple[bytes, str, dict[str, bytes]]:
    """What the release before this one left: its key in central_identity, a record's files in clear."""
    engine = db.connect(url)
    old_key = private_bytes(X25519PrivateKey.generate())
    station_id, key = _station(engine)
    number = store.add_application(engine, "Budi", "Santoso", "1985-02-03", "passport")
    record = sample_record(store.get_application(engine, number), station_id, fingers, 5)
    pid = new_packet_id()
    manifest, files = packet_layout(record, pid, "0" * 64)
    with engine.begin() as conn:
        conn.execute(db.identity.insert().values(id=1, private_key=old_key))
        conn.execute(db.records.insert().values(
            packet_id=pid, application=number, station_id=station_id, digest="d" * 64,
            received_at=store.now_utc(), manifest=json.dumps(manifest), emulated=True))
        conn.execute(db.record_files.insert(), [{"packet_id": pid, "name": n, "data": d} for n, d in files.items()])
    engine.dispose()
    return old_key, number, files


@contextlib.contextmanager
def _serving(args: list[str], home: Path, umask: int | None = None):
    """``biostation central serve ARGS`` on a free port, ready; the key directory's variable unset."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != keys.KEYS_ENV}
    server = subprocess.Popen(BIOSTATION + ["central", "serve", *args, "--port", str(port)],
                              env=dict(env, BIOSTATION_HOME=str(home)), stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, preexec_fn=None if umask is None else lambda: os.umask(umask))
    try:
        if not wait_until_ready(f"http://127.0.0.1:{port}", 60, lambda: server.poll() is None):
            server.kill()
            pytest.fail("central serve did not start: " + server.stderr.read().decode())
        yield server
    finally:
        stop_server(server, 20)


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


# -- files and keys 0600, keys out of the database -----------------------------------------------------
def test_a_new_database_and_its_keys_are_private_under_umask_022(tmp_path, umask_022, synthetic_fingers):
    """Finding 2: the database file (and its -wal and -shm) 0600, the key directory 0700 with 0600 files, and
    the private key nowhere in the database."""
    path = tmp_path / "central.db"
    engine = db.connect(f"sqlite:///{path}")
    station_id, key = _station(engine)
    _deliver(engine, station_id, key, synthetic_fingers)
    wal, shm = path.with_name("central.db-wal"), path.with_name("central.db-shm")
    assert wal.exists() and shm.exists()  # the engine is open: SQLite keeps both
    assert [_mode(p) for p in (path, wal, shm)] == [0o600] * 3
    folder = tmp_path / "central.db.keys"
    assert _mode(folder) == 0o700
    assert sorted(p.name for p in folder.iterdir()) == [keys.KEK_FILE, keys.TRANSPORT_FILE]
    assert all(_mode(p) == 0o600 for p in folder.iterdir())
    transport = (folder / keys.TRANSPORT_FILE).read_bytes()
    assert private_bytes(store.central_key(engine)) == transport
    with engine.begin() as conn:
        assert conn.execute(select(db.identity)).all() == []
    engine.dispose()
    raw = path.read_bytes()
    assert transport not in raw and (folder / keys.KEK_FILE).read_bytes() not in raw


def test_an_existing_database_left_readable_is_made_private(tmp_path, umask_022):
    """A database an older release made 0644, open in WAL mode by someone else: all three files become 0600."""
    import sqlite3

    path = tmp_path / "central.db"
    holder = sqlite3.connect(path)
    holder.execute("PRAGMA journal_mode=WAL")
    holder.execute("CREATE TABLE t (x)")
    holder.execute("INSERT INTO t VALUES (1)")
    holder.commit()
    files = [path, path.with_name("central.db-wal"), path.with_name("central.db-shm")]
    assert [_mode(p) for p in files] == [0o644] * 3
    try:
        db.private_sqlite_file(f"sqlite:///{path}")
        assert [_mode(p) for p in files] == [0o600] * 3
    finally:
        holder.close()


def test_central_serve_under_umask_022_leaves_nothing_readable_by_others(tmp_path):
    """The walkthrough's own start: ``biostation central serve`` with the usual umask."""
    path = tmp_path / "central.db"
    with _serving(["--db", f"sqlite:///{path}"], tmp_path / "home", umask=0o022):
        made = [path] + [p for p in (path.with_name("central.db-wal"), path.with_name("central.db-shm")) if p.exists()]
        assert {p.name: _mode(p) for p in made} == {p.name: 0o600 for p in made}
        folder = tmp_path / "central.db.keys"
        assert _mode(folder) == 0o700 and {_mode(p) for p in folder.iterdir()} == {0o600}


def test_a_key_an_older_release_kept_in_the_database_moves_out_and_keeps_working(central_db, synthetic_fingers):
    """An upgraded office: the key stations pinned moves to the key directory (0600) and its row goes; records
    stored in clear still read; a station sealing to the pinned key still delivers."""
    old_key, old_number, old_files = _old_install(central_db, synthetic_fingers)
    engine = db.connect(central_db)
    try:
        assert private_bytes(store.central_key(engine)) == old_key
        moved = _key_dir(central_db) / keys.TRANSPORT_FILE
        assert moved.read_bytes() == old_key and _mode(moved) == 0o600
        with engine.begin() as conn:
            assert conn.execute(select(db.identity)).all() == []
        assert store.latest_record(engine, old_number)[1] == old_files  # stored in clear, read as it is
        station_id, key = _station(engine)
        pinned = X25519PrivateKey.from_private_bytes(old_key).public_key()
        number, _pid, _record, files = _deliver(engine, station_id, key, synthetic_fingers, sealed_to=pinned)
        assert store.latest_record(engine, number)[1] == files
    finally:
        engine.dispose()
    again = db.connect(central_db)  # a second start finds the key where the first put it
    try:
        assert private_bytes(store.central_key(again)) == old_key
    finally:
        again.dispose()


def test_a_database_key_that_disagrees_with_the_key_directory_is_refused(tmp_path, synthetic_fingers):
    url = f"sqlite:///{tmp_path / 'central.db'}"
    _old_install(url, synthetic_fingers)
    folder = tmp_path / "central.db.keys"
    keys.KeyDir(folder).create(keys.TRANSPORT_FILE, private_bytes(X25519PrivateKey.generate()))
    engine = db.connect(url)
    with pytest.raises(keys.KeysError) as found:
        store.central_key(engine)
    assert found.value.message_id == "central.key_conflict"
    engine.dispose()


# -- biometric files encrypted at rest ---------------------------------------------------------------
def test_biometric_files_are_encrypted_at_rest_and_read_back_as_sent(central_db, synthetic_fingers):
    """Finding 2: after intake neither the face JPEG nor a WSQ print is in the database; every reader
    (the current version, every stored record, one record's files) gets the originals back."""
    engine = db.connect(central_db)
    station_id, key = _station(engine)
    number, pid, record, files = _deliver(engine, station_id, key, synthetic_fingers)
    engine.dispose()
    jpeg, wsq = record.face.jpeg, files["finger-01.wsq"]
    assert wsq.startswith(b"\xff\xa0") and jpeg.startswith(b"\xff\xd8")
    clear = [jpeg, wsq, files["face.iso19794-5"], files["transaction.an2"]]
    # a blob spills over pages, so look for windows of it (a window across a page boundary would hide)
    windows = [c[i * len(c) // 4:i * len(c) // 4 + 24] for c in clear for i in (1, 2, 3)]
    if central_db.startswith("sqlite"):
        folder = Path(db.normalize_url(central_db)[len("sqlite:///"):]).parent
        raw = b"".join(p.read_bytes() for p in folder.glob("central.db*") if p.is_file())
        assert not [w for w in windows if w in raw]
    engine = db.connect(central_db)
    with engine.begin() as conn:
        rows = {r.name: bytes(r.data) for r in conn.execute(
            select(db.record_files.c.name, db.record_files.c.data).where(db.record_files.c.packet_id == pid))}
    assert not [w for w in windows if any(w in data for data in rows.values())]
    envelope = json.loads(rows.pop(store.RECORD_KEY))
    assert envelope["v"] == 1 and envelope["kek"] == keys.kek_id((_key_dir(central_db) / keys.KEK_FILE).read_bytes())
    assert rows.keys() == files.keys() and all(data != files[name] for name, data in rows.items())
    assert store.latest_record(engine, number)[1] == files
    assert store.record_files(engine, pid) == files
    assert {r.packet_id: r.files for r in store.all_records(engine)}[pid] == files  # what builds the gallery
    engine.dispose()


def test_a_wrong_or_lost_kek_is_a_clear_error_not_garbage(tmp_path, synthetic_fingers):
    url = f"sqlite:///{tmp_path / 'central.db'}"
    engine = db.connect(url)
    station_id, key = _station(engine)
    _deliver(engine, station_id, key, synthetic_fingers)
    engine.dispose()
    kek = tmp_path / "central.db.keys" / keys.KEK_FILE
    right = kek.read_bytes()

    kek.write_bytes(AESGCM.generate_key(256))  # another central record's KEK
    engine = db.connect(url)
    with pytest.raises(keys.KeysError) as found:
        store.central_key(engine)  # the start already says so: the KEK is checked against a sealed record
    assert found.value.message_id == "central.record_key_mismatch"
    assert found.value.params["expected"] == keys.kek_id(right)
    engine.dispose()
    served = run_cli("central", "serve", "--db", url, "--port", str(free_port()), timeout=60)
    assert served.returncode == 2 and "--keys points at another central record's keys" in served.stderr

    kek.unlink()  # the key directory lost: no new KEK is made over sealed records
    engine = db.connect(url)
    with pytest.raises(keys.KeysError) as found:
        store.central_key(engine)
    assert (found.value.message_id, found.value.params["file"]) == ("central.keys_missing", keys.KEK_FILE)
    engine.dispose()


def test_altered_ciphertext_or_a_moved_data_key_is_named_not_decoded(tmp_path, synthetic_fingers):
    url = f"sqlite:///{tmp_path / 'central.db'}"
    engine = db.connect(url)
    station_id, key = _station(engine)
    first, first_pid, _r, _f = _deliver(engine, station_id, key, synthetic_fingers, seed=1)
    second, second_pid, _r, _f = _deliver(engine, station_id, key, synthetic_fingers, seed=2)
    files = db.record_files
    with engine.begin() as conn:
        data = conn.execute(select(files.c.data).where(files.c.packet_id == first_pid,
                                                       files.c.name == "finger-01.wsq")).scalar_one()
        conn.execute(files.update().where(files.c.packet_id == first_pid, files.c.name == "finger-01.wsq")
                     .values(data=data[:-1] + bytes([data[-1] ^ 1])))
        moved = conn.execute(select(files.c.data).where(files.c.packet_id == first_pid,
                                                        files.c.name == store.RECORD_KEY)).scalar_one()
        conn.execute(files.update().where(files.c.packet_id == second_pid, files.c.name == store.RECORD_KEY)
                     .values(data=moved))
    with pytest.raises(keys.KeysError) as found:
        store.latest_record(engine, first)
    assert (found.value.message_id, found.value.params) == (
        "central.record_file_damaged", {"packet": first_pid, "file": "finger-01.wsq"})
    with pytest.raises(keys.KeysError) as found:
        store.latest_record(engine, second)
    assert found.value.message_id == "central.record_key_damaged"
    engine.dispose()


class _Hsm(keys.KeyWrapper):
    """A stand-in for an HSM: it holds its own key and only wraps and unwraps."""

    key_id = "hsm:slot-1/records"

    def __init__(self) -> None:
        self.calls = 0
        self._inner = keys.LocalKek(AESGCM.generate_key(256))

    def wrap(self, data_key: bytes, context: bytes) -> bytes:
        self.calls += 1
        return self._inner.wrap(data_key, context)

    def unwrap(self, wrapped: bytes, context: bytes) -> bytes:
        self.calls += 1
        return self._inner.unwrap(wrapped, context)


def test_an_hsm_or_kms_wraps_data_keys_through_the_key_wrapper_hook(tmp_path, synthetic_fingers):
    hsm = _Hsm()
    folder = tmp_path / "keys"
    engine = db.connect(f"sqlite:///{tmp_path / 'central.db'}", keys=folder, wrapper=hsm)
    station_id, key = _station(engine)
    number, _pid, _record, files = _deliver(engine, station_id, key, synthetic_fingers)
    assert store.latest_record(engine, number)[1] == files
    assert hsm.calls == 2 and sorted(p.name for p in folder.iterdir()) == [keys.TRANSPORT_FILE]  # no KEK file
    engine.dispose()


# -- PostgreSQL: no file to put the keys beside --------------------------------------------------------
def test_postgresql_needs_a_key_directory():
    with pytest.raises(keys.KeysError) as found:
        keys.default_directory("postgresql+psycopg://central@db.office/central")
    assert found.value.message_id == "central.keys_required"
    env = {k: v for k, v in os.environ.items() if k != keys.KEYS_ENV}
    answer = subprocess.run(BIOSTATION + ["central", "serve", "--db", "postgresql://central@127.0.0.1:9/central"],
                            env=dict(env, BIOSTATION_LANGUAGE="en"), capture_output=True, text=True, timeout=60)
    assert answer.returncode == 2 and "--keys DIR" in answer.stderr, answer.stderr


def test_central_serve_keeps_its_keys_in_the_given_directory(central_db, tmp_path):
    """With PostgreSQL the directory is required; with SQLite, given, it is used instead of one beside the file."""
    folder = tmp_path / "pg-keys"
    with _serving(["--db", central_db, "--keys", str(folder)], tmp_path / "home"):
        assert _mode(folder) == 0o700 and {p.name: _mode(p) for p in folder.iterdir()} == {
            keys.KEK_FILE: 0o600, keys.TRANSPORT_FILE: 0o600}
