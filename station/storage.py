"""The station's local databases and the encryption of what they hold at rest.

SQLite in WAL with ``synchronous=FULL`` (a committed outbox entry survives a power cut)
and ``secure_delete`` (a purged record's bytes are overwritten, not just unlinked).
Writers open their transaction with ``BEGIN IMMEDIATE`` so that two processes sharing a
station home (the console and an ``outbox flush``) wait for each other instead of failing.
Personal data in these files is sealed with AES-256-GCM under the station's storage
key, bound to its row by the associated data, so a blob moved to another row is refused.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from domain.errors import BiostationError


class StorageError(BiostationError):
    """Stored data that cannot be read back as it was written."""


def open_db(path: Path, schema: str) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    for pragma in ("journal_mode=WAL", "synchronous=FULL", "secure_delete=ON", "busy_timeout=30000",
                   "foreign_keys=ON"):
        conn.execute(f"PRAGMA {pragma}")
    with transaction(conn):
        for statement in filter(None, (s.strip() for s in schema.split(";"))):
            conn.execute(statement)
    os.chmod(path, 0o600)
    return conn


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def seal_blob(key: bytes, data: bytes, context: str) -> bytes:
    nonce = os.urandom(12)
    return nonce + AESGCM(key).encrypt(nonce, data, context.encode())


def open_blob(key: bytes, blob: bytes, context: str) -> bytes:
    try:
        return AESGCM(key).decrypt(blob[:12], blob[12:], context.encode())
    except (InvalidTag, ValueError) as exc:
        raise StorageError("storage.corrupt", what=context) from exc
