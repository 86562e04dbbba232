"""Head pose (yaw, pitch, roll in degrees) from 68 landmarks and a generic 3-D face."""

from __future__ import annotations

import cv2
import numpy as np

# a generic adult face, millimetres, nose tip at the origin (x right, y up, z towards camera)
_MODEL = np.array([
    (0.0, 0.0, 0.0),  # nose tip (30)
    (0.0, -63.6, -12.5),  # chin (8)
    (-43.3, 32.7, -26.0),  # left corner of the subject's right eye (36)
    (43.3, 32.7, -26.0),  # right corner of the subject's left eye (45)
    (-28.9, -28.9, -24.1),  # mouth right corner (48)
    (28.9, -28.9, -24.1),  # mouth left corner (54)
], dtype=np.float64)
_INDEX = [30, 8, 36, 45, 48, 54]


def head_pose(landmarks: np.ndarray, image_size: tuple[int, int]) -> tuple[float, float, float]:
    """(yaw, pitch, roll): yaw > 0 when the head turns to the image's right, pitch > 0 chin up."""
    h, w = image_size
    focal = float(max(h, w))
    camera = np.array([[focal, 0, w / 2], [0, focal, h / 2], [0, 0, 1]], dtype=np.float64)
    points = landmarks[_INDEX].astype(np.float64)
    model = _MODEL * np.array([1, -1, -1])  # to the camera frame: y down, z away
    ok, rvec, _ = cv2.solvePnP(model, points, camera, None, flags=cv2.SOLVEPNP_ITERATIVE)
    if not ok:
        return 0.0, 0.0, 0.0
    rot, _ = cv2.Rodrigues(rvec)
    sy = np.hypot(rot[0, 0], rot[1, 0])
    pitch = np.degrees(np.arctan2(rot[2, 1], rot[2, 2]))
    yaw = np.degrees(np.arctan2(-rot[2, 0], sy))
    # roll straight from the eye line, which is what a person sees as a tilted head
    left, right = landmarks[36:42].mean(axis=0), landmarks[42:48].mean(axis=0)
    roll = np.degrees(np.arctan2(right[1] - left[1], right[0] - left[0]))
    pitch = (pitch + 180) % 360 - 180
    if pitch > 90:
        pitch -= 180
    elif pitch < -90:
        pitch += 180
    return float(-yaw), float(-pitch), float(roll)


def eye_aspect_ratio(landmarks: np.ndarray) -> float:
    """Mean eye opening (Soukupová & Čech): about 0.3 open, below 0.2 closed."""

    def ear(eye: np.ndarray) -> float:
        return float((np.linalg.norm(eye[1] - eye[5]) + np.linalg.norm(eye[2] - eye[4]))
                     / (2 * np.linalg.norm(eye[0] - eye[3]) + 1e-9))

    return (ear(landmarks[36:42]) + ear(landmarks[42:48])) / 2


def mouth_aspect_ratio(landmarks: np.ndarray) -> float:
    """Inner-lip opening over mouth width: near 0 closed, above about 0.15 open."""
    inner = landmarks[60:68]
    opening = np.linalg.norm(inner[2] - inner[6]) + np.linalg.norm(inner[1] - inner[7]) \
        + np.linalg.norm(inner[3] - inner[5])
    return float(opening / 3 / (np.linalg.norm(landmarks[48] - landmarks[54]) + 1e-9))
