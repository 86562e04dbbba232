"""ICAO 9303 / ISO/IEC 19794-5 photo checks, each with its value, limit and an instruction.

Every check says what it measured, the limit, whether it passed and, when not, the
catalog id of a short instruction the applicant can follow ("Raise your chin
slightly"). The flow shows the first failing instruction as guidance and captures
automatically once all pass.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .detection import FaceBox
from .parameters import CLIPPED_BRIGHT, CLIPPED_DARK, ICAO_LIMITS, SHARPNESS_EYE_DISTANCE, IcaoLimits
from .pose import eye_aspect_ratio, head_pose, mouth_aspect_ratio


@dataclass(frozen=True)
class Check:
    name: str  # catalog id of the check's label, e.g. "icao.eye_distance"
    value: float
    limit: str
    passed: bool
    instruction: str | None  # catalog id of what to do, None when passed

    @property
    def label(self) -> str:
        return f"icao.{self.name}"


def _check(name: str, value: float, limit: str, passed: bool, instruction: str) -> Check:
    return Check(name, float(value), limit, bool(passed), None if passed else f"icao.do.{instruction}")


def _face_region(gray: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    mask = np.zeros(gray.shape, np.uint8)
    hull = cv2.convexHull(landmarks[list(range(0, 17)) + list(range(17, 27))].astype(np.int32))
    cv2.fillConvexPoly(mask, hull, 1)
    return mask.astype(bool)


def eye_centres(landmarks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(image-left eye, image-right eye) centres."""
    return landmarks[36:42].mean(axis=0), landmarks[42:48].mean(axis=0)


def check_photo(rgb: np.ndarray, faces: list[FaceBox], landmarks: np.ndarray | None,
                limits: IcaoLimits = ICAO_LIMITS, camera_matrix: np.ndarray | None = None) -> list[Check]:
    """All checks for one frame; ``landmarks`` belong to ``faces[0]``.

    ``camera_matrix`` is the calibrated camera's (the frame undistorted by its profile): the head
    pose is read against the line of sight to the face, which needs the camera's intrinsics;
    without one, ``pose.default_camera`` stands in.
    """
    checks = [_check("one_face", len(faces), "= 1", len(faces) == 1,
                     "no_face" if not faces else "one_person")]
    if not faces or landmarks is None:
        return checks
    h, w = rgb.shape[:2]
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    left, right = eye_centres(landmarks)
    eye_distance = float(np.linalg.norm(right - left))
    checks.append(_check("eye_distance", eye_distance, f"≥ {limits.min_eye_distance_px:.0f} px",
                         eye_distance >= limits.min_eye_distance_px, "move_closer"))
    # expression before pose: an open smile moves the chin and mouth corners the pose model stands on
    # (it reads "chin down"), so the applicant hears "close the mouth" before any pose instruction
    ear = eye_aspect_ratio(landmarks)
    checks.append(_check("eyes_open", ear, f"≥ {limits.min_eye_opening:.2f}",
                         ear >= limits.min_eye_opening, "open_eyes"))
    mar = mouth_aspect_ratio(landmarks)
    checks.append(_check("mouth_closed", mar, f"≤ {limits.max_mouth_opening:.2f}",
                         mar <= limits.max_mouth_opening, "close_mouth"))
    yaw, pitch, roll = head_pose(landmarks, (h, w), camera_matrix)
    checks.append(_check("yaw", yaw, f"± {limits.max_yaw_deg:.0f}°", abs(yaw) <= limits.max_yaw_deg,
                         # yaw > 0: turned towards the image's right, the applicant's own left
                         "turn_right" if yaw > 0 else "turn_left"))
    checks.append(_check("pitch", pitch, f"± {limits.max_pitch_deg:.0f}°",
                         abs(pitch) <= limits.max_pitch_deg, "lower_chin" if pitch > 0 else "raise_chin"))
    checks.append(_check("roll", roll, f"± {limits.max_roll_deg:.0f}°", abs(roll) <= limits.max_roll_deg,
                         "straighten_head"))
    centre = (left + right) / 2
    dx = (centre[0] - w / 2) / w
    # dx < 0: on the image's left, which is the applicant's own right
    checks.append(_check("centred", abs(dx), f"≤ {limits.max_centre_offset:.0%}",
                         abs(dx) <= limits.max_centre_offset, "move_left" if dx < 0 else "move_right"))
    face = _face_region(gray, landmarks)
    sharp = sharpness(gray, landmarks, eye_distance)
    checks.append(_check("sharpness", sharp, f"≥ {limits.min_sharpness:.0f}",
                         sharp >= limits.min_sharpness, "hold_still"))
    pixels = gray[face]
    mean = float(pixels.mean()) if pixels.size else 0.0
    lo, hi = limits.exposure_range
    checks.append(_check("exposure", mean, f"{lo:.0f}–{hi:.0f}", lo <= mean <= hi,
                         "more_light" if mean < lo else "less_light"))
    clipped = float(((pixels <= CLIPPED_DARK) | (pixels >= CLIPPED_BRIGHT)).mean()) if pixels.size else 1.0
    checks.append(_check("clipping", clipped, f"≤ {limits.max_clipped:.0%}",
                         clipped <= limits.max_clipped, "less_light" if mean > 127 else "more_light"))
    nose_x = landmarks[27:31, 0].mean()
    cols = np.arange(w)[None, :].repeat(h, axis=0)
    left_half = pixels_of(gray, face & (cols < nose_x))
    right_half = pixels_of(gray, face & (cols >= nose_x))
    ratio = min(left_half, right_half) / max(left_half, right_half, 1e-6)
    checks.append(_check("illumination", ratio, f"≥ {limits.min_illumination_ratio:.2f}",
                         ratio >= limits.min_illumination_ratio, "even_light"))
    background = _background_band(gray, landmarks)
    spread = float(background.std()) if background.size else 0.0
    checks.append(_check("background", spread, f"≤ {limits.max_background_std:.0f}",
                         spread <= limits.max_background_std, "plain_background"))
    return checks


def sharpness(gray: np.ndarray, landmarks: np.ndarray, eye_distance: float,
              scale_to: float = SHARPNESS_EYE_DISTANCE) -> float:
    """Laplacian energy over contrast of the face, at most 50 px between the eyes.

    Dividing by the face's own variance makes the measure independent of lighting and
    skin tone; shrinking (never enlarging) to a common eye distance makes a near face
    and a far one comparable, and an upscaled, soft image does not pass for sharp.
    """
    x0, y0 = np.maximum(landmarks.min(axis=0).astype(int), 0)
    x1, y1 = landmarks.max(axis=0).astype(int)
    patch = gray[y0:y1, x0:x1].astype(np.float32)
    if patch.size < 16:
        return 0.0
    factor = min(1.0, scale_to / max(eye_distance, 1.0))
    if factor < 1.0:
        patch = cv2.resize(patch, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
    return float(cv2.Laplacian(patch, cv2.CV_32F).var() / (patch.var() + 1e-6) * 100)


def pixels_of(gray: np.ndarray, mask: np.ndarray) -> float:
    values = gray[mask]
    return float(values.mean()) if values.size else 0.0


def _background_band(gray: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """Pixels beside and above the head, away from hair and shoulders."""
    h, w = gray.shape
    left, right = eye_centres(landmarks)
    ed = float(np.linalg.norm(right - left))
    cx, eye_y = (left + right) / 2
    head_half = 1.6 * ed
    top = int(max(0, eye_y - 2.2 * ed))
    bottom = int(min(h, eye_y + 0.5 * ed))
    parts = []
    for x0, x1 in ((0, cx - head_half - 0.3 * ed), (cx + head_half + 0.3 * ed, w)):
        x0, x1 = int(max(0, x0)), int(min(w, x1))
        if x1 - x0 > 4 and bottom - top > 4:
            parts.append(gray[top:bottom, x0:x1].reshape(-1))
    return np.concatenate(parts) if parts else np.zeros(0)


def all_passed(checks: list[Check]) -> bool:
    return all(c.passed for c in checks)


def first_instruction(checks: list[Check]) -> str | None:
    """The one instruction to show now: the first failing check's, in the order above."""
    return next((c.instruction for c in checks if not c.passed), None)
