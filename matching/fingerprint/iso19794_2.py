"""ISO/IEC 19794-2:2005 finger minutiae records, written and read.

Layout (big-endian): a 24-byte record header ("FMR\\0", " 20\\0", record length (4),
device (2), image width and height (2+2), resolution in pixels per centimetre
(2+2), number of finger views (1), reserved (1)); then per view a 4-byte header
(finger position, view number and impression type, finger quality, minutiae count),
6 bytes per minutia (type in 2 bits + x in 14; 2 reserved bits + y in 14; angle;
quality 0–100), and a 2-byte extended data length.

The angle, as the standard has it (clause 6.4 in 2005, 6.5 in 2011): counter-clockwise from the
horizontal axis to the right, on the image (origin upper left, y down), in units of
360/256 = 1.40625°; a ridge ending's direction runs along the tangent *of the ending ridge*, from the
minutia into that ridge (the standard's Figure 2, the same drawing in both editions), and a
bifurcation's along the valley that ends at the fork, into the valley between the two branches
(Figure 3). ANSI/NIST-ITL 1-2011's EFS says the same in words ("the theta angle should run up the
ridge" for an ending, "down the valley" for a bifurcation), and SourceAFIS and NBIS write it so.
Our templates' direction (``template.py``: ``atan2(dy, dx)``, y down) points the other way: out of
an ending's ridge, and from a fork towards its stem. So the writer turns it by 180° and makes it
counter-clockwise, ``angle = π − direction``, and the reader does the inverse. Until 2026-12-06 the
writer only negated the direction and so wrote every angle 180° from the standard; see
``LEGACY_FLOW_AREA`` for how those records are still read right.

The extended data holds the template's ridge flow, when it has one, as one vendor-defined area
(type ``FLOW_AREA``; the standard leaves 0x0100–0xFFFF to vendors): rows and columns (2 + 2 bytes),
then the angle bytes and the coherence bytes row by row. A reader that does not know the type skips
it and still has every minutia; this reader skips areas it does not know in the same way, the
standard's own (ridge counts 0x0001, cores and deltas 0x0002) included: a record from another
vendor is read for the minutiae it holds. A block whose areas do not add up to its length is
refused by name (``template.bad_extension``), as is a minutia type the standard does not define
(``template.bad_minutia``); the type "other" (00) is read, as kind 0.

A record is read as untrusted input (the central record reads what any registered station
sends), so the reader refuses values no finger and no sensor produce, before any of them sizes
an array: an image larger than ``MAX_SIZE_INCHES`` on a side (2000 px at 500 ppi, a roll of the
widest thumb with room to spare), a resolution outside ``MIN_PPI``–``MAX_PPI`` (every sensor an
office buys is 500 or 1000 ppi), a minutia outside the image, more than ``MAX_MINUTIAE`` minutiae
(a good 500 ppi print shows 40–100), a ridge-flow grid larger than the image it describes. One
record of 65535 × 65535 pixels, read without these bounds, made a duplicate search take 52 s and
OpenCV ask for 4.3 GB. The writer keeps the same bounds, so what it writes this reader takes.

Lenient path: NIST NBIS's binding (nbis-py) writes its own shorter layout under the same format id
and the standard's 6-byte minutiae (``_nbis_layout``). It is not the standard, and this module never
writes it; the reader takes it, under the same bounds, so NBIS's templates can be compared with
ours. Its angles are the standard's, so they are read as a standard record's are."""

from __future__ import annotations

import struct

import numpy as np

from domain.errors import BiostationError

from .ridge_flow import OUTSIDE, STEP, RidgeFlow
from .template import Template

FORMAT_ID = b"FMR\x00"
VERSION = b" 20\x00"
HEADER = struct.Struct(">4s4sIHHHHHBB")
VIEW = struct.Struct(">BBBB")
MINUTIA = struct.Struct(">HHBB")
NBIS_HEADER = struct.Struct(">4s4sIHHHBBB4sB")  # NBIS's own 26-byte header: see _nbis_layout
AREA = struct.Struct(">HH")  # extended data area: type, length of its data
GRID = struct.Struct(">HH")  # the flow area's rows and columns
FLOW_AREA = 0x0102  # the ridge flow, in a record whose angles are the standard's
# The same area as written until 2026-12-06, when every angle was 180° from the standard: a record
# holding it (and not ``FLOW_AREA``) was written by this module's older writer, and its minutiae are
# turned back on reading. Every record that writer wrote holds it: each template it was given came
# from our extractor, which always makes a ridge flow, and the area fits any image the reader takes.
LEGACY_FLOW_AREA = 0x0101
MAX_SIZE_INCHES = 4  # 2000 px at 500 ppi, 4000 at 1000
MIN_PPI, MAX_PPI = 250, 1000
MAX_MINUTIAE = 200
_TYPE_TO_ISO = {0: 0b00, 1: 0b01, 2: 0b10}
_ISO_TO_TYPE = {0b01: 1, 0b10: 2, 0b00: 0}


class FingerprintRecordError(BiostationError, ValueError):
    """Bytes that are not an ISO/IEC 19794-2 record this reader can use."""


def _ppcm(dpi: int) -> int:
    return int(round(dpi / 2.54))


def iso_angle(direction: float) -> int:
    """The standard's angle code (counter-clockwise, 360/256° a unit, an ending pointing into its
    ridge) of one of our directions (``atan2(dy, dx)`` with y down, an ending pointing out of it)."""
    return int(round(float(np.mod(np.pi - direction, 2 * np.pi)) / (2 * np.pi) * 256)) % 256


def direction_of(code: int | np.ndarray) -> float | np.ndarray:
    """Our direction of a standard angle code: the inverse of ``iso_angle``."""
    return np.mod(np.pi - np.asarray(code) / 256 * 2 * np.pi, 2 * np.pi)


def encode_record(template: Template, position: int = 0, impression_type: int = 0,
                  view: int = 0) -> bytes:
    """One finger view; at most ``MAX_MINUTIAE`` minutiae (the best by quality are kept)."""
    m = template.minutiae
    if len(m) > MAX_MINUTIAE:
        m = m[np.argsort(-m[:, 4], kind="stable")[:MAX_MINUTIAE]]
    body = bytearray(VIEW.pack(position & 0xFF, ((view & 0xF) << 4) | (impression_type & 0xF),
                               max(0, min(100, int(template.quality))), len(m)))
    for x, y, direction, kind, quality in m:
        xi = int(np.clip(round(x), 0, max(0, min(0x3FFF, template.width - 1))))  # inside the image, as read
        yi = int(np.clip(round(y), 0, max(0, min(0x3FFF, template.height - 1))))
        body += MINUTIA.pack((_TYPE_TO_ISO.get(int(kind), 0) << 14) | xi, yi, iso_angle(direction),
                             max(0, min(100, int(round(quality)))))
    body += _extended_data(template.flow)
    length = HEADER.size + len(body)
    header = HEADER.pack(FORMAT_ID, VERSION, length, 0, template.width, template.height,
                         _ppcm(template.dpi), _ppcm(template.dpi), 1, 0)
    return header + bytes(body)


def _extended_data(flow: RidgeFlow | None) -> bytes:
    """The extended data block: its 2-byte length, then the flow area if there is one."""
    if flow is None:
        return b"\x00\x00"
    rows, cols = flow.angle.shape
    area = GRID.pack(rows, cols) + flow.angle.tobytes() + flow.coherence.tobytes()
    if AREA.size + len(area) > 0xFFFF:  # a print too large to describe; its minutiae still go
        return b"\x00\x00"
    return struct.pack(">H", AREA.size + len(area)) + AREA.pack(FLOW_AREA, len(area)) + area


def _read_flow(data: bytes, offset: int, width: int, height: int) -> tuple[RidgeFlow | None, bool]:
    """The ridge flow from the extended data block at ``offset`` (None when it has none), and whether
    the record is one of our older writer's (``LEGACY_FLOW_AREA``, angles 180° from the standard).

    The caller has checked that the block's 2-byte length is within the record.
    """
    (block,) = struct.unpack_from(">H", data, offset)
    offset += 2
    end = offset + block
    if end > len(data):
        raise FingerprintRecordError("template.truncated", length=len(data))
    flow, legacy, current = None, False, False
    while offset < end:
        if offset + AREA.size > end:
            raise FingerprintRecordError("template.bad_extension", reason="area header")
        kind, size = AREA.unpack_from(data, offset)
        offset += AREA.size
        if offset + size > end:
            raise FingerprintRecordError("template.bad_extension", reason="area length")
        if kind in (FLOW_AREA, LEGACY_FLOW_AREA):
            flow = _flow_from(data[offset : offset + size], width, height)
            current |= kind == FLOW_AREA
            legacy |= kind == LEGACY_FLOW_AREA
        offset += size
    return flow, legacy and not current


def _flow_from(area: bytes, width: int, height: int) -> RidgeFlow:
    if len(area) < GRID.size:
        raise FingerprintRecordError("template.bad_extension", reason="ridge flow")
    rows, cols = GRID.unpack_from(area)
    if rows > -(-height // STEP) or cols > -(-width // STEP):  # a grid point every STEP px of the image
        raise FingerprintRecordError("template.bad_extension", reason="ridge flow")
    cells = rows * cols
    if len(area) != GRID.size + 2 * cells:
        raise FingerprintRecordError("template.bad_extension", reason="ridge flow")
    grids = np.frombuffer(area, np.uint8, offset=GRID.size).reshape(2, rows, cols)
    angle = grids[0]
    if ((angle > 179) & (angle != OUTSIDE)).any():
        raise FingerprintRecordError("template.bad_extension", reason="ridge flow")
    return RidgeFlow(angle.copy(), grids[1].copy())


def _nbis_layout(data: bytes) -> bool:
    """Whether ``data`` is laid out as NIST NBIS's binding (nbis-rs, nbis-py 0.1.3) writes
    "ISO 19794-2:2005": a 26-byte header that leaves out the resolution, the view count and the
    view header's place (format, version, length (4), device (2), width and height (2+2), then
    finger position, view and impression, quality, 4 zero bytes, minutiae count), 6-byte minutiae
    as the standard's (qualities 0–63), and no extended-data length. A standard record always has
    at least one view, so its byte 22 is never 0 where this one's is: one reading, never two."""
    if len(data) < NBIS_HEADER.size:
        return False
    fmt, version, length, _, _, _, _, _, _, reserved, count = NBIS_HEADER.unpack_from(data)
    return (fmt == FORMAT_ID and version == VERSION and reserved == b"\0\0\0\0"
            and length == len(data) == NBIS_HEADER.size + count * MINUTIA.size)


def decode_record(data: bytes) -> tuple[Template, int]:
    """The template of the first finger view and its finger position, directions in our convention.

    Lenient path: NBIS's own layout (``_nbis_layout``), which is not the standard, is read too, at
    the 500 ppi it assumes, so its templates can be compared; a record that is neither is refused by
    name (``FingerprintRecordError``), never read as something else."""
    if isinstance(data, (bytes, bytearray)) and _nbis_layout(data):
        return _decode_nbis(bytes(data))
    if not isinstance(data, (bytes, bytearray)) or len(data) < HEADER.size + VIEW.size + 2:
        raise FingerprintRecordError("template.truncated", length=len(data) if data else 0)
    fmt, version, length, _, width, height, xres, yres, views, _ = HEADER.unpack_from(data)
    if fmt != FORMAT_ID or version != VERSION:
        raise FingerprintRecordError("template.not_iso")
    if length != len(data):
        raise FingerprintRecordError("template.bad_length", declared=length, actual=len(data))
    if views < 1:
        raise FingerprintRecordError("template.no_views")
    dpi = _checked_dpi(xres, yres)
    largest = MAX_SIZE_INCHES * dpi
    if not (0 < width <= largest and 0 < height <= largest):
        raise FingerprintRecordError("template.bad_size", width=width, height=height, largest=largest)
    position, _, quality, count = VIEW.unpack_from(data, HEADER.size)
    if count > MAX_MINUTIAE:
        raise FingerprintRecordError("template.too_many_minutiae", count=count, most=MAX_MINUTIAE)
    offset = HEADER.size + VIEW.size
    if offset + count * MINUTIA.size + 2 > len(data):
        raise FingerprintRecordError("template.truncated", length=len(data))
    minutiae = _read_minutiae(data, offset, count, width, height)
    flow, legacy = _read_flow(data, offset + count * MINUTIA.size, width, height)
    if legacy:  # our older writer's record: its angles are 180° from the standard's (LEGACY_FLOW_AREA)
        minutiae[:, 2] = np.mod(minutiae[:, 2] + np.pi, 2 * np.pi)
    template = Template(width=width, height=height, minutiae=minutiae, quality=quality, dpi=dpi, flow=flow)
    return template, position


def _read_minutiae(data: bytes, offset: int, count: int, width: int, height: int) -> np.ndarray:
    """``count`` minutiae from ``offset`` as the template's (N, 5) rows; the caller has checked that
    they are within the record."""
    rows = []
    for i in range(count):
        tx, ry, angle, q = MINUTIA.unpack_from(data, offset + i * MINUTIA.size)
        kind = _ISO_TO_TYPE.get(tx >> 14)
        x, y = tx & 0x3FFF, ry & 0x3FFF
        if kind is None or q > 100 or x >= width or y >= height:
            raise FingerprintRecordError("template.bad_minutia", index=i)
        rows.append((x, y, direction_of(angle), kind, q))
    return np.array(rows, float).reshape(-1, 5)


def _decode_nbis(data: bytes) -> tuple[Template, int]:
    """A record in NBIS's layout, under the same bounds as a standard one (500 ppi: it states none)."""
    _, _, _, _, width, height, position, _, quality, _, count = NBIS_HEADER.unpack_from(data)
    largest = MAX_SIZE_INCHES * 500
    if not (0 < width <= largest and 0 < height <= largest):
        raise FingerprintRecordError("template.bad_size", width=width, height=height, largest=largest)
    if count > MAX_MINUTIAE:
        raise FingerprintRecordError("template.too_many_minutiae", count=count, most=MAX_MINUTIAE)
    # NBIS writes NIST's M1 (ANSI INCITS 378) directions, 90° − mindtct's: a ridge ending points into
    # its ridge, as the standard has it. So they are read as a standard record's angles are, and then
    # agree with ours at the same minutia (65 of 65 compared on FVC2002_DB1_B were 180° from ours when
    # the reader, like the writer, was itself 180° off the standard).
    minutiae = _read_minutiae(data, NBIS_HEADER.size, count, width, height)
    template = Template(width=width, height=height, minutiae=minutiae, quality=min(quality, 100), dpi=500, flow=None)
    return template, position


def _checked_dpi(xres: int, yres: int) -> int:
    """The resolution in ppi from the header's pixels per centimetre; 0 (not stated) reads as 500."""
    dpi = int(round(xres * 2.54)) if xres else 500
    for res in (xres, yres):  # compared as written: 1000 ppi is 394 per cm, which reads back as 1001
        if res and not _ppcm(MIN_PPI) <= res <= _ppcm(MAX_PPI):
            raise FingerprintRecordError("template.bad_resolution", ppi=int(round(res * 2.54)), lowest=MIN_PPI,
                                         highest=MAX_PPI)
    return dpi


def quantized(template: Template) -> Template:
    """What survives a write and a read: the template as the record stores it."""
    return decode_record(encode_record(template))[0]
