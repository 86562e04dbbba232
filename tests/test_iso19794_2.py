"""ISO/IEC 19794-2 records: exact round trip, clear errors on damaged records."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from matching.fingerprint.extractor import extract
from matching.fingerprint.iso19794_2 import (
    FingerprintRecordError,
    decode_record,
    encode_record,
    quantized,
)
from matching.fingerprint.matcher import compare


@pytest.fixture(scope="module")
def template(synthetic_fingers):
    return extract(cv2.imread(str(sorted(synthetic_fingers.glob("*.png"))[0]), cv2.IMREAD_GRAYSCALE))


def test_round_trip_is_exact(template):
    record = encode_record(template, position=2)
    again, position = decode_record(record)
    assert position == 2
    assert encode_record(again, position=2) == record  # byte for byte
    assert decode_record(encode_record(again))[0] == again
    assert len(again) == len(template)
    assert (again.width, again.height, again.dpi) == (template.width, template.height, 500)
    assert np.abs(again.minutiae[:, :2] - template.minutiae[:, :2]).max() <= 0.5
    turn = np.abs(np.angle(np.exp(1j * (again.minutiae[:, 2] - template.minutiae[:, 2]))))
    assert turn.max() <= np.pi / 256 + 1e-9


def test_layout_matches_the_standard(template):
    record = encode_record(template, position=7)
    assert record[:8] == b"FMR\x00 20\x00"
    assert int.from_bytes(record[8:12], "big") == len(record)
    assert int.from_bytes(record[18:20], "big") == 197  # 500 dpi in pixels per centimetre
    assert record[22] == 1 and record[24] == 7
    assert record[27] == len(template)
    extended = 24 + 4 + 6 * len(template)  # the extended data block: its length, then one area
    rows, cols = template.flow.angle.shape
    assert int.from_bytes(record[extended : extended + 2], "big") == 4 + 4 + 2 * rows * cols
    assert int.from_bytes(record[extended + 2 : extended + 4], "big") >= 0x0100  # vendor-defined
    assert len(record) == extended + 2 + 4 + 4 + 2 * rows * cols


def test_template_without_flow_has_no_extended_data(template):
    from dataclasses import replace

    record = encode_record(replace(template, flow=None))
    assert len(record) == 24 + 4 + 6 * len(template) + 2
    assert record[-2:] == b"\x00\x00"
    assert decode_record(record)[0].flow is None


def test_stored_template_still_matches(template):
    assert compare(quantized(template), template) > 0.5


@pytest.mark.parametrize("damage, message_id", [
    (lambda r: r[:20], "template.truncated"),
    (lambda r: b"XYZ\x00" + r[4:], "template.not_iso"),
    (lambda r: r + b"\x00", "template.bad_length"),
    (lambda r: r[:40], "template.bad_length"),
    (lambda r: b"", "template.truncated"),
])
def test_damaged_records_are_refused_clearly(template, damage, message_id):
    broken = damage(encode_record(template))
    with pytest.raises(FingerprintRecordError) as caught:
        decode_record(broken)
    assert caught.value.message_id == message_id


def test_bad_minutia_type_is_refused(template):
    record = bytearray(encode_record(template))
    record[28] |= 0xC0  # type bits 11 are not a minutia type
    with pytest.raises(FingerprintRecordError) as caught:
        decode_record(bytes(record))
    assert caught.value.message_id == "template.bad_minutia"
