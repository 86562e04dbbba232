"""The compiled cylinders (``cylinder_kernel``) are the NumPy reference's: the same cells valid,
the same cylinders usable, values within 1e-6, and so the same scores."""

from __future__ import annotations

from dataclasses import replace
from itertools import combinations, islice

import cv2
import numpy as np
import pytest

from matching.fingerprint import cylinder_kernel
from matching.fingerprint.alignment import make_outline
from matching.fingerprint.cylinder import (
    _CORNER_X,
    _CORNER_Y,
    _CX,
    _CY,
    Cylinders,
    _hull_rows,
    make_cylinders,
    make_cylinders_reference,
)
from matching.fingerprint.extractor import extract
from matching.fingerprint.iso19794_2 import decode_record, encode_record
from matching.fingerprint.matcher import compare_cylinders
from matching.fingerprint.parameters import RADIUS, SIGMA_S
from matching.fingerprint.template import Template

TOLERANCE = 1e-6


@pytest.fixture(scope="module")
def templates(synthetic_fingers) -> list[Template]:
    return [extract(cv2.imread(str(p), cv2.IMREAD_GRAYSCALE)) for p in sorted(synthetic_fingers.glob("*.png"))]


def assert_same(template: Template) -> tuple[Cylinders, Cylinders]:
    """The compiled and the reference cylinders of ``template``, checked to agree."""
    compiled, reference = make_cylinders(template), make_cylinders_reference(template)
    n = len(reference)
    assert len(compiled) == n
    assert np.array_equal(compiled.minutiae, reference.minutiae)
    assert np.array_equal(compiled.headings, reference.headings)
    assert compiled.values.dtype == reference.values.dtype == np.float32
    assert compiled.values.shape == reference.values.shape
    assert compiled.cells.shape == reference.cells.shape
    assert np.array_equal(compiled.cells[n:], reference.cells[n:])  # validity, exactly
    if n:
        assert np.abs(compiled.values.astype(np.float64) - reference.values).max() <= TOLERANCE
        assert np.abs(compiled.cells[:n].astype(np.float64) - reference.cells[:n]).max() <= TOLERANCE
    assert compiled.outline.vertices.shape == reference.outline.vertices.shape
    assert (compiled.flow is None) == (reference.flow is None)
    return compiled, reference


def test_same_cylinders_on_synthetic_prints_with_and_without_flow(templates):
    assert all(t.flow is not None for t in templates)
    usable = 0
    for template in templates:
        compiled, _ = assert_same(template)
        assert_same(replace(template, flow=None))
        usable += len(compiled)
    assert usable >= 10 * len(templates)  # real cylinders, not empty sets


def test_same_cylinders_on_records_of_whole_pixels_and_coarse_angles(templates):
    """ISO 19794-2 keeps whole pixels and 256 directions: cell centres then land on
    thresholds and on halves, where the comparisons and rounding decide."""
    for template in templates:
        assert_same(decode_record(encode_record(template))[0])


def test_same_scores_from_either_cylinders(templates):
    compiled = [make_cylinders(t) for t in templates]
    reference = [make_cylinders_reference(t) for t in templates]
    pairs = list(islice(combinations(range(len(templates)), 2), 40))
    scores = np.array([compare_cylinders(compiled[a], compiled[b]) for a, b in pairs])
    expected = np.array([compare_cylinders(reference[a], reference[b]) for a, b in pairs])
    assert np.abs(scores - expected).max() <= TOLERANCE
    assert scores.max() > 0.1  # real comparisons, not zeros


def _minutiae(*rows: tuple[float, float, float]) -> np.ndarray:
    return np.array([(x, y, d, 1, 60) for x, y, d in rows], np.float64).reshape(-1, 5)


@pytest.mark.parametrize("count", [0, 1, 2])
def test_too_few_minutiae(count):
    points = _minutiae(*[(100.0 + 30 * i, 120.0, 0.3 * i) for i in range(count)])
    compiled, _ = assert_same(Template(300, 300, points))
    assert len(compiled) == 0  # two minutiae are each other's only neighbour: not enough


def test_minutiae_at_the_image_borders():
    rng = np.random.default_rng(5)
    w, h = 240, 260
    border = [(0.0, 0.0, 0.0), (w - 1.0, 0.0, np.pi / 2), (0.0, h - 1.0, -np.pi / 2), (w - 1.0, h - 1.0, np.pi),
              (0.0, h / 2, np.pi / 4), (w - 1.0, h / 2, -3 * np.pi / 4), (w / 2, 0.0, 2.0), (w / 2, h - 1.0, -2.0)]
    inner = [(x, y, d) for x, y, d in zip(rng.uniform(20, w - 20, 20), rng.uniform(20, h - 20, 20),
                                          rng.uniform(-np.pi, np.pi, 20), strict=True)]
    compiled, _ = assert_same(Template(w, h, _minutiae(*border, *inner)))
    assert len(compiled) > 0


def test_coincident_minutiae():
    rng = np.random.default_rng(6)
    points = _minutiae(*zip(rng.uniform(60, 240, 15), rng.uniform(60, 240, 15), rng.uniform(-np.pi, np.pi, 15),
                            strict=True))
    twins = np.concatenate([points, points[:5]])  # the same minutiae twice
    turned = points[5:10].copy()
    turned[:, 2] += 1.0  # the same places, other directions
    assert_same(Template(300, 300, np.concatenate([twins, turned])))
    assert_same(Template(300, 300, np.repeat(points[:1], 6, axis=0)))  # all in one place


def test_ties_of_rounding_and_distances_exactly_at_the_thresholds():
    """Directions of 0 and π keep positions exact: cell centres at whole halves (np.round goes
    to the even neighbour), neighbours exactly R + 3σ_S from a grid corner and exactly 3σ_S
    from a cell centre (both count: ``<=``)."""
    reach, near = RADIUS + 3 * SIGMA_S, 3 * SIGMA_S
    corner_x, corner_y = _CORNER_X.max(), _CORNER_Y.max()
    cell_x, cell_y = _CX.max(), _CY[np.argmax(_CX)]
    s = (100.125, 100.125, 0.0)  # + 4.375 = a whole half
    rows = [s,
            (s[0] + corner_x + reach, s[1] + corner_y, 0.0),  # exactly at reach of the corner
            (s[0] + cell_x + near, s[1] + cell_y, 1.0),  # exactly 3σ from an outermost cell centre
            (s[0] + 20.5, s[1] - 10.5, np.pi), (s[0] + 40.0, s[1] + 30.0, np.pi / 2)]
    points = _minutiae(*rows)
    for width in (320, 220, 190):  # hull edges and image edges through the cells
        assert_same(Template(width, 260, points))
        assert_same(Template(width, 260, np.concatenate([points, points + [1.5, 2.5, 0, 0, 0]])))
    # cells whose centres round half to even onto the grown hull's last column (rounded half up,
    # three of these cylinders would have other valid cells)
    ties = _minutiae((112.125, 168.125, 0.0), (155.125, 190.125, 0.0), (191.125, 64.125, 0.0),
                     (26.125, 76.125, 0.0), (45.125, 176.125, 0.0))
    compiled, _ = assert_same(Template(260, 260, ties))
    assert len(compiled) >= 3
    # s's second neighbour lies exactly R + 3σ_S from a corner of its grid, and from no other centre
    # within reach: s is usable only because the reach counts ``<=``; the far minutiae make the hull
    # wide enough for its cells
    corner = (s[0] + corner_x, s[1] + corner_y)
    lone = _minutiae(s, (corner[0] + reach, corner[1], 0.0), (s[0] + 40, s[1] + 30, 0.0),
                     (s[0] + 300, s[1], 0.0), (s[0], s[1] + 300, 0.0), (s[0] + 300, s[1] + 300, 0.0))
    compiled, _ = assert_same(Template(450, 450, lone))
    assert np.array_equal(compiled.minutiae[0], lone[0])


def test_dense_and_tiny_prints():
    rng = np.random.default_rng(7)
    many = _minutiae(*zip(rng.uniform(0, 400, 150), rng.uniform(0, 500, 150), rng.uniform(-np.pi, np.pi, 150),
                          strict=True))
    assert_same(Template(400, 500, many))
    few = _minutiae(*zip(rng.uniform(0, 60, 12), rng.uniform(0, 60, 12), rng.uniform(-np.pi, np.pi, 12),
                         strict=True))
    assert_same(Template(60, 60, few))  # most cells outside the image


def test_hull_rows_as_the_reference(templates):
    for template in templates[:6]:
        outline = make_outline(template.minutiae)
        mask = np.zeros((template.height, template.width), np.uint8)
        cv2.fillConvexPoly(mask, outline.vertices.astype(np.int32), 1)
        left, right = cylinder_kernel.hull_rows(mask, cylinder_kernel.HALF_WIDTHS)
        expected_left, expected_right = _hull_rows(outline, template.width, template.height)
        assert np.array_equal(left, expected_left) and np.array_equal(right, expected_right)
