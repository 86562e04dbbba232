"""The back office's pictures: stored biometric files turned into PNG for a browser, and the feedback chart.

A face is stored as its ISO/IEC 19794-5 record (a JPEG inside), a finger as WSQ, which no browser
shows; each is decoded here and sent as PNG, so the browser never parses the stored bytes. Decoding
goes through the header check of ``matching.images`` first (an image declaring more pixels than its
kind may have is refused undecoded), as every image read from outside is.
"""

from __future__ import annotations

import io
import struct
from datetime import date

import wsq  # noqa: F401  (registers the WSQ codec with Pillow)
from PIL import Image

from matching.images import check_image

FACE_FORMAT = b"FAC\x00"
_FACE_HEADER = 14  # "FAC\0", version, record length (4), image count (2)
_FACIAL_INFO = 20  # block length, feature point count, gender … pose uncertainty
_FEATURE_POINT = 8
_IMAGE_INFO = 12


class NotAnImage(ValueError):
    """Stored bytes that are not the face record or finger image they were named as."""


def face_jpeg(record: bytes) -> bytes:
    """The JPEG inside an ISO/IEC 19794-5 face record (its first image)."""
    if len(record) < _FACE_HEADER + _FACIAL_INFO + _IMAGE_INFO or record[:4] != FACE_FORMAT:
        raise NotAnImage("not a face record")
    points = struct.unpack(">H", record[_FACE_HEADER + 4:_FACE_HEADER + 6])[0]
    at = _FACE_HEADER + _FACIAL_INFO + points * _FEATURE_POINT + _IMAGE_INFO
    jpeg = record[at:]
    if not jpeg.startswith(b"\xff\xd8"):
        raise NotAnImage("no JPEG in the face record")
    return jpeg


def _png(data: bytes, kind: str) -> bytes:
    if check_image(data, kind) is None:
        raise NotAnImage("unreadable image")
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            out = io.BytesIO()
            image.convert("L" if image.mode in ("L", "1", "I", "I;16") else "RGB").save(out, format="PNG")
    except (OSError, ValueError, SyntaxError) as exc:
        raise NotAnImage("undecodable image") from exc
    return out.getvalue()


def face_png(record: bytes) -> bytes:
    """The face photo of a stored face record, as PNG."""
    return _png(face_jpeg(record), "face")


def finger_png(image: bytes) -> bytes:
    """A stored finger image (WSQ, or any format Pillow reads), as PNG."""
    return _png(image, "fingerprint")


def feedback_chart(months: list[tuple[date, float, int]], title: str, y_label: str, count_label: str) -> bytes:
    """A PNG of the average rating per month (line, 1–5) over the number of ratings (bars).

    Drawn server-side on a bare matplotlib ``Figure`` (no pyplot, no display, no global backend switch;
    no script in the page); the page beside it gives the same figures as a table, for readers who cannot
    see the chart.
    """
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=(8, 3.2), dpi=100)
    ax = figure.add_subplot()
    if months:
        labels = [m.strftime("%Y-%m") for m, _avg, _n in months]
        counts = ax.twinx()
        counts.bar(labels, [n for _m, _avg, n in months], color="#c9d1d9", zorder=1)
        counts.set_ylabel(count_label)
        counts.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_zorder(counts.get_zorder() + 1)
        ax.patch.set_visible(False)
        ax.plot(labels, [avg for _m, avg, _n in months], color="#0b4f8a", marker="o", linewidth=2)
    ax.set_ylim(0.5, 5.5)
    ax.set_yticks([1, 2, 3, 4, 5])
    ax.set_ylabel(y_label)
    ax.set_title(title)
    ax.grid(axis="y", alpha=0.3)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()
