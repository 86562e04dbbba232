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

Station requests other than packets (application lookups, templates, feedback) carry
an Ed25519 signature over method, path, time and body digest, so the central record
answers registered stations only.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import struct
import time
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

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
REQUEST_SKEW_S = 300
_KDF_INFO = b"biostation packet v1"
_SIGN_CONTEXT = b"biostation-packet-v1\x00"
_ZIP_DATE = (2000, 1, 1, 0, 0, 0)


class PacketError(BiostationError, ValueError):
    """A packet the central record must refuse; ``status`` is the HTTP answer, ``message_id`` the text."""

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


def unpack_content(data: bytes) -> PacketContent:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            files = {i.filename: z.read(i) for i in z.infolist()}
        manifest = json.loads(files.pop(MANIFEST).decode("utf-8"))
    except (zipfile.BadZipFile, KeyError, UnicodeDecodeError, ValueError) as exc:
        raise PacketError(400, "central.packet_malformed", reason=str(exc)) from exc
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
    except (UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise PacketError(400, "central.packet_malformed", reason="bad header") from exc
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
    return OpenedPacket(header, unpack_content(payload), hashlib.sha256(payload).hexdigest())


# -- signed requests -------------------------------------------------------------------------
def _request_message(method: str, path: str, stamp: str, body: bytes) -> bytes:
    return f"{method.upper()}\n{path}\n{stamp}\n{hashlib.sha256(body).hexdigest()}".encode()


def sign_request(method: str, path: str, body: bytes, station_id: str,
                 key: Ed25519PrivateKey, now: float | None = None) -> dict[str, str]:
    """Headers that prove a request comes from a registered station, now."""
    stamp = str(int(now if now is not None else time.time()))
    signature = key.sign(_request_message(method, path, stamp, body))
    return {"X-Station-Id": station_id, "X-Station-Time": stamp, "X-Station-Signature": b64(signature)}


def verify_request(method: str, path: str, body: bytes, headers: dict[str, str],
                   station_key: Callable[[str], Ed25519PublicKey | None], now: float | None = None) -> str:
    """The station id of a correctly signed, fresh request; ``PacketError`` otherwise."""
    station_id = headers.get("x-station-id", "")
    stamp = headers.get("x-station-time", "")
    signature = headers.get("x-station-signature", "")
    key = station_key(station_id) if station_id else None
    if key is None:
        raise PacketError(403, "central.station_unknown", station=station_id or "-")
    if not stamp.isdigit() or abs(int(stamp) - (now if now is not None else time.time())) > REQUEST_SKEW_S:
        raise PacketError(401, "central.request_stale")
    try:
        key.verify(unb64(signature), _request_message(method, path, stamp, body))
    except (InvalidSignature, ValueError) as exc:
        raise PacketError(401, "central.request_bad_signature") from exc
    return station_id
