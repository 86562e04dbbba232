"""The capture position: illumination uniformity over the face region and pixels per millimetre there.

Both come from a view of the checkerboard held where the applicant's face will be: its
known square size gives the scale (so whether an average adult's eyes, 63 mm apart, will
be the ICAO minimum of 90 pixels apart in the image), and the board's white squares,
sampled across it, show how evenly the face will be lit.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .errors import CalibrationError
from .geometry import find_corners

ADULT_EYE_DISTANCE_MM = 63.0  # median adult interpupillary distance
ICAO_MIN_EYE_PX = 90.0
MIN_UNIFORMITY = 0.80  # darkest over brightest of the white squares across the face region


@dataclass(frozen=True)
class CapturePosition:
    px_per_mm: float
    expected_eye_px: float
    eye_distance_ok: bool
    uniformity: float  # min/max of the white squares' brightness
    uniformity_ok: bool

    def as_json(self) -> dict:
        return {"px_per_mm": round(self.px_per_mm, 4), "expected_eye_distance_px": round(self.expected_eye_px, 1),
                "icao_min_eye_distance_px": ICAO_MIN_EYE_PX, "eye_distance_ok": self.eye_distance_ok,
                "illumination_uniformity": round(self.uniformity, 3), "uniformity_ok": self.uniformity_ok}


def capture_position(gray: np.ndarray, board: tuple[int, int], square_mm: float) -> CapturePosition:
    corners = find_corners(gray, board)
    if corners is None:
        raise CalibrationError("calibration.board_not_found", board=f"{board[0]}x{board[1]}", count=1)
    grid = corners.reshape(board[1], board[0], 2)
    steps = np.concatenate([np.linalg.norm(np.diff(grid, axis=1), axis=2).ravel(),
                            np.linalg.norm(np.diff(grid, axis=0), axis=2).ravel()])
    px_per_mm = float(np.median(steps)) / square_mm
    # brightness of each square's centre; the white ones (upper half of values) measure the light
    centres = (grid[:-1, :-1] + grid[1:, 1:]) / 2
    blur = cv2.GaussianBlur(gray.astype(np.float64), (0, 0), 2)
    values = np.array([blur[int(round(y)), int(round(x))] for x, y in centres.reshape(-1, 2)])
    whites = values[values > np.median(values)]
    uniformity = float(whites.min() / max(whites.max(), 1e-6))
    eye_px = ADULT_EYE_DISTANCE_MM * px_per_mm
    return CapturePosition(px_per_mm, eye_px, eye_px >= ICAO_MIN_EYE_PX, uniformity, uniformity >= MIN_UNIFORMITY)
