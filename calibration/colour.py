"""Exposure and colour: white balance and a colour-correction matrix from a 24-patch ColorChecker.

OpenCV's ``mcc`` detector finds the chart and measures each patch; its ``ccm`` model fits
a 3×3 matrix in linear RGB (sRGB gamma linearisation, initialised by white balance) that
brings the measured patches to the chart's reference colours. The error is reported as
the CIEDE2000 colour difference before and after, patch by patch, the way colour
scientists judge it (ΔE00 ≈ 1 is a just-noticeable difference; skin tones in a passport
photo should stay well under 3).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .errors import CalibrationError

PATCHES = 24


def srgb_to_linear(v: np.ndarray) -> np.ndarray:
    v = np.clip(v, 0.0, 1.0)
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(v: np.ndarray) -> np.ndarray:
    v = np.clip(v, 0.0, 1.0)
    return np.where(v <= 0.0031308, 12.92 * v, 1.055 * v ** (1 / 2.4) - 0.055)


def srgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """CIELAB (D65) of sRGB values in [0, 1], shape (..., 3)."""
    flat = np.asarray(rgb, np.float32).reshape(-1, 1, 3)
    return cv2.cvtColor(np.clip(flat, 0, 1), cv2.COLOR_RGB2Lab).reshape(np.shape(rgb)).astype(np.float64)


def ciede2000(lab1: np.ndarray, lab2: np.ndarray) -> np.ndarray:
    """CIEDE2000 colour difference (Sharma, Wu & Dalal 2005), vectorised over (..., 3)."""
    L1, a1, b1 = np.moveaxis(np.asarray(lab1, float), -1, 0)
    L2, a2, b2 = np.moveaxis(np.asarray(lab2, float), -1, 0)
    c_bar = (np.hypot(a1, b1) + np.hypot(a2, b2)) / 2
    g = 0.5 * (1 - np.sqrt(c_bar**7 / (c_bar**7 + 25.0**7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = np.hypot(a1p, b1), np.hypot(a2p, b2)
    h1p = np.degrees(np.arctan2(b1, a1p)) % 360
    h2p = np.degrees(np.arctan2(b2, a2p)) % 360
    dL, dC = L2 - L1, c2p - c1p
    dh = h2p - h1p
    dh = np.where(dh > 180, dh - 360, np.where(dh < -180, dh + 360, dh))
    dh = np.where(c1p * c2p == 0, 0, dh)
    dH = 2 * np.sqrt(c1p * c2p) * np.sin(np.radians(dh / 2))
    L_bar, C_bar = (L1 + L2) / 2, (c1p + c2p) / 2
    h_sum = h1p + h2p
    h_bar = np.where(np.abs(h1p - h2p) > 180, np.where(h_sum < 360, h_sum + 360, h_sum - 360), h_sum) / 2
    h_bar = np.where(c1p * c2p == 0, h_sum, h_bar)
    t = (1 - 0.17 * np.cos(np.radians(h_bar - 30)) + 0.24 * np.cos(np.radians(2 * h_bar))
         + 0.32 * np.cos(np.radians(3 * h_bar + 6)) - 0.20 * np.cos(np.radians(4 * h_bar - 63)))
    d_theta = 30 * np.exp(-(((h_bar - 275) / 25) ** 2))
    r_c = 2 * np.sqrt(C_bar**7 / (C_bar**7 + 25.0**7))
    s_l = 1 + 0.015 * (L_bar - 50) ** 2 / np.sqrt(20 + (L_bar - 50) ** 2)
    s_c = 1 + 0.045 * C_bar
    s_h = 1 + 0.015 * C_bar * t
    r_t = -np.sin(np.radians(2 * d_theta)) * r_c
    return np.sqrt((dL / s_l) ** 2 + (dC / s_c) ** 2 + (dH / s_h) ** 2 + r_t * (dC / s_c) * (dH / s_h))


def reference_srgb() -> np.ndarray:
    """The 24 reference colours OpenCV's ccm model targets, as sRGB in [0, 1] (cyan clips)."""
    model = cv2.ccm.ColorCorrectionModel(np.full((PATCHES, 1, 3), 0.5), cv2.ccm.COLORCHECKER_MACBETH)
    _configure(model)
    model.compute()
    return linear_to_srgb(model.getRefLinearRGB().reshape(PATCHES, 3))


def _configure(model) -> None:
    model.setColorSpace(cv2.ccm.COLOR_SPACE_SRGB)
    model.setCcmType(cv2.ccm.CCM_LINEAR)
    model.setLinearization(cv2.ccm.LINEARIZATION_GAMMA)
    model.setLinearizationGamma(2.2)
    model.setInitialMethod(cv2.ccm.INITIAL_METHOD_WHITE_BALANCE)


def correct_colour(bgr: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """A BGR uint8 frame through a colour matrix on linear RGB (the capture pipeline, every frame)."""
    rgb = srgb_to_linear(bgr[..., ::-1].astype(np.float32) / 255.0)
    out = linear_to_srgb(rgb.reshape(-1, 3) @ np.asarray(matrix, np.float32)).reshape(rgb.shape)
    return np.ascontiguousarray((out[..., ::-1] * 255 + 0.5).astype(np.uint8))


def measure_chart(bgr: np.ndarray) -> np.ndarray:
    """Mean sRGB (0–1) of the 24 patches, in chart order; ``CalibrationError`` when no chart is seen."""
    detector = cv2.mcc.CCheckerDetector_create()
    detector.setColorChartType(cv2.mcc.MCC24)
    if not detector.process(bgr, 1):
        raise CalibrationError("calibration.no_colour_chart")
    stats = detector.getBestColorChecker().getChartsRGB()  # rows: patch × channel; column 1 = mean
    return stats[:, 1].reshape(PATCHES, 3) / 255.0


@dataclass(frozen=True)
class ColourCorrection:
    matrix: np.ndarray  # 3×3, applied to linear RGB row vectors (rgb_linear @ matrix)
    measured: np.ndarray  # the 24 patches as the camera saw them, sRGB 0–1
    white_balance: np.ndarray  # per-channel gains the chart's neutral patches ask for
    delta_e_before: np.ndarray  # CIEDE2000 per patch
    delta_e_after: np.ndarray

    def apply(self, bgr: np.ndarray) -> np.ndarray:
        return correct_colour(bgr, self.matrix)

    def as_json(self) -> dict:
        return {"ccm": np.round(self.matrix, 6).tolist(), "white_balance": np.round(self.white_balance, 4).tolist(),
                "delta_e00_before_mean": round(float(self.delta_e_before.mean()), 3),
                "delta_e00_after_mean": round(float(self.delta_e_after.mean()), 3),
                "delta_e00_after_max": round(float(self.delta_e_after.max()), 3)}


def fit_colour(bgr: np.ndarray) -> ColourCorrection:
    """Find the chart in a frame and fit the colour correction to it."""
    measured = measure_chart(bgr)
    model = cv2.ccm.ColorCorrectionModel(measured.reshape(PATCHES, 1, 3).astype(np.float64),
                                         cv2.ccm.COLORCHECKER_MACBETH)
    _configure(model)
    model.compute()
    ccm = np.asarray(model.getColorCorrectionMatrix(), float)
    matrix = _linear_matrix(ccm, measured)
    reference = reference_srgb()
    corrected = linear_to_srgb(srgb_to_linear(measured) @ matrix)
    neutrals = srgb_to_linear(measured[18:24]).mean(axis=0)
    gains = neutrals.mean() / np.maximum(neutrals, 1e-6)
    return ColourCorrection(matrix, measured, gains, ciede2000(srgb_to_lab(measured), srgb_to_lab(reference)),
                            ciede2000(srgb_to_lab(corrected), srgb_to_lab(reference)))


def _linear_matrix(ccm: np.ndarray, measured: np.ndarray) -> np.ndarray:
    """The model's matrix as one for sRGB-linearised input (it linearised with gamma 2.2)."""
    # refit in our linearisation: the least-squares matrix taking our linear RGB to the model's output
    src = np.clip(measured, 0, 1) ** 2.2 @ ccm  # what the model produces, linear
    ours = srgb_to_linear(measured)
    matrix, *_ = np.linalg.lstsq(ours, src, rcond=None)
    return matrix
