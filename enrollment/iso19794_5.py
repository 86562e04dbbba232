"""ISO/IEC 19794-5:2005 face image records: a full-frontal JPEG with its eye centres.

Layout (big-endian): record header "FAC\\0", "010\\0", record length (4), image count (2);
per image a 20-byte facial information block (block length, feature point count, gender,
eye colour, hair colour, feature mask (3), expression (2), pose angles (3), their
uncertainty (3)), 8 bytes per feature point (MPEG-4 points 12.1 and 12.2: the eye centres),
a 12-byte image information block (face image type 1 = full frontal, data type 0 = JPEG,
width, height, colour space 1 = 24-bit RGB, source type 2 = digital still camera, device
type, quality) and the JPEG itself.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from domain.errors import BiostationError

FORMAT_ID = b"FAC\x00"
VERSION = b"010\x00"
FULL_FRONTAL = 1
JPEG = 0
RGB24 = 1
DIGITAL_STILL = 2
EXPRESSION_NEUTRAL = 1


class FaceRecordError(BiostationError, ValueError):
    """Bytes that are not a face record this station reads."""


@dataclass(frozen=True)
class FaceRecord:
    jpeg: bytes
    width: int
    height: int
    eyes: tuple[tuple[int, int], tuple[int, int]]  # (left eye, right eye) in image pixels
    pose: tuple[int, int, int] = (0, 0, 0)  # yaw, pitch, roll in 2-degree steps as the standard codes them
    quality: int = 0


def encode_face_record(face: FaceRecord) -> bytes:
    points = b"".join(struct.pack(">BBHHH", 1, (12 << 4) | minor, x, y, 0)
                      for minor, (x, y) in zip((1, 2), face.eyes, strict=True))
    pose = bytes(max(0, min(181, (a // 2) + 91 if a else 0)) for a in face.pose)
    info = struct.pack(">IHBBB3sH3s3s", 0, 2, 0, 0, 0, b"\x00\x00\x00", EXPRESSION_NEUTRAL, pose, b"\x00" * 3)
    image_info = struct.pack(">BBHHBBHH", FULL_FRONTAL, JPEG, face.width, face.height, RGB24, DIGITAL_STILL,
                             0, face.quality)
    block = info[4:] + points + image_info + face.jpeg
    block = struct.pack(">I", len(block) + 4) + block
    header = FORMAT_ID + VERSION + struct.pack(">IH", 14 + len(block), 1)
    return header + block


def decode_face_record(data: bytes) -> FaceRecord:
    if len(data) < 14 + 20 + 12 or data[:4] != FORMAT_ID or data[4:8] != VERSION:
        raise FaceRecordError("face_record.not_a_record")
    length, count = struct.unpack(">IH", data[8:14])
    if length != len(data) or count != 1:
        raise FaceRecordError("face_record.bad_length")
    (block_len, n_points, _g, _e, _h, _mask, _expr, pose, _unc) = struct.unpack(
        ">IHBBB3sH3s3s", data[14:34])
    if 14 + block_len != len(data):
        raise FaceRecordError("face_record.bad_length")
    at = 34
    eyes = []
    for _ in range(n_points):
        _kind, _code, x, y, _r = struct.unpack(">BBHHH", data[at : at + 8])
        eyes.append((x, y))
        at += 8
    kind, dtype, width, height, _cs, _src, _dev, quality = struct.unpack(">BBHHBBHH", data[at : at + 12])
    jpeg = data[at + 12 :]
    if kind != FULL_FRONTAL or dtype != JPEG or not jpeg.startswith(b"\xff\xd8") or len(eyes) != 2:
        raise FaceRecordError("face_record.unsupported")
    angles = tuple((b - 91) * 2 if b else 0 for b in pose)
    return FaceRecord(jpeg, width, height, (eyes[0], eyes[1]), angles, quality)  # type: ignore[arg-type]
