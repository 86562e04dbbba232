"""Finger images for the tests, made from the generator's (``synthetic_fingers`` in conftest)."""

from __future__ import annotations

import shutil
from pathlib import Path

import cv2
import numpy as np


def faint_first_impression(synthetic_fingers: Path, folder: Path) -> Path:
    """A copy of the generator's fingers with the first impression of the first finger pressed by a
    dry finger (8 % of its contrast): what the emulated sensor lays for the first capture of the
    right thumb, or of an unnamed finger (a calibration's test capture). NFIQ 2 cannot rate it
    through the ZFM view, and says it is too light."""
    shutil.copytree(synthetic_fingers, folder)
    first = sorted(folder.glob("*.png"))[0]
    gray = cv2.imread(str(first), cv2.IMREAD_GRAYSCALE)
    cv2.imwrite(str(first), (255 - (255 - gray.astype(np.float32)) * 0.08).astype(np.uint8))
    return folder
