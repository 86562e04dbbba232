"""The compiled comparison kernel gives the NumPy reference's scores, and defers to it where
rounding decides."""

from __future__ import annotations

from dataclasses import replace
from itertools import combinations

import cv2
import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from matching.fingerprint import kernel, matcher
from matching.fingerprint.cylinder import make_cylinders
from matching.fingerprint.extractor import extract
from matching.fingerprint.iso19794_2 import decode_record, encode_record
from matching.fingerprint.matcher import align, compare_cylinders, compare_cylinders_reference
from matching.fingerprint.template import Template

TOLERANCE = 1e-6


@pytest.fixture(scope="module", autouse=True)
def one_blas_thread():
    """Products this small are slower on two BLAS threads, and far slower on a busy machine."""
    with threadpool_limits(1):
        yield


@pytest.fixture(scope="module")
def templates(synthetic_fingers) -> dict[str, Template]:
    return {p.stem: extract(cv2.imread(str(p), cv2.IMREAD_GRAYSCALE))
            for p in sorted(synthetic_fingers.glob("*.png"))}


@pytest.fixture(scope="module")
def with_flow(templates) -> list:
    return _all_pairs(templates)


@pytest.fixture(scope="module")
def without_flow(templates) -> list:
    return _all_pairs(templates, lambda t: replace(t, flow=None))


def _all_pairs(templates: dict[str, Template], prepare=lambda t: t) -> list:
    cylinders = {name: make_cylinders(prepare(t)) for name, t in templates.items()}
    return [(cylinders[x], cylinders[y]) for x, y in combinations(sorted(cylinders), 2)]


def _differences(pairs) -> np.ndarray:
    return np.array([abs(compare_cylinders(a, b) - compare_cylinders_reference(a, b)) for a, b in pairs])


def test_same_scores_as_the_reference_on_genuine_and_impostor_pairs(templates, with_flow):
    names = [(x.split("_")[0], y.split("_")[0]) for x, y in combinations(sorted(templates), 2)]
    genuine = np.array([x == y for x, y in names])
    assert genuine.sum() >= 20 and (~genuine).sum() >= 80
    assert all(a.flow is not None for a, _ in with_flow)
    assert _differences(with_flow).max() <= TOLERANCE
    scores = np.array([compare_cylinders(a, b) for a, b in with_flow])
    assert scores[genuine].mean() > scores[~genuine].mean()  # real comparisons, not zeros


def test_same_scores_without_ridge_flow_and_with_one_flow_only(with_flow, without_flow):
    assert _differences(without_flow).max() <= TOLERANCE
    pairs = enumerate(zip(with_flow, without_flow, strict=True))
    mixed = [(a, b) if i % 2 else (b, a) for i, ((a, _), (_, b)) in pairs]
    assert _differences(mixed).max() <= TOLERANCE


def test_same_scores_in_both_directions(with_flow):
    assert _differences([(b, a) for a, b in with_flow]).max() <= TOLERANCE


def test_same_scores_on_records_of_whole_pixels_and_coarse_angles(templates):
    """ISO 19794-2 keeps whole pixels and 256 directions: distances and angles then land on
    thresholds exactly, where rounding decides."""
    pairs = _all_pairs(templates, lambda t: decode_record(encode_record(t))[0])
    assert _differences(pairs).max() <= TOLERANCE


def test_a_template_against_itself_and_a_moved_copy(templates):
    t = templates[sorted(templates)[0]]
    shifted = Template(t.width + 40, t.height + 40,
                       np.column_stack([t.minutiae[:, :2] + [17, 23], t.minutiae[:, 2:]]), flow=None)
    a, b = make_cylinders(t), make_cylinders(shifted)
    for x, y in ((a, a), (a, b), (b, a), (b, b)):
        assert abs(compare_cylinders(x, y) - compare_cylinders_reference(x, y)) <= TOLERANCE
    assert compare_cylinders(a, a) > 0.5


def test_empty_and_tiny_templates(templates):
    t = templates[sorted(templates)[0]]
    m = t.minutiae
    few = np.array([[100, 100, 0.3, 1, 50], [130, 110, 1.0, 2, 50], [120, 150, 2.0, 1, 50],
                    [90, 140, -1.0, 1, 50], [150, 150, 0.5, 1, 50]], float)
    # none, one and two minutiae make no cylinder (a cylinder needs two neighbours); three make three
    tiny = [Template(t.width, t.height), Template(t.width, t.height, m[:1]), Template(300, 300, few[:2]),
            Template(300, 300, few[:3]), Template(300, 300, few[:4]), Template(300, 300, few),
            replace(t, minutiae=m[:12]), Template(t.width, t.height, m[::5]), t]
    cylinders = [make_cylinders(x) for x in tiny]
    assert [len(c) for c in cylinders[:4]] == [0, 0, 0, 3] and len(cylinders[-1]) > 20
    pairs = [(a, b) for a in cylinders for b in cylinders]
    assert _differences(pairs).max() <= TOLERANCE
    assert compare_cylinders(cylinders[0], cylinders[-1]) == compare_cylinders(cylinders[-1], cylinders[1]) == 0.0


def test_align_rests_on_the_reference_seed_pair(templates):
    names = sorted(templates)
    for x, y in [(names[0], names[1]), (names[0], names[5]), (names[2], names[3])]:
        a, b = make_cylinders(templates[x]), make_cylinders(templates[y])
        score, seed_a, seed_b = matcher._best_compiled(a, b)
        reference = matcher._best(a, b)
        assert abs(score - reference[0]) <= TOLERANCE
        assert np.array_equal(seed_a, reference[1]) and np.array_equal(seed_b, reference[2])
        assert align(a, b)[0] == compare_cylinders(a, b)


def test_the_padded_flow_grid_holds_what_around_gathers(templates):
    """The kernel reads a point's nine neighbours from the padded grid, ``around`` from its own rows:
    the same values bit for bit, so that the flows' agreement is the reference's."""
    offsets = [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)]
    for t in templates.values():
        flow = make_cylinders(t).flow
        padded = flow.padded
        rows, cols = flow.shape
        assert padded.shape == (rows + 2, cols + 2, 3) and flow.padded is padded
        for n, (dy, dx) in enumerate(offsets):
            for v in range(3):  # cos 2θ, sin 2θ, penalty
                window = padded[1 + dy : 1 + dy + rows, 1 + dx : 1 + dx + cols, v].reshape(-1)
                assert np.array_equal(window, flow.around[9 * v + n])


def test_a_minutia_at_exactly_its_reach_is_left_to_the_reference():
    """A's seed reaches ALIGNMENT_RADIUS (8 px) around itself: B's minutia 8 px from B's seed is
    on the threshold, and whether it counts is the reference's rounding to decide."""
    seeds = np.array([[100.0, 100.0, 0.0]])
    a = np.array([[100.0, 100.0, 0.0, 1, 50], [160.0, 100.0, 0.0, 1, 50]])
    headings = np.column_stack([np.cos(a[:, 2]), np.sin(a[:, 2])])
    none = np.zeros((0, 3))
    for offset, close in ((8.0, True), (7.5, False), (8.5, False)):
        b = np.array([[100.0, 100.0, 0.0, 1, 50], [100.0 + offset, 100.0, 0.0, 1, 50]])
        scores, flagged = kernel.alignment_scores(a, headings, none, b, headings, none, seeds, seeds, kernel.SETTINGS)
        assert flagged == close
        assert 0 < scores[0] <= 1


def test_where_the_kernel_is_unsure_the_reference_scores(templates, monkeypatch):
    names = sorted(templates)
    a, b = make_cylinders(templates[names[0]]), make_cylinders(templates[names[1]])
    expected = compare_cylinders_reference(a, b)
    compare = kernel.compare
    monkeypatch.setattr(kernel, "compare", lambda *args: (*compare(*args)[:3], kernel.UNSURE, None))
    calls = []
    best = matcher._best
    monkeypatch.setattr(matcher, "_best", lambda x, y: calls.append((x, y)) or best(x, y))
    assert compare_cylinders(a, b) == expected
    assert calls == [(a, b)]


def test_where_efficiencies_tie_numpy_ranks_them(templates, monkeypatch):
    """The kernel's ranking and NumPy's agree where there is no tie, so handing it NumPy's
    changes nothing there: the call made again gives the same score."""
    names = sorted(templates)
    a, b = make_cylinders(templates[names[0]]), make_cylinders(templates[names[4]])
    expected = compare_cylinders(a, b)
    compare = kernel.compare
    calls = []

    def tied_first(*args):
        calls.append(len(args))
        result = compare(*args)
        return (0.0, -1, -1, kernel.TIED, result[4]) if len(args) == 4 else result

    monkeypatch.setattr(kernel, "compare", tied_first)
    assert compare_cylinders(a, b) == expected
    assert calls == [4, 5]
