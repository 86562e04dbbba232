"""Face photos for tests: the portrait a dev dependency ships (``matching.face.sample``), and camera folders."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from matching.face.sample import astronaut, face_of, studio

__all__ = ["astronaut", "face_of", "studio", "camera_folder"]


def camera_folder(folder: Path, rgb: np.ndarray) -> Path:
    """A folder a ``file:`` camera plays: the one photo, as the camera would see it."""
    folder.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(folder / "frame.png"), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    return folder
