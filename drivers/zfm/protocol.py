"""The ZFM/R30x packet protocol: ``EF01 | address(4) | type(1) | length(2) | payload | sum(2)``.

The length counts the payload plus the two checksum bytes; the checksum is the
16-bit sum of type, both length bytes and the payload. Both the emulator and the
byte-level tests speak it from here, so there is one definition of the wire format.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

START = b"\xef\x01"
HEADER_LEN = 9  # start(2) + address(4) + type(1) + length(2)

# Packet identifiers
COMMAND = 0x01
DATA = 0x02
ACK = 0x07
END_DATA = 0x08

# Instructions
GEN_IMG = 0x01
IMG_2_TZ = 0x02
MATCH = 0x03
SEARCH = 0x04
REG_MODEL = 0x05
STORE = 0x06
LOAD_CHAR = 0x07
UP_CHAR = 0x08
DOWN_CHAR = 0x09
UP_IMAGE = 0x0A
DOWN_IMAGE = 0x0B
DELETE_CHAR = 0x0C
EMPTY = 0x0D
SET_SYS_PARA = 0x0E
READ_SYS_PARA = 0x0F
SET_PWD = 0x12
VFY_PWD = 0x13
GET_RANDOM = 0x14
SET_ADDR = 0x15
TEMPLATE_NUM = 0x1D
READ_INDEX_TABLE = 0x1F

# Confirmation codes, as the sensor's datasheet numbers them
OK = 0x00
ERR_RECEIVE = 0x01
ERR_NO_FINGER = 0x02
ERR_ENROLL_FAIL = 0x03
ERR_MESSY_IMAGE = 0x06
ERR_FEW_FEATURES = 0x07
ERR_NO_MATCH = 0x08
ERR_NOT_FOUND = 0x09
ERR_COMBINE = 0x0A
ERR_BAD_LOCATION = 0x0B
ERR_LOAD_TEMPLATE = 0x0C
ERR_UPLOAD_CHAR = 0x0D
ERR_RECEIVE_DATA = 0x0E
ERR_UPLOAD_IMAGE = 0x0F
ERR_DELETE = 0x10
ERR_CLEAR = 0x11
ERR_WRONG_PASSWORD = 0x13
ERR_INVALID_IMAGE = 0x15
ERR_FLASH = 0x18
ERR_INVALID_REGISTER = 0x1A
ERR_ADDRESS = 0x20
ERR_MUST_VERIFY_PASSWORD = 0x21

# Sensor geometry and sizes
IMAGE_WIDTH = 256
IMAGE_HEIGHT = 288
TEMPLATE_SIZE = 512
PACKET_SIZES = (32, 64, 128, 256)  # system parameter 6 picks one by index
DEFAULT_ADDRESS = 0xFFFFFFFF
CAPACITY = 1000
INDEX_PAGE_BITS = 256


@dataclass(frozen=True)
class Packet:
    address: int
    kind: int
    payload: bytes


def checksum(kind: int, length: int, payload: bytes) -> int:
    return (kind + (length >> 8) + (length & 0xFF) + sum(payload)) & 0xFFFF


def encode(address: int, kind: int, payload: bytes) -> bytes:
    length = len(payload) + 2
    return (
        START
        + struct.pack(">IBH", address, kind, length)
        + payload
        + struct.pack(">H", checksum(kind, length, payload))
    )


class PacketReader:
    """Reassembles packets from a byte stream, resynchronising on the start code.

    A real sensor, and so the emulator, drops garbage before a start code; a packet
    whose checksum is wrong is reported (``bad`` is True) so the receiver can answer
    with the "error receiving packet" code as the sensor does.
    """

    def __init__(self) -> None:
        self._buf = bytearray()

    def feed(self, data: bytes) -> list[tuple[Packet, bool]]:
        self._buf.extend(data)
        packets: list[tuple[Packet, bool]] = []
        while True:
            start = self._buf.find(START)
            if start < 0:
                # keep a trailing 0xEF that may be the first half of a start code
                del self._buf[: max(0, len(self._buf) - 1)]
                return packets
            del self._buf[:start]
            if len(self._buf) < HEADER_LEN:
                return packets
            address, kind, length = struct.unpack(">IBH", self._buf[2:HEADER_LEN])
            if length < 2 or length > 2 + 1024:
                del self._buf[:2]  # not a real header: skip this start code
                continue
            total = HEADER_LEN + length
            if len(self._buf) < total:
                return packets
            payload = bytes(self._buf[HEADER_LEN : total - 2])
            (received,) = struct.unpack(">H", self._buf[total - 2 : total])
            del self._buf[:total]
            packets.append((Packet(address, kind, payload), received != checksum(kind, length, payload)))
