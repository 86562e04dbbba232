"""Crashes at random points: every record arrives exactly once and the outbox never holds a corrupt entry.

SIGKILL (no clean-up of any kind) hits the station while it enrolls, while it seals
records into the outbox and while it delivers them, and hits the central record while
it takes packets in. Afterwards one ``outbox flush`` must deliver everything, the
central record must hold each sealed packet exactly once, complete, and nothing else.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time

from sqlalchemy import func, select

from central import db, store
from station.outbox import Outbox
from station.settings import load_settings
from station.station import Station

from .conftest import BIOSTATION, run_cli
from .faces import astronaut, camera_folder, studio

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _spawn(args: list[str]) -> subprocess.Popen:
    env = dict(os.environ, BIOSTATION_LANGUAGE="en", BIOSTATION_PASSWORD="officer-pass",
               BIOSTATION_SUPERVISOR="budi", BIOSTATION_SUPERVISOR_PASSWORD="supervisor-pass")
    return subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _submitter(synthetic_fingers, application: dict, count: int) -> subprocess.Popen:
    """A station process sealing ``count`` records into the outbox (tests.crash_submitter)."""
    return _spawn([sys.executable, "-m", "tests.crash_submitter", str(synthetic_fingers),
                   json.dumps(application), str(count)])


def _kill_after(proc: subprocess.Popen, delay: float) -> None:
    deadline = time.monotonic() + delay
    while time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.01)
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    proc.wait(30)


def test_sigkill_anywhere_loses_nothing_and_duplicates_nothing(central, synthetic_fingers, tmp_path):
    rng = random.Random(20261127)
    engine = db.connect(central.db)
    numbers = [store.add_application(engine, "Siti", "Rahayu", "1990-04-01", "passport") for _ in range(2)]
    token = store.issue_token(engine, "counter 1")
    with Station(load_settings()) as station:
        station.register(central.url, token)
        station.officers.add("siti", "officer", "officer-pass")
        station.officers.add("budi", "supervisor", "supervisor-pass")
        application = station.applications().lookup(numbers[0])
    camera = "file:" + str(camera_folder(tmp_path / "camera", studio(astronaut())))

    # 1. the station killed in the middle of headless enrollments
    for _ in range(3):
        enroll = _spawn(BIOSTATION + ["enroll", "--application", numbers[1], "--camera", camera,
                                      "--scanner", f"zfm-sim:{synthetic_fingers}", "--officer", "siti",
                                      "--central", central.url, "--consent", "--fingers", "right-thumb",
                                      "--face-timeout", "1"])
        _kill_after(enroll, rng.uniform(1.0, 7.0))
    # 2. killed while sealing records into the outbox
    for _ in range(8):
        _kill_after(_submitter(synthetic_fingers, application, 4), rng.uniform(0.5, 3.0))
    # on a busy machine every kill above may land before the first seal; one run left to
    # finish makes sure the deliveries below have packets to be cut short on
    assert _submitter(synthetic_fingers, application, 2).wait(300) == 0
    # 3. deliveries cut short: the station killed, or the central record killed during intake
    for i in range(12):
        flush = _spawn(BIOSTATION + ["outbox", "flush"])
        delay = rng.uniform(0.0, 1.2)
        if i % 2:
            _kill_after(flush, delay)
        else:
            time.sleep(delay)
            central.kill()
            flush.wait(60)
            central.start()
    final = run_cli("outbox", "flush", timeout=300)
    assert final.returncode == 0, final.stderr

    home = load_settings().home
    outbox_file = home / "outbox.db"
    with sqlite3.connect(outbox_file) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    box = Outbox(home, Station(load_settings()).storage_key)
    assert box.check() == []
    entries = box.entries()
    assert entries and all(e["state"] == "delivered" for e in entries)
    sealed = {e["packet_id"] for e in entries}
    records = store.list_records(engine)
    received = [r["packet_id"] for r in records]
    assert len(received) == len(set(received))  # exactly once
    assert set(received) == sealed  # everything sealed arrived, nothing else did
    with engine.begin() as conn:
        for r in records:  # nothing half-stored: every file the manifest lists is there
            manifest = json.loads(conn.execute(select(db.records.c.manifest)
                                               .where(db.records.c.packet_id == r["packet_id"])).scalar_one())
            files = conn.execute(select(func.count()).select_from(db.record_files)
                                 .where(db.record_files.c.packet_id == r["packet_id"],
                                        db.record_files.c.name != store.RECORD_KEY)).scalar_one()
            assert files == len(manifest["files"])
            assert conn.execute(select(db.record_files.c.packet_id).where(  # each sealed with its data key
                db.record_files.c.packet_id == r["packet_id"], db.record_files.c.name == store.RECORD_KEY)).first()
    outcomes = [e["outcome"] for e in store.intake_events(engine)]
    print(f"crash test: {len(sealed)} packets sealed, {outcomes.count('stored')} stored, "
          f"{outcomes.count('already_received')} resent after a cut")
    engine.dispose()
