"""The camera procedure: geometry, then (when their targets were photographed) sharpness,
colour and the capture position; a profile for the station to apply, and the report.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from matching.images import ImageTooLarge, check_image, read_image

from . import report
from .colour import fit_colour, linear_to_srgb, reference_srgb, srgb_to_linear
from .errors import CalibrationError
from .geometry import calibrate_folder
from .profile import CameraProfile
from .scene import capture_position
from .sharpness import focus_measure, slanted_edge_mtf

MAX_RMS_PX = 0.5
MIN_MTF50 = 0.15  # cycles per pixel, at the working distance
MAX_DELTA_E = 3.0  # mean CIEDE2000 after correction


@dataclass
class CameraCalibration:
    profile: CameraProfile
    results: dict
    checks: list[dict]
    figures: list[tuple[str, str]]

    @property
    def passed(self) -> bool:
        return all(c["passed"] for c in self.checks)


def _read(path: Path, flags: int = cv2.IMREAD_COLOR) -> np.ndarray:
    """A target photo; one larger than a camera frame is refused from its header (``matching.images``)."""
    try:
        image = read_image(path, "calibration", flags)
    except ImageTooLarge as exc:
        raise CalibrationError(exc.message_id, **exc.params) from exc
    if image is None:
        raise CalibrationError("calibration.unreadable", path=str(path))
    return image


def calibrate_camera(images: Path, board: tuple[int, int], square_mm: float, device_id: str,
                     edge: Path | None = None, chart: Path | None = None,
                     position: Path | None = None) -> CameraCalibration:
    for target in (edge, chart, position):  # a refused target photo is said before the long lens fit
        if target is not None:
            try:
                check_image(target, "calibration")
            except ImageTooLarge as exc:
                raise CalibrationError(exc.message_id, **exc.params) from exc
    geometry = calibrate_folder(images, board, square_mm)
    results: dict = geometry.as_json()
    # views that could not be read at all, by name: the technician replaces them (also on stderr)
    results["unreadable"] = [v["name"] for v in geometry.per_view if v.get("reason") == "unreadable"]
    used = sum(1 for v in geometry.per_view if v.get("used"))
    checks = [
        {"name": "reprojection RMS", "value": f"{geometry.rms_px:.3f} px", "limit": f"≤ {MAX_RMS_PX} px",
         "passed": geometry.rms_px <= MAX_RMS_PX},
        {"name": "views used", "value": used, "limit": "≥ 8", "passed": used >= 8},
        {"name": "image coverage", "value": ", ".join(geometry.uncovered) or "all regions",
         "limit": "every region", "passed": not geometry.uncovered},
    ]
    figures = [("Reprojection error per view", report.reprojection_plot(geometry)),
               ("Where the board's corners fell (uncovered regions need more views)", report.coverage_plot(geometry))]
    colour_matrix = None
    if edge is not None:
        gray = _read(edge, cv2.IMREAD_GRAYSCALE)
        mtf = slanted_edge_mtf(gray)
        results["sharpness"] = {"mtf50_cycles_per_px": round(mtf.mtf50, 4),
                                "edge_angle_deg": round(mtf.edge_angle_deg, 2),
                                "focus_measure": round(focus_measure(gray), 2)}
        checks.append({"name": "MTF50", "value": f"{mtf.mtf50:.3f} cy/px", "limit": f"≥ {MIN_MTF50}",
                       "passed": mtf.mtf50 >= MIN_MTF50})
        figures.append(("Slanted-edge MTF", report.mtf_plot(mtf.frequencies, mtf.mtf, mtf.mtf50)))
    if chart is not None:
        bgr = _read(chart)
        colour = fit_colour(bgr)
        colour_matrix = colour.matrix
        results["colour"] = colour.as_json()
        checks.append({"name": "colour error after correction (mean ΔE00)",
                       "value": f"{colour.delta_e_after.mean():.2f} (before {colour.delta_e_before.mean():.2f})",
                       "limit": f"< {MAX_DELTA_E}", "passed": colour.delta_e_after.mean() < MAX_DELTA_E})
        corrected = linear_to_srgb(srgb_to_linear(colour.measured) @ colour.matrix)
        figures.append(("ColorChecker patches before and after correction",
                        report.patches_plot(colour.measured, corrected, reference_srgb())))
    if position is not None:
        place = capture_position(_read(position, cv2.IMREAD_GRAYSCALE), board, square_mm)
        results["capture_position"] = place.as_json()
        checks.append({"name": "expected eye distance", "value": f"{place.expected_eye_px:.0f} px",
                       "limit": "≥ 90 px", "passed": place.eye_distance_ok})
        checks.append({"name": "illumination uniformity", "value": f"{place.uniformity:.2f}",
                       "limit": "≥ 0.80", "passed": place.uniformity_ok})
    profile = CameraProfile(device_id, geometry.camera_matrix, geometry.dist_coeffs, geometry.image_size,
                            colour_matrix, checks={c["name"]: c["passed"] for c in checks})
    results["profile_id"] = profile.id
    return CameraCalibration(profile, results, checks, figures)
