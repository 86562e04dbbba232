"""A camera's calibration profile: what capture applies to every frame, and its id for the record.

Stored per camera (by device id) as JSON in ``calibration/`` under the station home. The
id is a digest of the content, so every enrollment record names exactly the correction its
photo went through, and a recalibration changes the id.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np

from .colour import correct_colour


@dataclass
class CameraProfile:
    device_id: str
    camera_matrix: np.ndarray
    dist_coeffs: np.ndarray
    image_size: tuple[int, int]
    colour_matrix: np.ndarray | None = None  # 3×3 on linear RGB rows
    created_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())
    checks: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._maps: tuple[np.ndarray, np.ndarray] | None = None

    def as_json(self) -> dict:
        body = {"device_id": self.device_id, "camera_matrix": np.asarray(self.camera_matrix).tolist(),
                "dist_coeffs": np.asarray(self.dist_coeffs).ravel().tolist(), "image_size": list(self.image_size),
                "colour_matrix": None if self.colour_matrix is None else np.asarray(self.colour_matrix).tolist(),
                "created_at": self.created_at, "checks": self.checks}
        return {"id": self.id, **body}

    @property
    def id(self) -> str:
        core = json.dumps([self.device_id, np.round(self.camera_matrix, 6).tolist(),
                           np.round(self.dist_coeffs, 8).ravel().tolist(), list(self.image_size),
                           None if self.colour_matrix is None else np.round(self.colour_matrix, 6).tolist(),
                           self.created_at])
        return "cal-" + hashlib.sha256(core.encode()).hexdigest()[:16]

    def apply(self, bgr: np.ndarray) -> np.ndarray:
        """Undistort (keeping the camera matrix, so scale and centre stay put), then colour-correct."""
        h, w = bgr.shape[:2]
        if (w, h) == tuple(self.image_size):
            if self._maps is None:
                k = np.asarray(self.camera_matrix, np.float64)
                self._maps = cv2.initUndistortRectifyMap(k, np.asarray(self.dist_coeffs, np.float64), None, k,
                                                         (w, h), cv2.CV_16SC2)
            bgr = cv2.remap(bgr, self._maps[0], self._maps[1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        if self.colour_matrix is not None and bgr.ndim == 3:
            bgr = correct_colour(bgr, self.colour_matrix)
        return bgr


def _path(home: Path, device_id: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", device_id)
    return home / "calibration" / f"{safe}.json"


def save_profile(home: Path, profile: CameraProfile) -> Path:
    path = _path(home, profile.device_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(profile.as_json(), indent=1))
    os.replace(tmp, path)
    return path


def load_profile(home: Path, device_id: str) -> CameraProfile | None:
    path = _path(home, device_id)
    if not path.exists():
        return None
    data = json.loads(path.read_text())
    return CameraProfile(data["device_id"], np.asarray(data["camera_matrix"]), np.asarray(data["dist_coeffs"]),
                         tuple(data["image_size"]),
                         None if data.get("colour_matrix") is None else np.asarray(data["colour_matrix"]),
                         data["created_at"], data.get("checks", {}))
