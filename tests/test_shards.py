"""The gallery in shards held by worker processes: whole persons per shard, every shard in every search,
a killed worker replaced and its shard rebuilt before the search is answered."""

from __future__ import annotations

import os
import signal

import cv2
import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from central.shards import ProcessShard, SearchUnavailable, ShardedGallery, shard_of
from matching.fingerprint.extractor import extract
from matching.gallery import Biometrics, Gallery


def _face(seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=128)
    return (0.6 * v / np.linalg.norm(v)).astype(np.float32)


@pytest.fixture(scope="module")
def people(synthetic_fingers):
    """Four persons of a face and two fingers each (first impressions), and their second captures."""
    def finger(f: int, k: int):
        return extract(cv2.imread(str(synthetic_fingers / f"{f:03d}_{k}.png"), cv2.IMREAD_GRAYSCALE))

    enrolled = [(f"P{i}", f"r{i}", Biometrics(_face(i), {2: finger(i + 1, 1), 7: finger(4 - i, 1)})) for i in range(4)]
    enrolled += [(f"S{i}", f"s{i}", Biometrics(_face(100 + i), {})) for i in range(12)]
    again = Biometrics(_face(0) + 0.02, {2: finger(1, 2), 7: finger(4, 2)})
    return enrolled, again


def _sharded(entries, shards: int = 2) -> ShardedGallery:
    by_shard = {i: [(r, p, b) for p, r, b in entries if shard_of(p, shards) == i] for i in range(shards)}
    gallery = ShardedGallery(shards, lambda _i: ProcessShard(),
                             lambda i, known: (e for e in by_shard[i] if not known(e[0])))
    gallery.add_many((r, p, b) for p, r, b in entries)
    return gallery


def _key(outcome):
    return [(c.person, c.probability, c.evidence) for c in outcome.candidates]


@pytest.mark.timeout(300)
def test_shards_hold_whole_persons_and_a_search_sees_them_all(people):
    enrolled, again = people
    gallery = _sharded(enrolled)
    try:
        assert len(gallery) == 16 and all(gallery.worker(i).persons() > 0 for i in range(2))
        gallery.add_many((r, p, b) for p, r, b in enrolled)  # a record seen twice is held once
        assert sum(gallery.worker(i).persons() for i in range(2)) == 16
        outcome = gallery.search(again, excluded={"S3"})
        assert outcome.gallery == 15 and outcome.candidates[0].person == "P0" and outcome.flagged[0].person == "P0"
        # one gallery in this process scores every candidate the same (each shard holds whole persons),
        # given the workers' arithmetic: BLAS on one thread (a sum split over threads rounds otherwise)
        single = Gallery()
        for p, r, b in enrolled:
            single.add(p, b, r)
        with threadpool_limits(1):
            expected = {c.person: (c.probability, c.evidence) for c in single.search(again, {"S3"}).candidates}
        for c in outcome.candidates:
            assert (c.probability, c.evidence) == pytest.approx(expected[c.person], rel=1e-9)
    finally:
        gallery.close()


@pytest.mark.timeout(300)
def test_a_killed_worker_is_replaced_and_the_search_answered_with_every_shard(people):
    enrolled, again = people
    gallery = _sharded(enrolled)
    try:
        before = _key(gallery.search(again))
        victim = gallery.worker(shard_of("P0", 2))
        os.kill(victim.pid, signal.SIGKILL)
        victim.process.join(10)
        assert _key(gallery.search(again)) == before
        assert gallery.worker(shard_of("P0", 2)).pid != victim.pid
    finally:
        gallery.close()


@pytest.mark.timeout(300)
def test_a_shard_that_cannot_be_rebuilt_leaves_the_search_unavailable(people):
    enrolled, again = people

    def broken(_index, _known):
        raise OSError("the database is unreachable")

    gallery = ShardedGallery(1, lambda _i: ProcessShard(), broken)
    try:
        gallery.add_many((r, p, b) for p, r, b in enrolled)
        os.kill(gallery.worker(0).pid, signal.SIGKILL)
        with pytest.raises(SearchUnavailable) as err:
            gallery.search(again)
        assert err.value.message_id == "central.search_unavailable"
    finally:
        gallery.close()


@pytest.mark.timeout(300)
def test_a_snapshot_brings_the_shards_back_as_they_were(people, tmp_path):
    """Workers started from their snapshots answer as the ones that were filled; a damaged snapshot or
    another key is refused (the caller rebuilds from the database)."""
    from central import snapshots

    enrolled, again = people
    key, folder = os.urandom(32), tmp_path / "snapshots"
    gallery = _sharded(enrolled)
    try:
        before = gallery.search(again)
        assert gallery.save(folder, key) > 0
        assert all(oct(p.stat().st_mode & 0o777) == "0o600" for p in folder.iterdir())
    finally:
        gallery.close()
    restarted = ShardedGallery(2, lambda _i: ProcessShard(), lambda _i, _known: iter(()))
    try:
        restarted.load(folder, key)
        assert len(restarted) == 16 and all(restarted.knows(r) for _p, r, _b in enrolled)
        assert _key(restarted.search(again)) == _key(before)
        with pytest.raises(snapshots.SnapshotError):
            restarted.load(folder, os.urandom(32))
    finally:
        restarted.close()
    path = folder / "shard-0-of-2.snapshot"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 1
    path.write_bytes(bytes(data))
    with pytest.raises(snapshots.SnapshotError):
        snapshots.load(path, key)
    path.write_bytes(bytes(data[: len(data) // 3]))
    with pytest.raises(snapshots.SnapshotError):
        snapshots.load(path, key)


def test_a_gallery_from_its_state_searches_as_the_original(people):
    enrolled, again = people
    gallery = Gallery()
    for p, r, b in enrolled:
        gallery.add(p, b, r)
    copy = Gallery.from_state(gallery.state())
    assert (len(copy), copy.records(), copy.finger_templates()) == (16, gallery.records(), 8)
    assert _key(copy.search(again, {"S1"})) == _key(gallery.search(again, {"S1"}))
    assert not copy.add("P0", enrolled[0][2], "r0")  # the records it holds stay known


@pytest.mark.timeout(300)
def test_a_killed_worker_starts_from_its_snapshot_and_reads_only_newer_records(people, tmp_path):
    """After a snapshot, a replaced worker loads it and takes from the database only what came since;
    with its snapshot damaged it reads every record of its shard again."""
    enrolled, again = people
    late = [(f"L{i}", f"l{i}", Biometrics(_face(200 + i), {})) for i in range(6)]
    everyone = enrolled + late
    by_shard = {i: [(r, p, b) for p, r, b in everyone if shard_of(p, 2) == i] for i in range(2)}
    read: list[str] = []

    def reload(index, known):
        for entry in by_shard[index]:
            if not known(entry[0]):
                read.append(entry[0])
                yield entry

    gallery = ShardedGallery(2, lambda _i: ProcessShard(), reload)
    try:
        gallery.add_many((r, p, b) for p, r, b in enrolled)
        gallery.save(tmp_path / "snapshots", os.urandom(32))
        gallery.add_many((r, p, b) for p, r, b in late)  # stored after the snapshot
        before = _key(gallery.search(again))
        index = shard_of("P0", 2)
        newer = sorted(r for p, r, _b in late if shard_of(p, 2) == index)
        assert newer, "the test needs a late record in the victim's shard"

        victim = gallery.worker(index)
        os.kill(victim.pid, signal.SIGKILL)
        victim.process.join(10)
        assert _key(gallery.search(again)) == before
        assert sorted(read) == newer  # the snapshot's records were not read again
        assert gallery.worker(index).persons() == len(by_shard[index])

        read.clear()
        path = gallery.snapshot_path(tmp_path / "snapshots", index)
        path.write_bytes(path.read_bytes()[:100])
        victim = gallery.worker(index)
        os.kill(victim.pid, signal.SIGKILL)
        victim.process.join(10)
        assert _key(gallery.search(again)) == before
        assert sorted(read) == sorted(r for r, _p, _b in by_shard[index])
    finally:
        gallery.close()
