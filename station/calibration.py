"""The technician's calibration procedures as one use case: the command line and the window drive it.

A camera calibration always leaves its HTML report (plots and checks) and an audit entry; a
saved profile is audited with the device it applies to; a sensor check is audited with its
outcome. The window passes the logged-in technician; the command line, run by whoever holds the
station's shell, is audited as ``technician``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from calibration.camera_procedure import calibrate_camera
from calibration.geometry import parse_board
from calibration.profile import save_profile
from calibration.report import write_report
from calibration.sensor import run_sensor_calibration
from enrollment.policy import load_policy


@dataclass(frozen=True)
class CameraCalibration:
    result: object  # calibration.camera_procedure's result: profile, checks, figures, results
    summary: dict  # what the command line prints as JSON
    reports: list[Path]

    @property
    def profile(self):
        return self.result.profile

    @property
    def unreadable(self) -> list[str]:
        """The views that could not be read and were left out (also in ``summary``), for the front-ends to name."""
        return list(self.result.results.get("unreadable", []))


class Calibration:
    def __init__(self, station, technician: str = "technician") -> None:
        self.station = station
        self.technician = technician

    def camera(self, images: Path, board: str, square_mm: float, device_id: str | None = None,
               edge: Path | None = None, chart: Path | None = None, position: Path | None = None,
               report: Path | None = None) -> CameraCalibration:
        """Fit, measure and report; the profile is only kept by ``save_profile``."""
        result = calibrate_camera(images, parse_board(board), square_mm, device_id or "camera", edge, chart,
                                  position)
        summary = dict(result.results, checks=result.checks, passed=result.passed)
        report = report or self.station.home / "calibration" / f"camera-{result.profile.id}.html"
        written = write_report(report, f"Camera calibration — {device_id or 'camera'}", result.profile.id,
                               result.checks, result.figures, summary)
        summary["report"] = [str(p) for p in written]
        self.station.audit.record(self.technician, "calibration.camera", None, profile=result.profile.id,
                                  passed=result.passed, report=str(written[0]) if written else None)
        return CameraCalibration(result, summary, list(written))

    def save_profile(self, calibration: CameraCalibration) -> Path:
        """Every later capture from this camera applies the profile (its id goes into each record)."""
        profile = calibration.result.profile
        path = save_profile(self.station.home, profile)
        self.station.audit.record(self.technician, "calibration.profile_saved", None, profile=profile.id,
                                  device=profile.device_id)
        return path

    def sensor(self, scanner, security_level: int = 3, min_nfiq2: int | None = None) -> dict:
        """The sensor procedures; the test capture's NFIQ 2 is judged by the office's own
        ``finger_min_nfiq2`` (from ``station.toml``, as enrollment and the kiosk read it) unless given."""
        if min_nfiq2 is None:
            min_nfiq2 = load_policy(self.station.settings.config_path).finger_min_nfiq2
        result = run_sensor_calibration(scanner, security_level, min_nfiq2=min_nfiq2)
        self.station.audit.record(self.technician, "calibration.sensor", None, passed=result["passed"],
                                  baud=result.get("baud"), level=result.get("security_level"),
                                  nfiq2=result["nfiq2"]["score"], min_nfiq2=min_nfiq2)
        return result
