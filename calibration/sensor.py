"""Fingerprint-sensor procedures: blank frame, dynamic range, NFIQ 2, upload times per baud, library health.

They run through the station's own driver, so they work the same on a real ZFM/R30x and
on the emulator. A dirty or scratched window shows in the blank frame (uneven, noisy); a
finger pressed too lightly or a worn sensor in the dynamic range of a placed finger; a
poor cable in upload times that vary or fail at the higher baud rates.

The test capture is also rated by NFIQ 2 against the threshold enrollment and the kiosk gate
on (the policy's ``finger_min_nfiq2``, passed in by ``station.calibration``): a sensor whose
well-placed test print cannot reach it would refuse applicants all day, and NFIQ 2's feedback
(too light, too dark, too little foreground...) says why, in the words an applicant would get.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field

import numpy as np

from domain.catalog import LANGUAGES, render
from drivers.errors import DeviceError
from matching.fingerprint.nfiq2 import nfiq2

BAUD_RATES = (57600, 115200)
MAX_BLANK_NOISE = 12.0  # grey levels (8-bit) of pixel noise in the empty window
MIN_BLANK_UNIFORMITY = 0.80  # darkest over brightest 16×16 block mean
MIN_DYNAMIC_RANGE = 100.0  # grey levels between ridge and valley percentiles on a placed finger
NFIQ2_CHECK = "NFIQ 2 of the test capture"
TEST_FINGER = "test"  # ``name.finger.test``: the technician's finger, named in NFIQ 2's instructions


@dataclass(frozen=True)
class SensorCheck:
    name: str
    value: float  # an int stays one in the JSON (NFIQ 2 is a whole number)
    limit: str
    passed: bool
    # what the check says in the reader's language (``check_message``), and anything else it reports
    message_id: str | None = None
    params: dict = field(default_factory=dict)
    details: dict = field(default_factory=dict)

    def as_json(self) -> dict:
        value = self.value if isinstance(self.value, int) else round(float(self.value), 3)
        out = {"name": self.name, "value": value, "limit": self.limit,
               "passed": bool(self.passed)}
        if self.message_id is not None:
            out |= {"message_id": self.message_id, "params": dict(self.params)}
        return out | self.details


def nfiq2_check(pixels: np.ndarray, dpi: float, minimum: int) -> SensorCheck:
    """NFIQ 2 of a test capture against ``minimum``; when it fails, NFIQ 2's feedback is the reason
    (``instruction``: the ``finger.poor_quality_*`` message enrollment and the kiosk show)."""
    rated = nfiq2(pixels, dpi)
    passed = rated.score >= minimum
    instruction = None if passed else rated.message_id
    return SensorCheck(NFIQ2_CHECK, rated.score, f"≥ {minimum}", passed,
                       "calibration.sensor_nfiq2_passed" if passed else "calibration.sensor_nfiq2_failed",
                       {"quality": rated.score, "minimum": minimum},
                       {"feedback": list(rated.feedback), "reason": rated.reason, "instruction": instruction})


def check_message(check: dict, language: str) -> str | None:
    """A check's own sentence in ``language`` (None for checks that have none): the NFIQ 2 check's
    pass or fail, with NFIQ 2's instruction as the reason when it failed."""
    message_id = check.get("message_id")
    if message_id is None:
        return None
    params = dict(check.get("params", {}))
    if check.get("instruction"):
        params["instruction"] = render(check["instruction"], language, finger=TEST_FINGER, **params)
    return render(message_id, language, **params)


def blank_frame_checks(pixels: np.ndarray) -> list[SensorCheck]:
    """Noise and uniformity of the empty window (no finger)."""
    g = pixels.astype(np.float64)
    h, w = g.shape
    blocks = g[: h - h % 16, : w - w % 16].reshape(h // 16, 16, w // 16, 16).mean(axis=(1, 3))
    smooth = np.repeat(np.repeat(blocks, 16, 0), 16, 1)
    noise = float((g[: smooth.shape[0], : smooth.shape[1]] - smooth).std())
    uniformity = float(blocks.min() / max(blocks.max(), 1e-6))
    return [SensorCheck("blank noise", noise, f"≤ {MAX_BLANK_NOISE}", noise <= MAX_BLANK_NOISE),
            SensorCheck("blank uniformity", uniformity, f"≥ {MIN_BLANK_UNIFORMITY}",
                        uniformity >= MIN_BLANK_UNIFORMITY)]


def dynamic_range_check(pixels: np.ndarray) -> SensorCheck:
    lo, hi = np.percentile(pixels, [5, 95])
    return SensorCheck("dynamic range on a finger", float(hi - lo), f"≥ {MIN_DYNAMIC_RANGE}",
                       hi - lo >= MIN_DYNAMIC_RANGE)


def blank_frame(scanner) -> np.ndarray:
    """Scan with nothing on the window, then upload what the sensor saw."""
    if scanner.finger_present():
        raise DeviceError("calibration.lift_finger", url=scanner.info.url)
    return scanner.upload_image().pixels


def upload_times(scanner, repeats: int = 2) -> dict[int, float | None]:
    """Median capture+upload seconds at each baud rate the sensor accepts (None: unstable there)."""
    out: dict[int, float | None] = {}
    for rate in BAUD_RATES:
        if scanner.switch_baud(rate) != rate:
            out[rate] = None
            continue
        times = []
        try:
            for _ in range(repeats):
                started = time.perf_counter()
                scanner.capture(timeout=10.0)
                times.append(time.perf_counter() - started)
                scanner.wait_for_removal(2.0)
        except DeviceError:
            out[rate] = None
            continue
        out[rate] = statistics.median(times)
    return out


def run_sensor_calibration(scanner, security_level: int = 3, *, min_nfiq2: int) -> dict:
    """Every sensor procedure; leaves the sensor at its fastest stable baud rate and the given security level.

    ``min_nfiq2``: the policy's ``finger_min_nfiq2``, required so that no second copy of the
    threshold can drift from the one applicants are gated at."""
    checks = blank_frame_checks(blank_frame(scanner))
    image = scanner.capture(timeout=15.0)
    scanner.wait_for_removal(5.0)
    checks.append(dynamic_range_check(image.pixels))
    quality = nfiq2_check(image.pixels, image.dpi, min_nfiq2)
    checks.append(quality)
    times = upload_times(scanner)
    stable = [rate for rate, t in times.items() if t is not None]
    fastest = max(stable) if stable else scanner.baud
    scanner.switch_baud(fastest)
    scanner.set_security_level(security_level)
    params = scanner.system_parameters()
    count = scanner.template_count()
    checks.append(SensorCheck("stable baud rate", float(fastest), "any", bool(stable)))
    checks.append(SensorCheck("template library", float(count), f"≤ {params['capacity']}",
                              0 <= count <= params["capacity"]))
    return {"device": scanner.info.device_id, "emulated": scanner.info.emulated,
            "upload_seconds": {str(k): (round(v, 2) if v is not None else None) for k, v in times.items()},
            "baud": scanner.baud, "security_level": params["security_level"], "templates": count,
            "capacity": params["capacity"], "checks": [c.as_json() for c in checks],
            "nfiq2": {"score": quality.value, "minimum": min_nfiq2, "passed": quality.passed,
                      **quality.details,
                      "message": {lang: check_message(quality.as_json(), lang) for lang in LANGUAGES}},
            "passed": bool(all(c.passed for c in checks))}
