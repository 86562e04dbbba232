"""The station's own state under attack or damage (hostile review, issue 27): the outbox, the audit chain,
deliveries running at once.

- A damaged outbox (bytes flipped, the file cut to nothing, its header gone) is never read as "refused"
  or "nothing waiting": the commands exit ``EXIT_DAMAGED`` naming the applications to enroll again,
  leave the damaged packets as they are, and audit the finding; a supervisor sets them aside.
- A broken, cut or emptied audit log stops the station (and ``enroll``) until a supervisor re-anchors
  it; the central record logs where each packet's chain stood, a re-anchor, and a head that went back.
- One delivery at a time, across processes and threads; a second one waits, within a bound.
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import subprocess
import threading
import time
from contextlib import contextmanager
from types import SimpleNamespace

import pytest

from central import store
from central.db import connect
from domain.catalog import render
from enrollment.synthetic import sample_record
from station.audit import AuditError, open_audit
from station.outbox import EXIT_BUSY, EXIT_DAMAGED, DeliveryLock, OutboxBusy
from station.settings import load_settings
from station.station import Station

from .conftest import BIOSTATION, run_cli

SUPERVISOR = {"BIOSTATION_SUPERVISOR": "budi", "BIOSTATION_SUPERVISOR_PASSWORD": "supervisor-pass"}
SURNAMES = ("Rahayu", "Wijaya", "Santoso")


@pytest.fixture
def office(central, synthetic_fingers):
    """A registered station with a supervisor and an officer, and one record for each of three applications."""
    engine = connect(central.db)
    numbers = [store.add_application(engine, "Siti", s, "1990-04-01", "passport") for s in SURNAMES]
    token = store.issue_token(engine, "counter 1")
    with Station(load_settings()) as station:
        station.register(central.url, token)
        station.officers.add("budi", "supervisor", "supervisor-pass")
        station.officers.add("siti", "officer", "officer-pass")
        records = [sample_record(station.applications().lookup(n), station.registration.station_id,
                                 synthetic_fingers, seed=i) for i, n in enumerate(numbers)]
    yield SimpleNamespace(engine=engine, numbers=numbers, records=records, central=central)
    engine.dispose()


def _seal(office, count: int) -> list[str]:
    """``count`` packets into the outbox, the applications taking turns."""
    with Station(load_settings()) as station:
        return [station.submit(office.records[i % len(office.records)]) for i in range(count)]


def _home():
    return load_settings().home


@contextmanager
def _sql(name: str):
    """A plain connection to one of the station's files, committed and closed (so no WAL stays behind)."""
    conn = sqlite3.connect(_home() / name, isolation_level=None)
    try:
        yield conn
    finally:
        conn.close()


def _rows() -> dict[str, tuple[str, int]]:
    with _sql("outbox.db") as conn:
        return {r[0]: (r[1], r[2]) for r in conn.execute("SELECT packet_id, state, attempts FROM packets")}


def _actions(action: str) -> list:
    audit = open_audit(_home())
    try:
        return audit.entries(action=action)
    finally:
        audit.close()


def _flip_inside(path, blob: bytes, count: int = 200, seed: int = 0) -> None:
    """Flip ``count`` bytes of ``blob`` where it lies in the file (inside one page, so the file's structure
    stays sound and only that packet's bytes change)."""
    raw = bytearray(path.read_bytes())
    at = raw.find(blob[1000:1000 + count + 56])
    assert at > 0 and not (path.parent / (path.name + "-wal")).exists()
    rng = random.Random(seed)
    for i in range(count):
        raw[at + i] ^= rng.randrange(1, 256)
    path.write_bytes(bytes(raw))


# -- 3. a damaged outbox ------------------------------------------------------------------------------------

def test_flipped_bytes_in_sealed_packets_are_damage_named_and_audited_never_refusals(office):
    ids = _seal(office, 6)  # applications 0, 1, 2, 0, 1, 2
    with _sql("outbox.db") as conn:
        blobs = {pid: conn.execute("SELECT sealed FROM packets WHERE packet_id = ?", (pid,)).fetchone()[0]
                 for pid in ids[1:3]}
    for blob in blobs.values():
        _flip_inside(_home() / "outbox.db", blob)

    flush = run_cli("outbox", "flush")
    assert flush.returncode == EXIT_DAMAGED, flush.stderr
    out = json.loads(flush.stdout)
    assert out["delivered_now"] == 4 and out["refused_now"] == 0  # the intact ones went; damage is not "refused"
    damaged = {p["packet"]: p for p in out["damaged"]["packets"]}
    assert set(damaged) == set(blobs) and {p["what"] for p in damaged.values()} == {"unreadable"}
    assert out["damaged"]["applications"] == office.numbers[1:3]
    assert all(number in flush.stderr for number in office.numbers[1:3]) and "refused 2" not in flush.stderr
    rows = _rows()
    assert all(rows[pid] == ("pending", 0) for pid in blobs)  # nothing marked on a damaged row
    assert {r["packet_id"] for r in store.list_records(office.engine)} == set(ids) - set(blobs)
    assert not _actions("packet.refused")
    audited = _actions("outbox.damaged")
    assert sorted((e.application, e.detail["packet"]) for e in audited) == sorted(
        (office.numbers[i], ids[i]) for i in (1, 2))

    # asked again: the same answer, audited once
    again = run_cli("outbox", "--json")
    assert again.returncode == EXIT_DAMAGED and len(_actions("outbox.damaged")) == 2

    # the way back: a supervisor sets the damaged records aside, which the audit log keeps by application
    refused = run_cli("outbox", "set-aside")
    assert refused.returncode == 2 and render("station.needs_supervisor", "en") in refused.stderr
    aside = run_cli("outbox", "set-aside", env=SUPERVISOR)
    assert aside.returncode == 0, aside.stderr
    assert sorted(p["application"] for p in json.loads(aside.stdout)["lost"]) == sorted(office.numbers[1:3])
    assert sorted(e.application for e in _actions("packet.lost")) == sorted(office.numbers[1:3])
    assert run_cli("outbox").returncode == 0
    assert run_cli("outbox", "flush").returncode == 0


@pytest.mark.parametrize("first", [0, 4096], ids=["anywhere", "past-the-first-page"])
def test_200_random_flipped_bytes_never_read_as_refusals(office, first):
    """The review's own damage: 200 bytes flipped at random in the file (the header included, or not)."""
    ids = _seal(office, 9)
    path = _home() / "outbox.db"
    raw = bytearray(path.read_bytes())
    rng = random.Random(27)
    for at in rng.sample(range(first, len(raw)), 200):
        raw[at] ^= rng.randrange(1, 256)
    path.write_bytes(bytes(raw))

    flush = run_cli("outbox", "flush")
    assert flush.returncode == EXIT_DAMAGED, flush.stderr
    out = json.loads(flush.stdout)
    assert out["refused_now"] == 0 and out["damaged"]["packets"]
    named = out["damaged"]["applications"]
    assert named and set(named) <= set(office.numbers) and all(n in flush.stderr for n in named)
    delivered = {r["packet_id"] for r in store.list_records(office.engine)}
    assert not delivered & {p["packet"] for p in out["damaged"]["packets"]}
    assert len(delivered) + len(out["damaged"]["packets"]) == len(ids)  # each packet delivered or named
    assert _actions("outbox.damaged") and not _actions("packet.refused")


def test_an_outbox_cut_to_nothing_names_what_it_held(office):
    ids = _seal(office, 3)
    (_home() / "outbox.db").write_bytes(b"")

    status = run_cli("outbox", "--json")
    assert status.returncode == EXIT_DAMAGED, status.stderr
    out = json.loads(status.stdout)
    assert out["pending"] == 0  # what the file says ...
    # ... and what the audit log knows
    assert [(p["packet"], p["application"], p["what"]) for p in out["damaged"]["packets"]] == [
        (pid, number, "missing") for pid, number in zip(ids, office.numbers, strict=True)]
    assert all(number in status.stderr for number in office.numbers)
    assert run_cli("outbox", "flush").returncode == EXIT_DAMAGED
    assert [e.detail["what"] for e in _actions("outbox.damaged")] == ["missing"] * 3


def test_a_damaged_outbox_file_is_left_alone_then_set_aside_keeping_what_still_opens(office):
    ids = _seal(office, 3)
    path = _home() / "outbox.db"
    raw = bytearray(path.read_bytes())
    # two pages that belong to nothing (as when the free list is lost): SQLite's check finds them,
    # while every packet still reads
    page = int.from_bytes(raw[16:18], "big")
    raw[28:32] = (len(raw) // page + 2).to_bytes(4, "big")
    raw += bytes(2 * page)
    path.write_bytes(bytes(raw))

    flush = run_cli("outbox", "flush")
    assert flush.returncode == EXIT_DAMAGED, flush.stderr
    out = json.loads(flush.stdout)
    assert out["damaged"]["problem"] and out["delivered_now"] == 0
    assert out["damaged"]["applications"] == office.numbers
    assert store.list_records(office.engine) == []  # nothing delivered from a damaged file
    assert path.read_bytes() == bytes(raw)  # nor written to it
    assert len(_actions("outbox.file_damaged")) == 1

    aside = run_cli("outbox", "set-aside", env=SUPERVISOR)
    assert aside.returncode == 0, aside.stderr
    done = json.loads(aside.stdout)
    assert done["moved_to"].startswith("outbox.db.damaged-") and (_home() / done["moved_to"]).exists()
    assert done["kept"] == 3 and done["lost"] == [] and done["pending"] == 3
    flush = run_cli("outbox", "flush")
    assert flush.returncode == 0, flush.stderr
    assert {r["packet_id"] for r in store.list_records(office.engine)} == set(ids)


# -- 10. the audit chain ------------------------------------------------------------------------------------

def _station_with_history() -> None:
    with Station(load_settings()) as station:
        station.officers.add("budi", "supervisor", "supervisor-pass")
        station.officers.add("siti", "officer", "officer-pass")
        for i in range(5):
            station.audit.record("siti", "test.entry", f"A{i}", i=i)


def _edit(seq: int) -> None:
    with _sql("audit.db") as raw:
        raw.execute("DROP TRIGGER IF EXISTS audit_no_update")
        raw.execute("UPDATE audit SET actor = 'eve' WHERE seq = ?", (seq,))


def test_an_edited_entry_stops_the_station_and_enroll_until_a_supervisor_reanchors(synthetic_fingers):
    _station_with_history()
    _edit(2)
    with pytest.raises(AuditError) as refused:
        Station(load_settings())
    assert refused.value.message_id == "station.audit_broken" and refused.value.params == {"seq": 2}

    count = len(_actions(None))
    enroll = run_cli("enroll", "--application", "P1", "--camera", "file:/nonexistent", "--scanner",
                     f"zfm-sim:{synthetic_fingers}", "--officer", "siti", "--central", "http://127.0.0.1:9",
                     "--consent", env={"BIOSTATION_PASSWORD": "officer-pass"})
    assert enroll.returncode == 2 and render("station.audit_broken", "en", seq=2) in enroll.stderr
    assert len(_actions(None)) == count  # not one entry more on the broken chain

    verify = run_cli("audit", "verify")
    assert verify.returncode == 1 and json.loads(verify.stdout)["problem"]["seq"] == 2
    assert run_cli("audit", "reanchor").returncode == 2
    officer = run_cli("audit", "reanchor", env={"BIOSTATION_SUPERVISOR": "siti",
                                                  "BIOSTATION_SUPERVISOR_PASSWORD": "officer-pass"})
    assert officer.returncode == 2 and render("station.not_supervisor", "en", name="siti") in officer.stderr
    anchored = run_cli("audit", "reanchor", env=SUPERVISOR)
    assert anchored.returncode == 0, anchored.stderr
    entry = json.loads(anchored.stdout)
    assert entry["broken"] == [[2, 2]] and entry["supervisor"] == "budi" and entry["old_seq"] == entry["seq"] - 1
    assert run_cli("audit", "verify").returncode == 0
    with Station(load_settings()) as station:  # works again, and the edited entry is still there to read
        assert station.audit.entries()[1].actor == "eve"
    assert run_cli("audit", "reanchor", env=SUPERVISOR).returncode == 1  # nothing left to re-anchor

    _edit(4)  # a later edit, before the re-anchor: not covered by it
    with pytest.raises(AuditError, match="audit_broken"):
        Station(load_settings())


def test_an_emptied_or_cut_log_is_refused_even_by_the_quick_check():
    _station_with_history()
    last = _actions(None)[-1].seq
    # the last entries removed: the chain that is left is intact, but shorter than the one the station
    # verified; ``outbox`` opens with the quick check (entries since the remembered head) and sees it
    with _sql("audit.db") as raw:
        raw.execute("DROP TRIGGER audit_no_delete")
        raw.execute("DELETE FROM audit WHERE seq > ?", (last - 3,))
    status = run_cli("outbox")
    assert status.returncode == 2, status.stderr
    assert render("station.audit_lost", "en", seq=last, last=last - 3) in status.stderr
    with pytest.raises(AuditError) as cut:
        Station(load_settings(), audit_check="new")
    assert cut.value.message_id == "station.audit_lost" and cut.value.params == {"seq": last, "last": last - 3}

    # the file cut to zero bytes: the station would start again from genesis
    (_home() / "audit.db").write_bytes(b"")
    for check in ("full", "new"):
        with pytest.raises(AuditError, match="audit_emptied"):
            Station(load_settings(), audit_check=check)
    status = run_cli("outbox")
    assert status.returncode == 2 and render("station.audit_emptied", "en") in status.stderr
    # without the remembered head too, the station's accounts still show it had a history
    (_home() / "keys" / "audit-head").unlink()
    with pytest.raises(AuditError, match="audit_emptied"):
        Station(load_settings())

    anchored = run_cli("audit", "reanchor", env=SUPERVISOR)
    assert anchored.returncode == 0, anchored.stderr
    with Station(load_settings()) as station:
        assert station.audit.verify() is None
        assert station.audit.entries(action="audit.reanchor")[0].detail["finding"] == "station.audit_emptied"


def test_the_central_record_keeps_each_head_and_sees_a_reanchor_and_a_head_going_back(office):
    _seal(office, 2)
    assert run_cli("outbox", "flush").returncode == 0
    heads = [e for e in store.intake_events(office.engine) if e["outcome"] == "audit_head"]
    assert len(heads) == 2 and [json.loads(h["detail"])["seq"] for h in heads] == sorted(
        json.loads(h["detail"])["seq"] for h in heads)
    before = json.loads(heads[-1]["detail"])["seq"]

    (_home() / "audit.db").write_bytes(b"")  # the station's history emptied
    assert run_cli("audit", "reanchor", env=SUPERVISOR).returncode == 0
    _seal(office, 1)
    assert run_cli("outbox", "flush").returncode == 0
    events = store.intake_events(office.engine)
    anchored = [json.loads(e["detail"]) for e in events if e["outcome"] == "audit_reanchored"]
    assert len(anchored) == 1 and anchored[0]["finding"] == "station.audit_emptied" and anchored[0]["seq"] == 2
    back = [json.loads(e["detail"]) for e in events if e["outcome"] == "audit_seq_backwards"]
    assert len(back) == 1 and back[0]["previous_seq"] == before and back[0]["seq"] < before
    assert sum(e["outcome"] == "audit_head" for e in events) == 3


# -- 12. one delivery at a time -----------------------------------------------------------------------------

def _delivered_once(office, ids: list[str]) -> None:
    delivered = [e.detail["packet"] for e in _actions("packet.delivered")]
    assert sorted(delivered) == sorted(ids)  # each audited once
    assert {state for state, _ in _rows().values()} == {"delivered"}
    received = [r["packet_id"] for r in store.list_records(office.engine)]
    assert sorted(received) == sorted(ids)


def test_two_threads_flushing_one_station_deliver_each_packet_once(office):
    ids = _seal(office, 5)
    errors: list[BaseException] = []
    with Station(load_settings()) as station:
        start = threading.Barrier(2)

        def flush() -> None:
            start.wait()
            try:
                station.flush()
            except BaseException as exc:  # the test's business
                errors.append(exc)

        threads = [threading.Thread(target=flush) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(300)
    assert errors == []
    _delivered_once(office, ids)


def test_two_flush_commands_at_once_deliver_each_packet_once(office):
    """The review's race: two ``outbox flush`` 0.4 s apart. The second waits for the first (or, past its
    bound on a slow machine, says another delivery is running); either way each packet goes once."""
    ids = _seal(office, 12)
    env = dict(os.environ, BIOSTATION_LANGUAGE="en")
    first = subprocess.Popen(BIOSTATION + ["outbox", "flush"], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    time.sleep(0.4)
    second = subprocess.Popen(BIOSTATION + ["outbox", "flush"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    outs = [p.communicate(timeout=300) for p in (first, second)]
    assert first.returncode == 0 and second.returncode in (0, EXIT_BUSY), outs
    if second.returncode == EXIT_BUSY:
        assert "Another delivery is running" in outs[1][1]
    assert sum(json.loads(out).get("delivered_now", 0) for out, _ in outs) == len(ids)
    _delivered_once(office, ids)


def test_a_flush_waits_for_another_within_a_bound(office):
    _seal(office, 1)
    lock = DeliveryLock(_home() / "outbox.lock")
    with lock.held(5):  # another delivery, here
        busy = run_cli("outbox", "flush", "--wait", "1")
        assert busy.returncode == EXIT_BUSY
        assert render("outbox.busy", "en", seconds=1) in busy.stderr and json.loads(busy.stdout) == {"busy": True}
        with Station(load_settings()) as station, pytest.raises(OutboxBusy):  # this process waits on it too
            station.flush(wait_s=0.5)
        assert set(s for s, _ in _rows().values()) == {"pending"}
    assert run_cli("outbox", "flush").returncode == 0
