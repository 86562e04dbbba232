"""The central record starts its gallery from an encrypted snapshot of the shards, and never from one that
holds a record erased since; its identification worker outlives a database outage.

Records arrive at a real ``central serve`` from a real station; the snapshot is written and read by the
service's own start (``central.service.Central``) in this process, with its real worker processes.
"""

from __future__ import annotations

import shutil
import time

import pytest

from central import db, snapshots, store
from central import keys as central_keys
from central.identification import biometrics
from central.service import Central
from tests.test_adjudication import _enroll, _wait_searched, office  # noqa: F401 - the fixture
from tests.test_hardening_central import PERSON_P, PERSON_Q, _embedding, _near


def _started(engine, timeout: float = 120) -> Central:
    central = Central(engine, workers=1)
    deadline = time.monotonic() + timeout
    while central.gallery is None or not central.gallery_source:
        assert time.monotonic() < deadline, "the gallery was not built"
        time.sleep(0.2)
    return central


def _record(engine, packet_id: str):
    found = next(r for r in store.all_records(engine) if r.packet_id == packet_id)
    return biometrics(found.manifest, found.files)


@pytest.mark.timeout(600)
def test_a_restart_reads_the_snapshot_and_an_erasure_discards_it(office, synthetic_fingers):  # noqa: F811
    station, engine, server = office
    a, pid_a = _enroll(office, synthetic_fingers, "Siti", _embedding(0), PERSON_P)
    c, pid_c = _enroll(office, synthetic_fingers, "Ayu", _embedding(1), PERSON_Q)
    _wait_searched(engine, pid_c)
    server.stop()
    folder = central_keys.for_engine(engine).directory.path / snapshots.FOLDER

    shutil.rmtree(folder, ignore_errors=True)  # the server may have written one already: start without
    first = _started(engine)  # from the records; then the snapshot is written
    try:
        assert first.gallery_source == "records" and len(first.gallery) == 2
        files = sorted(p.name for p in folder.iterdir())
        assert files == ["shard-0-of-1.snapshot", snapshots.KEY_FILE]
        assert all(p.stat().st_mode & 0o077 == 0 for p in folder.iterdir())
        assert b"Siti" not in (folder / "shard-0-of-1.snapshot").read_bytes()
    finally:
        first.close()
    assert not first.worker.is_alive()  # closed: no thread left retrying against the database

    again = _record(engine, pid_a)
    probe = type(again)(_near(_embedding(0)), again.fingers)
    second = _started(engine)  # from the snapshot: the same persons, the same answer
    try:
        assert second.gallery_source == "snapshot" and len(second.gallery) == 2
        assert second.gallery.knows(pid_a) and second.gallery.knows(pid_c)
        assert [f.person for f in second.gallery.search(probe).flagged] == [a]
    finally:
        second.close()

    # retention erased a record the snapshot holds: the snapshot is discarded, the gallery built from the records
    with engine.begin() as conn:
        conn.execute(db.records.update().where(db.records.c.packet_id == pid_a)
                     .values(erased_at=store.now_utc(), erasure="{}"))
    third = _started(engine)
    try:
        assert third.gallery_source == "records" and not third.gallery.knows(pid_a)
        assert third.gallery.knows(pid_c) and len(third.gallery) == 1
    finally:
        third.close()
    fourth = _started(engine)  # and the snapshot written after it no longer holds the erased record
    try:
        assert fourth.gallery_source == "snapshot" and not fourth.gallery.knows(pid_a)
    finally:
        fourth.close()


def test_a_damaged_snapshot_or_another_key_is_refused(tmp_path):
    key = b"k" * 32
    path = tmp_path / "one.snapshot"
    import numpy as np

    snapshots.save(path, key, {"rows": np.arange(10, dtype=np.float16).reshape(5, 2), "empty": np.zeros(0)})
    back = snapshots.load(path, key)
    assert np.array_equal(back["rows"], np.arange(10, dtype=np.float16).reshape(5, 2)) and back["empty"].size == 0
    with pytest.raises(snapshots.SnapshotError):
        snapshots.load(path, b"x" * 32)
    with pytest.raises(snapshots.SnapshotError):
        snapshots.load(tmp_path / "missing.snapshot", key)
    data = path.read_bytes()
    path.write_bytes(data + b"more")
    with pytest.raises(snapshots.SnapshotError):
        snapshots.load(path, key)


@pytest.mark.timeout(300)
def test_the_search_worker_outlives_a_database_outage(tmp_path, monkeypatch):
    """The database gone for a while (here: its file moved away) never ends the identification worker."""
    from central import service

    monkeypatch.setattr(service, "RETRY_QUEUED_S", 0.2)  # look for queued searches often, to meet the outage
    monkeypatch.setattr(service, "RETRY_S", 0.2)
    path = tmp_path / "central.db"
    engine = db.connect(f"sqlite:///{path}")
    central = _started(engine)
    try:
        engine.dispose()
        path.rename(tmp_path / "away.db")  # new connections find an empty database: no tables
        time.sleep(3)
        assert central.worker.is_alive()
        engine.dispose()
        path.unlink(missing_ok=True)
        (tmp_path / "away.db").rename(path)
        time.sleep(2)
        assert central.worker.is_alive()
    finally:
        central.close()
