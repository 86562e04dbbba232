"""Enrollment records built directly from generated data (no camera, no dlib).

Delivery, crash and tamper tests and the intake load benchmark need many complete,
realistic records quickly: the face is a drawn JPEG with a random embedding, the fingers
are real extractions of synthetic prints.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np

from domain.fingers import FingerPosition
from drivers.scanner import DeviceInfo
from enrollment.record import CheckResult, EnrollmentRecord, FaceCaptureResult, FingerCaptureResult
from matching.fingerprint.extractor import extract

CAMERA = DeviceInfo("camera", "file", "file:test", "file-camera", True)
SENSOR = DeviceInfo("fingerprint", "ZFM emulator", "zfm-sim:test", "zfm-sim-1", True)


def face_result(seed: int = 0) -> FaceCaptureResult:
    rng = np.random.default_rng(seed)
    image = np.full((540, 420, 3), 200, np.uint8)
    cv2.circle(image, (210, 260), 120, (150, 120, 100), -1)
    ok, data = cv2.imencode(".jpg", image)
    embedding = rng.normal(size=128).astype(np.float32)
    embedding *= 0.5 / np.linalg.norm(embedding)
    return FaceCaptureResult(data.tobytes(), (420, 540), ((170, 256), (250, 256)), embedding,
                             (CheckResult("one_face", 1.0, "= 1", True),), (0.0, 0.0, 0.0), "not_required",
                             False, CAMERA)


def finger_results(folder: Path, fingers: int = 2) -> list[FingerCaptureResult]:
    out = []
    for i in range(1, fingers + 1):
        image = cv2.imread(str(sorted(folder.glob(f"{i:03d}_1.png"))[0]), cv2.IMREAD_GRAYSCALE)
        out.append(FingerCaptureResult(FingerPosition(i), image, 500, extract(image), 80, 2, 0.2, SENSOR))
    return out


def sample_record(application: dict, station_id: str, folder: Path, seed: int = 0) -> EnrollmentRecord:
    now = datetime.now(UTC).isoformat()
    return EnrollmentRecord(application, "siti", station_id, {"obtained": True, "at": now}, now,
                            face=face_result(seed), fingers=finger_results(folder), finished_at=now)
