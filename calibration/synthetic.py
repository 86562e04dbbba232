"""Calibration targets rendered through a known camera, so a procedure can be checked against the truth.

A checkerboard view is rendered by inverse mapping: every (supersampled) pixel of the
distorted image is undistorted once per camera, its ray is intersected with the board
plane for each pose, and the square it lands on decides its grey. The same camera model
distorts any other image (a face photo) for the end-to-end check that a profile undoes it.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class TrueCamera:
    matrix: np.ndarray  # 3×3
    dist: np.ndarray  # OpenCV order k1 k2 p1 p2 k3
    size: tuple[int, int]  # width, height

    def rays(self, supersample: int = 2) -> np.ndarray:
        """Normalised undistorted coordinates of every supersampled pixel centre, (h*s, w*s, 2)."""
        w, h = self.size
        s = supersample
        xs = (np.arange(w * s) + 0.5) / s - 0.5
        ys = (np.arange(h * s) + 0.5) / s - 0.5
        grid = np.stack(np.meshgrid(xs, ys), -1).reshape(-1, 1, 2).astype(np.float64)
        criteria = (cv2.TERM_CRITERIA_COUNT | cv2.TERM_CRITERIA_EPS, 50, 1e-10)
        und = cv2.undistortPoints(grid, self.matrix, self.dist, None, None, None, criteria)
        return und.reshape(h * s, w * s, 2)


def webcam(width: int = 1280, height: int = 720) -> TrueCamera:
    """A 1280×720 counter webcam with the barrel distortion of a wide, cheap lens."""
    k = np.array([[1000.0, 0, 652.0], [0, 1000.0, 351.0], [0, 0, 1]])
    return TrueCamera(k, np.array([-0.32, 0.14, 0.0012, -0.0009, -0.03]), (width, height))


def board_points(cols: int, rows: int, square: float) -> np.ndarray:
    """Inner-corner positions on the board plane (z = 0), row by row, in millimetres."""
    grid = np.mgrid[0:cols, 0:rows].T.reshape(-1, 2).astype(np.float64) * square
    return np.column_stack([grid, np.zeros(len(grid))])


def render_board(camera: TrueCamera, rays: np.ndarray, rvec: np.ndarray, tvec: np.ndarray, cols: int, rows: int,
                 square: float, supersample: int = 2, noise: float = 2.0, seed: int = 0) -> np.ndarray:
    """A grey view of a (cols+1)×(rows+1)-square board with a white margin, on a mid-grey wall."""
    r, _ = cv2.Rodrigues(rvec)
    d = np.concatenate([rays, np.ones(rays.shape[:2] + (1,))], axis=-1)
    n = r[:, 2]
    s = float(n @ tvec) / np.maximum(d @ n, 1e-9)
    pts = d * s[..., None] - tvec
    board = pts @ r  # R^T (X - t), row vectors
    u, v = board[..., 0] / square + 1, board[..., 1] / square + 1  # the first inner corner at (1, 1)
    inside = (u >= -0.6) & (u <= cols + 1.6) & (v >= -0.6) & (v <= rows + 1.6) & (s > 0)
    squares = (u >= 0) & (u < cols + 1) & (v >= 0) & (v < rows + 1)
    dark = ((np.floor(u) + np.floor(v)) % 2 == 0) & squares
    img = np.where(inside, np.where(dark, 30.0, 225.0), 120.0)
    w, h = camera.size
    img = cv2.resize(img.astype(np.float32), (w, h), interpolation=cv2.INTER_AREA)
    img += np.random.default_rng(seed).normal(0, noise, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def random_poses(camera: TrueCamera, cols: int, rows: int, square: float, count: int, seed: int = 0,
                 margin: float = 15.0) -> list[tuple[np.ndarray, np.ndarray]]:
    """Poses that keep the whole board in view, spread over the image and tilted up to ~40°."""
    rng = np.random.default_rng(seed)
    obj = board_points(cols, rows, square)
    centre = obj.mean(axis=0)
    w, h = camera.size
    poses = []
    while len(poses) < count:
        tilt = rng.uniform(-0.7, 0.7, 3) * np.array([1, 1, 0.5])
        r, _ = cv2.Rodrigues(tilt)
        z = rng.uniform(350, 750)
        target = np.array([rng.uniform(0.1, 0.9) * w, rng.uniform(0.1, 0.9) * h])
        ray = np.linalg.solve(camera.matrix, np.array([target[0], target[1], 1.0]))
        t = ray * z - r @ centre
        rvec = cv2.Rodrigues(r)[0].ravel()
        proj, _ = cv2.projectPoints(obj, rvec, t, camera.matrix, camera.dist)
        p = proj.reshape(-1, 2)
        if (p[:, 0].min() > margin + square and p[:, 1].min() > margin + square and p[:, 0].max() < w - margin - square
                and p[:, 1].max() < h - margin - square):
            poses.append((rvec, t))
    return poses


def distort_image(image: np.ndarray, camera: TrueCamera) -> np.ndarray:
    """What ``camera`` would record of an ideal pinhole ``image`` (same size and camera matrix)."""
    rays = camera.rays(supersample=1)
    k = camera.matrix
    map_x = (rays[..., 0] * k[0, 0] + k[0, 2]).astype(np.float32)
    map_y = (rays[..., 1] * k[1, 1] + k[1, 2]).astype(np.float32)
    return cv2.remap(image, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
