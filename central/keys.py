"""The central record's keys, kept outside its database, and the envelope its record files are sealed in.

Two secrets, in a key directory (``biostation central serve --keys DIR``), never in the database:

- ``transport.x25519``: the X25519 private key stations seal packets to (its public half is what
  a station pins when it registers);
- ``records.kek``: the key-encryption key (KEK, AES-256) that wraps each record's data key.

The directory is 0700 and each file 0600, created so (``os.open`` with the mode, under a umask of
077, published by a hard link so two processes starting at once end up with the same key); a
directory or file found looser is tightened, with a warning. With SQLite and no ``--keys`` the
directory is the database file's name plus ``.keys`` (``central.db.keys/`` beside ``central.db``),
so a single office works out of the box and a copy of the database file alone holds no key; with
PostgreSQL there is no file to put it beside, and the directory must be given (``--keys`` or
``BIOSTATION_CENTRAL_KEYS``, which is what ``--keys`` defaults to).

**Envelope encryption** (:func:`seal_files`, :func:`open_files`): every record gets a fresh random
AES-256-GCM data key; each file is encrypted with it under a fresh 96-bit nonce, the associated data
binding the packet id and the file name (a file copied to another record or renamed does not open);
the data key is wrapped by the KEK (AES-256-GCM, associated data binding the packet id) and stored
beside the files. A database alone therefore yields ciphertext and wrapped keys; the KEK is needed
to read any biometric file.

**The HSM/KMS hook** is :class:`KeyWrapper`: what wraps and unwraps data keys. :class:`LocalKek` does
it with the KEK file; an office that keeps its KEK in an HSM (PKCS#11 ``C_WrapKey``/``C_UnwrapKey``)
or a cloud KMS (``Encrypt``/``Decrypt`` with ``context`` as the encryption context) implements the
same two methods and binds it (``central.db.connect(url, keys=DIR, wrapper=...)``); the data keys
then never meet a KEK outside it. The OS keyring is not used here: a central record runs as a
service, where no keyring is unlocked; a keyring-backed wrapper would be the same hook.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import secrets
import stat
import threading
import weakref
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from domain.errors import BiostationError

log = logging.getLogger("biostation.central.keys")

KEYS_ENV = "BIOSTATION_CENTRAL_KEYS"
TRANSPORT_FILE = "transport.x25519"
KEK_FILE = "records.kek"
ENVELOPE_VERSION = 1
_KEY_CONTEXT = b"biostation.record-key\0"
_FILE_CONTEXT = b"biostation.record-file\0"


class KeysError(BiostationError):
    """The central record's keys are missing, elsewhere, damaged or do not open what they should."""

    status = 500


# -- the key directory --------------------------------------------------------------------------
def tighten(path: Path, most: int) -> None:
    """Take group and other bits off ``path`` (a key directory, key or database file) if it has any."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        try:
            os.chmod(path, mode & most)
            log.warning("%s was mode %o, readable by others; now %o", path, mode, mode & most)
        except OSError as exc:  # not ours to change: say so, the service still works
            log.warning("%s is mode %o, readable by others, and cannot be changed: %s", path, mode, exc)


class KeyDir:
    """A directory of small secrets, 0700, each a 0600 file; ``None`` holds them in memory only.

    In memory is for an in-memory SQLite database (``sqlite://``), whose records die with it.
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._memory: dict[str, bytes] = {}

    def __str__(self) -> str:
        return str(self.path) if self.path is not None else "(memory)"

    def _ready(self) -> Path:
        assert self.path is not None
        try:
            old = os.umask(0o077)
            try:
                self.path.mkdir(mode=0o700, parents=True, exist_ok=True)
            finally:
                os.umask(old)
            tighten(self.path, 0o700)
        except OSError as exc:
            raise KeysError("central.keys_unusable", directory=self.path, problem=exc.strerror or exc) from exc
        return self.path

    def read(self, name: str) -> bytes | None:
        if self.path is None:
            return self._memory.get(name)
        file = self._ready() / name
        try:
            tighten(file, 0o600)
            return file.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise KeysError("central.keys_unusable", directory=self.path, problem=exc.strerror or exc) from exc

    def create(self, name: str, value: bytes) -> bytes:
        """Write ``value`` as ``name`` unless it exists; returns what the file holds then (ours or a racer's)."""
        if self.path is None:
            return self._memory.setdefault(name, value)
        folder = self._ready()
        final, tmp = folder / name, folder / f".{name}.{os.getpid()}.{secrets.token_hex(4)}"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
            try:
                os.write(fd, value)
                os.fsync(fd)
            finally:
                os.close(fd)
            try:
                os.link(tmp, final)  # atomic and never replaces: the first of two creators wins
            except FileExistsError:
                pass
            finally:
                tmp.unlink(missing_ok=True)
            dir_fd = os.open(folder, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
            return final.read_bytes()
        except OSError as exc:
            raise KeysError("central.keys_unusable", directory=self.path, problem=exc.strerror or exc) from exc


# -- wrapping data keys: the HSM/KMS hook -------------------------------------------------------
class KeyWrapper(ABC):
    """Wraps and unwraps records' data keys; implement it to keep the KEK in an HSM or KMS.

    ``key_id`` names the wrapping key (stored with each wrapped key, so a record sealed under
    another key is named as such rather than failing as damaged); ``context`` is bound to the
    wrapped key (authenticated, not secret): a wrapped key moved to another record does not unwrap.
    ``unwrap`` raises :class:`KeysError` (``central.record_key_damaged``) when it cannot.
    """

    key_id: str

    @abstractmethod
    def wrap(self, data_key: bytes, context: bytes) -> bytes: ...

    @abstractmethod
    def unwrap(self, wrapped: bytes, context: bytes) -> bytes: ...


def kek_id(kek: bytes) -> str:
    """A short public name for a KEK (a hash of it under its own label; reveals nothing of it)."""
    return hashlib.sha256(b"biostation.kek-id\0" + kek).hexdigest()[:16]


class LocalKek(KeyWrapper):
    """The KEK from the key directory, AES-256-GCM: ``nonce (12) | ciphertext | tag (16)``."""

    def __init__(self, kek: bytes) -> None:
        if len(kek) != 32:
            raise ValueError("a KEK is 32 bytes")
        self._aead = AESGCM(kek)
        self.key_id = kek_id(kek)

    def wrap(self, data_key: bytes, context: bytes) -> bytes:
        nonce = secrets.token_bytes(12)
        return nonce + self._aead.encrypt(nonce, data_key, context)

    def unwrap(self, wrapped: bytes, context: bytes) -> bytes:
        try:
            return self._aead.decrypt(wrapped[:12], wrapped[12:], context)
        except (InvalidTag, ValueError) as exc:
            raise KeysError("central.record_key_damaged", key_id=self.key_id) from exc


# -- the envelope ---------------------------------------------------------------------------------
def _file_context(packet_id: str, name: str) -> bytes:
    return _FILE_CONTEXT + packet_id.encode() + b"\0" + name.encode()


def seal_files(wrapper: KeyWrapper, packet_id: str, files: dict[str, bytes]) -> tuple[bytes, dict[str, bytes]]:
    """(the record's wrapped data key as stored, each file encrypted under the data key)."""
    data_key = AESGCM.generate_key(256)
    aead = AESGCM(data_key)
    sealed = {}
    for name, data in files.items():
        nonce = secrets.token_bytes(12)
        sealed[name] = nonce + aead.encrypt(nonce, data, _file_context(packet_id, name))
    wrapped = wrapper.wrap(data_key, _KEY_CONTEXT + packet_id.encode())
    envelope = {"v": ENVELOPE_VERSION, "kek": wrapper.key_id, "alg": "A256GCM",
                "wrapped": base64.b64encode(wrapped).decode()}
    return json.dumps(envelope, sort_keys=True).encode(), sealed


def open_files(wrapper: KeyWrapper, packet_id: str, envelope: bytes, files: dict[str, bytes]) -> dict[str, bytes]:
    """The clear files of a record sealed by :func:`seal_files`; a clear error when they do not open."""
    try:
        described = json.loads(envelope)
        wrapped = base64.b64decode(described["wrapped"], validate=True)
        version, used = described["v"], described["kek"]
    except (ValueError, KeyError, TypeError) as exc:
        raise KeysError("central.record_key_damaged", packet=packet_id, key_id=wrapper.key_id) from exc
    if version != ENVELOPE_VERSION:
        raise KeysError("central.record_key_damaged", packet=packet_id, key_id=wrapper.key_id)
    if used != wrapper.key_id:
        raise KeysError("central.record_key_mismatch", packet=packet_id, expected=used, found=wrapper.key_id)
    try:
        data_key = wrapper.unwrap(wrapped, _KEY_CONTEXT + packet_id.encode())
    except KeysError as exc:
        raise KeysError("central.record_key_damaged", packet=packet_id, key_id=wrapper.key_id) from exc
    aead = AESGCM(data_key)
    clear = {}
    for name, data in files.items():
        try:
            clear[name] = aead.decrypt(data[:12], data[12:], _file_context(packet_id, name))
        except (InvalidTag, ValueError) as exc:
            raise KeysError("central.record_file_damaged", packet=packet_id, file=name) from exc
    return clear


# -- which keys an engine uses --------------------------------------------------------------------
@dataclass
class CentralKeys:
    """The keys one database is used with: where they live, and (once loaded) the keys themselves.

    ``central.store`` loads them on first use (creating them, or moving an old database's key out
    of it); until then nothing is read, so commands that need no key (adding an application)
    never touch the key directory.
    """

    directory: KeyDir
    wrapper: KeyWrapper | None = None  # given: an HSM/KMS; None: LocalKek from the directory
    transport: object | None = None  # X25519PrivateKey once loaded
    loaded: bool = False
    lock: threading.RLock = field(default_factory=threading.RLock)


def default_directory(url: str) -> Path | None:
    """Where a database's keys live without ``--keys``: beside a SQLite file; nowhere for a server."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite"):
        raise KeysError("central.keys_required", url=parsed.render_as_string(hide_password=True))
    database = parsed.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return None
    return Path(database).expanduser().resolve().with_name(Path(database).name + ".keys")


def resolve_directory(url: str, explicit: str | os.PathLike | None = None) -> Path | None:
    """``explicit`` (``--keys``), else ``BIOSTATION_CENTRAL_KEYS``, else :func:`default_directory`."""
    chosen = explicit or os.environ.get(KEYS_ENV)
    if chosen:
        return Path(chosen).expanduser().resolve()
    return default_directory(url)


_bound: weakref.WeakKeyDictionary[Engine, CentralKeys] = weakref.WeakKeyDictionary()
_bound_lock = threading.Lock()


def bind(engine: Engine, directory: str | os.PathLike | None = None, wrapper: KeyWrapper | None = None) -> CentralKeys:
    """Use the keys in ``directory`` (see :func:`resolve_directory`) with ``engine``."""
    keys = _keys_for(engine, directory, wrapper)
    with _bound_lock:
        _bound[engine] = keys
    return keys


def _keys_for(engine: Engine, directory, wrapper) -> CentralKeys:
    url = engine.url.render_as_string(hide_password=False)
    return CentralKeys(KeyDir(resolve_directory(url, directory)), wrapper)


def for_engine(engine: Engine) -> CentralKeys:
    """The keys bound to ``engine``, bound by default on first use."""
    with _bound_lock:
        keys = _bound.get(engine)
        if keys is None:
            keys = _bound[engine] = _keys_for(engine, None, None)
    return keys
