"""Reading image files and bytes from outside: the size is checked from the header before a pixel is decoded.

A 31 KB PNG can declare 16000×16000 pixels: OpenCV decodes it into 256 MB of gray or 768 MB of
colour, and the next stage (the calibration's corner search) took 24 GB on it before the
kernel killed the process. Pillow's readers parse only the header when they open a file, so
the declared width and height are known for the price of a few hundred bytes; an image over the
limit for its kind is refused with an error that names the file, its size and the limit. Then
OpenCV decodes exactly as the callers always did (``cv2.imread`` for a file, ``cv2.imdecode`` for
bytes, the caller's flags), so every array, and every evaluation figure, stays what it was.

The limits, by what the image is for (``LIMITS``, in pixels, width × height):
- ``camera``: a frame from a ``file:`` camera, 50 MP (an 8K frame is 33 MP);
- ``calibration``: a calibration view or target photo, 50 MP, the same camera's frames;
- ``fingerprint``: 4000×4000 = 16 MP, the largest ``matching.fingerprint.image`` takes
  (``MAX_SIDE``; a 1000-ppi four-finger slap is 3200×3000);
- ``face``: a face photo, 50 MP.

A file Pillow cannot identify is not decoded either: it is unreadable, as OpenCV would say of
most such files, since its size cannot be known without decoding it. OpenCV's own limit
(``OPENCV_IO_MAX_IMAGE_PIXELS``, 1 G pixels by default) is lowered to the largest limit here
as a second line; OpenCV reads it once, when it loads, so it holds in the worker processes the
evaluations start (they inherit the environment) and wherever this module is imported before cv2.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

from domain.errors import BiostationError

LIMITS = {
    "camera": 50_000_000,
    "calibration": 50_000_000,
    "fingerprint": 4000 * 4000,
    "face": 50_000_000,
}
# each kind's refusal in its own words (and section of the catalog)
MESSAGES = {
    "camera": "camera.image_too_large",
    "calibration": "calibration.image_too_large",
    "fingerprint": "fingerprint.image_too_large",
    "face": "face.image_too_large",
}
os.environ.setdefault("OPENCV_IO_MAX_IMAGE_PIXELS", str(max(LIMITS.values())))

import cv2  # noqa: E402  (after the limit above, which OpenCV reads when it loads)
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402


class ImageTooLarge(BiostationError, ValueError):
    """An image whose header declares more pixels than its kind may have; it was never decoded."""

    message_id = "camera.image_too_large"


def _header_size(fp, name: str) -> tuple[int, int] | None:
    """(width, height) from the header of the image in ``fp``, or None when no Pillow reader knows it.

    Pillow's readers are called directly, as ``Image.open`` calls them, but without its own
    decompression-bomb check: that one raises above 179 MP without saying the size, and warns on
    stderr above 89 MP; the size and the limit that count are ours.
    """
    Image.init()
    prefix = fp.read(16)
    for fmt in Image.ID:
        factory, accept = Image.OPEN[fmt]
        try:
            accepted = True if accept is None else accept(prefix)
            if not accepted or isinstance(accepted, str):  # a string: "looks like it, but unsupported"
                continue
            fp.seek(0)
            width, height = factory(fp, name).size
        except Exception:  # a header this reader does not understand, whatever it raises (Image.open: the same)
            continue
        return int(width), int(height)
    return None


def image_size(source: str | os.PathLike | bytes, name: str | None = None) -> tuple[int, int] | None:
    """Width and height declared by an image file's (or bytes') header; None when it is no image we know."""
    try:
        if isinstance(source, (bytes, bytearray, memoryview)):
            return _header_size(io.BytesIO(source), name or "")
        with open(source, "rb") as fp:
            return _header_size(fp, str(source))
    except OSError:
        return None


def check_image(source: str | os.PathLike | bytes, kind: str, name: str | None = None) -> tuple[int, int] | None:
    """The declared (width, height), after refusing an image over ``kind``'s limit with ``ImageTooLarge``."""
    if kind not in LIMITS:
        raise ValueError(f"unknown image kind {kind!r}; known: {', '.join(LIMITS)}")
    size = image_size(source, name)
    if size is not None and size[0] * size[1] > LIMITS[kind]:
        label = name or (str(source) if not isinstance(source, (bytes, bytearray, memoryview)) else "(image data)")
        raise ImageTooLarge(MESSAGES[kind], path=label, width=size[0], height=size[1],
                            megapixels=round(size[0] * size[1] / 1e6, 1), limit=round(LIMITS[kind] / 1e6))
    return size


def read_image(source: str | os.PathLike | bytes, kind: str, flags: int = cv2.IMREAD_COLOR,
               name: str | None = None) -> np.ndarray | None:
    """What ``cv2.imread`` (a path) or ``cv2.imdecode`` (bytes) gives with ``flags``, once the header has
    shown the image within ``kind``'s limit; ``ImageTooLarge`` above it. None for a missing, empty,
    damaged or unknown file, as OpenCV says it, so each caller keeps its own message for that.
    ``name`` is how the error names bytes (or a path, when it should read otherwise)."""
    if check_image(source, kind, name) is None:
        return None
    try:
        if isinstance(source, (bytes, bytearray, memoryview)):
            return cv2.imdecode(np.frombuffer(source, np.uint8), flags)
        return cv2.imread(str(Path(source)), flags)
    except cv2.error:  # over OpenCV's own limit: a file that changed since its header was read
        return None
