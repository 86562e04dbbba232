"""The fingers an emulated sensor can be touched with: a folder of ``<finger>_<impression>`` images,
at the resolution its ``dpi.txt`` gives (500 without one), read as ``eval fingerprints`` reads it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from matching.evaluation.fvc import EvaluationInputError, folder_dpi
from matching.images import ImageTooLarge, read_image

from ..errors import BadImageSource

IMAGE_SUFFIXES = (".png", ".tif", ".tiff", ".bmp", ".jpg", ".jpeg", ".pgm")


@dataclass(frozen=True)
class FingerSet:
    """Finger ids in sorted order, each with its impressions in sorted order."""

    folder: Path
    fingers: dict[str, list[Path]]
    dpi: int = 500  # of every image: the emulator resamples them to the sensor's 500 dpi

    @property
    def finger_ids(self) -> list[str]:
        return sorted(self.fingers)

    @property
    def all_images(self) -> list[Path]:
        return sorted(p for paths in self.fingers.values() for p in paths)

    def image_path(self, finger: str | int, impression: int) -> Path:
        """``finger`` is an id or a 1-based index; impressions are 1-based and wrap around."""
        fid = self.finger_ids[(finger - 1) % len(self.fingers)] if isinstance(finger, int) else finger
        paths = self.fingers.get(fid)
        if not paths:
            raise BadImageSource("device.unknown_finger", finger=fid, folder=str(self.folder))
        return paths[(impression - 1) % len(paths)]


def load_finger_set(folder: Path) -> FingerSet:
    if not folder.is_dir():
        raise BadImageSource("device.no_image_folder", folder=str(folder))
    fingers: dict[str, list[Path]] = {}
    try:
        entries = sorted(folder.iterdir())
    except OSError as exc:
        raise BadImageSource("device.no_image_folder", folder=str(folder), detail=str(exc)) from exc
    for path in entries:
        if path.suffix.lower() in IMAGE_SUFFIXES and path.is_file():
            finger = path.stem.rsplit("_", 1)[0]
            fingers.setdefault(finger, []).append(path)
    if not fingers:
        raise BadImageSource(folder=str(folder), suffixes=" ".join(IMAGE_SUFFIXES))
    try:
        # the eval's own reading of dpi.txt, so that the sensor shows a file as --sensor zfm scores it
        dpi = folder_dpi(folder, None)
    except EvaluationInputError as exc:
        raise BadImageSource(exc.message_id, **exc.params) from exc
    return FingerSet(folder, {k: sorted(v) for k, v in fingers.items()}, dpi)


def read_gray(path: Path) -> np.ndarray:
    """An 8-bit gray image, or a clear error naming the file (one over a fingerprint's size is refused
    from its header, before it is decoded: ``matching.images``)."""
    try:
        image = read_image(path, "fingerprint", cv2.IMREAD_GRAYSCALE)
    except ImageTooLarge as exc:
        raise BadImageSource(exc.message_id, **exc.params) from exc
    if image is None or image.size == 0:
        raise BadImageSource("device.unreadable_image", path=str(path))
    return image
