"""The outbox: every sealed packet kept durably until the central record acknowledges it.

A packet enters in one committed transaction (``synchronous=FULL``), so after ``put``
returns, a crash or a power cut cannot lose it. Delivery marks it delivered only after
the central record answered "stored" or "already received"; a crash between the two
just means one more delivery, which the central record recognises by the packet id.
On acknowledgement the packet's bytes are erased (``secure_delete``): biometric data
does not stay on the station once it is safe centrally.

A damaged outbox is never read as an empty or a refused one. Opening runs SQLite's
``quick_check``; a file that fails it (or does not open) is unusable as a whole, and nothing
in it is delivered or changed. Each packet's sealed bytes must open under the storage key
and match the digest taken when it entered; one that does not is damage, never a refusal
(that word is the central record's answer). ``inspect`` reports both; the station
cross-checks them against the audit log (``Station.outbox_damage``).

One delivery at a time per station home (``DeliveryLock``): a second flush, from another
process or another thread, waits for the first, within a bound.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from domain.errors import BiostationError

from .storage import Database, StorageError, open_blob, seal_blob

try:
    import fcntl
except ImportError:  # Windows has no flock: there the lock holds within one process only
    fcntl = None  # type: ignore[assignment]

EXIT_DAMAGED = 3  # ``biostation outbox``: the outbox is damaged, applications must be enrolled again
EXIT_BUSY = 75  # ``biostation outbox flush``: another delivery is running (sysexits' EX_TEMPFAIL)

SCHEMA = """
CREATE TABLE IF NOT EXISTS packets (
    packet_id TEXT PRIMARY KEY,
    application TEXT NOT NULL,
    created_at TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    delivered_at TEXT,
    digest TEXT NOT NULL,
    sealed BLOB
)
"""


@dataclass(frozen=True)
class Delivery:
    """What one delivery attempt ended in: "delivered", "refused" (kept, failed), "retry"."""

    outcome: str
    message_id: str = ""


@dataclass(frozen=True)
class DamagedPacket:
    packet: str
    application: str | None
    what: str  # "missing" (audited into the outbox, gone from it), "unreadable" (bytes do not open), "file"


@dataclass(frozen=True)
class OutboxDamage:
    """What is wrong with the outbox: the whole file (``problem``) and/or packets."""

    problem: str | None  # the file's integrity finding; None when only packets are damaged
    packets: tuple[DamagedPacket, ...] = ()

    @property
    def applications(self) -> list[str]:
        """The applications to enroll again, each once, in the order found."""
        return list(dict.fromkeys(p.application for p in self.packets if p.application))

    def params(self) -> dict:
        apps = self.applications
        return {"count": len(self.packets), "applications": ", ".join(apps) if apps else "-",
                "packets": ", ".join(p.packet for p in self.packets) or "-", "problem": self.problem or ""}

    def as_json(self) -> dict:
        return {"problem": self.problem, "applications": self.applications,
                "packets": [{"packet": p.packet, "application": p.application, "what": p.what}
                            for p in self.packets]}


class OutboxDamaged(BiostationError):
    """The outbox is damaged: the records it names must be enrolled again (never "refused", never "0 waiting")."""

    def __init__(self, damage: OutboxDamage, result: object = None) -> None:
        super().__init__("outbox.file_damaged" if damage.problem else "outbox.damaged", **damage.params())
        self.damage = damage
        self.result = result  # what the flush did with the intact packets, when it ran


class OutboxBusy(BiostationError):
    """Another delivery holds the station's delivery lock past the wait's bound."""


@dataclass(frozen=True)
class Inspection:
    """The outbox as found: ``problem`` for the file, else every row's state and whether its bytes open."""

    problem: str | None
    rows: dict[str, tuple[str, str, bool]] = field(default_factory=dict)  # id -> (application, state, readable)


def _lenient_text(data: bytes) -> str:
    return data.decode("utf-8", "replace")


def is_damage(exc: BaseException) -> bool:
    """SQLite saying the file itself is damaged (not busy, not locked, not out of space)."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    if name:
        return name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB"))
    return type(exc) is sqlite3.DatabaseError


def _quick_check(conn: sqlite3.Connection) -> str | None:
    """SQLite's ``quick_check`` (structure and page checks, without the cost of comparing indexes):
    None when the file is sound, else its first findings."""
    found = [r[0] for r in conn.execute("PRAGMA quick_check(5)")]
    return None if found == ["ok"] else "; ".join(found)[:500]


class Outbox:
    def __init__(self, home: Path, storage_key: bytes) -> None:
        self.path = home / "outbox.db"
        self.key = storage_key
        self.problem: str | None = None  # the file is damaged: why (nothing in it is used then)
        self.db: Database | None = None
        try:
            self.db = Database(self.path, SCHEMA)
            self.problem = _quick_check(self.conn)
        except sqlite3.DatabaseError as exc:
            if not is_damage(exc):
                raise
            self.problem = str(exc)[:500]
        except UnicodeDecodeError as exc:  # a damaged header garbles even SQLite's answers to its pragmas
            self.problem = f"garbled: {exc}"[:500]
        if self.problem is not None and self.db is not None:
            self.db.close()
            self.db = None

    @property
    def conn(self):
        """The calling thread's connection; refused on a damaged file.

        Text that is not UTF-8 (a flipped byte in an id) reads with replacement characters instead of
        failing the whole query: such a row then matches nothing and its bytes do not open, so it is
        found as damage like any other.
        """
        if self.db is None:
            raise StorageError("outbox.unusable", problem=self.problem or "closed")
        conn = self.db.conn
        conn.text_factory = _lenient_text
        return conn

    def _transaction(self):
        if self.db is None:
            raise StorageError("outbox.unusable", problem=self.problem or "closed")
        return self.db.transaction()

    def put(self, packet_id: str, application: str, wire: bytes) -> None:
        blob = seal_blob(self.key, wire, f"outbox:{packet_id}")
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO packets (packet_id, application, created_at, state, digest, sealed) "
                "VALUES (?, ?, ?, 'pending', ?, ?)",
                (packet_id, application, _now(), hashlib.sha256(wire).hexdigest(), blob))

    def pending(self) -> list[str]:
        rows = self.conn.execute("SELECT packet_id FROM packets WHERE state = 'pending' ORDER BY created_at")
        return [r["packet_id"] for r in rows]

    def wire(self, packet_id: str) -> bytes:
        """The packet's bytes, checked against the digest recorded when it entered."""
        row = self.conn.execute("SELECT digest, sealed FROM packets WHERE packet_id = ?", (packet_id,)).fetchone()
        if row is None or row["sealed"] is None:
            raise StorageError("outbox.no_packet", packet=packet_id)
        wire = open_blob(self.key, row["sealed"], f"outbox:{packet_id}")
        if hashlib.sha256(wire).hexdigest() != row["digest"]:
            raise StorageError("storage.corrupt", what=f"outbox:{packet_id}")
        return wire

    def is_pending(self, packet_id: str) -> bool:
        row = self.conn.execute("SELECT state FROM packets WHERE packet_id = ?", (packet_id,)).fetchone()
        return row is not None and row["state"] == "pending"

    def application(self, packet_id: str) -> str | None:
        row = self.conn.execute("SELECT application FROM packets WHERE packet_id = ?", (packet_id,)).fetchone()
        return None if row is None else row["application"]

    def mark_delivered(self, packet_id: str) -> None:
        with self._transaction() as conn:
            conn.execute("UPDATE packets SET state = 'delivered', delivered_at = ?, sealed = NULL, "
                         "last_error = NULL WHERE packet_id = ?", (_now(), packet_id))

    def mark_attempt(self, packet_id: str, error: str, failed: bool) -> None:
        with self._transaction() as conn:
            conn.execute("UPDATE packets SET attempts = attempts + 1, last_error = ?, state = ? "
                         "WHERE packet_id = ?", (error, "failed" if failed else "pending", packet_id))

    def remove(self, packet_ids: list[str]) -> None:
        """Erase damaged packets a supervisor set aside (``secure_delete`` overwrites their bytes)."""
        with self._transaction() as conn:
            conn.executemany("DELETE FROM packets WHERE packet_id = ?", [(p,) for p in packet_ids])

    def retry_failed(self) -> int:
        with self._transaction() as conn:
            return conn.execute("UPDATE packets SET state = 'pending' WHERE state = 'failed' "
                                "AND sealed IS NOT NULL").rowcount

    def counts(self) -> dict:
        out = {"pending": 0, "delivered": 0, "failed": 0}
        for row in self.conn.execute("SELECT state, COUNT(*) AS n FROM packets GROUP BY state"):
            if row["state"] in out:  # a state garbled on disk is damage, which ``inspect`` reports
                out[row["state"]] = row["n"]
        return out

    def entries(self) -> list[dict]:
        rows = self.conn.execute("SELECT packet_id, application, created_at, state, attempts, last_error, "
                                 "delivered_at, sealed IS NOT NULL AS held FROM packets ORDER BY created_at")
        return [dict(r) | {"held": bool(r["held"])} for r in rows]

    def check(self) -> list[str]:
        """Packet ids whose stored bytes do not open (should never happen; reported, not hidden)."""
        bad = []
        for pid in [r["packet_id"] for r in self.conn.execute("SELECT packet_id FROM packets "
                                                               "WHERE sealed IS NOT NULL")]:
            try:
                self.wire(pid)
            except StorageError:
                bad.append(pid)
        return bad

    def has_rows(self) -> bool:
        """Whether the outbox ever held a packet (a damaged file counts: it was not empty once)."""
        if self.db is None:
            return self.path.exists() and self.path.stat().st_size > 0
        return self.conn.execute("SELECT 1 FROM packets LIMIT 1").fetchone() is not None

    def inspect(self) -> Inspection:
        """Every row's state and whether the bytes of those still held open and match their digest."""
        if self.db is None:
            return Inspection(self.problem or "closed")
        rows: dict[str, tuple[str, str, bool]] = {}
        try:
            for r in self.conn.execute("SELECT packet_id, application, state, digest, sealed FROM packets"):
                readable = r["state"] == "delivered" or (
                    r["state"] in ("pending", "failed") and r["sealed"] is not None
                    and self._opens(r["packet_id"], r["digest"], r["sealed"]))
                rows[r["packet_id"]] = (r["application"], r["state"], readable)
        except sqlite3.DatabaseError as exc:
            if not is_damage(exc):
                raise
            return Inspection(str(exc)[:500])
        return Inspection(None, rows)

    def _opens(self, packet_id: str, digest: str, sealed: bytes) -> bool:
        try:
            wire = open_blob(self.key, sealed, f"outbox:{packet_id}")
        except StorageError:
            return False
        return hashlib.sha256(wire).hexdigest() == digest

    def salvage(self, damaged: Path) -> list[str]:
        """Copy every undelivered packet of a damaged outbox file that still opens intact; their ids.

        Reads row by row, so a row on a damaged page costs that row alone.
        """
        kept: list[str] = []
        try:
            source = sqlite3.connect(f"file:{damaged}?mode=ro", uri=True)
        except sqlite3.Error:
            return kept
        source.text_factory = _lenient_text
        try:
            rowids = [r[0] for r in source.execute("SELECT rowid FROM packets")]
        except sqlite3.DatabaseError:
            rowids = []  # the table itself is unreadable: nothing to keep
        try:
            for rowid in rowids:
                try:
                    row = source.execute("SELECT packet_id, application, created_at, state, attempts, last_error, "
                                         "digest, sealed FROM packets WHERE rowid = ?", (rowid,)).fetchone()
                except sqlite3.DatabaseError:
                    continue
                if row is None:
                    continue
                pid, application, created_at, state, attempts, last_error, digest, sealed = row
                if (state not in ("pending", "failed") or not isinstance(pid, str) or sealed is None
                        or not self._opens(pid, digest, sealed)):
                    continue
                with self._transaction() as conn:
                    conn.execute("INSERT OR IGNORE INTO packets (packet_id, application, created_at, state, "
                                 "attempts, last_error, digest, sealed) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                                 (pid, application, created_at, state, attempts or 0, last_error, digest, sealed))
                kept.append(pid)
        finally:
            source.close()
        return kept

    def close(self) -> None:
        if self.db is not None:
            self.db.close()


_THREAD_LOCKS: dict[str, threading.Lock] = {}
_THREAD_LOCKS_GUARD = threading.Lock()


class DeliveryLock:
    """One delivery at a time per station home: an ``flock`` on a lock file (other processes) and a
    lock per file within this process (the console's job threads share one ``Station``)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with _THREAD_LOCKS_GUARD:
            self._thread_lock = _THREAD_LOCKS.setdefault(str(path.resolve()), threading.Lock())

    @contextlib.contextmanager
    def held(self, wait_s: float) -> Iterator[None]:
        """Hold the lock; waits at most ``wait_s`` seconds, then raises ``OutboxBusy``."""
        deadline = time.monotonic() + max(0.0, wait_s)
        if not self._thread_lock.acquire(timeout=max(0.0, wait_s)):
            raise OutboxBusy("outbox.busy", seconds=round(wait_s))
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                while fcntl is not None:
                    try:
                        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                        break
                    except BlockingIOError:
                        if time.monotonic() >= deadline:
                            raise OutboxBusy("outbox.busy", seconds=round(wait_s)) from None
                        time.sleep(0.05)
                yield
            finally:
                os.close(fd)  # releases the flock
        finally:
            self._thread_lock.release()


def _now() -> str:
    return datetime.now(UTC).isoformat()
