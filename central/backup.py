"""Backup and restore of the central record *with* its keys, as one passphrase-encrypted file.

A backup of the database alone opens nothing (the biometric files are sealed under a KEK the
database does not hold, ``central.keys``), and a backup of the key directory alone is the most
sensitive file the office has. So one file carries both, and nothing of it is ever in clear:

- **What it holds**: every table of ``central.db.metadata`` (rows read through SQLAlchemy in one
  consistent snapshot: SQLite's ``BEGIN IMMEDIATE``, PostgreSQL's ``REPEATABLE READ``), written
  as typed JSON lines (binary as base64, times as ISO 8601 in UTC), so a backup of a SQLite
  record restores into PostgreSQL and back; the schema revision it was made at; and the key
  directory's files (``transport.x25519``, ``records.kek``).
- **How it is sealed**: a key derived from the passphrase with argon2id (argon2-cffi; RFC 9106's
  second recommended profile: 3 passes, 64 MiB, 4 lanes, a fresh 16-byte salt); the JSON lines are
  zlib-compressed and cut into 1 MiB chunks, each sealed with AES-256-GCM (``cryptography``) under
  a nonce that counts the chunks and marks the last one, with the file's header as associated data
  (the STREAM construction of Hoang, Reyhanitabar, Rogaway and Vizár, as age and Tink use it): a
  chunk altered, moved, dropped or cut off at the end does not open. The derivation also yields a
  check value kept in the header, so a wrong passphrase is told apart from a damaged file.
- **Restoring** reads the whole file twice: once to authenticate every chunk and check that the
  content is complete and fits this release's schema, and only then once more to write it, in one
  database transaction, into an *empty* database (a fresh machine) and a key directory that is
  empty or already holds the same keys. A wrong passphrase, a damaged or altered file, a backup of
  another schema revision, a database that holds anything, or a key directory holding other keys:
  a clear error, and nothing written. Restoring then opens a sealed record with the restored KEK,
  as every start does.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import DateTime, Engine, Integer, LargeBinary, Table, func, select, text

from domain.errors import BiostationError

from . import db
from . import keys as central_keys

MAGIC = b"BIOSTATION-CENTRAL-BACKUP\n"
FORMAT = "biostation-central-backup/1"
CHUNK = 1024 * 1024
MIN_PASSPHRASE = 12
KDF = {"name": "argon2id", "time_cost": 3, "memory_cost": 64 * 1024, "parallelism": 4}  # RFC 9106 §4, 2nd
# what a header may ask of the KDF: a forged header must not make restore spend a machine's memory
KDF_LIMITS = {"time_cost": 16, "memory_cost": 1024 * 1024, "parallelism": 16}
KEY_FILES = (central_keys.TRANSPORT_FILE, central_keys.KEK_FILE)
_ROWS_PER_LINE = 200
_MAX_HEADER = 4096


class BackupError(BiostationError):
    """A backup that cannot be made or restored; nothing was written."""


# -- the sealed stream ----------------------------------------------------------------------------
def _derive(passphrase: str, salt: bytes, kdf: dict) -> tuple[bytes, bytes]:
    """(the AES-256-GCM key, the check value kept in the header) from the passphrase."""
    raw = hash_secret_raw(passphrase.encode("utf-8"), salt, time_cost=kdf["time_cost"],
                          memory_cost=kdf["memory_cost"], parallelism=kdf["parallelism"], hash_len=64,
                          type=Type.ID)
    return raw[:32], hashlib.sha256(b"biostation.backup-check\0" + raw[32:]).digest()


def _nonce(index: int, last: bool) -> bytes:
    return index.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


class _SealedWriter:
    """Compresses what it is given and writes it as sealed chunks: ``length (4) | ciphertext``."""

    def __init__(self, out: BinaryIO, key: bytes, header: bytes) -> None:
        self.out, self.aead, self.header = out, AESGCM(key), header
        self.zip = zlib.compressobj(6)
        self.pending = bytearray()
        self.index = 0

    def write(self, data: bytes) -> None:
        self.pending += self.zip.compress(data)
        while len(self.pending) > CHUNK:  # keep at least one byte back: the last chunk is never empty-by-accident
            self._emit(bytes(self.pending[:CHUNK]), last=False)
            del self.pending[:CHUNK]

    def close(self) -> None:
        self.pending += self.zip.flush()
        while len(self.pending) > CHUNK:
            self._emit(bytes(self.pending[:CHUNK]), last=False)
            del self.pending[:CHUNK]
        self._emit(bytes(self.pending), last=True)

    def _emit(self, plain: bytes, last: bool) -> None:
        sealed = self.aead.encrypt(_nonce(self.index, last), plain, self.header)
        self.out.write(struct.pack(">I", len(sealed)) + sealed)
        self.index += 1


def _damaged(file: Path, why: str) -> BackupError:
    return BackupError("central.backup_damaged", file=file, problem=why)


def _read_header(stream: BinaryIO, file: Path) -> tuple[bytes, dict]:
    magic = stream.read(len(MAGIC))
    if magic != MAGIC:
        raise BackupError("central.backup_not_a_backup", file=file)
    size_bytes = stream.read(4)
    (size,) = struct.unpack(">I", size_bytes) if len(size_bytes) == 4 else (0,)
    if not 0 < size <= _MAX_HEADER:
        raise _damaged(file, "header length")
    raw = stream.read(size)
    try:
        header = json.loads(raw)
        kdf = header["kdf"]
        ok = (header["format"] == FORMAT and kdf["name"] == "argon2id"
              and all(isinstance(kdf[k], int) and 1 <= kdf[k] <= KDF_LIMITS[k] for k in KDF_LIMITS)
              and kdf["memory_cost"] >= 8 * kdf["parallelism"])
        base64.b64decode(header["salt"], validate=True)
        base64.b64decode(header["check"], validate=True)
    except (ValueError, KeyError, TypeError) as exc:
        raise _damaged(file, "header") from exc
    if not ok:
        raise _damaged(file, "header")
    return raw, header


def _plain_chunks(stream: BinaryIO, key: bytes, header: bytes, file: Path) -> Iterator[bytes]:
    """The decompressed content, chunk by chunk, each authenticated before it is given out."""
    aead, unzip, index = AESGCM(key), zlib.decompressobj(), 0
    while True:
        size_bytes = stream.read(4)
        if len(size_bytes) < 4:
            raise _damaged(file, "cut short")
        (size,) = struct.unpack(">I", size_bytes)
        sealed = stream.read(size) if 16 <= size <= CHUNK + 16 else b""
        if len(sealed) != size or not sealed:
            raise _damaged(file, f"chunk {index}")
        plain = None
        for last in (False, True):
            try:
                plain = aead.decrypt(_nonce(index, last), sealed, header)
                break
            except InvalidTag:
                continue
        if plain is None:
            raise _damaged(file, f"chunk {index} does not open")
        try:
            data = unzip.decompress(plain)
        except zlib.error as exc:
            raise _damaged(file, f"chunk {index}") from exc
        if data:
            yield data
        index += 1
        if last:
            if stream.read(1) or not unzip.eof:
                raise _damaged(file, "data after the end")
            return


def _entries(stream: BinaryIO, key: bytes, header: bytes, file: Path) -> Iterator[dict]:
    """The JSON lines of the content, in order."""
    buffer = b""
    for data in _plain_chunks(stream, key, header, file):
        buffer += data
        *lines, buffer = buffer.split(b"\n")
        for line in lines:
            try:
                entry = json.loads(line)
            except ValueError as exc:
                raise _damaged(file, "content") from exc
            if not isinstance(entry, dict):
                raise _damaged(file, "content")
            yield entry
    if buffer:
        raise _damaged(file, "content")


# -- values ---------------------------------------------------------------------------------------
def _encode(column, value):
    if value is None:
        return None
    if isinstance(column.type, LargeBinary):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(column.type, DateTime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    return value


def _decode(column, value):
    if value is None:
        return None
    if isinstance(column.type, LargeBinary):
        return base64.b64decode(value, validate=True)
    if isinstance(column.type, DateTime):
        return datetime.fromisoformat(value)
    return value


def _tables() -> list[Table]:
    """Every table of the schema, parents before children (the order rows can be inserted in)."""
    return list(db.metadata.sorted_tables)


# -- backup ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Summary:
    file: str
    revision: str
    rows: dict[str, int]
    keys: list[str]

    def as_json(self) -> dict:
        return {"file": self.file, "revision": self.revision, "rows": self.rows, "keys": self.keys}


def _check_passphrase(passphrase: str) -> None:
    if len(passphrase) < MIN_PASSPHRASE:
        raise BackupError("central.backup_passphrase_short", minimum=MIN_PASSPHRASE)


def backup(engine: Engine, out: str | Path, passphrase: str, kdf: dict | None = None) -> Summary:
    """Write the central record (every table and its key directory) to ``out``, sealed; refuses to replace a file.

    The keys are loaded first, as a start loads them (and a KEK that does not open a sealed record
    stops the backup), so a backup that was made holds keys that open its records.
    """
    from .migrations import current
    from .store import _keys

    _check_passphrase(passphrase)
    out = Path(out).expanduser().resolve()
    if out.exists():
        raise BackupError("central.backup_exists", file=out)
    keys = _keys(engine)
    key_files = {name: keys.directory.read(name) for name in KEY_FILES}
    if not isinstance(keys.wrapper, central_keys.LocalKek):
        key_files.pop(central_keys.KEK_FILE)  # the KEK is in an HSM/KMS: it has a backup of its own
    missing = [name for name, value in key_files.items() if value is None]
    if missing:
        raise BackupError("central.backup_keys_missing", directory=keys.directory, files=", ".join(missing))
    kdf = dict(kdf or KDF)
    salt = secrets.token_bytes(16)
    aead_key, check = _derive(passphrase, salt, kdf)
    header = json.dumps({"format": FORMAT, "kdf": kdf, "salt": base64.b64encode(salt).decode(),
                         "check": base64.b64encode(check).decode(), "cipher": "A256GCM-STREAM",
                         "chunk": CHUNK}, sort_keys=True).encode()
    tmp = out.with_name(f".{out.name}.{os.getpid()}.{secrets.token_hex(4)}")
    rows: dict[str, int] = {}
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.write(MAGIC + struct.pack(">I", len(header)) + header)
            writer = _SealedWriter(stream, aead_key, header)

            def line(entry: dict) -> None:
                writer.write(json.dumps(entry, separators=(",", ":"), ensure_ascii=True).encode() + b"\n")

            with engine.connect() as conn:
                if conn.dialect.name == "postgresql":
                    conn = conn.execution_options(isolation_level="REPEATABLE READ")
                with conn.begin():
                    revision = current(conn)
                    line({"kind": "backup", "format": FORMAT, "revision": revision, "dialect": conn.dialect.name,
                          "made_at": datetime.now(UTC).isoformat(), "tables": [t.name for t in _tables()]})
                    for name, value in key_files.items():
                        line({"kind": "key", "name": name, "data": base64.b64encode(value).decode()})
                    for table in _tables():
                        columns = list(table.columns)
                        line({"kind": "table", "name": table.name, "columns": [c.name for c in columns]})
                        count, batch = 0, []
                        result = conn.execution_options(yield_per=_ROWS_PER_LINE).execute(
                            select(table).order_by(*table.primary_key.columns))
                        for row in result:
                            batch.append([_encode(c, v) for c, v in zip(columns, row, strict=True)])
                            if len(batch) == _ROWS_PER_LINE:
                                line({"kind": "rows", "table": table.name, "rows": batch})
                                count, batch = count + len(batch), []
                        if batch:
                            line({"kind": "rows", "table": table.name, "rows": batch})
                            count += len(batch)
                        rows[table.name] = count
            line({"kind": "end", "rows": rows, "keys": sorted(key_files)})
            writer.close()
            stream.flush()
            os.fsync(stream.fileno())
        try:
            os.link(tmp, out)  # never replaces: a backup made by someone else meanwhile stays
        except FileExistsError as exc:
            raise BackupError("central.backup_exists", file=out) from exc
    finally:
        tmp.unlink(missing_ok=True)
    return Summary(str(out), revision, rows, sorted(key_files))


# -- restore --------------------------------------------------------------------------------------
@dataclass
class _Content:
    revision: str | None = None
    keys: dict[str, bytes] | None = None
    rows: dict[str, int] | None = None


def _walk(file: Path, passphrase: str, write=None) -> _Content:
    """Read the whole backup, authenticating every chunk and checking its structure; ``write(table, rows)``
    gets the decoded rows when given (the second pass)."""
    known = {t.name: t for t in _tables()}
    content = _Content(keys={}, rows={})
    with open(file, "rb") as stream:
        header_raw, header = _read_header(stream, file)
        aead_key, check = _derive(passphrase, base64.b64decode(header["salt"]), header["kdf"])
        if not secrets.compare_digest(check, base64.b64decode(header["check"])):
            raise BackupError("central.backup_wrong_passphrase", file=file)
        table, columns, ended = None, [], False
        for entry in _entries(stream, aead_key, header_raw, file):
            kind = entry.get("kind")
            if ended:
                raise _damaged(file, "content after its end")
            if content.revision is None:
                if kind != "backup" or entry.get("format") != FORMAT:
                    raise _damaged(file, "content")
                content.revision = entry.get("revision")
                from .migrations import head

                if content.revision != head():
                    raise BackupError("central.backup_revision", file=file, found=content.revision,
                                      expected=head())
            elif kind == "key":
                if entry.get("name") not in KEY_FILES:
                    raise _damaged(file, "key name")
                content.keys[entry["name"]] = base64.b64decode(entry["data"], validate=True)
            elif kind == "table":
                table = known.get(entry.get("name"))
                if table is None or entry["name"] in content.rows or not isinstance(entry.get("columns"), list):
                    raise _damaged(file, f"table {entry.get('name')!r}")
                try:
                    columns = [table.c[name] for name in entry["columns"]]
                except KeyError as exc:
                    raise _damaged(file, f"table {table.name}: column {exc}") from exc
                content.rows[table.name] = 0
            elif kind == "rows":
                if table is None or entry.get("table") != table.name or not isinstance(entry.get("rows"), list):
                    raise _damaged(file, "rows")
                try:
                    decoded = [{c.name: _decode(c, v) for c, v in zip(columns, row, strict=True)}
                               for row in entry["rows"]]
                except (ValueError, TypeError) as exc:
                    raise _damaged(file, f"rows of {table.name}") from exc
                content.rows[table.name] += len(decoded)
                if write is not None:
                    write(table, decoded)
            elif kind == "end":
                if entry.get("rows") != content.rows or sorted(entry.get("keys") or []) != sorted(content.keys):
                    raise _damaged(file, "counts")
                ended = True
            else:
                raise _damaged(file, f"entry {kind!r}")
        if not ended:
            raise _damaged(file, "no end")
    if central_keys.TRANSPORT_FILE not in content.keys:
        raise _damaged(file, "no transport key")
    return content


def _filled(conn) -> list[str]:
    """The tables of a database that hold rows (a restore goes only into an empty one)."""
    return [t.name for t in _tables() if conn.execute(select(func.count()).select_from(t)).scalar_one()]


def restore(engine: Engine, file: str | Path, passphrase: str) -> Summary:
    """Restore ``file`` into ``engine``'s empty database and its (empty, or same-keyed) key directory."""
    from .store import _keys

    file = Path(file).expanduser().resolve()
    try:
        content = _walk(file, passphrase)  # first pass: everything authenticated and checked; nothing written
    except FileNotFoundError as exc:
        raise BackupError("central.backup_unreadable", file=file, problem=exc.strerror) from exc
    keys = central_keys.for_engine(engine)
    with engine.begin() as conn:
        full = _filled(conn)
    if full:
        raise BackupError("central.restore_not_empty", tables=", ".join(full))
    for name, value in content.keys.items():
        found = keys.directory.read(name)
        if found is not None and found != value:
            raise BackupError("central.restore_keys_differ", directory=keys.directory, file=name)
    with engine.begin() as conn:
        if _filled(conn):  # filled by someone else since the check
            raise BackupError("central.restore_not_empty", tables=", ".join(_filled(conn)))

        def write(table: Table, rows: list[dict]) -> None:
            if rows:
                conn.execute(table.insert(), rows)

        again = _walk(file, passphrase, write)  # second pass, in the transaction: a change since is a rollback
        if again.keys != content.keys:
            raise _damaged(file, "changed while read")
        if conn.dialect.name == "postgresql":
            _reset_sequences(conn)
        for name, value in content.keys.items():  # last, before the commit: a failed restore leaves none
            if keys.directory.create(name, value) != value:
                raise BackupError("central.restore_keys_differ", directory=keys.directory, file=name)
    keys.loaded = False
    _keys(engine)  # as a start: the restored KEK must open a sealed record
    return Summary(str(file), content.revision, again.rows, sorted(content.keys))


def _reset_sequences(conn) -> None:
    """PostgreSQL: move each serial column's sequence past the restored ids, so the next insert does not collide."""
    for table in _tables():
        pk = list(table.primary_key.columns)
        if len(pk) == 1 and isinstance(pk[0].type, Integer) and pk[0].autoincrement in (True, "auto"):
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', '{pk[0].name}'), "
                              f"COALESCE((SELECT MAX({pk[0].name}) FROM {table.name}), 0) + 1, false)"))
