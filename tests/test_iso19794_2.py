"""ISO/IEC 19794-2 records: exact round trip, the standard's angle, other vendors' records, our older
records, clear errors on damaged records."""

from __future__ import annotations

import struct

import cv2
import numpy as np
import pytest

from matching.fingerprint.extractor import extract
from matching.fingerprint.iso19794_2 import (
    FLOW_AREA,
    LEGACY_FLOW_AREA,
    FingerprintRecordError,
    decode_record,
    direction_of,
    encode_record,
    iso_angle,
    quantized,
)
from matching.fingerprint.matcher import compare
from matching.fingerprint.template import Template


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


# -- the standard's angle, hand-made records from other vendors, our older records ---------------
def _standard(minutiae=((1, 100, 120, 32, 60),), areas=(), views=1, width=300, height=400,
              block: bytes | None = None) -> bytes:
    """A record written field by field as ISO/IEC 19794-2:2005 lays it out (the way another vendor's
    writer would), not by ``encode_record``: minutiae as (type, x, y, angle code, quality), extended
    data areas as (type, data); ``block`` replaces the whole extended data block."""
    view = bytearray()
    for number in range(views):
        view += struct.pack(">BBBB", 2 + number, number << 4, 70, len(minutiae))
        for kind, x, y, angle, quality in minutiae:
            view += struct.pack(">HHBB", (kind << 14) | x, y, angle, quality)
        if block is None:
            data = b"".join(struct.pack(">HH", t, len(d)) + d for t, d in areas)
            view += struct.pack(">H", len(data)) + data
        else:
            view += block
    header = struct.pack(">4s4sIHHHHHBB", b"FMR\x00", b" 20\x00", 24 + len(view), 0, width, height, 197, 197,
                         views, 0)
    return header + bytes(view)


def _skeleton_minutiae() -> np.ndarray:
    """Our extractor's own minutiae (``minutiae_from_skeleton``) of a drawn skeleton: a ridge that comes
    from the lower left, forks at (60, 50) into two branches running up and to the right, as the
    standard's Figures 2 and 3 draw a ridge ending and a bifurcation; ridge flow at 45° everywhere."""
    from matching.fingerprint.minutiae import minutiae_from_skeleton

    skeleton = np.zeros((120, 160), np.uint8)
    cv2.line(skeleton, (20, 90), (60, 50), 1, 1)
    cv2.line(skeleton, (60, 50), (110, 30), 1, 1)
    cv2.line(skeleton, (60, 50), (90, 5), 1, 1)
    found, _ = minutiae_from_skeleton(skeleton, np.ones(skeleton.shape, bool), np.full(skeleton.shape, 3 * np.pi / 4))
    return found


def test_the_written_angle_is_the_standards_for_our_extractors_minutiae():
    """ISO/IEC 19794-2 (6.4 in 2005, 6.5 in 2011; Figures 2 and 3): counter-clockwise from the
    horizontal to the right in units of 360/256°, a ridge ending pointing along its ridge *into* it,
    a bifurcation into the valley between its branches. On the image (y down) "up and to the right"
    is 45°, code 32; "down and to the left" is 225°, code 160."""
    found = _skeleton_minutiae()
    by_place = {(int(x), int(y)): (kind, direction) for x, y, direction, kind in found}
    # our convention, for the record: an ending points out of its ridge, a fork towards its stem
    assert by_place[(20, 90)] == (1, pytest.approx(3 * np.pi / 4))  # down-left, away from its ridge
    template = Template(width=160, height=120, minutiae=np.column_stack([found, np.full(len(found), 50)]))
    record = encode_record(template)
    codes = {(int.from_bytes(record[28 + 6 * k : 30 + 6 * k], "big") & 0x3FFF,
              int.from_bytes(record[30 + 6 * k : 32 + 6 * k], "big")): (record[28 + 6 * k] >> 6, record[32 + 6 * k])
             for k in range(record[27])}
    assert codes[(20, 90)] == (0b01, 32)  # the stem's free end: its ridge runs up-right from it
    assert codes[(110, 30)] == (0b01, 160)  # a branch's free end: its ridge runs down-left from it
    fork = next(place for place, (kind, _) in codes.items() if kind == 0b10)
    assert codes[fork] == (0b10, 32)  # into the valley between the branches, up-right
    # and read back, our directions again
    again = decode_record(record)[0]
    turn = np.angle(np.exp(1j * (again.minutiae[:, 2] - template.minutiae[:, 2])))
    assert np.abs(turn).max() <= np.pi / 256 + 1e-9


def test_every_angle_code_reads_and_writes_back_as_itself():
    codes = np.arange(256)
    assert [iso_angle(d) for d in direction_of(codes)] == list(codes)
    assert iso_angle(0.0) == 128  # ours points right, out of a ridge that comes from the left: 180°
    assert iso_angle(-np.pi / 2) == 192  # ours points up the image (y down), so the ridge runs down: 270°


def test_a_record_from_our_older_writer_reads_as_it_meant(template):
    """Until 2026-12-06 the writer wrote every angle 180° from the standard, with the ridge flow in area
    0x0101; such a record is recognised by that area and turned back (LEGACY_FLOW_AREA)."""
    record = bytearray(encode_record(template))
    count = record[27]
    for k in range(count):
        record[32 + 6 * k] = (record[32 + 6 * k] + 128) % 256  # the older writer's angle: -direction
    area = 24 + 4 + 6 * count + 2
    assert int.from_bytes(record[area : area + 2], "big") == FLOW_AREA
    record[area : area + 2] = LEGACY_FLOW_AREA.to_bytes(2, "big")
    old, new = decode_record(bytes(record))[0], decode_record(encode_record(template))[0]
    assert np.abs(np.angle(np.exp(1j * (old.minutiae[:, 2] - new.minutiae[:, 2])))).max() < 1e-9
    assert encode_record(old) == encode_record(template)  # rewritten, it is a current record, byte for byte
    # the same minutiae without that area are a standard record, read as the standard says
    standard = _standard(((1, 100, 120, 32, 60),))
    legacy = _standard(((1, 100, 120, 32, 60),), areas=[(LEGACY_FLOW_AREA, struct.pack(">HH", 0, 0))])
    assert decode_record(standard)[0].minutiae[0, 2] == pytest.approx(3 * np.pi / 4)
    assert decode_record(legacy)[0].minutiae[0, 2] == pytest.approx(7 * np.pi / 4)


def test_a_record_from_another_vendor_is_read_for_what_it_holds():
    """The standard's own extended data (ridge counts 0x0001, cores and deltas 0x0002) and any vendor's
    area are skipped; the type "other" is read as kind 0 and written back as "other"; the first of
    several finger views is read."""
    minutiae = ((1, 100, 120, 32, 60), (2, 150, 200, 200, 0), (0, 10, 399, 0, 100))
    areas = [(0x0001, bytes([0, 0, 1, 3])), (0x0002, bytes([1, 0x40, 10, 0, 20, 7])), (0x4A7F, b"\xff" * 9)]
    template, position = decode_record(_standard(minutiae, areas, views=2))
    assert position == 2 and template.flow is None and template.quality == 70
    assert [(int(x), int(y), int(k), int(q)) for x, y, _, k, q in template.minutiae] == [
        (100, 120, 1, 60), (150, 200, 2, 0), (10, 399, 0, 100)]
    again = encode_record(template)
    assert [again[28 + 6 * k] >> 6 for k in range(3)] == [0b01, 0b10, 0b00]
    assert [again[32 + 6 * k] for k in range(3)] == [32, 200, 0]  # angles as the vendor wrote them


@pytest.mark.parametrize("block, reason", [
    (b"\x00\x03\x00\x01\x00", "area header"),  # 3 bytes: not even one area's type and length
    (b"\x00\x06\x00\x01\x00\x09\x00\x00", "area length"),  # an area longer than its block
])
def test_extended_data_that_does_not_add_up_is_refused_by_name(block, reason):
    with pytest.raises(FingerprintRecordError) as caught:
        decode_record(_standard(block=block))
    assert caught.value.message_id == "template.bad_extension"
    assert caught.value.params["reason"] == reason


def test_nbis_layout_is_read_leniently_with_the_standards_angles():
    """NBIS's binding writes a 26-byte header (no resolution, no view count, the view header moved)
    and no extended data length; the lenient path reads it, its 6-byte minutiae as the standard's."""
    minutiae = ((1, 100, 120, 32, 40), (2, 150, 200, 200, 63))
    body = b"".join(struct.pack(">HHBB", (k << 14) | x, y, a, q) for k, x, y, a, q in minutiae)
    nbis = struct.pack(">4s4sIHHHBBB4sB", b"FMR\x00", b" 20\x00", 26 + len(body), 0, 300, 400, 3, 0, 60,
                       b"\0\0\0\0", len(minutiae)) + body
    theirs, position = decode_record(nbis)
    ours, _ = decode_record(_standard(minutiae))
    assert position == 3 and theirs.dpi == 500
    assert np.array_equal(theirs.minutiae, ours.minutiae)
