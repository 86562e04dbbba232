"""Enrollment as data: the flow's order, finger capture policy, records, packet layout, fusion."""

from __future__ import annotations

import hashlib
from datetime import date

import cv2
import numpy as np
import pytest

from domain.fingers import FingerPosition
from drivers.scanner import FingerImage
from enrollment.finger_capture import FingerOutcome, FingerSequence
from enrollment.flow import EnrollmentFlow, FlowError, Step
from enrollment.fusion import fuse
from enrollment.iso19794_5 import FaceRecord, FaceRecordError, decode_face_record, encode_face_record
from enrollment.nist import parse_transaction
from enrollment.packet import packet_layout
from enrollment.policy import Policy, PolicyError, age_on, parse_fingers
from enrollment.synthetic import SENSOR, face_result, sample_record
from matching.fingerprint.iso19794_2 import decode_record

APPLICATION = {"number": "P2611270001", "given_name": "Siti", "surname": "Rahayu", "birth_date": "1990-04-01",
               "service": "passport"}


class Person:
    def __init__(self, name: str, role: str) -> None:
        self.name, self.role = name, role

    def may(self, action: str) -> bool:
        return action == "enroll" or (action == "approve" and self.role == "supervisor")


class Source:
    def __init__(self, *apps: dict) -> None:
        self.apps = {a["number"]: a for a in apps}

    def lookup(self, number: str) -> dict:
        return self.apps[number]


def _image(folder, finger: int, impression: int, position: FingerPosition) -> FingerImage:
    pixels = cv2.imread(str(folder / f"{finger:03d}_{impression}.png"), cv2.IMREAD_GRAYSCALE)
    return FingerImage(pixels, 500, position, SENSOR)


def test_face_record_round_trip_and_errors():
    face = face_result()
    record = FaceRecord(face.jpeg, 420, 540, ((170, 256), (250, 256)), (4, -6, 2), 77)
    data = encode_face_record(record)
    assert data[:8] == b"FAC\x00010\x00" and int.from_bytes(data[8:12], "big") == len(data)
    assert decode_face_record(data) == record
    for bad in (data[:-1], b"FAC\x00" + data[4:20], b"XYZ" + data[3:]):
        with pytest.raises(FaceRecordError):
            decode_face_record(bad)


def test_packet_layout_lists_every_file_and_nist_reparses(synthetic_fingers):
    record = sample_record(APPLICATION, "station-1", synthetic_fingers)
    manifest, files = packet_layout(record, "f" * 32, "a" * 64)
    assert set(manifest["files"]) == set(files)
    assert all(hashlib.sha256(files[n]).hexdigest() == h for n, h in manifest["files"].items())
    assert manifest["audit_head"] == "a" * 64 and manifest["application"] == APPLICATION["number"]
    assert all(d["emulated"] for d in manifest["devices"])
    template, position = decode_record(files["finger-01.iso19794-2"])
    assert position == 1 and len(template) == len(record.fingers[0].template)
    nist = parse_transaction(files["transaction.an2"])
    assert nist["application"] == APPLICATION["number"] and nist["face_jpeg"] == record.face.jpeg
    assert [f["position"] for f in nist["fingers"]] == [1, 2]
    import io

    from PIL import Image

    wsq_image = np.asarray(Image.open(io.BytesIO(files["finger-01.wsq"])))
    assert wsq_image.shape == record.fingers[0].image.shape
    assert np.abs(wsq_image.astype(int) - record.fingers[0].image).mean() < 8  # lossy, but the same print


def test_finger_sequence_two_impressions_sequence_check_and_quality(synthetic_fingers):
    policy = Policy(finger_min_nfiq2=30)
    seq = FingerSequence((FingerPosition.RIGHT_THUMB, FingerPosition.RIGHT_INDEX), policy)
    step = seq.submit(_image(synthetic_fingers, 1, 1, FingerPosition.RIGHT_THUMB))
    assert step.outcome is FingerOutcome.FIRST_TAKEN and step.quality >= 30  # NFIQ 2
    step = seq.submit(_image(synthetic_fingers, 1, 2, FingerPosition.RIGHT_THUMB))
    assert step.outcome is FingerOutcome.ACCEPTED and seq.current is FingerPosition.RIGHT_INDEX
    # the applicant puts the thumb down again for the index: caught
    step = seq.submit(_image(synthetic_fingers, 1, 3, FingerPosition.RIGHT_INDEX))
    assert step.outcome is FingerOutcome.SAME_AS_OTHER and step.params["other"] == "right-thumb"
    # a blank sensor: poor quality, and NFIQ 2's feedback says nothing was on the glass
    blank = FingerImage(np.full((288, 256), 230, np.uint8), 500, FingerPosition.RIGHT_INDEX, SENSOR)
    step = seq.submit(blank)
    assert step.outcome is FingerOutcome.POOR_QUALITY and step.quality == 0
    assert step.message_id == "finger.poor_quality_uniform" and step.feedback == ("uniform",)
    # two different fingers in a row: inconsistent, and the attempts are used up (fingers 2
    # and 4: three of the 16 pairs of the generator's fingers 2 and 3 score above the
    # 0.1 % FMR threshold, false matches the threshold allows for)
    seq.submit(_image(synthetic_fingers, 2, 1, FingerPosition.RIGHT_INDEX))
    step = seq.submit(_image(synthetic_fingers, 4, 1, FingerPosition.RIGHT_INDEX))
    assert step.outcome is FingerOutcome.EXHAUSTED
    seq.keep_best("tired applicant")
    assert seq.done and [e.reason for e in seq.exceptions] == ["quality"]
    assert [r.position for r in seq.results] == [FingerPosition.RIGHT_THUMB, FingerPosition.RIGHT_INDEX]


def test_finger_gate_is_nfiq2_with_its_feedback_and_refuses_noise_nfiq2_would_pass(synthetic_fingers):
    thumb = _image(synthetic_fingers, 1, 1, FingerPosition.RIGHT_THUMB)
    # a gate above the print's NFIQ 2 refuses it and says by how much
    seq = FingerSequence((FingerPosition.RIGHT_THUMB,), Policy(finger_min_nfiq2=95))
    step = seq.submit(thumb)
    assert step.outcome is FingerOutcome.POOR_QUALITY and step.params["minimum"] == 95
    assert step.message_id.startswith("finger.poor_quality") and 0 < step.quality < 95
    # a faint (dry) print: NFIQ 2 says too light, the instruction follows
    faint = (255 - (255 - thumb.pixels.astype(np.float32)) * 0.08).astype(np.uint8)
    step = seq.submit(FingerImage(faint, 500, FingerPosition.RIGHT_THUMB, SENSOR))
    assert step.message_id == "finger.poor_quality_too_light" and "too_light" in step.feedback
    # uniform noise scores about 30 in NFIQ 2 (it rates prints, it does not find them): refused anyway
    noise = np.random.default_rng(0).integers(0, 256, (288, 256)).astype(np.uint8)
    seq = FingerSequence((FingerPosition.RIGHT_THUMB,), Policy(finger_min_nfiq2=1))
    step = seq.submit(FingerImage(noise, 500, FingerPosition.RIGHT_THUMB, SENSOR))
    assert step.outcome is FingerOutcome.POOR_QUALITY and step.message_id == "finger.not_a_print"
    assert step.quality > 1


def test_flow_order_consent_guardian_and_approval(synthetic_fingers):
    log = []
    child = dict(APPLICATION, number="P2", birth_date="2022-01-01")
    teen = dict(APPLICATION, number="P3", birth_date="2012-01-01")
    flow = EnrollmentFlow(Policy(), "st", Source(APPLICATION, child, teen), lambda *a, **k: log.append(a[1]),
                          date(2026, 11, 27))
    with pytest.raises(FlowError, match="wrong_step"):
        flow.open_application(APPLICATION["number"])
    flow.login(Person("siti", "officer"))
    flow.open_application(APPLICATION["number"])
    with pytest.raises(FlowError, match="no_consent"):
        flow.record_consent(False)
    flow.record_consent(True)
    assert flow.step is Step.FACE
    flow.face_done(face_result())
    flow.fingers.skip("injured", "bandaged")
    with pytest.raises(FlowError, match="fingers_pending"):
        flow.fingers_done()
    while not flow.fingers.done:
        flow.fingers.skip("missing")
    flow.fingers_done()
    assert flow.step is Step.APPROVAL
    with pytest.raises(FlowError, match="not_supervisor"):
        flow.approve(Person("ana", "officer"))
    flow.approve(Person("budi", "supervisor"))
    record = flow.finish()
    assert record.approval.supervisor == "budi" and len(record.exceptions) == 4
    assert log[:3] == ["enrollment.open", "enrollment.consent_refused", "enrollment.consent"]
    # a four-year-old gives no fingerprints (no approval needed) and needs a guardian's consent
    small = EnrollmentFlow(Policy(), "st", Source(child), lambda *a, **k: None, date(2026, 11, 27))
    small.login(Person("siti", "officer"))
    small.open_application("P2")
    with pytest.raises(FlowError, match="guardian"):
        small.record_consent(True)
    small.record_consent(True, guardian="Ibu Rahayu")
    small.face_done(face_result())
    small.fingers_done()
    assert small.step is Step.REVIEW and {e.reason for e in small.record.exceptions} == {"age"}


def test_policy_parsing_and_age():
    assert parse_fingers("right-thumb,left-index") == (FingerPosition.RIGHT_THUMB, FingerPosition.LEFT_INDEX)
    with pytest.raises(PolicyError):
        parse_fingers("right-toe")
    with pytest.raises(PolicyError):
        parse_fingers("right-thumb,right-thumb")
    assert age_on("2000-11-28", date(2026, 11, 27)) == 25
    assert age_on("2000-11-27", date(2026, 11, 27)) == 26


def test_fusion_lets_a_clear_finger_carry_a_borderline_face():
    assert fuse(0.40, 0.20).accepted  # both clear
    assert fuse(0.63, 0.12).accepted  # face just past its threshold, finger clear
    assert not fuse(0.62, 0.03).accepted  # both just short
    assert not fuse(0.95, 0.01).accepted  # an impostor
    assert not fuse(None, None).accepted
    assert fuse(None, 0.2).accepted and not fuse(None, 0.02).accepted
