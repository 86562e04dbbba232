"""The ISO/IEC 19794-5 full-frontal image: eyes level, head 70–80 % of the height, fixed eye line.

Geometry (ICAO 9303 passport photo, 35×45 mm, kept at 7:9): the head from chin to
crown is 75 % of the image height, the crown 10 % below the top edge, and the eyes
half-way between crown and chin, so the eye line sits at 47.5 % of the height. The
crown is not a landmark; the head's height is taken as twice the eye-to-chin
distance, which holds for adult faces to within a few per cent.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .icao import eye_centres

WIDTH, HEIGHT = 420, 540
HEAD_FRACTION = 0.75
CROWN_MARGIN = 0.10


@dataclass(frozen=True)
class IsoCrop:
    image: np.ndarray  # RGB, HEIGHT × WIDTH
    transform: np.ndarray  # 2×3, source pixels to crop pixels
    eye_distance: float  # in the crop
    outside: float  # share of the crop that lies outside the source frame (filled white)

    def project(self, points: np.ndarray) -> np.ndarray:
        return points @ self.transform[:, :2].T + self.transform[:, 2]


def iso_crop(rgb: np.ndarray, landmarks: np.ndarray, width: int = WIDTH, height: int = HEIGHT) -> IsoCrop:
    left, right = eye_centres(landmarks)
    angle = np.arctan2(right[1] - left[1], right[0] - left[0])
    mid = (left + right) / 2
    chin = landmarks[8]
    # eye-to-chin distance measured perpendicular to the eye line
    normal = np.array([-np.sin(angle), np.cos(angle)])
    eye_to_chin = float((chin - mid) @ normal)
    scale = (HEAD_FRACTION * height / 2) / max(eye_to_chin, 1.0)
    eye_line = (CROWN_MARGIN + HEAD_FRACTION / 2) * height
    cos, sin = np.cos(-angle) * scale, np.sin(-angle) * scale
    m = np.array([[cos, -sin, 0.0], [sin, cos, 0.0]])
    m[:, 2] = np.array([width / 2, eye_line]) - m[:, :2] @ mid
    crop = cv2.warpAffine(rgb, m, (width, height), flags=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=(255, 255, 255))
    inside = cv2.warpAffine(np.ones(rgb.shape[:2], np.uint8), m, (width, height),
                            flags=cv2.INTER_NEAREST, borderValue=0)
    return IsoCrop(crop, m, float(np.linalg.norm(right - left) * scale), float(1 - inside.mean()))


def jpeg(crop: IsoCrop, quality: int = 92) -> bytes:
    ok, data = cv2.imencode(".jpg", cv2.cvtColor(crop.image, cv2.COLOR_RGB2BGR),
                            [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("JPEG encoding failed")
    return data.tobytes()
