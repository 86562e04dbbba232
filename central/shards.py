"""The gallery in shards, each held in memory by a worker: the central record's own processes, or Ray actors.

A person belongs to one shard (a hash of the application number), so a shard holds whole persons
and scores its own candidates completely; a search goes to every shard at once, each flags against
the size of the whole gallery, and the candidates are merged by fused score. Both engines run the
same ``matching.gallery.Gallery`` in each worker, so for the same number of shards they return the
same candidates with the same scores.

Every call to a worker has a bound. A worker that dies or does not answer is replaced and its shard
rebuilt from the database, and the search is run again; it is never answered with fewer shards. A
search that still cannot run raises ``SearchUnavailable``: the record stays stored and its search
queued (``service.Central.search``).
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Protocol

from domain.errors import BiostationError
from matching.gallery import REPORTED, Biometrics, Gallery
from matching.identification import FPIR, Candidate, SearchOutcome
from matching.workers import FRESH_PROCESSES

from . import snapshots

log = logging.getLogger("biostation.central")

ADD_TIMEOUT_S = 120.0  # a batch of records into one shard
SEARCH_TIMEOUT_S = 300.0  # one search on one shard (a full record against a six-figure shard is seconds)
START_TIMEOUT_S = 120.0
SNAPSHOT_TIMEOUT_S = 1800.0  # a shard of millions of fingers written or read at disk speed
BATCH = 200  # records sent to a shard at once while the gallery is built

Entry = tuple[str, str, Biometrics]  # record id, person, biometrics


class SearchUnavailable(BiostationError):
    """No search could run: a shard's worker failed again after it was replaced."""

    def __init__(self, shard: int, problem: str) -> None:
        super().__init__("central.search_unavailable", shard=shard, problem=problem)


class ShardFailed(Exception):
    """A worker died, broke its connection or missed its deadline."""


def shard_of(person: str, shards: int) -> int:
    """The shard ``person`` lives in: stable across processes, machines and restarts (unlike ``hash``)."""
    return int.from_bytes(hashlib.sha256(person.encode()).digest()[:8], "big") % shards


class Shard(Protocol):
    """One worker holding one shard of the gallery."""

    def add(self, entries: Sequence[Entry]) -> int: ...
    def search(self, probe: Biometrics, excluded: frozenset[str], gallery_size: int,
               other_positions: bool = True) -> tuple[Candidate, ...]: ...
    def persons(self) -> int: ...
    def contents(self) -> tuple[list[str], list[str]]: ...
    def save(self, path: Path, key: bytes) -> int: ...
    def load(self, path: Path, key: bytes) -> int: ...
    def close(self) -> None: ...


class ShardWork:
    """What a worker does with its shard, whichever engine runs it: one ``Gallery`` and its snapshot."""

    def __init__(self, fpir: float) -> None:
        self.fpir = fpir
        self.gallery = Gallery(fpir=fpir)

    def add(self, entries: Sequence[Entry]) -> int:
        return sum(self.gallery.add(person, record, record_id) for record_id, person, record in entries)

    def search(self, probe: Biometrics, excluded: frozenset[str], gallery_size: int,
               other_positions: bool = True) -> tuple[Candidate, ...]:
        return self.gallery.search(probe, excluded, gallery_size, other_positions).candidates

    def persons(self) -> int:
        return len(self.gallery)

    def contents(self) -> tuple[list[str], list[str]]:
        """The record ids and persons held (what the central process keeps of a shard it did not fill)."""
        return self.gallery.records(), self.gallery.persons()

    def save(self, path: Path, key: bytes) -> int:
        return snapshots.save(Path(path), key, self.gallery.state())

    def load(self, path: Path, key: bytes) -> int:
        """Replace the shard by the snapshot at ``path``; returns the persons it holds."""
        self.gallery = Gallery.from_state(snapshots.load(Path(path), key), fpir=self.fpir)
        return len(self.gallery)

    def pid(self) -> int:
        return os.getpid()


def one_core_each() -> None:
    """BLAS in a gallery worker on one thread: the workers share the cores already, and two BLAS threads
    each on a busy machine made a comparison's matrix products many times slower."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)


# -- the default engine: the central record's own worker processes ---------------------------------
def _serve_shard(conn: Connection, fpir: float) -> None:
    """A worker process's loop: one Gallery, requests in order, each answered with ("ok", value) or ("error", text)."""
    one_core_each()
    work = ShardWork(fpir)
    operations: dict[str, Callable] = {name: getattr(work, name)
                                       for name in ("add", "search", "persons", "contents", "save", "load", "pid")}
    while True:
        try:
            operation, args = conn.recv()
        except (EOFError, OSError):
            return
        if operation == "stop":
            return
        try:
            conn.send(("ok", operations[operation](*args)))
        except Exception as exc:  # the caller decides; the worker keeps its shard
            conn.send(("error", f"{type(exc).__name__}: {exc}"))


class ProcessShard:
    """A shard in a child process of the central record, spoken to over a pipe (one call at a time)."""

    def __init__(self, fpir: float = FPIR) -> None:
        self._lock = threading.Lock()
        self._conn, child = FRESH_PROCESSES.Pipe()
        self.process = FRESH_PROCESSES.Process(target=_serve_shard, args=(child, fpir), name="gallery shard",
                                               daemon=True)
        self.process.start()
        child.close()
        self.pid = self._call("pid", (), START_TIMEOUT_S)

    def _call(self, operation: str, args: tuple, timeout: float):
        with self._lock:
            try:
                self._conn.send((operation, args))
                if not self._conn.poll(timeout):
                    raise ShardFailed(f"no answer to {operation} within {timeout:.0f} s")
                status, value = self._conn.recv()
            except (EOFError, OSError, BrokenPipeError) as exc:
                raise ShardFailed(f"the worker is gone ({type(exc).__name__})") from exc
        if status != "ok":
            raise ShardFailed(value)
        return value

    def add(self, entries: Sequence[Entry]) -> int:
        return self._call("add", (list(entries),), ADD_TIMEOUT_S)

    def search(self, probe: Biometrics, excluded: frozenset[str], gallery_size: int,
               other_positions: bool = True) -> tuple[Candidate, ...]:
        return self._call("search", (probe, excluded, gallery_size, other_positions), SEARCH_TIMEOUT_S)

    def persons(self) -> int:
        return self._call("persons", (), SEARCH_TIMEOUT_S)

    def contents(self) -> tuple[list[str], list[str]]:
        return self._call("contents", (), SEARCH_TIMEOUT_S)

    def save(self, path: Path, key: bytes) -> int:
        return self._call("save", (path, key), SNAPSHOT_TIMEOUT_S)

    def load(self, path: Path, key: bytes) -> int:
        return self._call("load", (path, key), SNAPSHOT_TIMEOUT_S)

    def close(self) -> None:
        try:
            with self._lock:
                self._conn.send(("stop", ()))
        except (OSError, BrokenPipeError):
            pass
        self.process.join(5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(5)


# -- the gallery over shards -------------------------------------------------------------------------
class ShardedGallery:
    """The whole gallery: persons spread over ``shards`` workers made by ``make_shard(index)``.

    ``reload(index, known)`` yields the entries of that shard from the database, leaving out the
    record ids ``known(record_id)`` says the shard holds already: a replaced worker starts from the
    shard's last snapshot, when there is one, and takes only the records added since from the
    database. Adding is idempotent by record id, so a record seen twice (at start and again from
    another central process's intake) is held once.
    """

    def __init__(self, shards: int, make_shard: Callable[[int], Shard],
                 reload: Callable[[int, Callable[[str], bool]], Iterable[Entry]], fpir: float = FPIR) -> None:
        self.count = shards
        self.fpir = fpir
        self._make = make_shard
        self._reload = reload
        self._lock = threading.Lock()
        self._persons: set[str] = set()
        self._records: set[str] = set()
        self._pool = ThreadPoolExecutor(shards, thread_name_prefix="shard call")
        self._snapshot: tuple[Path, bytes] | None = None  # (folder, key) of the last snapshot written or read
        self._shards: list[Shard] = list(self._pool.map(make_shard, range(shards)))

    def __len__(self) -> int:
        return len(self._persons)

    def knows(self, record_id: str) -> bool:
        return record_id in self._records

    def add_many(self, entries: Iterable[Entry]) -> None:
        """Add records (building the gallery at start, or catching up), in batches per shard: the shards
        take theirs side by side (one batch in flight each) while the next ones are read."""
        batches: list[list[Entry]] = [[] for _ in range(self.count)]
        flying: dict[int, Future] = {}

        def send(index: int) -> None:
            if index in flying:
                flying.pop(index).result()
            flying[index] = self._pool.submit(self._send, index, batches[index])
            batches[index] = []

        try:
            for entry in entries:
                record_id, person, record = entry
                if record_id in self._records or (record.face is None and not record.fingers):
                    continue
                index = shard_of(person, self.count)
                batches[index].append(entry)
                if len(batches[index]) >= BATCH:
                    send(index)
            for index, batch in enumerate(batches):
                if batch:
                    send(index)
        finally:
            for future in flying.values():
                future.result()

    def add(self, record_id: str, person: str, record: Biometrics) -> None:
        self.add_many([(record_id, person, record)])

    def _send(self, index: int, batch: list[Entry]) -> None:
        self._with_retry(index, lambda shard: shard.add(batch))
        with self._lock:
            self._records.update(record_id for record_id, _, _ in batch)
            self._persons.update(person for _, person, _ in batch)

    def _with_retry(self, index: int, call: Callable[[Shard], object]):
        try:
            return call(self._shards[index])
        except Exception as first:  # ShardFailed, or the engine's own (a Ray actor that died)
            log.warning("gallery shard %d failed (%s); replacing its worker", index, first)
            try:
                self._replace(index)
                return call(self._shards[index])
            except Exception as second:
                raise SearchUnavailable(index, str(second)) from second

    def _replace(self, index: int) -> None:
        """A new worker for shard ``index``, filled before it serves again: from the shard's last snapshot
        (seconds) and the records stored since, or from the database alone when there is no snapshot or
        it cannot be read."""
        old = self._shards[index]
        try:
            old.close()
        except Exception:
            log.exception("closing the failed worker of shard %d", index)
        shard = self._make(index)
        held: set[str] = set()
        if self._snapshot is not None:
            folder, key = self._snapshot
            try:
                shard.load(self.snapshot_path(folder, index), key)
                held = set(shard.contents()[0])
            except Exception as exc:  # missing, damaged or refused: the database has every record
                log.warning("shard %d's snapshot is not used (%s); rebuilding it from the records", index, exc)
                shard.close()
                shard = self._make(index)
        batch: list[Entry] = []
        for entry in self._reload(index, held.__contains__):
            batch.append(entry)
            if len(batch) >= BATCH:
                shard.add(batch)
                batch = []
        if batch:
            shard.add(batch)
        self._shards[index] = shard

    def search(self, probe: Biometrics, excluded: Iterable[str] = (), other_positions: bool = True) -> SearchOutcome:
        skip = frozenset(excluded)
        size = len(self._persons) - len(skip & self._persons)
        futures = [self._pool.submit(self._with_retry, index,
                                     lambda shard: shard.search(probe, skip, size, other_positions))
                   for index in range(self.count)]
        found = [c for future in futures for c in future.result()]
        found.sort(key=lambda c: (c.probability, c.person))
        return SearchOutcome(tuple(found[:REPORTED]), size, probe.unusable)

    def snapshot_path(self, directory: Path, index: int) -> Path:
        return Path(directory) / f"shard-{index}-of-{self.count}.snapshot"

    def save(self, directory: Path, key: bytes) -> int:
        """Every shard's snapshot into ``directory`` (0700); returns the bytes written."""
        Path(directory).mkdir(mode=0o700, parents=True, exist_ok=True)
        written = sum(self._pool.map(lambda i: self._shards[i].save(self.snapshot_path(directory, i), key),
                                     range(self.count)))
        self._snapshot = (Path(directory), key)
        return written

    def load(self, directory: Path, key: bytes) -> None:
        """Every shard from its snapshot in ``directory`` (``snapshots.SnapshotError`` if any cannot be read: the
        caller rebuilds from the database). The records added after the snapshot are the caller's to add
        (adding is idempotent, so a few seconds' overlap is harmless)."""
        try:
            list(self._pool.map(lambda i: self._shards[i].load(self.snapshot_path(directory, i), key),
                                range(self.count)))
            contents = list(self._pool.map(lambda shard: shard.contents(), self._shards))
        except snapshots.SnapshotError:
            raise
        except Exception as exc:  # a worker's own refusal arrives as ShardFailed, the engine's as its own
            raise snapshots.SnapshotError(str(exc)) from exc
        with self._lock:
            for records, persons in contents:
                self._records.update(records)
                self._persons.update(persons)
        self._snapshot = (Path(directory), key)

    def worker(self, index: int) -> Shard:
        return self._shards[index]

    def close(self) -> None:
        for shard in self._shards:
            shard.close()
        self._pool.shutdown(wait=False)
