"""1:N fingerprint search: the vectorised first stage agrees with a plain loop, mates come first."""

from __future__ import annotations

import cv2
import numpy as np

from matching.fingerprint.cylinder import make_cylinders
from matching.fingerprint.extractor import extract
from matching.fingerprint.search import TOP_LOCAL, FingerprintGallery, pooled
from matching.fingerprint.template import Template


def _templates(folder, impression):
    return {p.stem.rsplit("_", 1)[0]: extract(cv2.imread(str(p), cv2.IMREAD_GRAYSCALE))
            for p in sorted(folder.glob(f"*_{impression}.png"))}


def test_the_mate_is_the_first_candidate(synthetic_fingers):
    gallery = FingerprintGallery()
    gallery.add("empty", Template(width=300, height=300))  # a capture with no minutiae
    for key, template in _templates(synthetic_fingers, 1).items():
        gallery.add(key, template)
    for key, probe in _templates(synthetic_fingers, 3).items():
        found = gallery.search(probe, top=3)
        assert found[0].key == key
        assert found[0].score > found[1].score


def test_first_stage_equals_a_loop_over_templates(synthetic_fingers):
    gallery = FingerprintGallery()
    templates = list(_templates(synthetic_fingers, 2).items())
    gallery.add("none", Template(width=300, height=300))
    for key, t in templates:
        gallery.add(key, t)
    probe = make_cylinders(_templates(synthetic_fingers, 4)["002"])
    fast = gallery.first_stage(probe)
    p = pooled(probe)
    expected = [0.0]
    for _, t in templates:
        sims = p @ pooled(make_cylinders(t)).T
        best = np.sort(sims.max(axis=1))[::-1][:TOP_LOCAL]
        expected.append(best.mean())
    assert np.allclose(fast, expected, atol=1e-5)
