"""Many threads and a second process writing one station home at once: nothing interleaves, nothing is lost.

The console writes the audit log and the outbox from its GUI thread and from pool threads
through one ``Station``, while an ``outbox flush`` (another process) may write the same files.
Each thread has its own SQLite connection, so one thread's ``BEGIN IMMEDIATE`` never lands
inside another's transaction ("cannot start a transaction within a transaction"), and
everybody waits for SQLite's lock instead of failing with "database is locked".
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading

from station.settings import load_settings
from station.station import Station

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
THREADS, PER_THREAD, CHILD_WRITES = 8, 50, 60

# the second process: the same station home, its own audit log and outbox (without the rest of
# Station, whose imports take seconds), told when to start
CHILD = f"""
import sys
from station.audit import open_audit
from station.keys import storage_key
from station.outbox import Outbox
from station.settings import load_settings
home = load_settings().home
audit, outbox = open_audit(home), Outbox(home, storage_key(home))
print("ready", flush=True)
sys.stdin.readline()
for i in range({CHILD_WRITES}):
    audit.record("process-2", "test.write", "P2", i=i)
    outbox.put(f"p2-{{i:04d}}".ljust(32, "-"), "P2", b"packet from process 2")
"""


def _packet_id(thread: int, i: int) -> str:
    return f"t{thread}-{i:04d}".ljust(32, "-")


def test_threads_and_a_second_process_write_one_station(station_home):
    station = Station(load_settings())
    child = subprocess.Popen([sys.executable, "-c", CHILD], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             text=True)
    try:
        assert child.stdout.readline().strip() == "ready"
        start = threading.Barrier(THREADS + 1)
        errors: list[str] = []

        def work(thread: int) -> None:
            start.wait()
            try:
                for i in range(PER_THREAD):
                    station.audit.record(f"thread-{thread}", "test.write", f"T{thread}", i=i)
                    station.outbox.put(_packet_id(thread, i), f"T{thread}", b"packet %d %d" % (thread, i))
                    if i % 10 == 0:  # readers mixed in with the writers
                        station.audit.head()
                        station.outbox.counts()
            except Exception as exc:  # every failure is the test's business, not just the first
                errors.append(f"thread {thread}: {exc!r}")

        threads = [threading.Thread(target=work, args=(t,)) for t in range(THREADS)]
        for t in threads:
            t.start()
        child.stdin.write("go\n")
        child.stdin.flush()
        start.wait()
        for t in threads:
            t.join(120)
        assert child.wait(120) == 0
        assert errors == []

        total = THREADS * PER_THREAD + CHILD_WRITES
        audit = station.audit
        assert audit.verify() is None
        assert audit.count() == total and audit.count(action="test.write") == total
        entries = audit.entries()
        assert [e.seq for e in entries] == list(range(1, total + 1))  # one chain, no gap, no fork
        for thread in range(THREADS):  # each writer's entries in its own order, each exactly once
            assert [e.detail["i"] for e in audit.entries(actor=f"thread-{thread}")] == list(range(PER_THREAD))
        assert [e.detail["i"] for e in audit.entries(actor="process-2")] == list(range(CHILD_WRITES))

        assert station.outbox.counts() == {"pending": total, "delivered": 0, "failed": 0}
        assert station.outbox.check() == []
        assert station.outbox.wire(_packet_id(THREADS - 1, PER_THREAD - 1)) == b"packet %d %d" % (
            THREADS - 1, PER_THREAD - 1)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        station.close()
