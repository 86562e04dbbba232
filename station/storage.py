"""The station's local databases and the encryption of what they hold at rest.

SQLite in WAL with ``synchronous=FULL`` (a committed outbox entry survives a power cut)
and ``secure_delete`` (a purged record's bytes are overwritten, not just unlinked).
Writers open their transaction with ``BEGIN IMMEDIATE`` so that two processes sharing a
station home (the console and an ``outbox flush``) wait for each other instead of failing.

Threads never share a connection: a ``Database`` opens one per thread (the console's
pool threads and its GUI thread each get their own), so one thread's ``BEGIN IMMEDIATE``
cannot land inside another's transaction; they wait for each other on SQLite's lock,
as two processes do, and WAL lets readers go on while a writer holds it.
Personal data in these files is sealed with AES-256-GCM under the station's storage
key, bound to its row by the associated data, so a blob moved to another row is refused.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import weakref
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from domain.errors import BiostationError

PRAGMAS = ("journal_mode=WAL", "synchronous=FULL", "secure_delete=ON", "busy_timeout=30000", "foreign_keys=ON")


class StorageError(BiostationError):
    """Stored data that cannot be read back as it was written."""


def _connect(path: Path) -> sqlite3.Connection:
    # check_same_thread=False only so that Database.close() may close every thread's
    # connection from the closing thread; each connection is used by one thread alone
    conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    for pragma in PRAGMAS:
        conn.execute(f"PRAGMA {pragma}")
    return conn


class _Held:
    """One thread's connection; closed when that thread's state goes (its thread-local dies)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def close(self) -> None:
        self.conn.close()

    def __del__(self) -> None:
        self.close()


class Database:
    """One SQLite file, with a connection of its own for each thread that uses it."""

    def __init__(self, path: Path, schema: str | Iterable[str]) -> None:
        """``schema``: statements separated by ';', or a list of statements (for those holding ';')."""
        self.path = path
        self._local = threading.local()
        self._held: weakref.WeakSet[_Held] = weakref.WeakSet()
        self._lock = threading.Lock()
        self._closed = False
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():  # created private: no moment at the umask's mode
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        statements = filter(None, (s.strip() for s in schema.split(";"))) if isinstance(schema, str) else schema
        with self.transaction() as conn:
            for statement in statements:
                conn.execute(statement)
        for suffix in ("", "-wal", "-shm"):  # SQLite gives later -wal/-shm files the database's mode
            with contextlib.suppress(FileNotFoundError):  # another process's last close removes them
                os.chmod(f"{path}{suffix}", 0o600)

    @property
    def conn(self) -> sqlite3.Connection:
        """The calling thread's connection, opened on its first use."""
        held = getattr(self._local, "held", None)
        if held is None:
            with self._lock:
                if self._closed:
                    raise sqlite3.ProgrammingError(f"Cannot operate on a closed database ({self.path.name}).")
                held = _Held(_connect(self.path))
                self._held.add(held)
            self._local.held = held
        return held.conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction on the calling thread's connection (``BEGIN IMMEDIATE``)."""
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def close(self) -> None:
        """Close every thread's connection; using the database afterwards raises."""
        with self._lock:
            self._closed = True
            held = list(self._held)
        for h in held:
            h.close()



def seal_blob(key: bytes, data: bytes, context: str) -> bytes:
    nonce = os.urandom(12)
    return nonce + AESGCM(key).encrypt(nonce, data, context.encode())


def open_blob(key: bytes, blob: bytes, context: str) -> bytes:
    try:
        return AESGCM(key).decrypt(blob[:12], blob[12:], context.encode())
    except (InvalidTag, ValueError) as exc:
        raise StorageError("storage.corrupt", what=context) from exc
