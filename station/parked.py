"""Records waiting for a supervisor's approval, kept sealed in the station's home until approved.

The console's supervisors' queue (``station.counter``) holds records whose exceptions a
supervisor must approve before they may go to the outbox. They are finished captures: an
applicant who has left the counter would have to come back if a closed window or a crash lost
them. So each parked record is written here as the officer parks it, and read back when the
console starts again.

A record is pickled and sealed with AES-256-GCM under the station's storage key (as the outbox
seals its packets), bound to its application number. Pickle is only ever read from blobs this
station sealed: the authentication tag refuses anything else before a byte is unpickled. A record
that cannot be read back (a damaged file, a release whose record classes changed) is reported by
its number, so the officer knows whom to enroll again; it is never dropped in silence.
"""

from __future__ import annotations

import logging
import pickle
from datetime import UTC, datetime
from pathlib import Path

from enrollment.record import EnrollmentRecord

from .storage import Database, StorageError, open_blob, seal_blob

log = logging.getLogger("biostation.parked")

SCHEMA = "CREATE TABLE IF NOT EXISTS parked (number TEXT PRIMARY KEY, parked_at TEXT NOT NULL, sealed BLOB NOT NULL)"


def _context(number: str) -> str:
    return f"parked:{number}"


class ParkedRecords:
    """``parked.db`` in the station's home: one sealed record per application awaiting approval."""

    def __init__(self, home: Path, storage_key: bytes) -> None:
        self.db = Database(home / "parked.db", SCHEMA)
        self.key = storage_key

    def put(self, record: EnrollmentRecord) -> None:
        """Keep ``record`` (a later park of the same application replaces it); durable once this returns."""
        number = record.application["number"]
        sealed = seal_blob(self.key, pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL), _context(number))
        with self.db.transaction() as conn:
            conn.execute("INSERT OR REPLACE INTO parked (number, parked_at, sealed) VALUES (?, ?, ?)",
                         (number, datetime.now(UTC).isoformat(), sealed))

    def remove(self, number: str) -> None:
        """Forget a record once it is in the outbox (``secure_delete`` overwrites its pages)."""
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM parked WHERE number = ?", (number,))

    def records(self) -> tuple[list[EnrollmentRecord], list[str]]:
        """Every parked record, oldest first, and the numbers of those that cannot be read back."""
        rows = self.db.conn.execute("SELECT number, sealed FROM parked ORDER BY parked_at, number").fetchall()
        readable, unreadable = [], []
        for row in rows:
            try:
                record = pickle.loads(open_blob(self.key, row["sealed"], _context(row["number"])))  # noqa: S301
                if not isinstance(record, EnrollmentRecord):
                    raise TypeError(type(record).__name__)
            except (StorageError, TypeError, AttributeError, ImportError, pickle.UnpicklingError, EOFError) as exc:
                log.warning("a parked record cannot be read back (%s): application %s", type(exc).__name__,
                            row["number"])
                unreadable.append(row["number"])
                continue
            readable.append(record)
        return readable, unreadable

    def close(self) -> None:
        self.db.close()
