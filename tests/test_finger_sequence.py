"""The finger sequence that uploads one image a finger: the second impression confirmed on the sensor.

Everything runs the unmodified pyfingerprint client (inside the driver or alone) against the
emulator on a real pseudo-terminal, with the generated fingers of ``conftest``. A scripted applicant
lays the fingers a test names on the glass when the driver waits for one, and lifts them when it
waits for the lift, as a person at the counter does.
"""

from __future__ import annotations

import numpy as np
import pytest
from pyfingerprint.pyfingerprint import PyFingerprint

from domain.catalog import render
from domain.fingers import FingerPosition
from drivers.errors import DeviceTimeout
from drivers.zfm import protocol as p
from drivers.zfm.driver import SURE_MATCH_SCORE, ZfmScanner
from drivers.zfm.emulator import ZfmEmulator
from drivers.zfm.features import LEVEL_THRESHOLDS, MinutiaeFeatures
from drivers.zfm.fingers import read_gray
from drivers.zfm.pty_link import PtyLink
from enrollment.finger_capture import FingerOutcome, FingerSequence, capture_placement
from enrollment.policy import Policy
from matching.fingerprint.zfm_image import nibbles_to_gray, zfm_nibbles

THUMB, INDEX = FingerPosition.RIGHT_THUMB, FingerPosition.RIGHT_INDEX


class ScriptedApplicant:
    """Lays the next (finger, impression) of its script when the driver waits for a finger."""

    def __init__(self, emulator: ZfmEmulator, script: list[tuple[int, int]]) -> None:
        self.emulator, self.script = emulator, list(script)

    def __call__(self, position: FingerPosition | None, down: bool) -> None:
        if not down:
            self.emulator.lift()
        elif not self.emulator.finger_down:
            self.emulator.place(*self.script.pop(0))


def _scanner(link: PtyLink, applicant: ScriptedApplicant) -> ZfmScanner:
    return ZfmScanner(link.path, emulated=True, presenter=applicant, prefer_baud=None,
                      response_timeout=5.0, byte_timeout=2.0)


def _view(emulator: ZfmEmulator, finger: int, impression: int) -> np.ndarray:
    return nibbles_to_gray(zfm_nibbles(read_gray(emulator.fingers.image_path(finger, impression)), 500))


def test_the_sensor_compares_its_two_buffers_with_our_matcher(link, emulator):
    client = PyFingerprint(link.path, 57600, 0xFFFFFFFF, 0)
    assert client.verifyPassword()
    features = MinutiaeFeatures()
    emulator.place(1, 1)
    assert client.readImage() and client.convertImage(1)
    emulator.place(1, 2)
    assert client.readImage() and client.convertImage(2)
    score = client.compareCharacteristics()
    assert score == features.score(emulator.char_buffers[1], emulator.char_buffers[2])
    assert score >= LEVEL_THRESHOLDS[3]
    emulator.place(2, 1)  # another finger into buffer 2: the sensor says no, which pyfingerprint gives as 0
    assert client.readImage() and client.convertImage(2)
    assert features.score(emulator.char_buffers[1], emulator.char_buffers[2]) < LEVEL_THRESHOLDS[3]
    assert client.compareCharacteristics() == 0
    # a blank window has no features to compare: refused with the sensor's code, not an empty buffer
    emulator.lift()
    assert not client.readImage()
    with pytest.raises(Exception, match="too few feature points|too messy"):
        client.convertImage(1)


def test_the_sure_score_is_the_sensors_strictest_level():
    assert SURE_MATCH_SCORE == LEVEL_THRESHOLDS[5] > LEVEL_THRESHOLDS[3]


def test_one_upload_a_finger_when_the_sensor_confirms_the_second(link, emulator):
    applicant = ScriptedApplicant(emulator, [(1, 1), (1, 2), (2, 1), (2, 2)])
    sequence = FingerSequence((THUMB, INDEX), Policy())
    with _scanner(link, applicant) as scanner:
        first = capture_placement(sequence, scanner, 5.0, 2.0)
        assert first.outcome is FingerOutcome.FIRST_TAKEN and emulator.uploads == 1
        assert sequence.placement().confirm and sequence.placement().buffer == 2
        second = capture_placement(sequence, scanner, 5.0, 2.0)
        assert second.outcome is FingerOutcome.ACCEPTED and second.message_id == "sequence.confirmed"
        assert second.params["score"] >= scanner.sure_match_score
        assert emulator.uploads == 1  # the second impression never crossed the line
        capture_placement(sequence, scanner, 5.0, 2.0)
        capture_placement(sequence, scanner, 5.0, 2.0)
    assert sequence.done and emulator.uploads == 2 and emulator.captures == 4
    thumb = sequence.results[0]
    assert np.array_equal(thumb.image, _view(emulator, 1, 1))  # the record keeps the uploaded first
    assert thumb.attempts == 2 and thumb.consistency == second.params["score"] / 1000
    text = render(second.message_id, "id", **second.params)
    assert "ibu jari kanan" in text and str(second.params["score"]) in text


def test_a_wrong_finger_is_checked_here_and_the_buffers_take_turns(link, emulator):
    """A no from the sensor is the unsure band: the impression is uploaded and our matcher decides.
    The later impression becomes the one to agree with, and its features stay in their buffer, so
    the next placement goes to the other buffer and is confirmed there (fingers 2 and 4 of the
    generator do not false-match)."""
    applicant = ScriptedApplicant(emulator, [(2, 1), (4, 1), (2, 2), (2, 3)])
    sequence = FingerSequence((INDEX,), Policy(finger_attempts=4))
    with _scanner(link, applicant) as scanner:
        assert capture_placement(sequence, scanner, 5.0, 2.0).outcome is FingerOutcome.FIRST_TAKEN
        wrong = capture_placement(sequence, scanner, 5.0, 2.0)
        assert wrong.outcome is FingerOutcome.INCONSISTENT and emulator.uploads == 2
        assert sequence.placement().buffer == 1  # the wrong finger's features are in buffer 2
        again = capture_placement(sequence, scanner, 5.0, 2.0)
        assert again.outcome is FingerOutcome.INCONSISTENT and emulator.uploads == 3
        assert sequence.placement().buffer == 2
        done = capture_placement(sequence, scanner, 5.0, 2.0)
    assert done.outcome is FingerOutcome.ACCEPTED and done.message_id == "sequence.confirmed"
    assert emulator.uploads == 3
    assert np.array_equal(sequence.results[0].image, _view(emulator, 2, 2))


def test_the_unsure_band_falls_back_to_our_matcher(emulator):
    """Under the sure score (a low yes, a no given as 0, no features at all) the sequence asks for the
    image and judges it as it always did; at the sure score the sensor's word stands."""
    sequence = FingerSequence((THUMB,), Policy())
    with PtyLink(emulator) as link, _scanner(link, ScriptedApplicant(emulator, [(1, 1), (1, 2)])) as scanner:
        capture_placement(sequence, scanner, 5.0, 2.0)
        for unsure in (None, 0, SURE_MATCH_SCORE - 1):
            assert sequence.confirm(unsure, SURE_MATCH_SCORE) is None
        assert sequence.current is THUMB  # nothing decided yet
        # the sensor's low yes: the second image comes up and our matcher accepts the pair
        emulator.place(1, 2)
        assert scanner.finger_present() and scanner.features_on_sensor(2)  # as confirm_on_sensor does
        image = scanner.upload_image()
        step = sequence.submit(image, buffer=2)
    assert step.outcome is FingerOutcome.ACCEPTED and step.message_id == "finger.accepted"
    assert emulator.uploads == 2


def test_the_first_impressions_features_failing_on_the_sensor_means_two_uploads(link, emulator):
    """A first impression the sensor cannot make features of leaves nothing to confirm against: the
    second is uploaded and compared here, the sequence as before."""
    sequence = FingerSequence((THUMB,), Policy())
    with _scanner(link, ScriptedApplicant(emulator, [(1, 1), (1, 2)])) as scanner:
        image = scanner.capture(THUMB, 5.0)
        scanner.wait_for_removal(2.0)
        assert sequence.submit(image, buffer=None).outcome is FingerOutcome.FIRST_TAKEN
        assert not sequence.placement().confirm
        step = capture_placement(sequence, scanner, 5.0, 2.0)
    assert step.outcome is FingerOutcome.ACCEPTED and step.message_id == "finger.accepted"
    assert emulator.uploads == 2


def test_the_driver_switches_a_paced_sensor_to_115200_and_the_line_holds_it_to_that(emulator):
    emulator.store.settings.baud_multiplier = 6  # the factory's 57,600
    with PtyLink(emulator, pace=True) as link, ZfmScanner(link.path, baud=57600, emulated=True,
                                                          response_timeout=1.0, byte_timeout=0.5) as scanner:
        assert scanner.baud == 115200 and emulator.baud == 115200 and link.client_baud() == 115200
        assert scanner.system_parameters()["baud"] == 115200
        link.take_busy()
        emulator.place(1, 1)
        scanner.capture(THUMB, 5.0)
        upload_bytes = 12 + 288 * (p.HEADER_LEN + 128 + 2)
        # the device time counts the upload's ten bits a byte at the new rate, and the capture's work
        assert link.busy_by_instruction["0x0a"] >= upload_bytes * 10 / 115200
        assert link.take_busy() >= upload_bytes * 10 / 115200 + 0.3
        # a client left at the old rate is noise to the sensor: no answer, as on a real line
        scanner._port.port.baudrate = 57600
        with pytest.raises(DeviceTimeout):
            scanner.template_count()
        scanner._port.port.baudrate = 115200
        assert scanner.template_count() == 0


def test_looks_that_find_no_finger_are_not_device_time(emulator):
    emulator.store.settings.baud_multiplier = 12
    with PtyLink(emulator, pace=True) as link, ZfmScanner(link.path, baud=115200, emulated=True,
                                                          prefer_baud=None) as scanner:
        link.take_busy()
        for _ in range(3):
            assert not scanner.finger_present()
        assert link.take_busy() == 0.0
        assert scanner.template_count() == 0
        assert link.take_busy() > 0.0


def test_the_sequence_catalog_speaks_both_languages():
    for language in ("id", "en"):
        text = render("sequence.confirmed", language, finger=INDEX, quality=41, score=300)
        assert "41" in text and "300" in text


def test_the_enrollment_bench_refuses_to_run_without_real_sets(tmp_path):
    """It never falls back to generated fingers: a folder with fewer than three real sets is named."""
    import argparse

    from station.bench import add_enrollment_parser
    from station.enrollment_bench import BenchDataMissing, finger_sets

    (tmp_path / "fingerprints").mkdir()
    with pytest.raises(BenchDataMissing) as caught:
        finger_sets(tmp_path)
    assert caught.value.message_id == "sequence.bench_no_data" and caught.value.params["minimum"] == 3
    assert "fingerprints" in render(caught.value.message_id, "id", **caught.value.params)
    parser = argparse.ArgumentParser()
    add_enrollment_parser(parser.add_subparsers(dest="what"))
    args = parser.parse_args(["enrollment", "--data", str(tmp_path), "--baud", "57600", "--json", "out.json"])
    assert (args.applicants, args.baud, args.mode, args.key_s, args.place_s) == (10, 57600, "confirm", 1.0, 2.0)
