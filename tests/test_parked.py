"""The supervisors' queue kept sealed in the station's home (``station.parked``): read back after a crash,
never in clear on disk, a damaged record named rather than dropped."""

from __future__ import annotations

import os
import sqlite3

from enrollment.record import EnrollmentRecord
from station.parked import ParkedRecords


def _record(number: str, surname: str) -> EnrollmentRecord:
    return EnrollmentRecord({"number": number, "given_name": "Siti", "surname": surname, "service": "passport"},
                            "siti", "station-1", {"given": True}, "2026-12-06T02:00:00+00:00")


def test_parked_records_come_back_after_a_crash_sealed_on_disk_and_go_once_submitted(tmp_path):
    key = os.urandom(32)
    first = ParkedRecords(tmp_path, key)
    first.put(_record("P1", "Rahayu"))
    later = _record("P2", "Santoso")
    later.exceptions = []
    first.put(later)
    # the process dies here: no close. The next start reads both back, oldest first
    again = ParkedRecords(tmp_path, key)
    records, unreadable = again.records()
    assert [r.application["number"] for r in records] == ["P1", "P2"] and unreadable == []
    assert records[1] == later
    on_disk = b"".join(f.read_bytes() for f in tmp_path.glob("parked.db*"))
    assert b"Santoso" not in on_disk and b"Rahayu" not in on_disk
    again.remove("P1")
    assert [r.application["number"] for r in ParkedRecords(tmp_path, key).records()[0]] == ["P2"]
    # another station's key opens nothing: every record named as unreadable
    assert ParkedRecords(tmp_path, os.urandom(32)).records() == ([], ["P2"])


def test_a_damaged_or_moved_record_is_named_not_dropped(tmp_path):
    key = os.urandom(32)
    parked = ParkedRecords(tmp_path, key)
    parked.put(_record("P1", "Rahayu"))
    parked.put(_record("P2", "Santoso"))
    parked.close()
    with sqlite3.connect(tmp_path / "parked.db") as conn:
        sealed = conn.execute("SELECT sealed FROM parked WHERE number = 'P1'").fetchone()[0]
        flipped = bytearray(sealed)
        flipped[len(flipped) // 2] ^= 1
        conn.execute("UPDATE parked SET sealed = ? WHERE number = 'P1'", (bytes(flipped),))
        # P2's sealed record copied under another number: bound to its own number, it does not open
        conn.execute("INSERT INTO parked SELECT 'P3', parked_at, sealed FROM parked WHERE number = 'P2'")
    records, unreadable = ParkedRecords(tmp_path, key).records()
    assert [r.application["number"] for r in records] == ["P2"]
    assert sorted(unreadable) == ["P1", "P3"]
