"""``biostation bench identification``: the gallery at national scale on this machine, with synthetic persons.

Fills a gallery of N synthetic persons (``matching.evaluation.synthetic_persons``: a face vector and ten
finger templates each) held in shards by the central record's worker processes or by Ray actors, exactly
as ``central serve`` holds them, then measures:

- the fill (records sent in batches, as the central record's start sends them) and the memory:
  ``memory_gb`` is the peak, over the fill, the searches and the new records, of the summed
  proportional set size (PSS) of this process and everything it started (the workers; with Ray, the
  head, its raylet and object store and the actors), sampled every second;
  ``bytes_per_finger_template`` is what those processes took once filled less what they took with
  empty shards, over the finger templates held;
- searches of a full record (the face and ten fingers, each against its own position; the pass over the
  other positions timed beside it), each the second capture of an enrolled person, and whether that
  person was among the candidates (a miss: the first stage did not hand the mate on); and per finger,
  a finger searched alone;
- records per hour: new records each searched and then added, as the central record's intake does;
- the restart: every shard written to an encrypted snapshot and read back by new workers;
- a projection to 10 million persons from the measured per-shard figures.

The JSON's keys follow DESIGN.md's contract, with more beside them. Progress goes to stderr.
"""

from __future__ import annotations

import math
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from tqdm import tqdm

BATCH = 200  # persons generated and sent at once
PROJECTED_PERSONS = 10_000_000
PROJECTION_MACHINE = {"cores": 32, "memory_gb": 128}  # a common two-socket server
P95_TARGET_S = 5.0


# -- memory ---------------------------------------------------------------------------------------------
def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                parent = int(Path(f"/proc/{entry.name}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            tree.setdefault(parent, []).append(int(entry.name))
    return tree


def tree_pss_bytes(root: int | None = None) -> int:
    """Summed PSS of ``root`` (this process) and all its descendants: shared pages (the object store,
    libraries) counted once in total, split among the processes that map them."""
    root = root or os.getpid()
    tree, total, todo = _children(), 0, [root]
    while todo:
        pid = todo.pop()
        todo += tree.get(pid, [])
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1]) * 1024
                    break
        except OSError:  # gone, or not ours to read
            continue
    return total


class PeakMemory:
    """The highest ``tree_pss_bytes`` seen while it runs, sampled every ``every`` seconds."""

    def __init__(self, every: float = 1.0) -> None:
        self.peak = 0
        self._every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="memory sampler", daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, tree_pss_bytes())
            self._stop.wait(self._every)

    def start(self) -> PeakMemory:
        self._thread.start()
        return self

    def stop(self) -> None:
        """The last sample, once: a second call (the run's ``finally``) changes nothing."""
        if self._stop.is_set():
            return
        self._stop.set()
        self._thread.join(10)
        self.peak = max(self.peak, tree_pss_bytes())


# -- the gallery ----------------------------------------------------------------------------------------
def _gallery(workers: int, ray: str | None):
    from central.shards import ProcessShard, ShardedGallery

    if ray:
        from central.ray_shards import ray_shard_maker

        make = ray_shard_maker(ray, workers, namespace=f"biostation-bench-{os.getpid()}")
    else:
        def make(_index: int):
            return ProcessShard()
    return ShardedGallery(workers, make, lambda _index, _known: iter(()))


def _entries(first: int, count: int, seed: int) -> Iterator[tuple[str, str, object]]:
    from matching.evaluation.synthetic_persons import synthetic_person

    for i in range(first, first + count):
        yield f"record-{i}", f"person-{i}", synthetic_person(i, seed)


def _percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def _timed(call) -> tuple[float, object]:
    started = time.perf_counter()
    result = call()
    return (time.perf_counter() - started) * 1000, result


# -- the run --------------------------------------------------------------------------------------------
def run_identification_bench(people: int, workers: int = 1, ray: str | None = None, searches: int = 40,
                             other_searches: int = 10, finger_searches: int = 10, records: int = 10,
                             seed: int = 0) -> dict:
    """The figures of a gallery of ``people`` synthetic persons; ``searches`` full-record searches at their own
    positions (the first ``other_searches`` of them again with the other positions), ``finger_searches``
    persons' fingers searched one at a time, ``records`` new records searched (every position) and added."""
    from matching.evaluation.synthetic_persons import POSITIONS, second_record, synthetic_person
    from matching.gallery import Biometrics

    rng = np.random.default_rng([seed, 1])
    started_bench = time.perf_counter()
    gallery = _gallery(workers, ray)
    memory = PeakMemory()
    try:
        empty = tree_pss_bytes()
        memory.start()
        started = time.perf_counter()
        with tqdm(total=people, desc="filling", unit="person", file=sys.stderr) as bar:
            for first in range(0, people, BATCH):
                count = min(BATCH, people - first)
                gallery.add_many(_entries(first, count, seed))
                bar.update(count)
        fill_s = time.perf_counter() - started
        filled = tree_pss_bytes()
        templates = people * len(POSITIONS)

        mates = rng.choice(people, size=min(max(searches, finger_searches), people), replace=False)
        own_ms, other_ms, missed = [], [], 0
        for n, i in enumerate(tqdm(mates[:searches], desc="searching", unit="search", file=sys.stderr)):
            probe = second_record(synthetic_person(int(i), seed), rng)
            ms, outcome = _timed(lambda probe=probe: gallery.search(probe, other_positions=False))
            own_ms.append(ms)
            missed += f"person-{i}" not in {c.person for c in outcome.candidates}
            if n < other_searches:
                ms, _ = _timed(lambda probe=probe: gallery.search(probe))
                other_ms.append(ms)
        finger_missed, finger_ms = 0, []
        for i in tqdm(mates[:finger_searches], desc="one finger at a time", unit="person", file=sys.stderr):
            probe = second_record(synthetic_person(int(i), seed), rng)
            for position, template in probe.fingers.items():
                ms, outcome = _timed(lambda p=position, t=template: gallery.search(Biometrics(None, {p: t}),
                                                                                   other_positions=False))
                finger_ms.append(ms)
                finger_missed += f"person-{i}" not in {c.person for c in outcome.candidates}

        started = time.perf_counter()
        for k in tqdm(range(records), desc="new records", unit="record", file=sys.stderr):
            index = people + k
            record = synthetic_person(index, seed)
            gallery.search(record)
            gallery.add(f"record-{index}", f"person-{index}", record)
        records_per_hour = 3600 * records / (time.perf_counter() - started)
        memory.stop()

        key = os.urandom(32)
        with tempfile.TemporaryDirectory(prefix="biostation-bench-") as folder:
            started = time.perf_counter()
            snapshot_bytes = gallery.save(Path(folder), key)
            snapshot_s = time.perf_counter() - started
            gallery.close()
            started = time.perf_counter()
            gallery = _gallery(workers, ray)
            gallery.load(Path(folder), key)
            restart_s = time.perf_counter() - started
        restored = len(gallery)
        probe = second_record(synthetic_person(int(mates[0]), seed), rng)
        restored_found = f"person-{mates[0]}" in {c.person for c in gallery.search(probe).candidates}
        after_restart = tree_pss_bytes()
    finally:
        memory.stop()  # stopped already unless the run failed: the sampler never outlives it
        gallery.close()

    per_person_bytes = (filled - empty) / people
    result = {
        "people": people,
        "finger_templates": templates,
        "bytes_per_finger_template": round((filled - empty) / templates),
        "fill_minutes": round(fill_s / 60, 2),
        "restart_minutes": round(restart_s / 60, 2),
        "search_ms_median": round(statistics.median(own_ms), 1),
        "search_ms_p95": round(_percentile(own_ms, 95), 1),
        "records_per_hour": round(records_per_hour),
        "memory_gb": round(memory.peak / 2**30, 2),
        "workers": workers,
        "engine": f"ray ({ray})" if ray else "processes",
        "searches": len(own_ms),
        "shortlist_miss": missed / len(own_ms),
        "other_position_searches": len(other_ms),
        "search_other_positions_ms_median": round(statistics.median(other_ms), 1),
        "search_other_positions_ms_p95": round(_percentile(other_ms, 95), 1),
        "finger_searches": len(finger_ms),
        "finger_shortlist_miss": finger_missed / max(1, len(finger_ms)),
        "finger_search_ms_median": round(statistics.median(finger_ms), 1) if finger_ms else None,
        "memory_empty_gb": round(empty / 2**30, 2),
        "memory_filled_gb": round(filled / 2**30, 2),
        "memory_after_restart_gb": round(after_restart / 2**30, 2),
        "snapshot_mb": round(snapshot_bytes / 2**20, 1),
        "snapshot_minutes": round(snapshot_s / 60, 2),
        "restart_found_the_mate": restored_found and restored == people + records,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "minutes": round((time.perf_counter() - started_bench) / 60, 1),
    }
    result["projection"] = projection(result, per_person_bytes)
    return result


def projection(figures: dict, per_person_bytes: float, persons: int = PROJECTED_PERSONS,
               machine: dict = PROJECTION_MACHINE) -> dict:
    """Machines of ``machine``'s size for ``persons``, from this run's per-shard figures.

    A search's time in one shard grows with the persons the shard holds (the first stage is one pass
    over them); shards run side by side, one per core. So the shards needed are those that bring the
    p95 below the target at the measured time per person per shard, and the machines are whichever is
    more: those shards at one per core, or the memory at three quarters of each machine's.
    """
    per_shard = figures["people"] / figures["workers"]
    p95_per_person_ms = figures["search_ms_p95"] / per_shard
    shards = math.ceil(persons * p95_per_person_ms / (1000 * P95_TARGET_S))
    memory_gb = persons * per_person_bytes / 2**30
    machines = max(math.ceil(shards / machine["cores"]), math.ceil(memory_gb / (0.75 * machine["memory_gb"])))
    return {"persons": persons, "machine": machine, "shards": shards, "memory_gb": round(memory_gb, 1),
            "machines": machines,
            "basis": f"{p95_per_person_ms * 1e6:.0f} ns of search (p95) per person per shard, "
                     f"{per_person_bytes / 1024:.1f} KB per person"}
