"""The station's audit log: append-only and hash-chained.

Each entry's hash covers the previous entry's hash, so removing or editing an entry
breaks every hash after it. The head of the chain travels in every packet, which anchors
the chain at the central record: a station cannot later rewrite what it had done by then.

Readers for a browser (``page``, ``count``) filter and limit in SQL on indexed columns,
and ``verify`` reads the chain in batches, so none of them needs the whole log in memory
and all of them may run on any thread (each thread has its own connection).
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from .storage import Database

# one statement per item: the triggers hold ';' inside BEGIN...END
SCHEMA = [
    """CREATE TABLE IF NOT EXISTS audit (
        seq INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        application TEXT,
        detail TEXT NOT NULL,
        prev TEXT NOT NULL,
        hash TEXT NOT NULL
    )""",
    # a filtered page is a walk down one of these, newest first, stopped at the limit
    "CREATE INDEX IF NOT EXISTS audit_by_actor ON audit (actor, seq)",
    "CREATE INDEX IF NOT EXISTS audit_by_action ON audit (action, seq)",
    "CREATE INDEX IF NOT EXISTS audit_by_application ON audit (application, seq)",
    """CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
       BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END""",
    """CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
       BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END""",
]
GENESIS = "0" * 64
COLUMNS = "seq, at, actor, action, application, detail, prev, hash"
# json.dumps(..., ensure_ascii=False) and json.dumps(..., sort_keys=True, ensure_ascii=False, default=str),
# without building an encoder per call: the same text, a third faster on a 100,000-entry check
_CHAIN = json.JSONEncoder(ensure_ascii=False)
_DETAIL = json.JSONEncoder(ensure_ascii=False, sort_keys=True, default=str)


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    at: str
    actor: str
    action: str
    application: str | None
    detail: dict
    prev: str
    hash: str


def _digest(prev: str, seq: int, at: str, actor: str, action: str, application: str | None, detail: str) -> str:
    body = _CHAIN.encode([prev, seq, at, actor, action, application, detail])
    return hashlib.sha256(body.encode()).hexdigest()


def _detail_text(detail: dict) -> str:
    return _DETAIL.encode(detail)


def _entry(r) -> AuditEntry:
    return AuditEntry(r["seq"], r["at"], r["actor"], r["action"], r["application"], json.loads(r["detail"]),
                      r["prev"], r["hash"])


def _intact(r: tuple, prev: str) -> bool:
    """A row (the columns of ``COLUMNS``, in order) follows ``prev`` and its hash covers exactly what is
    stored, the detail as it was written."""
    seq, at, actor, action, application, detail, stored_prev, stored_hash = r
    return stored_prev == prev and _digest(prev, seq, at, actor, action, application, detail) == stored_hash


def _where(actor: str | None, action: str | None, application: str | None,
           before_seq: int | None = None) -> tuple[str, list[object]]:
    clauses, params = [], []
    for column, value in (("actor", actor), ("action", action), ("application", application)):
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    if before_seq is not None:
        clauses.append("seq < ?")
        params.append(before_seq)
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


class AuditLog:
    def __init__(self, path: Path) -> None:
        self.db = Database(path, SCHEMA)
        self._verified_lock = threading.Lock()
        self._verified: tuple[int, str] | None = None  # (seq, hash) of the last entry verify() found intact

    @property
    def conn(self):
        """The calling thread's connection to the log."""
        return self.db.conn

    def record(self, actor: str, action: str, application: str | None = None, **detail: object) -> str:
        """Append one entry; returns the new head."""
        return self.record_many([(actor, action, application, detail)])

    def record_many(self, entries: Iterable[tuple[str, str, str | None, dict]]) -> str:
        """Append ``(actor, action, application, detail)`` entries in one transaction; returns the new head.

        The chain is the same as entry-by-entry ``record`` builds; a bulk load (the stall benchmark's
        100,000-entry log) just pays for one commit instead of one per entry.
        """
        with self.db.transaction() as conn:
            row = conn.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
            seq, prev = (row["seq"], row["hash"]) if row else (0, GENESIS)
            rows = []
            for actor, action, application, detail in entries:
                seq += 1
                text, at = _detail_text(detail), datetime.now(UTC).isoformat()
                digest = _digest(prev, seq, at, actor, action, application, text)
                rows.append((seq, at, actor, action, application, text, prev, digest))
                prev = digest
            conn.executemany(f"INSERT INTO audit ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
        return prev

    def head(self) -> str:
        row = self.conn.execute("SELECT hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
        return row["hash"] if row else GENESIS

    def entries(self, actor: str | None = None, action: str | None = None,
                application: str | None = None) -> list[AuditEntry]:
        """Every matching entry, oldest first (a browser wants ``page``)."""
        where, params = _where(actor, action, application)
        return [_entry(r) for r in self.conn.execute(f"SELECT {COLUMNS} FROM audit{where} ORDER BY seq", params)]

    def page(self, actor: str | None = None, action: str | None = None, application: str | None = None,
             before_seq: int | None = None, limit: int = 200) -> list[AuditEntry]:
        """The newest ``limit`` matching entries older than ``before_seq``, newest first.

        The next page is ``page(..., before_seq=<the last entry's seq>)``. Filters are exact matches,
        each served by an index that also gives the order, so a page costs ``limit`` rows whatever
        the log's size.
        """
        where, params = _where(actor, action, application, before_seq)
        rows = self.conn.execute(f"SELECT {COLUMNS} FROM audit{where} ORDER BY seq DESC LIMIT ?", [*params, limit])
        return [_entry(r) for r in rows]

    def count(self, actor: str | None = None, action: str | None = None, application: str | None = None) -> int:
        where, params = _where(actor, action, application)
        return self.conn.execute(f"SELECT COUNT(*) FROM audit{where}", params).fetchone()[0]

    def verify(self, full: bool = True, batch: int = 5000) -> int | None:
        """The first entry whose chain is broken, or None when the log is intact.

        Reads the log in batches of ``batch`` entries, on whichever thread calls it. Every call
        remembers the last entry it found intact; ``full=False`` then checks only that entry and
        the ones appended since (cheap, but blind to an older entry edited in the meantime, which
        only a full check, the default, finds).
        """
        after, prev = 0, GENESIS
        cursor = self.conn.cursor()
        cursor.row_factory = None  # plain tuples: a third of the time of sqlite3.Row on a long chain
        if not full:
            with self._verified_lock:
                known = self._verified
            if known is not None:
                row = cursor.execute(f"SELECT {COLUMNS} FROM audit WHERE seq = ?", (known[0],)).fetchone()
                if row is None or row[7] != known[1] or not _intact(row, row[6]):
                    return self._found_broken(known[0])
                after, prev = known
        while True:
            rows = cursor.execute(f"SELECT {COLUMNS} FROM audit WHERE seq > ? ORDER BY seq LIMIT ?",
                                  (after, batch)).fetchall()
            for r in rows:
                if not _intact(r, prev):
                    return self._found_broken(r[0])
                prev = r[7]
            if rows:
                after = rows[-1][0]
            if len(rows) < batch:
                break
        if after:
            with self._verified_lock:
                if self._verified is None or self._verified[0] < after:
                    self._verified = (after, prev)
        return None

    def _found_broken(self, seq: int) -> int:
        with self._verified_lock:
            self._verified = None
        return seq

    def close(self) -> None:
        self.db.close()


def open_audit(home: Path) -> AuditLog:
    return AuditLog(home / "audit.db")
