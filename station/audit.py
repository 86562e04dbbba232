"""The station's audit log: append-only and hash-chained.

Each entry's hash covers the previous entry's hash, so removing or editing an entry
breaks every hash after it. The head of the chain travels in every packet, which anchors
the chain at the central record: a station cannot later rewrite what it had done by then.

Readers for a browser (``page``, ``count``) filter and limit in SQL on indexed columns,
and ``verify`` reads the chain in batches, so none of them needs the whole log in memory
and all of them may run on any thread (each thread has its own connection).

A chain broken outside the station (an edited or deleted entry, an emptied file) stays broken:
nothing rewrites history. The way back is a **re-anchor** (``reanchor``), an entry a supervisor
adds that names every broken entry and the old head; ``verify`` accepts exactly the breaks an
intact re-anchor after them names, so the chain verifies again from there, and a break made
later, before or after the re-anchor, still shows.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from domain.errors import BiostationError

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
REANCHOR = "audit.reanchor"  # the action of a supervisor's re-anchor entry
COLUMNS = "seq, at, actor, action, application, detail, prev, hash"
# json.dumps(..., ensure_ascii=False) and json.dumps(..., sort_keys=True, ensure_ascii=False, default=str),
# without building an encoder per call: the same text, a third faster on a 100,000-entry check
_CHAIN = json.JSONEncoder(ensure_ascii=False)
_DETAIL = json.JSONEncoder(ensure_ascii=False, sort_keys=True, default=str)


class AuditError(BiostationError):
    """The audit log cannot be trusted (broken, emptied, rewritten); the station refuses to work on it."""


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


def _written(row: tuple) -> AuditEntry:
    """The entry a row ``_insert`` wrote (its detail as stored, parsed)."""
    seq, at, actor, action, application, text, prev, digest = row
    return AuditEntry(seq, at, actor, action, application, json.loads(text), prev, digest)


def _intact(r: tuple, prev: str) -> bool:
    """A row (the columns of ``COLUMNS``, in order) follows ``prev`` and its hash covers exactly what is
    stored, the detail as it was written."""
    seq, at, actor, action, application, detail, stored_prev, stored_hash = r
    return stored_prev == prev and _digest(prev, seq, at, actor, action, application, detail) == stored_hash


def _ranges(seqs: list[int]) -> list[list[int]]:
    """Sorted entry numbers as ``[first, last]`` runs: a whole rewritten stretch stays one pair."""
    out: list[list[int]] = []
    for seq in sorted(seqs):
        if out and seq == out[-1][1] + 1:
            out[-1][1] = seq
        else:
            out.append([seq, seq])
    return out


def _named_breaks(detail: str) -> list[tuple[int, int]]:
    """The ``[first, last]`` runs of broken entries a re-anchor entry's detail names."""
    try:
        runs = json.loads(detail).get("broken", [])
        return [(int(a), int(b)) for a, b in runs]
    except (ValueError, TypeError, AttributeError):
        return []


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
            rows = self._insert(conn, entries)
        return rows[-1][-1] if rows else self.head()

    def head(self) -> str:
        last = self.last()
        return last[1] if last else GENESIS

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

    def append(self, actor: str, action: str, application: str | None = None, **detail: object) -> AuditEntry:
        """Append one entry and return it (its seq and time travel in a packet with its hash)."""
        with self.db.transaction() as conn:
            row = self._insert(conn, [(actor, action, application, detail)])[0]
        return _written(row)

    @staticmethod
    def _insert(conn, entries: Iterable[tuple[str, str, str | None, dict]]) -> list[tuple]:
        """Chain ``entries`` onto the newest one, inside the caller's transaction; the rows written."""
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
        return rows

    def last(self) -> tuple[int, str] | None:
        """``(seq, hash)`` of the newest entry; None when the log is empty."""
        row = self.conn.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
        return None if row is None else (row["seq"], row["hash"])

    def hash_at(self, seq: int) -> str | None:
        row = self.conn.execute("SELECT hash FROM audit WHERE seq = ?", (seq,)).fetchone()
        return None if row is None else row["hash"]

    def latest(self, action: str) -> AuditEntry | None:
        """The newest entry of one action (an index walk, whatever the log's size)."""
        row = self.conn.execute(f"SELECT {COLUMNS} FROM audit WHERE action = ? ORDER BY seq DESC LIMIT 1",
                                (action,)).fetchone()
        return None if row is None else _entry(row)

    def packets(self, action: str) -> list[tuple[str | None, str]]:
        """``(application, packet id)`` of every entry of ``action`` whose detail names a packet."""
        cursor = self.conn.cursor()
        cursor.row_factory = None
        out = []
        for application, detail in cursor.execute("SELECT application, detail FROM audit WHERE action = ? "
                                                  "ORDER BY seq", (action,)):
            packet = json.loads(detail).get("packet")
            if isinstance(packet, str):
                out.append((application, packet))
        return out

    def verify(self, full: bool = True, batch: int = 5000) -> int | None:
        """The first entry whose chain is broken (and no re-anchor after it names), or None when intact.

        Reads the log in batches of ``batch`` entries, on whichever thread calls it. Every call
        remembers the last entry it found intact; ``full=False`` then checks only that entry and
        the ones appended since (cheap, but blind to an older entry edited in the meantime, which
        only a full check, the default, finds).
        """
        broken = self._walk(full, batch, every=False)
        return broken[0] if broken else None

    def breaks(self, batch: int = 5000) -> list[int]:
        """Every broken entry no re-anchor names, oldest first (what a re-anchor must name)."""
        return self._walk(True, batch, every=True)

    def remember(self, seq: int, digest: str) -> None:
        """Take entry ``seq`` with hash ``digest`` as verified (the station remembers it across opens):
        ``verify(full=False)`` then starts there."""
        with self._verified_lock:
            self._verified = (seq, digest)

    def verified_head(self) -> tuple[int, str] | None:
        """``(seq, hash)`` of the newest entry a check found intact, if any."""
        with self._verified_lock:
            return self._verified

    def _walk(self, full: bool, batch: int, every: bool) -> list[int]:
        """The unnamed breaks: all of them with ``every``, else the first one (stopping early when no
        re-anchor follows it)."""
        after, prev = 0, GENESIS
        cursor = self.conn.cursor()
        cursor.row_factory = None  # plain tuples: a third of the time of sqlite3.Row on a long chain
        if not full:
            known = self.verified_head()
            if known is not None:
                row = cursor.execute(f"SELECT {COLUMNS} FROM audit WHERE seq = ?", (known[0],)).fetchone()
                if row is None or row[7] != known[1] or not _intact(row, row[6]):
                    self._forget()
                    return [known[0]]
                after, prev = known
        last_anchor = cursor.execute("SELECT MAX(seq) FROM audit WHERE action = ?", (REANCHOR,)).fetchone()[0] or 0
        open_breaks: list[int] = []
        while True:
            rows = cursor.execute(f"SELECT {COLUMNS} FROM audit WHERE seq > ? ORDER BY seq LIMIT ?",
                                  (after, batch)).fetchall()
            for r in rows:
                seq, action, detail, stored_prev, stored_hash = r[0], r[3], r[5], r[6], r[7]
                if not (stored_prev == prev and _intact(r, stored_prev)):
                    open_breaks.append(seq)
                    if not every and seq > last_anchor:  # no re-anchor can name it
                        self._forget()
                        return open_breaks[:1]
                elif action == REANCHOR and open_breaks:
                    runs = _named_breaks(detail)
                    open_breaks = [b for b in open_breaks if not any(a <= b <= z for a, z in runs)]
                prev = stored_hash
            if rows:
                after = rows[-1][0]
            if len(rows) < batch:
                break
        if open_breaks:
            self._forget()
            return open_breaks if every else open_breaks[:1]
        if after:
            with self._verified_lock:
                if self._verified is None or self._verified[0] < after:
                    self._verified = (after, prev)
        return []

    def _forget(self) -> None:
        with self._verified_lock:
            self._verified = None

    def reanchor(self, supervisor: str, remembered: tuple[int, str] | None = None, **detail: object) -> AuditEntry:
        """A supervisor's re-anchor entry: it names every break and the old head, so the chain verifies
        from here on (``verify``), while the breaks stay readable in the log.

        ``remembered``: the entry the station had verified last, when the log lost it (emptied or cut).
        """
        breaks = self.breaks()
        with self.db.transaction() as conn:
            row = conn.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
            old_seq, old_head = (row["seq"], row["hash"]) if row else (0, GENESIS)
            entry = _written(self._insert(conn, [(supervisor, REANCHOR, None, {
                "broken": _ranges(breaks), "old_head": old_head, "old_seq": old_seq,
                "remembered": {"seq": remembered[0], "hash": remembered[1]} if remembered else None, **detail})])[0])
        self.remember(entry.seq, entry.hash)
        return entry

    def close(self) -> None:
        self.db.close()


def open_audit(home: Path) -> AuditLog:
    return AuditLog(home / "audit.db")
