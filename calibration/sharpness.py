"""Sharpness: a focus measure for live adjustment, and slanted-edge MTF50 (ISO 12233 style).

The slanted-edge method: in a region holding one straight edge tilted a few degrees off
vertical, every pixel's distance to the fitted edge line gives a 4× oversampled edge
spread function; its derivative (Hamming-windowed) is the line spread function, whose
Fourier magnitude is the MTF. MTF50 — the spatial frequency where contrast falls to half —
is the figure camera makers and ISO 12233 quote, in cycles per pixel.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .errors import CalibrationError

OVERSAMPLE = 4


def focus_measure(gray: np.ndarray) -> float:
    """Variance of the Laplacian over the mean brightness squared: higher is sharper, scale-free in exposure."""
    g = gray.astype(np.float64)
    lap = cv2.Laplacian(g, cv2.CV_64F, ksize=3)
    return float(lap.var() / max(g.mean(), 1.0) ** 2 * 1e4)


@dataclass(frozen=True)
class MtfResult:
    mtf50: float  # cycles per pixel
    frequencies: np.ndarray
    mtf: np.ndarray
    edge_angle_deg: float


def _edge_line(roi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sub-pixel edge position per row (centroid of the row's derivative) and a line fitted through them."""
    d = np.abs(np.diff(cv2.GaussianBlur(roi, (0, 0), 1.0), axis=1))
    cols = np.arange(d.shape[1]) + 0.5
    peaks = d.argmax(axis=1)
    # centroid within a window around each row's peak: noise elsewhere in the row must not pull it
    window = np.abs(np.arange(d.shape[1])[None, :] - peaks[:, None]) <= 6
    weight = (d * window).sum(axis=1)
    if np.any(weight < 1e-6) or d.max() < 10:
        raise CalibrationError("calibration.no_edge")
    centres = (d * window * cols).sum(axis=1) / weight
    rows = np.arange(roi.shape[0])
    fit = np.polyfit(rows, centres, 1)
    return rows, fit


def slanted_edge_mtf(gray: np.ndarray) -> MtfResult:
    """MTF from a region holding one near-vertical dark/light edge (tilted 2–10°)."""
    roi = gray.astype(np.float64)
    if roi.ndim != 2 or min(roi.shape) < 20:
        raise CalibrationError("calibration.no_edge")
    rows, fit = _edge_line(roi)
    angle = float(np.degrees(np.arctan(fit[0])))
    if not 1.0 <= abs(angle) <= 20.0:
        raise CalibrationError("calibration.edge_angle", angle=round(angle, 1))
    # distance of every pixel from the edge, measured across the edge
    yy, xx = np.mgrid[0 : roi.shape[0], 0 : roi.shape[1]]
    dist = (xx + 0.5 - (fit[0] * yy + fit[1])) * np.cos(np.arctan(fit[0]))
    bins = np.round(dist * OVERSAMPLE).astype(int)
    bins -= bins.min()
    counts = np.bincount(bins.ravel())
    sums = np.bincount(bins.ravel(), roi.ravel())
    valid = counts > 0
    esf = np.interp(np.arange(len(counts)), np.flatnonzero(valid), sums[valid] / counts[valid])
    lsf = np.gradient(esf)
    lsf *= np.hamming(len(lsf))
    spectrum = np.abs(np.fft.rfft(lsf))
    mtf = spectrum / spectrum[0]
    freqs = np.fft.rfftfreq(len(lsf), d=1.0 / OVERSAMPLE)  # cycles per pixel
    below = np.flatnonzero(mtf < 0.5)
    if not len(below) or below[0] == 0:
        raise CalibrationError("calibration.no_edge")
    i = below[0]
    f50 = freqs[i - 1] + (0.5 - mtf[i - 1]) * (freqs[i] - freqs[i - 1]) / (mtf[i] - mtf[i - 1])
    keep = freqs <= 1.0
    return MtfResult(float(f50), freqs[keep], mtf[keep], angle)


def gaussian_mtf50(sigma_px: float) -> float:
    """MTF50 of a Gaussian blur of ``sigma_px`` seen through square pixels: exp(-2π²σ²f²)·sinc(f) = 1/2."""
    f = np.linspace(0.001, 1.0, 100_000)
    mtf = np.exp(-2 * np.pi**2 * sigma_px**2 * f**2) * np.sinc(f)
    return float(f[np.argmax(mtf < 0.5)])


def slanted_edge_image(angle_deg: float = 5.0, sigma_px: float = 1.0, size: int = 128, supersample: int = 8,
                       noise: float = 0.5, seed: int = 0) -> np.ndarray:
    """An ideal edge rendered with a Gaussian blur: the synthetic target for tests and the tool's demo."""
    s = supersample
    yy, xx = np.mgrid[0 : size * s, 0 : size * s] / s
    edge = np.tan(np.radians(angle_deg)) * (yy - size / 2) + size / 2
    img = np.where(xx < edge, 40.0, 210.0)
    img = cv2.resize(img, (size, size), interpolation=cv2.INTER_AREA)
    img = cv2.GaussianBlur(img, (0, 0), sigma_px)
    img += np.random.default_rng(seed).normal(0, noise, img.shape)
    return np.clip(img, 0, 255)
