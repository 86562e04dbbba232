"""Identification on its own: the impostor tails, the fused decision per person, and the gallery."""

from __future__ import annotations

import math
from dataclasses import replace

import cv2
import numpy as np
import pytest
from scipy.special import gammaincc

from central.identification import biometrics
from matching.evaluation.identification import distractor_finger, mirrored
from matching.fingerprint.cylinder import make_cylinders
from matching.fingerprint.extractor import extract
from matching.fingerprint.iso19794_2 import encode_record
from matching.fingerprint.matcher import compare, compare_cylinders
from matching.gallery import Biometrics, Gallery
from matching.identification import (
    FingerScore,
    ImpostorTail,
    candidate,
    flag_probability,
    fpir_at,
    stranger_probability,
    stranger_probability_under,
    tails,
)


def _finger(folder, finger: int, impression: int):
    return extract(cv2.imread(str(folder / f"{finger:03d}_{impression}.png"), cv2.IMREAD_GRAYSCALE))


def _face(seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=128)
    return (0.6 * v / np.linalg.norm(v)).astype(np.float32)  # strangers sit about 0.85 apart


def _near(face: np.ndarray, seed: int = 99) -> np.ndarray:
    step = np.random.default_rng(seed).normal(size=128)
    return (face + 0.1 * step / np.linalg.norm(step)).astype(np.float32)


# -- the tails --------------------------------------------------------------------------------
def test_a_fitted_tail_follows_the_scores_and_inverts():
    rng = np.random.default_rng(1)
    scores = rng.exponential(0.01, size=200_000)
    tail = ImpostorTail.fit(scores)
    for s in (0.001, 0.01, 0.03, 0.05):
        assert tail.survival(s) == pytest.approx((scores >= s).mean(), rel=0.05)
    # beyond the data, the exponential tail's own law: P(X >= 0.2) = exp(-20)
    assert math.log(tail.survival(0.2)) == pytest.approx(-20, rel=0.1)
    evidence = np.array([0.5, 3.0, 7.0, 15.0])
    assert np.allclose(tail.evidence(tail.score_at(evidence)), evidence, atol=1e-3)
    assert tail.survival(-1.0) == 1.0 and ImpostorTail.from_json(tail.as_json()) == tail


def test_a_tail_with_an_end_is_extended_not_cut():
    """Scores bounded above (a fitted shape below 0) must not make a higher score impossible for a stranger."""
    scores = np.random.default_rng(2).uniform(0, 1, size=100_000)
    tail = ImpostorTail.fit(scores)
    assert tail.shape == 0.0 and tail.survival(1.05) > 0


def test_the_shipped_tails_rest_on_hundreds_of_thousands_of_pairs():
    model = tails()
    assert model.finger.pairs > 250_000 and model.finger_minutiae_only.pairs == model.finger.pairs
    assert model.face.pairs > 1_000_000
    # a strong finger says more than a weak one; without the flow the same score says less
    assert model.finger.evidence(0.1) > model.finger.evidence(0.05) > 0
    assert model.finger_minutiae_only.evidence(0.06) < model.finger.evidence(0.06)


# -- the fused decision ------------------------------------------------------------------------
def test_fisher_fusion_is_exact_when_the_tails_are_right():
    """With the stated tails true, the chance a stranger reaches an evidence sum is Gamma(k)'s tail;
    the numerical convolution the confidence bound uses agrees."""
    model = tails()
    stated = [model.face, model.finger, model.finger]
    for evidence in (5.0, 12.0, 25.0):
        exact = stranger_probability(evidence, 3)
        assert exact == pytest.approx(gammaincc(3, evidence))
        assert stranger_probability_under(evidence, stated, stated) == pytest.approx(exact, rel=0.1)


def test_the_flag_threshold_holds_the_rate_at_any_size():
    for gallery in (1, 1_000, 1_000_000):
        assert fpir_at(flag_probability(gallery, 1e-3), gallery) == pytest.approx(1e-3, rel=1e-9)
    assert flag_probability(1_000_000) < flag_probability(1_000) < flag_probability(1)


def test_ten_weak_fingers_add_up_and_one_chance_finger_does_not_flag():
    model = tails()
    weak = float(model.finger.score_at(-math.log(0.02)))  # each finger: one stranger in fifty scores as high
    ten = [FingerScore(p, p, weak, True) for p in range(1, 11)]
    assert candidate("X", None, ten, gallery=1_000).flagged
    assert not candidate("X", None, ten[:1], gallery=1_000).flagged
    lucky = float(model.finger.score_at(-math.log(1e-4)))  # one in 10,000: chance in a gallery of thousands
    assert not candidate("X", None, [FingerScore(1, 1, lucky, True)], gallery=100_000).flagged
    # records with fewer modalities fuse what they have
    strong = float(model.finger.score_at(-math.log(1e-12)))
    alone = candidate("X", None, [FingerScore(1, 1, strong, True)], gallery=100_000)
    assert alone.flagged and alone.modalities == 1
    assert candidate("X", 0.3, [], gallery=100).modalities == 1


def test_a_finger_found_at_another_position_counts_with_its_chances():
    model = tails()
    score = float(model.finger.score_at(-math.log(1e-6)))
    own = candidate("X", None, [FingerScore(2, 2, score, True)], gallery=10)
    elsewhere = candidate("X", None, [FingerScore(2, 7, score, True, multiplicity=9)], gallery=10)
    assert elsewhere.evidence == pytest.approx(own.evidence - math.log(9))


# -- the gallery -------------------------------------------------------------------------------
def test_a_finger_seen_before_is_flagged_with_or_without_its_ridge_flow(synthetic_fingers):
    """Another vendor's record may carry minutiae only (the pair is then judged on the minutiae-only tail):
    a repeated finger is found either way, a different one flagged neither way."""
    first, again, other = _finger(synthetic_fingers, 1, 1), _finger(synthetic_fingers, 1, 2), \
        _finger(synthetic_fingers, 2, 1)
    gallery = Gallery()
    gallery.add("A-1", Biometrics(None, {2: first}))
    for probe in (again, replace(again, flow=None)):
        outcome = gallery.search(Biometrics(None, {2: probe}), excluded={"B-2"})
        assert [c.person for c in outcome.flagged] == ["A-1"]
    for probe in (other, replace(other, flow=None)):
        assert gallery.search(Biometrics(None, {2: probe})).flagged == ()


def test_a_duplicate_is_found_at_rank_one_among_strangers_and_a_newcomer_flags_no_one(synthetic_fingers):
    gallery = Gallery()
    gallery.add("P", Biometrics(_face(0), {2: _finger(synthetic_fingers, 1, 1), 7: _finger(synthetic_fingers, 2, 1)}))
    for k in range(1, 40):
        gallery.add(f"S{k}", Biometrics(_face(k), {}))
    gallery.add("Q", Biometrics(_face(100), {2: _finger(synthetic_fingers, 3, 1), 7: _finger(synthetic_fingers, 4, 1)}))
    assert len(gallery) == 41
    duplicate = gallery.search(Biometrics(_near(_face(0)), {2: _finger(synthetic_fingers, 1, 2),
                                                            7: _finger(synthetic_fingers, 2, 2)}))
    assert duplicate.candidates[0].person == "P" and [c.person for c in duplicate.flagged] == ["P"]
    assert duplicate.gallery == 41 and duplicate.candidates[0].modalities == 3
    newcomer = gallery.search(Biometrics(_face(500), {}))
    assert newcomer.flagged == ()
    # the same fingers presented at swapped positions are still found
    swapped = gallery.search(Biometrics(None, {7: _finger(synthetic_fingers, 1, 2),
                                               2: _finger(synthetic_fingers, 2, 2)}))
    assert [c.person for c in swapped.flagged] == ["P"]
    assert {(f.probe_position, f.gallery_position) for f in swapped.flagged[0].fingers} == {(7, 2), (2, 7)}
    # excluded persons (the record's own application, applications linked to it) are never candidates
    assert "P" not in {c.person for c in gallery.search(
        Biometrics(_near(_face(0)), {2: _finger(synthetic_fingers, 1, 2)}), excluded={"P"}).candidates}


def test_the_compact_gallery_scores_as_the_full_cylinders_do(synthetic_fingers):
    """Cylinders are built again for candidates from the kept minutiae (float32): the scores of building them
    once from the full-precision template, to a millionth."""
    from matching.fingerprint.search import FingerprintGallery

    gallery = FingerprintGallery()
    gallery.CACHED = 2
    prints = [_finger(synthetic_fingers, f, k) for f in (1, 2, 3) for k in (1, 2)]
    for i, t in enumerate(prints):
        gallery.add(str(i), t)
    probe = _finger(synthetic_fingers, 1, 3)
    expected = sorted((compare(probe, t) for t in prints), reverse=True)[:3]
    assert [c.score for c in gallery.search(probe, top=3)] == pytest.approx(expected, abs=1e-6)
    assert gallery.index_bytes() == 64 * sum(len(gallery.cylinders(i)) for i in range(len(prints)))  # int8
    assert gallery.compact_bytes() < 6 * 12 * 1024  # minutiae, flow and index: tens of KB, not 200 KB a print


def test_a_record_is_searched_on_what_is_usable(synthetic_fingers):
    template = _finger(synthetic_fingers, 1, 1)
    files = {"f2": encode_record(template, 2), "f7": b"not a template"}
    manifest = {"face": {"record": "face", "embedding": [float("nan")] * 128},
                "fingers": [{"position": 2, "template": "f2"}, {"position": 7, "template": "f7"}]}
    record = biometrics(manifest, files)
    assert record.face is None and set(record.fingers) == {2}
    assert record.unusable == ("central.search_face_unusable", "central.search_finger_unusable")
    nothing = biometrics({"face": None, "fingers": []}, {})
    assert nothing.unusable == ("central.search_nothing_usable",)


def test_a_mirrored_finger_is_nobody_and_a_distractor_stays_a_finger(synthetic_fingers):
    """Distractors for the evaluation: a finger reflected left to right no longer matches itself."""
    first, again = _finger(synthetic_fingers, 1, 1), _finger(synthetic_fingers, 1, 2)
    genuine = compare(again, first)
    assert compare(again, mirrored(first)) < 0.5 * genuine
    twice = mirrored(mirrored(first))
    assert np.allclose(twice.minutiae[:, :2], first.minutiae[:, :2]) and twice.flow == first.flow
    made = distractor_finger(first, np.random.default_rng(0))
    assert 0.6 * len(first) <= len(made) <= len(first)
    assert compare_cylinders(make_cylinders(made), make_cylinders(made)) > 0.5


def test_a_template_whose_minutiae_make_no_cylinder_is_held_and_searched():
    """Two minutiae far apart give no usable cylinder (each lacks neighbours): such a foreign template once
    made building its cylinders fail."""
    from matching.fingerprint.template import Template

    sparse = Template(300, 300, np.array([[10, 10, 0.0, 1, 50], [290, 290, 1.0, 1, 50]]))
    assert len(make_cylinders(sparse)) == 0
    gallery = Gallery()
    gallery.add("A", Biometrics(None, {2: sparse}))
    assert gallery.search(Biometrics(None, {2: sparse})).flagged == ()
