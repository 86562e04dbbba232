"""The station's enrollment takes fingers the way the sequence was built for: one upload a finger.

``station.enrollment.Enrollment`` (what ``biostation enroll`` and the console drive) runs against the
emulator on a real pseudo-terminal through the unmodified pyfingerprint client inside the ZFM driver.
A simulated applicant lays each position's next impression when the driver waits for a finger and
lifts it when the driver waits for the lift. What crossed the line is read from the emulator's own
count of image uploads (``UpImage``), not from anything the station says about itself.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from domain.fingers import FingerPosition
from drivers.errors import CaptureCancelled
from drivers.zfm.applicant import SimulatedApplicant
from drivers.zfm.driver import ZfmScanner
from drivers.zfm.emulator import ZfmEmulator
from drivers.zfm.fingers import load_finger_set, read_gray
from drivers.zfm.pty_link import PtyLink
from enrollment.finger_capture import FingerOutcome
from enrollment.flow import Step
from enrollment.policy import Policy
from enrollment.synthetic import face_result
from matching.fingerprint.extractor import extract_details
from matching.fingerprint.zfm_image import nibbles_to_gray, zfm_nibbles
from station.audit import open_audit
from station.enrollment import Enrollment

APPLICATION = {"number": "P2612060001", "given_name": "Siti", "surname": "Rahayu", "birth_date": "1990-04-01",
               "service": "passport"}
TEN = tuple(FingerPosition)[:10]


class _Officer:
    name, role = "siti", "officer"

    def may(self, action: str) -> bool:
        return True


class _Desk:
    def lookup(self, number: str) -> dict:
        return APPLICATION

    def today(self) -> date:
        return date(2026, 12, 6)


@pytest.fixture(scope="module")
def ten_fingers(tmp_path_factory) -> Path:
    """Ten generated fingers, two impressions each, one finger for every ISO position 1–10. The seed
    is one whose ten fingers stay under the 1e-3 impostor score with each other: generated masters are
    alike enough that some seeds give a pair our matcher takes for one finger, which the sequence check
    would rightly refuse as the same finger twice."""
    from matching.fingerprint.synth import write_synthetic_fingers

    folder = tmp_path_factory.mktemp("ten-fingers")
    write_synthetic_fingers(folder, fingers=10, impressions=2, seed=5)
    return folder


def _enrollment(tmp_path: Path, scanner, fingers: tuple[FingerPosition, ...]) -> Enrollment:
    station = SimpleNamespace(registration=SimpleNamespace(station_id="S-1"), audit=open_audit(tmp_path))
    enrollment = Enrollment(station, _Officer(), replace(Policy(), fingers=fingers), _Desk(), scanner=scanner)
    enrollment.open(APPLICATION["number"], True)
    enrollment.flow.face_done(face_result())
    return enrollment


def _view(emulator: ZfmEmulator, finger: int, impression: int) -> np.ndarray:
    """The image as the sensor sends it up: the finger's picture on the sensor's 4-bit grid."""
    return nibbles_to_gray(zfm_nibbles(read_gray(emulator.fingers.image_path(finger, impression)), 500))


def test_ten_fingers_enrolled_with_one_upload_each_when_the_sensor_confirms(ten_fingers, tmp_path):
    emulator = ZfmEmulator(load_finger_set(ten_fingers), tmp_path / "sensor.json", seed=3)
    with PtyLink(emulator) as link, ZfmScanner(link.path, emulated=True, presenter=SimulatedApplicant(emulator),
                                               prefer_baud=None, response_timeout=5.0, byte_timeout=2.0) as scanner:
        enrollment = _enrollment(tmp_path, scanner, TEN)
        assert enrollment.confirms_on_sensor
        fingers = enrollment.fingers
        uploads_for: dict[FingerPosition, int] = {}
        last_step: dict[FingerPosition, str] = {}
        while not fingers.done:  # as `biostation enroll` drives it
            position = fingers.current
            before = emulator.uploads
            placed = enrollment.place_finger()
            assert placed.step.outcome in (FingerOutcome.FIRST_TAKEN, FingerOutcome.ACCEPTED), placed.step
            assert placed.pixels is not None
            uploads_for[position] = uploads_for.get(position, 0) + emulator.uploads - before
            last_step[position] = placed.step.message_id
        enrollment.fingers_done()
    assert enrollment.step is Step.REVIEW
    confirmed = [p for p in TEN if last_step[p] == "sequence.confirmed"]
    assert len(confirmed) == len(TEN), last_step  # these generated pairs are sure matches on the sensor
    assert all(uploads_for[p] == 1 for p in TEN), uploads_for  # the second impression stayed on the sensor
    assert emulator.uploads == len(TEN) and emulator.captures >= 2 * len(TEN)
    results = {r.position: r for r in enrollment.record.fingers}
    assert list(results) == list(TEN)
    for position in TEN:  # the record holds the first impression: its image and its template
        first = _view(emulator, int(position), 1)
        kept = results[position]
        assert np.array_equal(kept.image, first)
        expected = extract_details(first, 500).template
        assert np.array_equal(kept.template.minutiae, expected.minutiae)


def test_a_lost_answer_inside_a_placement_is_retried_on_its_own(ten_fingers, tmp_path, caplog):
    """A garbled or silent answer during the capture, the conversion, the comparison or the lift costs a
    retry of that one call: the finger is still taken with one upload, and no step is counted twice."""
    emulator = ZfmEmulator(load_finger_set(ten_fingers), tmp_path / "sensor.json", seed=3)
    positions = TEN[:2]
    kinds = iter(["noise", "drop", "checksum", "silence"] * 8)
    with caplog.at_level("WARNING", logger="biostation.enrollment"), PtyLink(emulator) as link, ZfmScanner(
            link.path, emulated=True, presenter=SimulatedApplicant(emulator), prefer_baud=None,
            response_timeout=2.0, byte_timeout=1.0) as scanner:
        enrollment = _enrollment(tmp_path, scanner, positions)
        steps = []
        while not enrollment.fingers.done:
            emulator.inject(next(kinds))
            steps.append(enrollment.place_finger().step)
        enrollment.fingers_done()
    assert [s.outcome for s in steps].count(FingerOutcome.ACCEPTED) == len(positions)
    assert [r.position for r in enrollment.record.fingers] == list(positions)
    assert all(r.attempts == 2 for r in enrollment.record.fingers)
    assert emulator.uploads == len(positions)
    assert sum("answer was lost" in r.getMessage() for r in caplog.records) == len(steps)


def test_a_station_without_a_scanner_is_not_taken_for_one_that_confirms(tmp_path):
    assert not _enrollment(tmp_path, None, TEN[:1]).confirms_on_sensor


def test_a_withdrawn_placement_changes_nothing_in_the_sequence(ten_fingers, tmp_path):
    """The officer moves on (an exception, a retry) while the applicant is lifting the finger: the
    placement is withdrawn before it is judged, and the next one starts the finger afresh."""
    emulator = ZfmEmulator(load_finger_set(ten_fingers), tmp_path / "sensor.json", seed=3)
    applicant = SimulatedApplicant(emulator)
    cancel = threading.Event()
    enrollment: Enrollment | None = None

    def officer_moves_on_at_the_lift(position: FingerPosition | None, down: bool) -> None:
        if not down and enrollment is not None and not cancel.is_set():
            enrollment.withdraw(cancel)
        applicant(position, down)

    with PtyLink(emulator) as link, ZfmScanner(link.path, emulated=True, presenter=officer_moves_on_at_the_lift,
                                               prefer_baud=None, response_timeout=5.0, byte_timeout=2.0) as scanner:
        enrollment = _enrollment(tmp_path, scanner, TEN[:1])
        with pytest.raises(CaptureCancelled):
            enrollment.place_finger(cancel=cancel)
        assert emulator.uploads == 1 and not enrollment.fingers.placement().confirm  # nothing pending
        first = enrollment.place_finger(cancel=threading.Event())
        second = enrollment.place_finger(cancel=threading.Event())
    assert first.step.outcome is FingerOutcome.FIRST_TAKEN
    assert second.step.outcome is FingerOutcome.ACCEPTED and enrollment.fingers.done
