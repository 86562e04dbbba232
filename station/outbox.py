"""The outbox: every sealed packet kept durably until the central record acknowledges it.

A packet enters in one committed transaction (``synchronous=FULL``), so after ``put``
returns, a crash or a power cut cannot lose it. Delivery marks it delivered only after
the central record answered "stored" or "already received"; a crash between the two
just means one more delivery, which the central record recognises by the packet id.
On acknowledgement the packet's bytes are erased (``secure_delete``): biometric data
does not stay on the station once it is safe centrally.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from .storage import Database, StorageError, open_blob, seal_blob

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


class Outbox:
    def __init__(self, home: Path, storage_key: bytes) -> None:
        self.db = Database(home / "outbox.db", SCHEMA)
        self.key = storage_key

    @property
    def conn(self):
        """The calling thread's connection."""
        return self.db.conn

    def put(self, packet_id: str, application: str, wire: bytes) -> None:
        blob = seal_blob(self.key, wire, f"outbox:{packet_id}")
        with self.db.transaction() as conn:
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

    def mark_delivered(self, packet_id: str) -> None:
        with self.db.transaction() as conn:
            conn.execute("UPDATE packets SET state = 'delivered', delivered_at = ?, sealed = NULL, "
                         "last_error = NULL WHERE packet_id = ?", (_now(), packet_id))

    def mark_attempt(self, packet_id: str, error: str, failed: bool) -> None:
        with self.db.transaction() as conn:
            conn.execute("UPDATE packets SET attempts = attempts + 1, last_error = ?, state = ? "
                         "WHERE packet_id = ?", (error, "failed" if failed else "pending", packet_id))

    def retry_failed(self) -> int:
        with self.db.transaction() as conn:
            return conn.execute("UPDATE packets SET state = 'pending' WHERE state = 'failed' "
                                "AND sealed IS NOT NULL").rowcount

    def counts(self) -> dict:
        out = {"pending": 0, "delivered": 0, "failed": 0}
        for row in self.conn.execute("SELECT state, COUNT(*) AS n FROM packets GROUP BY state"):
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

    def close(self) -> None:
        self.db.close()


def _now() -> str:
    return datetime.now(UTC).isoformat()
