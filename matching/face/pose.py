"""Head pose (yaw, pitch, roll in degrees) from 68 landmarks and a generic 3-D face.

The pose is read against the line of sight from the camera to the face, not against the
camera's optical axis. A person who looks straight at the lens from the top of the frame is
facing the camera, yet their head is turned by the angle between that line and the axis (22°
for a face 100 px off centre at a 250-px focal length); read against the axis, the same face
reads "chin down" high in the frame and "chin up" low in it, and cropping a photo changes its
pose. The line of sight needs the camera's intrinsics: the calibration profile's camera matrix
where the camera has one, else ``default_camera``.
"""

from __future__ import annotations

import cv2
import numpy as np

from .parameters import DEFAULT_FOCAL_PER_SIDE

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
_MODEL_CAMERA = _MODEL * np.array([1, -1, -1])  # in the camera's frame: y down, z away


def default_camera(image_size: tuple[int, int]) -> np.ndarray:
    """Camera matrix of an uncalibrated camera: principal point at the image centre, square
    pixels, focal length ``DEFAULT_FOCAL_PER_SIDE`` times the longer side (see parameters)."""
    h, w = image_size
    focal = DEFAULT_FOCAL_PER_SIDE * float(max(h, w))
    return np.array([[focal, 0, w / 2], [0, focal, h / 2], [0, 0, 1]], dtype=np.float64)


def intrinsics_for(image_size: tuple[int, int], camera_matrix: np.ndarray | None,
                   calibrated_size: tuple[int, int]) -> np.ndarray | None:
    """A calibration's camera matrix for a frame of ``image_size`` (height, width), or None.

    ``calibrated_size`` is (width, height), as calibration profiles store it. A camera that
    streams at another resolution of the same aspect ratio scales its matrix with it; a frame of
    another shape is cropped in an unknown way, so the calibration says nothing about it.
    """
    if camera_matrix is None:
        return None
    h, w = image_size
    cw, ch = calibrated_size
    if abs(w * ch - h * cw) > max(w, cw):  # not the same aspect ratio (to a pixel)
        return None
    scale = np.diag([w / cw, h / ch, 1.0])
    return scale @ np.asarray(camera_matrix, np.float64)


def _towards(direction: np.ndarray) -> np.ndarray:
    """The smallest rotation that turns the optical axis (0, 0, 1) onto ``direction``."""
    d = direction / np.linalg.norm(direction)
    axis = np.cross((0.0, 0.0, 1.0), d)
    sin = float(np.linalg.norm(axis))
    if sin < 1e-12:
        return np.eye(3)
    angle = float(np.arctan2(sin, d[2]))
    rot, _ = cv2.Rodrigues(axis / sin * angle)
    return rot


def head_pose(landmarks: np.ndarray, image_size: tuple[int, int],
              camera_matrix: np.ndarray | None = None) -> tuple[float, float, float]:
    """(yaw, pitch, roll) against the line of sight: yaw > 0 when the head turns to the image's
    right, pitch > 0 chin up. ``image_size`` is (height, width); ``camera_matrix`` the
    calibrated intrinsics of the frame (undistorted), else ``default_camera(image_size)``."""
    camera = default_camera(image_size) if camera_matrix is None else np.asarray(camera_matrix, np.float64)
    points = landmarks[_INDEX].astype(np.float64)
    ok, rvec, _ = cv2.solvePnP(_MODEL_CAMERA, points, camera, None, flags=cv2.SOLVEPNP_ITERATIVE)
    if not ok:
        return 0.0, 0.0, 0.0
    rot, _ = cv2.Rodrigues(rvec)
    # the line of sight is the ray through the nose tip's image (where the fitted model's own
    # origin projects, but never behind the camera when landmarks fit no real face); a head
    # facing the camera faces back along it
    sight = np.linalg.solve(camera, np.array([*points[0], 1.0]))
    rot = _towards(sight).T @ rot
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
