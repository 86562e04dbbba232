"""The ridge flow kept beside the minutiae: stored exactly, compared under an alignment,
and what it does to genuine and impostor scores."""

from __future__ import annotations

from dataclasses import replace
from itertools import combinations

import cv2
import numpy as np
import pytest

from matching.fingerprint.extractor import extract
from matching.fingerprint.iso19794_2 import (
    AREA,
    FingerprintRecordError,
    decode_record,
    encode_record,
)
from matching.fingerprint.matcher import compare
from matching.fingerprint.ridge_flow import OUTSIDE, STEP, RidgeFlow, flow_factors, flow_grid


@pytest.fixture(scope="module")
def templates(synthetic_fingers):
    return {p.stem: extract(cv2.imread(str(p), cv2.IMREAD_GRAYSCALE))
            for p in sorted(synthetic_fingers.glob("*.png"))}


def _one(templates):
    return templates[sorted(templates)[0]]


def test_extracted_template_carries_a_flow_over_its_image(templates):
    t = _one(templates)
    rows, cols = t.flow.angle.shape
    assert (rows, cols) == (len(range(STEP // 2, t.height, STEP)), len(range(STEP // 2, t.width, STEP)))
    inside = t.flow.angle != OUTSIDE
    assert 0.2 < inside.mean() < 1.0  # the finger, not the blank margin around it
    assert t.flow.angle[inside].max() <= 179


def test_flow_survives_the_iso_record_exactly(templates):
    t = _one(templates)
    again = decode_record(encode_record(t))[0]
    assert again.flow == t.flow
    assert encode_record(again) == encode_record(t)


def _with_area(record: bytes, kind: int, data: bytes) -> bytes:
    """The record with one more extended data area appended to its block."""
    minutiae = record[27]
    start = 24 + 4 + 6 * minutiae
    size = int.from_bytes(record[start : start + 2], "big")
    extra = AREA.pack(kind, len(data)) + data
    body = record[:start] + (size + len(extra)).to_bytes(2, "big") + record[start + 2 :] + extra
    return body[:8] + len(body).to_bytes(4, "big") + body[12:]


def test_unknown_vendor_area_is_skipped(templates):
    t = _one(templates)
    again = decode_record(_with_area(encode_record(t), 0x0B07, b"\x01\x02\x03"))[0]
    assert again.flow == t.flow
    assert np.array_equal(again.minutiae, decode_record(encode_record(t))[0].minutiae)


def test_damaged_flow_area_is_refused_clearly(templates):
    t = _one(templates)
    record = bytearray(encode_record(t))
    minutiae = record[27]
    first_angle = 24 + 4 + 6 * minutiae + 2 + AREA.size + 4
    record[first_angle] = 200  # no orientation is 200 degrees
    with pytest.raises(FingerprintRecordError) as caught:
        decode_record(bytes(record))
    assert caught.value.message_id == "template.bad_extension"
    # an area that claims more bytes than its block holds
    record = bytearray(encode_record(t))
    length_at = 24 + 4 + 6 * minutiae + 2 + 2
    record[length_at : length_at + 2] = (0xFFF0).to_bytes(2, "big")
    with pytest.raises(FingerprintRecordError) as caught:
        decode_record(bytes(record))
    assert caught.value.message_id == "template.bad_extension"


def _flow(angle_degrees: int, coherence: int) -> RidgeFlow:
    angle = np.full((12, 12), angle_degrees, np.uint8)
    angle[:2] = OUTSIDE
    return RidgeFlow(angle, np.full((12, 12), coherence, np.uint8))


def _factor(a: RidgeFlow, b: RidgeFlow, rotation: float) -> float:
    # turning about the grid's centre, which stays where it was
    centre = np.array([96.0, 96.0])
    c, s = np.cos(rotation), np.sin(rotation)
    shift = centre - np.array([c * centre[0] - s * centre[1], s * centre[0] + c * centre[1]])
    return float(flow_factors(flow_grid(a), flow_grid(b), np.array([rotation]), shift[None],
                              centre[None])[0])


def test_agreeing_flows_cost_nothing_and_crossing_ones_cost_much():
    assert _factor(_flow(30, 230), _flow(30, 230), 0.0) == pytest.approx(1.0)
    # the same flows, but an alignment that turns B by 90°: every ridge crosses A's
    assert _factor(_flow(30, 230), _flow(30, 230), np.pi / 2) < 0.01
    # B's ridges at 120° turned by -90° run along A's 30° again
    assert _factor(_flow(30, 230), _flow(120, 230), -np.pi / 2) == pytest.approx(1.0)


def test_flows_too_blurred_to_trust_cost_nothing():
    assert _factor(_flow(30, 40), _flow(120, 40), 0.0) == pytest.approx(1.0)


def test_flow_lowers_impostors_and_spares_genuine_pairs(templates):
    genuine, impostor = [], []
    for a, b in combinations(sorted(templates), 2):
        with_flow = compare(templates[a], templates[b])
        minutiae_only = compare(replace(templates[a], flow=None), templates[b])
        assert with_flow <= minutiae_only + 1e-12
        (genuine if a.split("_")[0] == b.split("_")[0] else impostor).append(with_flow / minutiae_only)
    assert min(genuine) > 0.9
    assert np.mean(impostor) < 0.7
