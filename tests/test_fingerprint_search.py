"""1:N fingerprint search: the vectorised first stage agrees with a plain loop, mates come first,
pooling sums the right cells, the compact form gives back what was added."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from matching.fingerprint.cylinder import CELLS, GRID_INDEX, ND, NS, make_cylinders
from matching.fingerprint.extractor import extract
from matching.fingerprint.search import QUANTUM, TOP_LOCAL, FingerprintGallery, pooled, quantised
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


@pytest.mark.parametrize("chunk_rows", [FingerprintGallery.CHUNK_ROWS, 50])
def test_first_stage_equals_a_loop_over_templates(synthetic_fingers, chunk_rows):
    """Also when the gallery's rows are multiplied in chunks of a few templates each."""
    gallery = FingerprintGallery()
    gallery.CHUNK_ROWS = chunk_rows
    templates = list(_templates(synthetic_fingers, 2).items())
    gallery.add("none", Template(width=300, height=300))
    for key, t in templates:
        gallery.add(key, t)
    probe = make_cylinders(_templates(synthetic_fingers, 4)["002"])
    fast = gallery.first_stage(probe)
    p = pooled(probe)
    expected = [0.0]
    for _, t in templates:
        stored = quantised(pooled(make_cylinders(t))).astype(np.float32)  # the index keeps int8
        sims = p @ stored.T / QUANTUM
        best = np.sort(sims.max(axis=1))[::-1][:TOP_LOCAL]
        expected.append(best.mean())
    assert np.allclose(fast, expected, atol=1e-5)
    # several probes in one pass score as each alone
    probes = [make_cylinders(_templates(synthetic_fingers, 4)[k]) for k in ("001", "002", "003")]
    together = gallery.first_stage_many(probes)
    assert np.allclose(together, [gallery.first_stage(p) for p in probes], atol=1e-6)
    # and the int8 index ranks as the float32 rows it quantises, within a step's error
    exact = [0.0] + [np.sort((p @ pooled(make_cylinders(t)).T).max(axis=1))[::-1][:TOP_LOCAL].mean()
                     for _, t in templates]
    assert np.max(np.abs(fast - exact)) < 5 / QUANTUM


def test_pooling_sums_each_2x2_block_of_the_whole_grid(synthetic_fingers):
    """Cylinders keep only the cells within the radius; pooling must still sum the right
    2×2 blocks of the 16×16 grid, as when the grid was stored whole."""
    c = make_cylinders(_templates(synthetic_fingers, 1)["001"])
    assert len(c) > 0 and len(GRID_INDEX) == CELLS < NS * NS
    grid = np.zeros((len(c), NS * NS, ND), np.float32)
    grid[:, GRID_INDEX] = c.values.reshape(len(c), CELLS, ND)
    blocks = grid.sum(axis=2).reshape(len(c), NS // 2, 2, NS // 2, 2).sum(axis=(2, 4)).reshape(len(c), -1)
    blocks -= blocks.mean(axis=1, keepdims=True)
    expected = blocks / np.linalg.norm(blocks, axis=1, keepdims=True)
    assert np.allclose(pooled(c), expected, atol=1e-5)


def test_the_compact_form_gives_back_each_template(synthetic_fingers):
    """Minutiae (to float32), flow and frame come back from the shared arrays as they were added."""
    gallery = FingerprintGallery()
    templates = list(_templates(synthetic_fingers, 1).values())
    gallery.add("none", Template(width=300, height=300))
    for i, t in enumerate(templates):
        gallery.add(str(i), t)
    assert len(gallery.template(0)) == 0 and gallery.template(0).flow is None
    for i, t in enumerate(templates, start=1):
        back = gallery.template(i)
        assert (back.width, back.height, back.quality, back.dpi) == (t.width, t.height, t.quality, t.dpi)
        assert np.array_equal(back.minutiae, t.minutiae.astype(np.float32).astype(np.float64))
        assert back.flow == t.flow
