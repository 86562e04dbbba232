"""What the emulated sensor keeps in its character buffers: our minutiae in 512 bytes.

A real ZFM stores its own proprietary features; the emulator stores the project's
fingerprint core's minutiae, packed as ``magic(2) count(1) level(1)`` and then five
bytes a minutia (x, y in 12 bits each, direction in 1/256 turns, kind and quality),
so a 512-byte template holds up to 100 minutiae and survives an upload/download
byte for byte.
"""

from __future__ import annotations

import math
from typing import Protocol

import numpy as np

from matching.fingerprint.extractor import extract
from matching.fingerprint.matcher import compare
from matching.fingerprint.template import Template
from matching.fingerprint.thresholds import threshold_for_fmr

from .protocol import TEMPLATE_SIZE

MAGIC = b"BS"
MAX_MINUTIAE = (TEMPLATE_SIZE - 4) // 5
MIN_MINUTIAE = 6
# false-match rate per comparison for security levels 1..5, as a real sensor's table;
# level 3 is the 1:1 verification point. The score thresholds (score × 1000) follow from
# the matcher's calibration for templates without a ridge flow (the sensor's buffers carry
# minutiae only), rounded up so a level never admits more than its rate.
LEVEL_FMR = {1: 1e-2, 2: 10**-2.5, 3: 1e-3, 4: 10**-3.5, 5: 1e-4}
LEVEL_THRESHOLDS = {level: math.ceil(1000 * threshold_for_fmr(fmr, with_flow=False))
                    for level, fmr in LEVEL_FMR.items()}


class FeatureBackend(Protocol):
    def features(self, gray: np.ndarray) -> bytes | None:
        """512 bytes of features, or None when the image holds too few to use."""

    def score(self, a: bytes, b: bytes) -> int:
        """A 0..1000 similarity as the sensor reports it."""


def pack(template: Template) -> bytes:
    m = template.minutiae
    if len(m) > MAX_MINUTIAE:
        m = m[np.argsort(-m[:, 4], kind="stable")[:MAX_MINUTIAE]]
    out = bytearray(MAGIC + bytes([len(m), template.quality & 0xFF]))
    for x, y, d, kind, q in m:
        xi, yi = int(round(x)) & 0xFFF, int(round(y)) & 0xFFF
        di = int(round(d / (2 * np.pi) * 256)) & 0xFF
        out += bytes([xi >> 4, ((xi & 0xF) << 4) | (yi >> 8), yi & 0xFF, di,
                      ((int(kind) & 0x3) << 6) | min(63, int(q) * 63 // 100)])
    return bytes(out).ljust(TEMPLATE_SIZE, b"\0")


def unpack(data: bytes, width: int = 256, height: int = 288) -> Template | None:
    if len(data) < 4 or data[:2] != MAGIC:
        return None
    n = min(data[2], MAX_MINUTIAE)
    rows = []
    for i in range(n):
        b = data[4 + 5 * i : 9 + 5 * i]
        if len(b) < 5:
            break
        x = (b[0] << 4) | (b[1] >> 4)
        y = ((b[1] & 0xF) << 8) | b[2]
        rows.append((x, y, b[3] / 256 * 2 * np.pi, b[4] >> 6, (b[4] & 63) * 100 // 63))
    return Template(width=width, height=height, minutiae=np.array(rows, float).reshape(-1, 5),
                    quality=data[3])


class MinutiaeFeatures:
    """The project's own extractor and MCC matcher behind the sensor's buffers."""

    def features(self, gray: np.ndarray) -> bytes | None:
        template = extract(gray)
        if len(template) < MIN_MINUTIAE:
            return None
        return pack(template)

    def score(self, a: bytes, b: bytes) -> int:
        ta, tb = unpack(a), unpack(b)
        if ta is None or tb is None:
            return 0
        return int(round(1000 * compare(ta, tb)))
