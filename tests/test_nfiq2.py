"""NFIQ 2 through nbis-py: scores prints, never crashes on what is not one, says why."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from domain.catalog import messages, render
from enrollment.policy import Policy, PolicyError, load_policy
from matching.fingerprint.nfiq2 import FEEDBACK_CODES, Nfiq2Quality, nfiq2
from matching.fingerprint.zfm_image import zfm_view


def _print(folder, finger: int = 1, impression: int = 1) -> np.ndarray:
    return cv2.imread(str(folder / f"{finger:03d}_{impression}.png"), cv2.IMREAD_GRAYSCALE)


def test_a_synthetic_print_is_scored_with_its_features(synthetic_fingers):
    q = nfiq2(_print(synthetic_fingers), 500)
    assert isinstance(q, Nfiq2Quality) and q.scored and q.reason is None
    assert 20 <= q.score <= 100  # the generator's prints score 37–62
    assert "uniform" not in q.feedback and "too_few_minutiae" not in q.feedback
    assert len(q.features) == 69 and q.actionable["FingerprintImageWithMinutiae"] >= 5


def test_the_score_is_the_same_from_memory_as_nist_reads_it_from_a_file(synthetic_fingers, tmp_path):
    """The in-memory path (PNG bytes) scores what NFIQ 2 scores from the file itself."""
    import nbis

    path = synthetic_fingers / "002_1.png"
    extractor = nbis.new_nbis_extractor(nbis.NbisExtractorSettings(
        min_quality=0.0, get_center=False, check_fingerprint=False, compute_nfiq2=True, ppi=None))
    from_file = extractor.extract_minutiae_from_image_file(str(path)).quality().score
    assert nfiq2(cv2.imread(str(path), cv2.IMREAD_GRAYSCALE), 500).score == from_file


def test_degrading_a_print_lowers_its_score(synthetic_fingers):
    image = _print(synthetic_fingers, 2, 1)
    base = nfiq2(image, 500).score
    assert nfiq2(cv2.GaussianBlur(image, (0, 0), 3), 500).score < base - 10
    faint = (255 - (255 - image.astype(np.float32)) * 0.08).astype(np.uint8)  # a dry finger, barely touching
    light = nfiq2(faint, 500)  # NFIQ 2 itself cannot score so faint a print: the feedback still says why
    assert light.score < base and light.feedback == ("too_light",)
    assert light.message_id == "finger.poor_quality_too_light"
    tip = np.full_like(image, 255)
    tip[:120] = image[:120]  # only the upper third of the finger on the glass
    partial = nfiq2(tip, 500)
    assert partial.score < base - 10 and partial.feedback == ("too_little_foreground",)


def test_other_resolutions_are_resampled_to_500_dpi(synthetic_fingers):
    image = _print(synthetic_fingers, 3, 1)
    at_1000 = cv2.resize(image, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
    assert abs(nfiq2(at_1000, 1000).score - nfiq2(image, 500).score) <= 12
    assert nfiq2(image, 500).scored and nfiq2(image.astype(np.float32), 500).scored


@pytest.mark.parametrize(("image", "dpi", "reason"), [
    (np.full((300, 300), 255, np.uint8), 500, "finger.nfiq2_blank"),
    (np.zeros((300, 300), np.uint8), 500, "finger.nfiq2_blank"),
    (np.full((10, 10), 128, np.uint8), 500, "fingerprint.bad_size"),
    (np.zeros((0, 0), np.uint8), 500, "fingerprint.empty_image"),
    (np.zeros((3, 300, 300), np.uint8), 500, "fingerprint.bad_shape"),
    (np.full((300, 300), np.nan), 500, "fingerprint.bad_dtype"),
    (np.full((300, 300), 128, np.uint8), 0, "fingerprint.bad_dpi"),
    (np.full((300, 300), 128, np.uint8), math.nan, "fingerprint.bad_dpi"),
    (np.full((300, 300), 128, np.uint8), 5000, "fingerprint.bad_dpi"),
    (np.full((300, 300), 128, np.uint8), "five hundred", "fingerprint.bad_dpi"),
])
def test_what_nfiq2_cannot_score_is_0_with_a_reason(image, dpi, reason):
    q = nfiq2(image, dpi)
    assert q.score == 0 and not q.scored and q.reason == reason
    assert render(q.reason, "en") != q.reason and render(q.reason, "id") != q.reason  # in the catalog


def test_blank_sensor_says_uniform_and_not_what_it_is_not():
    q = nfiq2(np.full((288, 256), 230, np.uint8), 500)
    assert q.feedback == ("uniform",) and q.message_id == "finger.poor_quality_uniform"


def test_noise_and_blurred_noise_never_crash_and_stay_below_real_prints(synthetic_fingers):
    rng = np.random.default_rng(0)
    noise = rng.integers(0, 256, (288, 256)).astype(np.uint8)
    smear = cv2.GaussianBlur(noise, (0, 0), 2)
    prints = [nfiq2(_print(synthetic_fingers, f, 1), 500).score for f in (1, 2, 3, 4)]
    for image in (noise, smear, zfm_view(noise, 500)):
        q = nfiq2(image, 500)
        assert 0 <= q.score < min(prints)
        # NFIQ 2 is no fingerprint detector: uniform noise is scored (about 30), so the
        # station's gate checks "is it a print" with its own extractor first
        assert q.reason is None or q.reason == "finger.nfiq2_not_scored"


def test_the_zfm_4_bit_view_is_scored(synthetic_fingers):
    q = nfiq2(zfm_view(_print(synthetic_fingers, 4, 2), 500), 500)
    assert q.scored and q.score > 0


def test_every_feedback_code_has_an_instruction_in_both_languages():
    for code in FEEDBACK_CODES:
        message_id = Nfiq2Quality(10, (code,)).message_id
        for language in ("id", "en"):
            assert message_id in messages(language)
            text = render(message_id, language, finger="right-thumb", quality=10, minimum=25)
            assert "NFIQ 2 10" in text and "25" in text
    assert Nfiq2Quality(10).message_id == "finger.poor_quality"


def test_policy_threshold_is_nfiq2_and_an_old_key_is_refused(tmp_path):
    assert 0 < Policy().finger_min_nfiq2 < 40
    config = tmp_path / "station.toml"
    config.write_text("[policy]\nfinger_min_nfiq2 = 35\n", "utf-8")
    assert load_policy(config).finger_min_nfiq2 == 35
    config.write_text("[policy]\nfinger_min_quality = 40\n", "utf-8")  # our old score's scale
    with pytest.raises(PolicyError, match="renamed_key"):
        load_policy(config)
    for bad in ("101", "-1", "true", "30.5", '"30"'):
        config.write_text(f"[policy]\nfinger_min_nfiq2 = {bad}\n", "utf-8")
        with pytest.raises(PolicyError, match="bad_nfiq2"):
            load_policy(config)
