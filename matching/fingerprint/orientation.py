"""The ridge orientation field and its coherence, from smoothed gradient tensors."""

from __future__ import annotations

import cv2
import numpy as np

from .parameters import GRADIENT_PRESMOOTH, ORIENTATION_WINDOW


def _structure_tensor(img: np.ndarray, sigma: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The smoothed gradient products gxx, gyy, gxy."""
    f = cv2.GaussianBlur(img.astype(np.float32), (0, 0), GRADIENT_PRESMOOTH)
    gx = cv2.Sobel(f, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(f, cv2.CV_32F, 0, 1, ksize=3)
    gxx = cv2.GaussianBlur(gx * gx, (0, 0), sigma)
    gyy = cv2.GaussianBlur(gy * gy, (0, 0), sigma)
    gxy = cv2.GaussianBlur(gx * gy, (0, 0), sigma)
    return gxx, gyy, gxy


def _coherence(gxx: np.ndarray, gyy: np.ndarray, gxy: np.ndarray) -> np.ndarray:
    coherence = np.sqrt((gxx - gyy) ** 2 + 4 * gxy**2) / (gxx + gyy + 1e-6)
    return np.clip(coherence, 0, 1).astype(np.float32)


def orientation_field(img: np.ndarray, sigma: float = ORIENTATION_WINDOW) -> tuple[np.ndarray, np.ndarray]:
    """Ridge orientation in [0, pi) (image coordinates, y down) and coherence in [0, 1].

    The doubled-angle average of gradients (Kass & Witkin) is smoothed over about
    two ridge periods: enough to bridge scars and pores, little enough to keep the
    turn of the ridges near a core.
    """
    gxx, gyy, gxy = _structure_tensor(img, sigma)
    # the gradient runs across the ridges; the ridge orientation is perpendicular to it
    theta = 0.5 * np.arctan2(2 * gxy, gxx - gyy) + np.pi / 2
    return np.mod(theta, np.pi).astype(np.float32), _coherence(gxx, gyy, gxy)


def coherence_field(img: np.ndarray, sigma: float = ORIENTATION_WINDOW) -> np.ndarray:
    """The coherence of ``orientation_field`` alone, for callers that need no angle: the
    arctangent over the whole image is a quarter of the field's cost."""
    return _coherence(*_structure_tensor(img, sigma))


def smooth_orientation(theta: np.ndarray, sigma: float) -> np.ndarray:
    c = cv2.GaussianBlur(np.cos(2 * theta), (0, 0), sigma)
    s = cv2.GaussianBlur(np.sin(2 * theta), (0, 0), sigma)
    return np.mod(0.5 * np.arctan2(s, c), np.pi).astype(np.float32)
