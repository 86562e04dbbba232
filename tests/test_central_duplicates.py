"""The duplicate-identity index on its own: records in, flags out, no server."""

from __future__ import annotations

from dataclasses import replace

import cv2

from central.duplicates import DuplicateIndex
from matching.fingerprint.extractor import extract
from matching.fingerprint.iso19794_2 import encode_record


def _record(template, position: int = 2) -> tuple[dict, dict[str, bytes]]:
    name = "finger_02.iso19794-2"
    return {"fingers": [{"position": position, "template": name}]}, {name: encode_record(template, position)}


def test_a_finger_seen_before_is_flagged_with_or_without_its_ridge_flow(synthetic_fingers):
    """Another vendor's record may carry minutiae only (the pair is then scored, and judged,
    as minutiae alone): a repeated finger is found either way, a different one flagged
    neither way."""
    first, again = (extract(cv2.imread(str(synthetic_fingers / f"001_{k}.png"), cv2.IMREAD_GRAYSCALE))
                    for k in (1, 2))
    other = extract(cv2.imread(str(synthetic_fingers / "002_1.png"), cv2.IMREAD_GRAYSCALE))
    assert first.flow is not None
    index = DuplicateIndex()
    index.add("A-1", *_record(first))
    for probe in (again, replace(again, flow=None)):
        flags = index.check("B-2", *_record(probe))
        assert [(app, modality) for app, modality, _ in flags] == [("A-1", "finger")]
    for probe in (other, replace(other, flow=None)):
        assert index.check("C-3", *_record(probe)) == []
