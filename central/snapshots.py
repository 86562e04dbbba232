"""A gallery shard's snapshot on disk, encrypted, so that a restart reads arrays instead of every record.

Rebuilding a shard from the database decrypts and decodes every record and builds every finger's
cylinders again (milliseconds a finger, hours for millions); its snapshot (``Gallery.state``: the face
index and the fingers' compact form) loads at disk speed. A snapshot holds biometric data, so it is
written as the records are kept: AES-256-GCM under a key the caller holds (the central record's key
directory), in pieces of ``PIECE`` bytes so that neither side needs the whole shard twice in memory.

File: ``MAGIC``, a 4-byte length and a JSON header (each array's name, dtype, shape and piece count),
then each piece as a 12-byte nonce and its ciphertext. Every piece is authenticated together with the
header's digest, the array's name and the piece's number, so a changed header, a swapped, dropped or
truncated piece, or another key all fail to load (``SnapshotError``) and the caller rebuilds from the
database instead.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
from pathlib import Path

import numpy as np
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAGIC = b"biostation gallery snapshot 1\n"
PIECE = 64 << 20
NONCE = 12
TAG = 16


class SnapshotError(Exception):
    """The snapshot is missing, damaged, from another key or another format: rebuild from the database."""


def _aad(digest: bytes, name: str, piece: int) -> bytes:
    return digest + name.encode() + b"\0" + struct.pack(">Q", piece)


def save(path: Path, key: bytes, arrays: dict[str, np.ndarray]) -> int:
    """Write ``arrays`` to ``path`` (0600, replaced atomically); returns the bytes written."""
    aead = AESGCM(key)
    flat = {name: np.ascontiguousarray(value) for name, value in arrays.items()}
    header = json.dumps({"arrays": [{"name": name, "dtype": value.dtype.str, "shape": list(value.shape),
                                     "pieces": max(1, -(-value.nbytes // PIECE))}
                                    for name, value in flat.items()]}).encode()
    digest = hashlib.sha256(header).digest()
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o600)
    written = 0
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(MAGIC + struct.pack(">I", len(header)) + header)
            for name, value in flat.items():
                data = memoryview(value.reshape(-1).view(np.uint8))
                for piece in range(max(1, -(-len(data) // PIECE))):
                    nonce = os.urandom(NONCE)
                    out.write(nonce + aead.encrypt(nonce, bytes(data[piece * PIECE : (piece + 1) * PIECE]),
                                                   _aad(digest, name, piece)))
            written = out.tell()
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return written


def load(path: Path, key: bytes) -> dict[str, np.ndarray]:
    """The arrays ``save`` wrote to ``path``; ``SnapshotError`` if anything about them is not as written."""
    aead = AESGCM(key)
    try:
        with open(path, "rb") as source:
            if source.read(len(MAGIC)) != MAGIC:
                raise SnapshotError(f"{path} is not a gallery snapshot of this format")
            (length,) = struct.unpack(">I", source.read(4))
            header = source.read(length)
            digest = hashlib.sha256(header).digest()
            arrays = {}
            for entry in json.loads(header)["arrays"]:
                value = np.empty(entry["shape"], np.dtype(entry["dtype"]))
                data = value.reshape(-1).view(np.uint8)
                for piece in range(entry["pieces"]):
                    start = piece * PIECE
                    size = min(PIECE, len(data) - start) if len(data) else 0
                    nonce = source.read(NONCE)
                    plain = aead.decrypt(nonce, source.read(size + TAG), _aad(digest, entry["name"], piece))
                    if len(plain) != size:
                        raise SnapshotError(f"{path}: {entry['name']} has the wrong length")
                    data[start : start + size] = np.frombuffer(plain, np.uint8)
                arrays[entry["name"]] = value
            if source.read(1):
                raise SnapshotError(f"{path} holds more than its header lists")
            return arrays
    except FileNotFoundError as exc:
        raise SnapshotError(f"{path} does not exist") from exc
    except (InvalidTag, ValueError, KeyError, TypeError, struct.error, json.JSONDecodeError) as exc:
        raise SnapshotError(f"{path} is damaged or was written with another key ({type(exc).__name__})") from exc


# -- where the central record keeps them ---------------------------------------------------------------
FOLDER = "gallery-snapshot"  # inside the central record's key directory (0700)
KEY_FILE = "snapshot.key.wrapped"
_KEY_CONTEXT = b"biostation.gallery-snapshot\0"


def folder_key(folder: Path, wrapper, create: bool) -> bytes:
    """The data key of the snapshots in ``folder``, kept there wrapped by the central record's key wrapper
    (its KEK, or an HSM/KMS): the snapshots are no easier to read than the records. Made when ``create``."""
    file = folder / KEY_FILE
    try:
        return wrapper.unwrap(file.read_bytes(), _KEY_CONTEXT)
    except FileNotFoundError:
        if not create:
            raise SnapshotError(f"{folder} holds no snapshot key") from None
    except Exception as exc:  # KeysError: another KEK, or a damaged file
        raise SnapshotError(f"the snapshot key in {folder} does not open: {exc}") from exc
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = AESGCM.generate_key(256)
    fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(wrapper.wrap(key, _KEY_CONTEXT))
    return key


def discard(folder: Path) -> int:
    """Delete the snapshots in ``folder`` (after an erasure: they may hold what was erased); returns how many."""
    removed = 0
    for path in Path(folder).glob("*.snapshot"):
        path.unlink(missing_ok=True)
        removed += 1
    return removed
