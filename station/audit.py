"""The station's audit log: append-only and hash-chained.

Each entry's hash covers the previous entry's hash, so removing or editing an entry
breaks every hash after it. The head of the chain travels in every packet, which anchors
the chain at the central record: a station cannot later rewrite what it had done by then.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from .storage import open_db, transaction

SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    application TEXT,
    detail TEXT NOT NULL,
    prev TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END
"""
GENESIS = "0" * 64


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
    body = json.dumps([prev, seq, at, actor, action, application, detail], ensure_ascii=False)
    return hashlib.sha256(body.encode()).hexdigest()


class AuditLog:
    def __init__(self, path: Path) -> None:
        # triggers hold ';' inside BEGIN...END: create them one statement at a time
        self.conn = open_db(path, SCHEMA.split("CREATE TRIGGER")[0])
        for trigger in SCHEMA.split("CREATE TRIGGER")[1:]:
            self.conn.execute("CREATE TRIGGER" + trigger.rstrip().rstrip(";"))

    def record(self, actor: str, action: str, application: str | None = None, **detail: object) -> str:
        """Append one entry; returns the new head."""
        text = json.dumps(detail, sort_keys=True, ensure_ascii=False, default=str)
        at = datetime.now(UTC).isoformat()
        with transaction(self.conn):
            row = self.conn.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
            seq, prev = (row["seq"] + 1, row["hash"]) if row else (1, GENESIS)
            digest = _digest(prev, seq, at, actor, action, application, text)
            self.conn.execute("INSERT INTO audit VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                              (seq, at, actor, action, application, text, prev, digest))
        return digest

    def head(self) -> str:
        row = self.conn.execute("SELECT hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
        return row["hash"] if row else GENESIS

    def entries(self, actor: str | None = None, action: str | None = None,
                application: str | None = None) -> list[AuditEntry]:
        rows = self.conn.execute("SELECT * FROM audit ORDER BY seq").fetchall()
        out = [AuditEntry(r["seq"], r["at"], r["actor"], r["action"], r["application"], json.loads(r["detail"]),
                          r["prev"], r["hash"]) for r in rows]
        return [e for e in out if (actor is None or e.actor == actor) and (action is None or e.action == action)
                and (application is None or e.application == application)]

    def verify(self) -> int | None:
        """The first entry whose chain is broken, or None when the log is intact."""
        prev = GENESIS
        for e in self.entries():
            text = json.dumps(e.detail, sort_keys=True, ensure_ascii=False, default=str)
            if e.prev != prev or _digest(prev, e.seq, e.at, e.actor, e.action, e.application, text) != e.hash:
                return e.seq
            prev = e.hash
        return None

    def close(self) -> None:
        self.conn.close()


def open_audit(home: Path) -> AuditLog:
    return AuditLog(home / "audit.db")



