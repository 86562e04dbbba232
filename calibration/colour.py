"""Exposure and colour: white balance and a colour-correction matrix from a 24-patch ColorChecker.

OpenCV's ``mcc`` detector finds the chart and measures each patch; its ``ccm`` model fits
a 3×3 matrix in linear RGB (sRGB gamma linearisation, initialised by white balance) that
brings the measured patches to the chart's reference colours. The error is reported as
the CIEDE2000 colour difference before and after, patch by patch, the way colour
scientists judge it (ΔE00 ≈ 1 is a just-noticeable difference; skin tones in a passport
photo should stay well under 3), computed by colour-science rather than by hand.
"""

from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass

import cv2
import numpy as np

from .errors import CalibrationError

PATCHES = 24


def srgb_to_linear(v: np.ndarray) -> np.ndarray:
    """The sRGB decoding (IEC 61966-2-1), equal to colour-science's ``eotf_sRGB``; kept here because
    the capture pipeline runs it on every frame in float32, which colour-science would widen to float64."""
    v = np.clip(v, 0.0, 1.0)
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(v: np.ndarray) -> np.ndarray:
    v = np.clip(v, 0.0, 1.0)
    return np.where(v <= 0.0031308, 12.92 * v, 1.055 * v ** (1 / 2.4) - 0.055)


def srgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """CIELAB (D65) of sRGB values in [0, 1], shape (..., 3)."""
    flat = np.asarray(rgb, np.float32).reshape(-1, 1, 3)
    return cv2.cvtColor(np.clip(flat, 0, 1), cv2.COLOR_RGB2Lab).reshape(np.shape(rgb)).astype(np.float64)


@functools.cache
def _colour_science():
    """``colour`` (colour-science), imported on first use: it loads its plotting layer and matplotlib, which
    takes a second or more, and only the calibration tool's colour step needs it."""
    with warnings.catch_warnings():  # without matplotlib it warns that its plots are unavailable: we draw none
        warnings.filterwarnings("ignore", message='"Matplotlib" related API features are not available')
        import colour
    return colour


def ciede2000(lab1: np.ndarray, lab2: np.ndarray) -> np.ndarray:
    """CIEDE2000 colour difference (Sharma, Wu & Dalal 2005) of CIELAB values, vectorised over (..., 3)."""
    lab1, lab2 = np.asarray(lab1, float), np.asarray(lab2, float)
    return np.asarray(_colour_science().delta_E(lab1, lab2, method="CIE 2000"), float)


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
