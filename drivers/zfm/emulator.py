"""A ZFM-20/R30x fingerprint sensor in software, speaking the real packet protocol.

``ZfmEmulator`` is the sensor: it takes command packets and returns the bytes the
sensor would send back, with the confirmation codes a real module uses. A finger is
laid on it by the caller (``place``/``lift``), by ``present_auto`` (every capture
takes the next image of the folder), or by a simulated applicant that the
``zfm-sim:`` URL attaches. ``PtyLink`` (in ``pty_link``) puts it on a pseudo-terminal
so that any serial client, ``pyfingerprint`` included, talks to it unchanged.
"""

from __future__ import annotations

import json
import logging
import os
import random
import struct
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from matching.fingerprint.zfm_image import zfm_nibbles

from . import protocol as p
from .features import LEVEL_THRESHOLDS, FeatureBackend, MinutiaeFeatures
from .fingers import FingerSet, read_gray

log = logging.getLogger(__name__)

FAULT_KINDS = ("noise", "drop", "checksum", "silence")

# How long a real module's processor works on an instruction, besides the serial line, so that a
# paced emulator costs the time an R30x does: image input "< 0.3 s", verification "0.1 s" and a
# search "< 1 s over 1,000 templates" are the R305/R307 datasheets' figures. A look that finds no
# finger is the sensor's quick touch check. Unlisted instructions take only their line time.
WORK_SECONDS = {
    p.GEN_IMG: 0.3, p.IMG_2_TZ: 0.2, p.MATCH: 0.1, p.REG_MODEL: 0.1, p.STORE: 0.05,
    p.DELETE_CHAR: 0.05, p.EMPTY: 0.05, p.SET_SYS_PARA: 0.05, p.SET_PWD: 0.05, p.SET_ADDR: 0.05,
}
NO_FINGER_SECONDS = 0.02
SEARCH_SECONDS_PER_TEMPLATE = 0.001


@dataclass
class SensorSettings:
    """What a real module keeps in flash across power cycles."""

    address: int = p.DEFAULT_ADDRESS
    password: int = 0
    security_level: int = 3
    baud_multiplier: int = 6  # × 9600 = 57600
    packet_size_code: int = 2  # 128 bytes
    library: dict[int, str] = field(default_factory=dict)  # position -> template hex

    @property
    def packet_size(self) -> int:
        return p.PACKET_SIZES[self.packet_size_code]


class TemplateLibrary:
    """The sensor's flash: settings and stored templates in one JSON file, written atomically."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.settings = SensorSettings()
        if path is not None and path.exists():
            data = json.loads(path.read_text())
            data["library"] = {int(k): v for k, v in data.get("library", {}).items()}
            self.settings = SensorSettings(**data)

    def save(self) -> None:
        if self.path is None:
            return
        s = self.settings
        data = {
            "address": s.address, "password": s.password, "security_level": s.security_level,
            "baud_multiplier": s.baud_multiplier, "packet_size_code": s.packet_size_code,
            "library": {str(k): v for k, v in sorted(s.library.items())},
        }
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data))
        os.replace(tmp, self.path)


class ZfmEmulator:
    def __init__(self, fingers: FingerSet | None = None, library_path: Path | None = None,
                 features: FeatureBackend | None = None, present_auto: bool = False,
                 faults: tuple[str, ...] = (), fault_rate: float = 0.0,
                 seed: int | None = None) -> None:
        self.fingers = fingers
        self.store = TemplateLibrary(library_path)
        self.features = features or MinutiaeFeatures()
        self.present_auto = present_auto
        unknown = set(faults) - set(FAULT_KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds {sorted(unknown)}; known: {', '.join(FAULT_KINDS)}")
        self.faults = tuple(faults)
        self.fault_rate = fault_rate
        self._rng = random.Random(seed)
        self._noise = np.random.default_rng(seed)
        self._forced_faults: list[str] = []
        self._lock = threading.RLock()
        self._finger: np.ndarray | None = None  # nibbles of the finger lying on the sensor
        self._auto_index = 0
        self.image: np.ndarray | None = None  # the image buffer (4-bit values)
        self.char_buffers: dict[int, bytes | None] = {1: None, 2: None}
        self._verified = self.store.settings.password == 0
        self._receiving: tuple[int, bytearray] | None = None
        self.captures = 0  # images taken, for tests and reports
        self.uploads = 0  # images sent up the line, likewise
        self.last_instruction: tuple[int, int] | None = None  # (instruction, confirmation code) last answered

    # -- presentation ---------------------------------------------------------------
    def place_image(self, gray: np.ndarray, dpi: float = 500) -> None:
        """Lay ``gray`` (taken at ``dpi``) on the glass: the sensor sees its ZFM view, the window
        centred on the print (``zfm_image``), exactly what ``eval --sensor zfm`` scores of it."""
        nibbles = zfm_nibbles(gray, dpi)
        with self._lock:
            self._finger = nibbles

    def place(self, finger: str | int, impression: int = 1) -> None:
        if self.fingers is None:
            raise ValueError("this emulator has no finger images")
        self.place_image(read_gray(self.fingers.image_path(finger, impression)), self.fingers.dpi)

    def lift(self) -> None:
        with self._lock:
            self._finger = None

    @property
    def finger_down(self) -> bool:
        return self._finger is not None

    def inject(self, kind: str, count: int = 1) -> None:
        """Force the next ``count`` responses to suffer ``kind`` (tests use this)."""
        if kind not in FAULT_KINDS:
            raise ValueError(kind)
        with self._lock:
            self._forced_faults += [kind] * count

    def set_password(self, password: int) -> None:
        """Configure the sensor's password, as if set earlier; clients must verify it first."""
        self.store.settings.password = password
        self._verified = password == 0

    @property
    def baud(self) -> int:
        return self.store.settings.baud_multiplier * 9600

    # -- protocol ---------------------------------------------------------------------
    def _packet(self, kind: int, payload: bytes) -> bytes:
        return p.encode(self.store.settings.address, kind, payload)

    def _ack(self, code: int, extra: bytes = b"") -> list[bytes]:
        return [self._packet(p.ACK, bytes([code]) + extra)]

    def _data(self, data: bytes) -> list[bytes]:
        size = self.store.settings.packet_size
        chunks = [data[i : i + size] for i in range(0, len(data), size)]
        return [self._packet(p.END_DATA if i == len(chunks) - 1 else p.DATA, c)
                for i, c in enumerate(chunks)]

    def handle(self, packet: p.Packet, bad_checksum: bool = False) -> list[bytes]:
        """The sensor's answer (zero or more packets) to one received packet."""
        with self._lock:
            answers = self._handle(packet, bad_checksum)
            self.last_instruction = None
            if packet.kind == p.COMMAND and packet.payload and answers and not bad_checksum:
                self.last_instruction = (packet.payload[0], answers[0][p.HEADER_LEN])
            return [self._apply_fault(out) for out in answers]

    def work_seconds(self) -> float:
        """How long a real module's processor would have worked on the instruction just answered
        (``WORK_SECONDS``): what a paced link adds to the line time, so device time is the module's."""
        if self.last_instruction is None:
            return 0.0
        op, code = self.last_instruction
        if op == p.GEN_IMG and code == p.ERR_NO_FINGER:
            return NO_FINGER_SECONDS
        if op == p.SEARCH:
            return WORK_SECONDS[p.MATCH] + SEARCH_SECONDS_PER_TEMPLATE * len(self.store.settings.library)
        return WORK_SECONDS.get(op, 0.0)

    @property
    def waiting_for_finger(self) -> bool:
        """Whether the instruction just answered was a look that found no finger: the sensor idles
        while the person places or lifts one, which is the person's time, not the device's."""
        return self.last_instruction == (p.GEN_IMG, p.ERR_NO_FINGER)

    def _apply_fault(self, data: bytes) -> bytes:
        kind = None
        if self._forced_faults:
            kind = self._forced_faults.pop(0)
        elif self.faults and self.fault_rate > 0 and self._rng.random() < self.fault_rate:
            kind = self._rng.choice(self.faults)
        if kind is None:
            return data
        log.debug("injecting fault %s", kind)
        if kind == "silence":
            return b""
        if kind == "checksum":
            return data[:-1] + bytes([data[-1] ^ 0x5A])
        if kind == "drop":
            cut = self._rng.randrange(1, len(data))
            return data[:cut]
        # noise: garbage bytes where the header should start
        return bytes(self._rng.randrange(0, 256) for _ in range(5)) + data[2:]

    def _handle(self, packet: p.Packet, bad_checksum: bool) -> list[bytes]:
        s = self.store.settings
        if self._receiving is not None and packet.kind in (p.DATA, p.END_DATA):
            buffer_id, data = self._receiving
            data += packet.payload
            if packet.kind == p.END_DATA:
                self._receiving = None
                self.char_buffers[buffer_id] = bytes(data[: p.TEMPLATE_SIZE]).ljust(p.TEMPLATE_SIZE, b"\0")
            return []  # the sensor does not acknowledge data packets
        if bad_checksum:
            return self._ack(p.ERR_RECEIVE)
        if packet.address != s.address:
            return self._ack(p.ERR_ADDRESS)
        if packet.kind != p.COMMAND or not packet.payload:
            return self._ack(p.ERR_RECEIVE)
        op, args = packet.payload[0], packet.payload[1:]
        if op == p.VFY_PWD:
            if len(args) != 4:
                return self._ack(p.ERR_RECEIVE)
            self._verified = struct.unpack(">I", args)[0] == s.password
            return self._ack(p.OK if self._verified else p.ERR_WRONG_PASSWORD)
        if not self._verified:
            return self._ack(p.ERR_MUST_VERIFY_PASSWORD)
        handler = self._handlers.get(op)
        if handler is None:
            return self._ack(p.ERR_RECEIVE)
        try:
            return handler(self, args)
        except (IndexError, struct.error):
            return self._ack(p.ERR_RECEIVE)

    # instruction handlers --------------------------------------------------------------
    def _set_pwd(self, args: bytes) -> list[bytes]:
        self.store.settings.password = struct.unpack(">I", args[:4])[0]
        self.store.save()
        return self._ack(p.OK)

    def _set_addr(self, args: bytes) -> list[bytes]:
        self.store.settings.address = struct.unpack(">I", args[:4])[0]
        self.store.save()
        return self._ack(p.OK)  # sent from the new address, as the module does

    def _set_sys_para(self, args: bytes) -> list[bytes]:
        number, value = args[0], args[1]
        s = self.store.settings
        if number == 4 and 1 <= value <= 12:
            out = self._ack(p.OK)  # answered at the old rate, then the line switches
            s.baud_multiplier = value
        elif number == 5 and 1 <= value <= 5:
            s.security_level = value
            out = self._ack(p.OK)
        elif number == 6 and 0 <= value <= 3:
            s.packet_size_code = value
            out = self._ack(p.OK)
        else:
            return self._ack(p.ERR_INVALID_REGISTER)
        self.store.save()
        return out

    def _read_sys_para(self, args: bytes) -> list[bytes]:
        s = self.store.settings
        status = (0b100 if self._verified else 0) | (0b1000 if self.image is not None else 0)
        payload = struct.pack(">HHHHIHH", status, 0, p.CAPACITY, s.security_level, s.address,
                              s.packet_size_code, s.baud_multiplier)
        return self._ack(p.OK, payload)

    def _template_num(self, args: bytes) -> list[bytes]:
        return self._ack(p.OK, struct.pack(">H", len(self.store.settings.library)))

    def _read_index_table(self, args: bytes) -> list[bytes]:
        page = args[0]
        if page > 3:
            return self._ack(p.ERR_RECEIVE)
        bits = bytearray(p.INDEX_PAGE_BITS // 8)
        for pos in self.store.settings.library:
            rel = pos - page * p.INDEX_PAGE_BITS
            if 0 <= rel < p.INDEX_PAGE_BITS:
                bits[rel // 8] |= 1 << (rel % 8)
        return self._ack(p.OK, bytes(bits))

    def _gen_img(self, args: bytes) -> list[bytes]:
        if self.present_auto and self.fingers is not None:
            images = self.fingers.all_images
            self.place_image(read_gray(images[self._auto_index % len(images)]), self.fingers.dpi)
            self._auto_index += 1
        if self._finger is None:
            # the sensor still scans: its image buffer holds the empty window (what a
            # technician's blank-frame check uploads), and it reports that no finger is there
            self.image = self.blank_frame()
            return self._ack(p.ERR_NO_FINGER)
        self.image = self._finger.copy()
        self.captures += 1
        if self.present_auto:
            self._finger = None
        return self._ack(p.OK)

    def blank_frame(self) -> np.ndarray:
        """The empty sensor window in 4-bit levels: bright, slightly darker at the edges, with read noise."""
        h, w = p.IMAGE_HEIGHT, p.IMAGE_WIDTH
        yy, xx = np.mgrid[0:h, 0:w]
        vignette = ((xx - w / 2) / w) ** 2 + ((yy - h / 2) / h) ** 2
        frame = 14.2 - 2.5 * vignette + self._noise.normal(0, 0.35, (h, w))
        return np.clip(np.round(frame), 0, 15).astype(np.uint8)

    def _up_image(self, args: bytes) -> list[bytes]:
        if self.image is None:
            return self._ack(p.ERR_UPLOAD_IMAGE)
        self.uploads += 1
        flat = self.image.reshape(-1)
        packed = ((flat[0::2] << 4) | flat[1::2]).astype(np.uint8).tobytes()
        return self._ack(p.OK) + self._data(packed)

    def _img_2_tz(self, args: bytes) -> list[bytes]:
        buffer_id = args[0]
        if buffer_id not in (1, 2):
            return self._ack(p.ERR_RECEIVE)
        if self.image is None:
            return self._ack(p.ERR_INVALID_IMAGE)
        gray = (self.image * 17).astype(np.uint8)
        if float(gray.std()) < 8:  # a blank or saturated window: nothing to read
            return self._ack(p.ERR_MESSY_IMAGE)
        try:
            features = self.features.features(gray)
        except ValueError:
            return self._ack(p.ERR_MESSY_IMAGE)
        if features is None:
            return self._ack(p.ERR_FEW_FEATURES)
        self.char_buffers[buffer_id] = features
        return self._ack(p.OK)

    def _threshold(self) -> int:
        return LEVEL_THRESHOLDS[self.store.settings.security_level]

    def _reg_model(self, args: bytes) -> list[bytes]:
        a, b = self.char_buffers[1], self.char_buffers[2]
        if a is None or b is None or self.features.score(a, b) < self._threshold():
            return self._ack(p.ERR_COMBINE)
        self.char_buffers[2] = a
        return self._ack(p.OK)

    def _store(self, args: bytes) -> list[bytes]:
        buffer_id, pos = args[0], struct.unpack(">H", args[1:3])[0]
        data = self.char_buffers.get(buffer_id)
        if buffer_id not in (1, 2) or pos >= p.CAPACITY:
            return self._ack(p.ERR_BAD_LOCATION)
        if data is None:
            return self._ack(p.ERR_RECEIVE)
        self.store.settings.library[pos] = data.hex()
        self.store.save()
        return self._ack(p.OK)

    def _load_char(self, args: bytes) -> list[bytes]:
        buffer_id, pos = args[0], struct.unpack(">H", args[1:3])[0]
        if buffer_id not in (1, 2) or pos >= p.CAPACITY:
            return self._ack(p.ERR_BAD_LOCATION)
        data = self.store.settings.library.get(pos)
        if data is None:
            return self._ack(p.ERR_LOAD_TEMPLATE)
        self.char_buffers[buffer_id] = bytes.fromhex(data)
        return self._ack(p.OK)

    def _delete(self, args: bytes) -> list[bytes]:
        pos, count = struct.unpack(">HH", args[:4])
        if pos + count > p.CAPACITY:
            return self._ack(p.ERR_DELETE)
        for i in range(pos, pos + count):
            self.store.settings.library.pop(i, None)
        self.store.save()
        return self._ack(p.OK)

    def _empty(self, args: bytes) -> list[bytes]:
        self.store.settings.library.clear()
        self.store.save()
        return self._ack(p.OK)

    def _match(self, args: bytes) -> list[bytes]:
        a, b = self.char_buffers[1], self.char_buffers[2]
        score = self.features.score(a, b) if a is not None and b is not None else 0
        if score < self._threshold():
            return self._ack(p.ERR_NO_MATCH, struct.pack(">H", 0))
        return self._ack(p.OK, struct.pack(">H", min(score, 0xFFFF)))

    def _search(self, args: bytes) -> list[bytes]:
        buffer_id, start, count = args[0], *struct.unpack(">HH", args[1:5])
        probe = self.char_buffers.get(buffer_id)
        if probe is None:
            return self._ack(p.ERR_NOT_FOUND, b"\0\0\0\0")
        best_pos, best_score = -1, -1
        for pos, data in sorted(self.store.settings.library.items()):
            if start <= pos < start + count:
                score = self.features.score(probe, bytes.fromhex(data))
                if score > best_score:
                    best_pos, best_score = pos, score
        if best_pos < 0 or best_score < self._threshold():
            return self._ack(p.ERR_NOT_FOUND, b"\0\0\0\0")
        return self._ack(p.OK, struct.pack(">HH", best_pos, min(best_score, 0xFFFF)))

    def _up_char(self, args: bytes) -> list[bytes]:
        data = self.char_buffers.get(args[0]) if args[0] in (1, 2) else None
        if data is None:
            return self._ack(p.ERR_UPLOAD_CHAR)
        return self._ack(p.OK) + self._data(data)

    def _down_char(self, args: bytes) -> list[bytes]:
        if args[0] not in (1, 2):
            return self._ack(p.ERR_RECEIVE_DATA)
        self._receiving = (args[0], bytearray())
        return self._ack(p.OK)

    def _random(self, args: bytes) -> list[bytes]:
        return self._ack(p.OK, os.urandom(4))

    _handlers = {
        p.SET_PWD: _set_pwd, p.SET_ADDR: _set_addr, p.SET_SYS_PARA: _set_sys_para,
        p.READ_SYS_PARA: _read_sys_para, p.TEMPLATE_NUM: _template_num,
        p.READ_INDEX_TABLE: _read_index_table, p.GEN_IMG: _gen_img, p.UP_IMAGE: _up_image,
        p.IMG_2_TZ: _img_2_tz, p.REG_MODEL: _reg_model, p.STORE: _store,
        p.LOAD_CHAR: _load_char, p.DELETE_CHAR: _delete, p.EMPTY: _empty, p.MATCH: _match,
        p.SEARCH: _search, p.UP_CHAR: _up_char, p.DOWN_CHAR: _down_char, p.GET_RANDOM: _random,
    }
