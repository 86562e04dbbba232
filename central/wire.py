"""The wire format between a station and the central record: sealed packets and signed requests.

A packet is what one enrollment becomes on its way to the central record. Its content
(a manifest and named files) is packed into a stored, deterministic zip, signed with the
station's Ed25519 key, then encrypted to the central record's X25519 key with an
ephemeral key agreement (ECIES: X25519 → HKDF-SHA256 → AES-256-GCM). The clear header
(packet id, station id, the ephemeral public key) is the AEAD's associated data, so
changing any byte of the header or the ciphertext makes the packet unreadable.

The packet id is chosen once, when the record enters the outbox, and is the
idempotency key: resending the same packet is harmless, and the digest of the signed
content tells "the same packet again" from "another packet reusing an id".

Opening a packet inflates a zip its sender built, and a signature proves only who sent it,
not that it is harmless: a registered station's 300 KB of deflated zeros unpacks to 300 MB
(the 32 MB limit holds only for the bytes on the wire). So the opening counts: at most
``MAX_ENTRIES`` entries, each at most ``MAX_FILE_BYTES`` and all together at most
``MAX_CONTENT_BYTES`` (twice the most a packet can carry stored, as the station stores it),
checked on the sizes the zip declares before anything is inflated, and again on the bytes
actually read, so a zip that understates its sizes is cut off at the limit too.

Station requests other than packets (application lookups, templates, feedback) carry
an Ed25519 signature over method, path, time and body digest, so the central record
answers registered stations only.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import lzma
import secrets
import struct
import threading
import time
import uuid
import zipfile
import zlib
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from domain.errors import BiostationError

MAGIC = b"BSP1"
MANIFEST = "manifest.json"
MAX_PACKET_BYTES = 32 * 1024 * 1024
MAX_FILE_BYTES = MAX_PACKET_BYTES  # one unpacked file
MAX_CONTENT_BYTES = 2 * MAX_PACKET_BYTES  # every unpacked file together
MAX_ENTRIES = 100
_READ_CHUNK = 1024 * 1024
REQUEST_SKEW_S = 300
_KDF_INFO = b"biostation packet v1"
_SIGN_CONTEXT = b"biostation-packet-v1\x00"
_ZIP_DATE = (2000, 1, 1, 0, 0, 0)
HEADER_VERSIONS = (1,)  # the clear header's "v": the sealing (ECIES, signature) described above
PACKET_FORMAT = "biostation-record/1"
"""The manifest's ``format``, what this release's stations write (``enrollment.packet``).

A central record accepts its own format and the one before it (``ACCEPTED_FORMATS``), so a station
one release behind still delivers to an upgraded central record; a later format is refused naming
the ones it accepts (``check_format``). Bump it when a manifest field's meaning changes or a field
becomes required, and keep the old one accepted for a release. Every release so far has written
``biostation-record/1`` (the release before this one without ``audit_seq``, ``audit_at`` and
``audit_reanchor``, which the central record reads when present); a manifest without ``format``
is read as that first version.
"""
ACCEPTED_FORMATS = (PACKET_FORMAT,)


def check_format(manifest: dict) -> str:
    """The manifest's format when this central record reads it; a ``PacketError`` 422 naming those it does."""
    found = manifest.get("format", "biostation-record/1")  # no format: the first one, whatever is current
    if found not in ACCEPTED_FORMATS:
        raise PacketError(422, "central.packet_format_unknown", format=str(found)[:64],
                          accepted=", ".join(ACCEPTED_FORMATS))
    return found


class PacketError(BiostationError, ValueError):
    """A packet the central record must refuse; ``status`` is the HTTP answer, ``message_id`` the text.

    ``authenticated`` is true when the refusal came after the packet's signature verified: only
    then did a registered station send it, and only then does the central record note it in its
    intake log (anyone can send the others, with any station id).
    """

    authenticated = False

    def __init__(self, status: int, message_id: str, **params: object) -> None:
        super().__init__(message_id, **params)
        self.status = status


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def public_bytes(key: Ed25519PublicKey | X25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def private_bytes(key: Ed25519PrivateKey | X25519PrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                             serialization.NoEncryption())


def new_packet_id() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True)
class PacketContent:
    """What a packet carries once opened: the manifest and the named files."""

    manifest: dict
    files: dict[str, bytes]


def pack_content(content: PacketContent) -> bytes:
    """A byte-for-byte reproducible zip (stored, sorted, fixed dates) of manifest and files."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        entries = {MANIFEST: json.dumps(content.manifest, sort_keys=True, ensure_ascii=False).encode()}
        entries.update(content.files)
        for name in sorted(entries):
            z.writestr(zipfile.ZipInfo(name, _ZIP_DATE), entries[name])
    return buf.getvalue()


def _too_large() -> PacketError:
    return PacketError(413, "central.packet_unpacks_too_large", limit_mb=MAX_CONTENT_BYTES // (1024 * 1024),
                       file_limit_mb=MAX_FILE_BYTES // (1024 * 1024))


def _read_bounded(z: zipfile.ZipFile, info: zipfile.ZipInfo, room: int) -> bytes:
    """One entry's bytes, refused as soon as it passes its own limit or the ``room`` left in the total."""
    limit = min(MAX_FILE_BYTES, room)
    parts, size = [], 0
    with z.open(info) as entry:
        while chunk := entry.read(min(_READ_CHUNK, limit + 1 - size)):
            size += len(chunk)
            if size > limit:
                raise _too_large()
            parts.append(chunk)
    return b"".join(parts)


def unpack_content(data: bytes) -> PacketContent:
    """The manifest and files of a packet's zip, inflated within the limits above."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            infos = z.infolist()
            if len(infos) > MAX_ENTRIES:
                raise PacketError(400, "central.packet_malformed", reason=f"more than {MAX_ENTRIES} files")
            if (any(i.file_size > MAX_FILE_BYTES for i in infos)
                    or sum(i.file_size for i in infos) > MAX_CONTENT_BYTES):
                raise _too_large()
            files: dict[str, bytes] = {}
            for info in infos:
                if info.filename in files:  # two readers could disagree on which one counts
                    raise PacketError(400, "central.packet_malformed", reason=f"{info.filename!r} twice")
                files[info.filename] = _read_bounded(z, info, MAX_CONTENT_BYTES - sum(map(len, files.values())))
        manifest = json.loads(files.pop(MANIFEST).decode("utf-8"))
    except PacketError:
        raise
    except (zipfile.BadZipFile, zlib.error, lzma.LZMAError, EOFError, OSError, NotImplementedError,
            RuntimeError, KeyError, UnicodeDecodeError, ValueError) as exc:
        # a damaged deflate stream, an unknown or encrypted method: the sender's fault, never a 500
        raise PacketError(400, "central.packet_malformed", reason=str(exc)[:200]) from exc
    if not isinstance(manifest, dict):
        raise PacketError(400, "central.packet_malformed", reason="manifest is not an object")
    return PacketContent(manifest, files)


def _aead_key(shared: bytes, ephemeral: bytes, recipient: bytes) -> bytes:
    return HKDF(hashes.SHA256(), 32, salt=ephemeral + recipient, info=_KDF_INFO).derive(shared)


def _to_be_signed(packet_id: str, station_id: str, payload: bytes) -> bytes:
    return _SIGN_CONTEXT + f"{packet_id}\x00{station_id}\x00".encode() + hashlib.sha256(payload).digest()


def seal(content: PacketContent, packet_id: str, station_id: str,
         signing_key: Ed25519PrivateKey, central_key: X25519PublicKey) -> bytes:
    """Sign with the station key, encrypt to the central record's key; returns the wire bytes."""
    payload = pack_content(content)
    signature = signing_key.sign(_to_be_signed(packet_id, station_id, payload))
    ephemeral = X25519PrivateKey.generate()
    eph_pub = public_bytes(ephemeral.public_key())
    key = _aead_key(ephemeral.exchange(central_key), eph_pub, public_bytes(central_key))
    header = json.dumps({"v": 1, "packet_id": packet_id, "station_id": station_id,
                         "ephemeral": b64(eph_pub)}, sort_keys=True).encode()
    nonce = hashlib.sha256(header).digest()[:12]  # the ephemeral key is fresh, so the nonce is unique
    body = AESGCM(key).encrypt(nonce, signature + payload, header)
    return MAGIC + struct.pack(">I", len(header)) + header + body


@dataclass(frozen=True)
class PacketHeader:
    packet_id: str
    station_id: str
    ephemeral: bytes
    raw: bytes


def read_header(data: bytes) -> PacketHeader:
    """The clear header: enough to name the station and packet before decrypting."""
    if len(data) < 8 or data[:4] != MAGIC:
        raise PacketError(400, "central.packet_malformed", reason="not a Biostation packet")
    (size,) = struct.unpack(">I", data[4:8])
    if size > 4096 or len(data) < 8 + size:
        raise PacketError(400, "central.packet_malformed", reason="bad header length")
    raw = data[8 : 8 + size]
    try:
        fields = json.loads(raw.decode("utf-8"))
        header = PacketHeader(str(fields["packet_id"]), str(fields["station_id"]),
                              unb64(fields["ephemeral"]), raw)
    except (UnicodeDecodeError, ValueError, KeyError, TypeError, RecursionError) as exc:
        # RecursionError: 4 KB of "[" nest deeper than Python's parser recurses (a 500 before)
        raise PacketError(400, "central.packet_malformed", reason="bad header") from exc
    if fields.get("v", 1) not in HEADER_VERSIONS:  # a later sealing: refused by name, not as undecryptable
        raise PacketError(400, "central.packet_version_unknown", version=str(fields.get("v"))[:16],
                          accepted=", ".join(map(str, HEADER_VERSIONS)))
    if not (header.packet_id.isalnum() and len(header.packet_id) == 32) or len(header.ephemeral) != 32:
        raise PacketError(400, "central.packet_malformed", reason="bad packet id or key")
    return header


@dataclass(frozen=True)
class OpenedPacket:
    header: PacketHeader
    content: PacketContent
    digest: str  # sha256 of the signed content: the same id with another digest is another packet


def open_sealed(data: bytes, central_key: X25519PrivateKey,
                station_key: Callable[[str], Ed25519PublicKey | None]) -> OpenedPacket:
    """Decrypt and verify a packet; every failure is a ``PacketError`` naming why."""
    header = read_header(data)
    signer = station_key(header.station_id)
    if signer is None:
        raise PacketError(403, "central.station_unknown", station=header.station_id)
    recipient = public_bytes(central_key.public_key())
    try:
        shared = central_key.exchange(X25519PublicKey.from_public_bytes(header.ephemeral))
        key = _aead_key(shared, header.ephemeral, recipient)
        nonce = hashlib.sha256(header.raw).digest()[:12]
        plain = AESGCM(key).decrypt(nonce, data[8 + len(header.raw) :], header.raw)
    except (InvalidTag, ValueError) as exc:
        raise PacketError(400, "central.packet_undecryptable") from exc
    signature, payload = plain[:64], plain[64:]
    try:
        signer.verify(signature, _to_be_signed(header.packet_id, header.station_id, payload))
    except InvalidSignature as exc:
        raise PacketError(401, "central.packet_bad_signature") from exc
    try:
        content = unpack_content(payload)
    except PacketError as exc:
        exc.authenticated = True  # the station signed what it sent
        raise
    return OpenedPacket(header, content, hashlib.sha256(payload).hexdigest())


# -- signed requests -------------------------------------------------------------------------
def canonical_query(query: str | dict | None) -> str:
    """The query string both sides sign: pairs sorted, percent-encoded the same way.

    Accepts the raw string the server received or the parameters the client sends, so that
    ``?zone=…&day=…`` and ``?day=…&zone=…`` sign alike and nothing can be added unsigned.
    """
    if not query:
        return ""
    pairs = parse_qsl(query, keep_blank_values=True) if isinstance(query, str) else \
        [(str(k), str(v)) for k, v in query.items() if v is not None]
    return urlencode(sorted(pairs))


def _request_message(method: str, path: str, query: str, stamp: str, nonce: str, body: bytes) -> bytes:
    return f"{method.upper()}\n{path}\n{query}\n{stamp}\n{nonce}\n{hashlib.sha256(body).hexdigest()}".encode()


def sign_request(method: str, path: str, body: bytes, station_id: str,
                 key: Ed25519PrivateKey, now: float | None = None, query: str | dict | None = None) -> dict[str, str]:
    """Headers that prove a request comes from a registered station, now, once.

    The signature covers the method, path, query string, time, a fresh nonce and the body's
    digest: nothing of the request can be changed, and :class:`ReplayGuard` refuses it a second time.
    """
    stamp = str(int(now if now is not None else time.time()))
    nonce = secrets.token_urlsafe(16)
    signature = key.sign(_request_message(method, path, canonical_query(query), stamp, nonce, body))
    return {"X-Station-Id": station_id, "X-Station-Time": stamp, "X-Station-Nonce": nonce,
            "X-Station-Signature": b64(signature)}


class ReplayGuard:
    """The nonces of the signed requests seen within the clock window, per station.

    A request is fresh for ``REQUEST_SKEW_S`` either side of its time, so a nonce must be
    remembered for twice that; older ones are forgotten. Held in the serving process: a request
    captured before a restart and replayed within the window after it would pass (the window is
    five minutes and the request's effect idempotent — packets are stored once by their id).
    """

    def __init__(self, window_s: float = 2 * REQUEST_SKEW_S, max_entries: int = 1_000_000) -> None:
        self.window_s = window_s
        self.max_entries = max_entries
        self._seen: OrderedDict[tuple[str, str], float] = OrderedDict()
        self._lock = threading.Lock()

    def first_time(self, station_id: str, nonce: str, now: float | None = None) -> bool:
        now = time.time() if now is None else now
        with self._lock:
            while self._seen and (next(iter(self._seen.values())) < now - self.window_s
                                  or len(self._seen) > self.max_entries):
                self._seen.popitem(last=False)
            if (station_id, nonce) in self._seen:
                return False
            self._seen[(station_id, nonce)] = now
            return True


def verify_request(method: str, path: str, body: bytes, headers: dict[str, str],
                   station_key: Callable[[str], Ed25519PublicKey | None], now: float | None = None,
                   query: str = "", replays: ReplayGuard | None = None) -> str:
    """The station id of a correctly signed, fresh, first-seen request; ``PacketError`` otherwise."""
    station_id = headers.get("x-station-id", "")
    stamp = headers.get("x-station-time", "")
    nonce = headers.get("x-station-nonce", "")
    signature = headers.get("x-station-signature", "")
    key = station_key(station_id) if station_id else None
    if key is None:
        raise PacketError(403, "central.station_unknown", station=station_id or "-")
    if not stamp.isdigit() or abs(int(stamp) - (now if now is not None else time.time())) > REQUEST_SKEW_S:
        raise PacketError(401, "central.request_stale")
    if not 16 <= len(nonce) <= 64:
        raise PacketError(401, "central.request_incomplete")
    try:
        key.verify(unb64(signature), _request_message(method, path, canonical_query(query), stamp, nonce, body))
    except (InvalidSignature, ValueError) as exc:
        raise PacketError(401, "central.request_bad_signature") from exc
    if replays is not None and not replays.first_time(station_id, nonce, now):
        raise PacketError(401, "central.request_replayed")
    return station_id
