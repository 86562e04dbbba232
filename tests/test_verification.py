"""The 1:1 check's finger gate (``enrollment.verification``): NFIQ 2 at the policy's threshold, before
any comparison, on the emulated sensor behind the real driver and the generator's prints."""

from __future__ import annotations

import base64

import cv2

from domain.catalog import render
from domain.fingers import FingerPosition
from drivers import open_scanner
from enrollment.policy import Policy
from enrollment.verification import Verification
from matching.fingerprint.extractor import extract
from matching.fingerprint.iso19794_2 import encode_record

from .fingers import faint_first_impression


def enrolled_thumb(folder) -> dict:
    """The record's templates as the central record hands them out: the right thumb's first impression."""
    image = cv2.imread(str(sorted(folder.glob("001_1.png"))[0]), cv2.IMREAD_GRAYSCALE)
    record = encode_record(extract(image), int(FingerPosition.RIGHT_THUMB))
    return {"face_embedding": None, "fingers": [{"position": 1, "iso19794_2": base64.b64encode(record).decode()}]}


def test_a_dry_print_is_refused_with_its_instruction_then_a_good_one_is_compared(synthetic_fingers, tmp_path):
    policy = Policy()
    minimum = policy.finger_min_nfiq2
    dry = faint_first_impression(synthetic_fingers, tmp_path / "dry")
    check = Verification(enrolled_thumb(synthetic_fingers), 0.0, None)
    with open_scanner(f"zfm-sim:{dry}") as scanner:
        first = check.rate_finger(scanner.capture(check.finger, 10.0), minimum, policy.finger_attempts)
        assert not first.compare and not first.exhausted and first.quality < minimum
        assert first.message_id == "finger.poor_quality_too_light" and "too_light" in first.feedback
        assert "too light" in render(first.message_id, "en", **first.params)
        assert "terlalu terang" in render(first.message_id, "id", **first.params)
        scanner.wait_for_removal(2.0)
        second = check.rate_finger(scanner.capture(check.finger, 10.0), minimum, policy.finger_attempts)
        assert second.compare and second.quality >= minimum and second.message_id is None
        result = check.finger_image(second.image.pixels, second.image.dpi)
    assert result.decision == "match" and result.finger_nfiq2 == second.quality
    assert result.as_json()["finger_nfiq2"] == second.quality


def test_after_the_last_attempt_the_best_print_is_compared_or_none(synthetic_fingers, tmp_path):
    dry = faint_first_impression(synthetic_fingers, tmp_path / "dry")
    with open_scanner(f"zfm-sim:{dry}") as scanner:
        # a gate no print reaches: the third refusal hands over the best of the three to compare
        check = Verification(enrolled_thumb(synthetic_fingers), 0.0, None)
        ratings = []
        for _ in range(3):
            ratings.append(check.rate_finger(scanner.capture(check.finger, 10.0), 100, 3))
            scanner.wait_for_removal(2.0)
        assert [r.compare for r in ratings] == [False, False, True] and ratings[-1].exhausted
        assert ratings[-1].quality == max(r.params["quality"] for r in ratings) > 0
        assert ratings[0].message_id == "finger.poor_quality_too_light"
    # only the dry print, every time: nothing NFIQ 2 could rate, so nothing to compare (the face decides)
    with open_scanner(f"zfm-sim:{dry}") as scanner:
        check = Verification(enrolled_thumb(synthetic_fingers), 0.0, None)
        image = scanner.capture(check.finger, 10.0)
    last = [check.rate_finger(image, 20, 2) for _ in range(2)][-1]
    assert last.exhausted and not last.compare and last.quality == 0
    assert check.finish(None).decision == "no_capture"
