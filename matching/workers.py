"""CPU-heavy matching in worker processes, so a window or a flow never waits on it.

dlib holds the GIL while it computes a descriptor (a 10-jitter one froze another
thread for 1.7 s here), so threads cannot keep a caller responsive: the work goes to
processes, started with ``spawn`` (safe beside Qt's threads) and kept warm, with the
models loaded once per process. Every call returns a ``Future``.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import Future, ProcessPoolExecutor

import numpy as np

# How every pool of matching processes starts: fresh, never forked. A fork inherits the locks of
# threads that have already run (Qt's, OpenCV's, BLAS's) still held, and the child's first call
# into that library waits forever; the FVC evaluation hung so after drawing synthetic fingers.
FRESH_PROCESSES = multiprocessing.get_context("spawn")


def _encode_face(rgb: np.ndarray, box) -> object:
    from matching.face.embedding import encode

    return encode(rgb, box)


def _detect_and_encode(rgb: np.ndarray) -> object:
    from matching.face.detection import detect
    from matching.face.embedding import encode

    boxes = detect(rgb, upsample=1)
    return encode(rgb, boxes[0]) if boxes else None


def _extract_fingerprint(image: np.ndarray, dpi: float) -> object:
    from matching.fingerprint.extractor import extract

    return extract(image, dpi)


def _extract_details(image: np.ndarray, dpi: float) -> object:
    from matching.fingerprint.extractor import extract_details
    from matching.fingerprint.image import FingerprintImageError

    try:
        return extract_details(image, dpi)
    except FingerprintImageError:
        return None


def _score_finger(image: np.ndarray, dpi: float, enrolled) -> float:
    from matching.fingerprint.extractor import extract
    from matching.fingerprint.matcher import compare

    return compare(extract(image, dpi), enrolled)


_GALLERY = None  # the 1:N gallery held by this worker process


def _set_gallery(gallery) -> int:
    global _GALLERY
    _GALLERY = gallery
    return len(gallery)


def _search_fingers(probe, top: int) -> object:
    if _GALLERY is None:
        raise RuntimeError("no gallery loaded in this worker")
    return _GALLERY.search(probe, top=top)


def _warm() -> bool:
    from matching.face.models import face_encoder, shape_predictor_68

    face_encoder()
    shape_predictor_68()
    return True


class MatchingWorkers:
    """A small pool of matching processes; ``close()`` (or ``with``) ends them."""

    def __init__(self, processes: int = 1, warm: bool = False) -> None:
        self._processes = processes
        self._pool = ProcessPoolExecutor(processes, mp_context=FRESH_PROCESSES)
        if warm:
            self._pool.submit(_warm)

    def encode_face(self, rgb: np.ndarray, box) -> Future:
        return self._pool.submit(_encode_face, rgb, box)

    def detect_and_encode(self, rgb: np.ndarray) -> Future:
        return self._pool.submit(_detect_and_encode, rgb)

    def extract_fingerprint(self, image: np.ndarray, dpi: float = 500) -> Future:
        return self._pool.submit(_extract_fingerprint, image, dpi)

    def extract_details(self, image: np.ndarray, dpi: float = 500) -> Future:
        """The whole extraction (for quality and the template); None when the image holds no print."""
        return self._pool.submit(_extract_details, image, dpi)

    def score_finger(self, image: np.ndarray, dpi: float, enrolled) -> Future:
        """A live finger image against an enrolled template: extraction and comparison, one round trip."""
        return self._pool.submit(_score_finger, image, dpi, enrolled)

    def set_gallery(self, gallery) -> Future:
        """Hand a 1:N gallery to the worker once (one-process pools: the searches find it there)."""
        if self._processes != 1:
            raise ValueError("a gallery lives in one worker process")
        return self._pool.submit(_set_gallery, gallery)

    def search_fingers(self, probe, top: int = 5) -> Future:
        return self._pool.submit(_search_fingers, probe, top)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> MatchingWorkers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
