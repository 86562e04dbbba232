"""The station's own state: audit chain, officer accounts, outbox durability and encryption at rest."""

from __future__ import annotations

import sqlite3

import pytest

from station.audit import GENESIS, open_audit
from station.officers import MAX_FAILURES, AuthError, Officers
from station.outbox import Outbox
from station.storage import StorageError


def test_audit_chain_detects_rewrites(tmp_path):
    audit = open_audit(tmp_path)
    assert audit.head() == GENESIS
    heads = [audit.record("siti", "login"), audit.record("siti", "enrollment.open", "P1", step=1),
             audit.record("budi", "enrollment.approve", "P1")]
    assert audit.head() == heads[-1] and len(set(heads)) == 3
    assert audit.verify() is None
    assert [e.action for e in audit.entries(application="P1")] == ["enrollment.open", "enrollment.approve"]
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        audit.conn.execute("UPDATE audit SET actor = 'eve' WHERE seq = 2")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        audit.conn.execute("DELETE FROM audit WHERE seq = 1")
    # someone with the file drops the guard and edits history: the chain shows where
    audit.conn.execute("DROP TRIGGER audit_no_update")
    audit.conn.execute("UPDATE audit SET actor = 'eve' WHERE seq = 2")
    assert audit.verify() == 2


def test_officers_hash_lock_and_roles(tmp_path):
    audit = open_audit(tmp_path)
    officers = Officers(tmp_path, audit)
    officers.add("siti", "officer", "correct horse")
    officers.add("budi", "supervisor", "battery staple")
    raw = (tmp_path / "officers.db").read_bytes() + (tmp_path / "officers.db-wal").read_bytes()
    assert b"correct horse" not in raw and b"$argon2" in raw
    with pytest.raises(AuthError, match="weak_password"):
        officers.add("ana", "officer", "short")
    with pytest.raises(AuthError, match="bad_role"):
        officers.add("ana", "admin", "long enough pw")
    siti = officers.authenticate("siti", "correct horse")
    assert siti.may("enroll") and not siti.may("approve")
    assert officers.authenticate("budi", "battery staple").may("approve")
    with pytest.raises(AuthError, match="bad_credentials"):
        officers.authenticate("nobody", "x")
    for _ in range(MAX_FAILURES - 1):
        with pytest.raises(AuthError, match="bad_credentials"):
            officers.authenticate("siti", "wrong", now=1000.0)
    with pytest.raises(AuthError, match="locked"):
        officers.authenticate("siti", "wrong", now=1000.0)
    with pytest.raises(AuthError, match="locked"):  # even the right password, while locked
        officers.authenticate("siti", "correct horse", now=1001.0)
    assert officers.authenticate("siti", "correct horse", now=1000.0 + 16 * 60).name == "siti"
    actions = [e.action for e in audit.entries(actor="siti")]
    assert actions.count("login.failed") == MAX_FAILURES and "login.refused" in actions
    assert audit.verify() is None


def test_outbox_is_durable_sealed_and_purged(tmp_path):
    key = bytes(range(32))
    box = Outbox(tmp_path, key)
    box.put("a" * 32, "P1", b"packet-bytes-one")
    box.put("b" * 32, "P2", b"packet-bytes-two")
    box.close()
    box = Outbox(tmp_path, key)  # reopened: nothing lost
    assert box.pending() == ["a" * 32, "b" * 32]
    assert box.wire("a" * 32) == b"packet-bytes-one"
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("outbox.db*"))
    assert b"packet-bytes-one" not in raw  # sealed under the storage key
    box.mark_delivered("a" * 32)
    assert box.counts() == {"pending": 1, "delivered": 1, "failed": 0}
    with pytest.raises(StorageError):
        box.wire("a" * 32)  # erased once acknowledged
    box.mark_attempt("b" * 32, "central.unreachable", failed=False)
    assert box.pending() == ["b" * 32] and box.entries()[1]["attempts"] == 1
    # a blob damaged on disk is reported, never delivered as something else
    box.conn.execute("UPDATE packets SET sealed = ? WHERE packet_id = ?", (b"\0" * 40, "b" * 32))
    assert box.check() == ["b" * 32]
    with pytest.raises(StorageError, match="corrupt"):
        box.wire("b" * 32)
    with pytest.raises(sqlite3.IntegrityError):
        box.put("a" * 32, "P1", b"again")  # a packet id enters once
