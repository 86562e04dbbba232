"""The minutia region: a dry patch of a print stays searchable, noise does not pass as a print."""

import cv2
import numpy as np

from matching.fingerprint.extractor import extract_details
from matching.fingerprint.minutia_region import BLUR, RAW_COHERENCE, minutia_region
from matching.fingerprint.synth import make_impression, make_master
from station.finger_check import finger_image_problem


def _dry(image: np.ndarray, box: tuple[slice, slice], rng: np.random.Generator) -> np.ndarray:
    """Break the ridges in ``box`` as a dry finger does: three ridge pixels in four turn white."""
    out = image.copy()
    patch = out[box]
    ridge = patch < 128
    patch[ridge & (rng.random(patch.shape) < 0.75)] = 255
    return out


def test_a_dry_patch_stays_in_the_region_where_the_raw_gate_loses_it():
    rng = np.random.default_rng(5)
    image, _ = make_impression(make_master(rng), rng)
    box = (slice(140, 220), slice(110, 190))
    dry = _dry(image, box, rng)
    d = extract_details(dry)
    raw_only = d.mask & (cv2.GaussianBlur(d.coherence, (0, 0), BLUR) > RAW_COHERENCE)
    region = minutia_region(d.mask, d.coherence, d.enhanced)
    assert d.mask[box].mean() > 0.9  # the patch is on the finger
    assert region[box].mean() > raw_only[box].mean() + 0.15
    assert region[box].mean() > 0.6


def test_uniform_noise_is_not_taken_for_a_fingerprint():
    rng = np.random.default_rng(0)
    noise = (rng.random((300, 300)) * 255).astype(np.uint8)
    assert finger_image_problem(noise) == "fingerprint.not_a_fingerprint"
    rng = np.random.default_rng(5)
    image, _ = make_impression(make_master(rng), rng)
    assert finger_image_problem(image) is None
