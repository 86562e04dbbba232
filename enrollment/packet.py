"""An enrollment record turned into the files and manifest a packet carries.

The station's outbox seals them (``central.wire``); here they are only laid out:
- ``manifest.json`` (written by the sealer from the dict returned here): application,
  station, officer, times, consent, capture quality, exceptions and approval, devices
  (emulated ones say so), calibration profile id, the audit chain head, and the sha256
  of every file;
- ``face.iso19794-5``: the full-frontal JPEG in its ISO/IEC 19794-5 record;
- ``finger-NN.iso19794-2`` per finger (NN = ISO position) and ``finger-NN.wsq``, the image
  WSQ-compressed as agencies exchange 500 ppi prints;
- ``transaction.an2``: the ANSI/NIST-ITL 1-2011 transaction (Type-1, 2, 10, 14).
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import asdict, replace

import numpy as np
import wsq  # noqa: F401  (registers the WSQ codec with Pillow)
from PIL import Image

from central.wire import PACKET_FORMAT
from matching.fingerprint.iso19794_2 import encode_record

from .iso19794_5 import FaceRecord, encode_face_record
from .nist import NistFinger, build_transaction
from .record import EnrollmentRecord

FORMAT = PACKET_FORMAT  # the wire format's version lives with the wire format (``central.wire``), read by both sides


def wsq_bytes(pixels: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(pixels, dtype=np.uint8)).save(buf, format="WSQ")
    return buf.getvalue()


def _device(d) -> dict:
    return {"kind": d.kind, "model": d.model, "device_id": d.device_id, "emulated": d.emulated}


def packet_layout(record: EnrollmentRecord, packet_id: str, audit_head: str,
                  agency: str = "BIOSTATION") -> tuple[dict, dict[str, bytes]]:
    """(manifest, files) for one record; the manifest lists each file's sha256."""
    files: dict[str, bytes] = {}
    face_info = None
    if record.face is not None:
        face = record.face
        files["face.iso19794-5"] = encode_face_record(FaceRecord(
            face.jpeg, face.size[0], face.size[1], face.eyes,
            tuple(int(round(a)) for a in face.pose),  # type: ignore[arg-type]
            sum(c.passed for c in face.checks) * 100 // max(1, len(face.checks))))
        face_info = {"record": "face.iso19794-5", "embedding": [round(float(v), 6) for v in face.embedding],
                     "checks": [asdict(c) for c in face.checks], "all_passed": face.all_passed,
                     "liveness": face.liveness, "quality_exception": face.quality_exception,
                     "device": face.device.device_id}
    fingers, nist_fingers = [], []
    for f in record.fingers:
        stem = f"finger-{int(f.position):02d}"
        files[f"{stem}.iso19794-2"] = encode_record(replace(f.template, quality=f.quality), int(f.position))
        files[f"{stem}.wsq"] = wsq_bytes(f.image)
        nist_fingers.append(NistFinger(int(f.position), f.image.shape[1], f.image.shape[0], f.dpi, "WSQ20",
                                       files[f"{stem}.wsq"]))
        fingers.append({"position": int(f.position), "finger": f.position.slug,
                        "template": f"{stem}.iso19794-2", "image": f"{stem}.wsq", "quality": f.quality,
                        "attempts": f.attempts, "consistency": round(f.consistency, 4),
                        "device": f.device.device_id})
    if record.face is not None:
        files["transaction.an2"] = build_transaction(packet_id, agency, record.application, record.face.jpeg,
                                                     record.face.size, nist_fingers)
    manifest = {
        "format": FORMAT,
        "packet_id": packet_id,
        "station_id": record.station_id,
        "application": record.application["number"],
        "applicant": {k: record.application.get(k) for k in ("given_name", "surname", "birth_date", "service")},
        "officer": record.officer,
        "started_at": record.started_at,
        "finished_at": record.finished_at,
        "consent": record.consent,
        "face": face_info,
        "fingers": fingers,
        "exceptions": [{"position": int(e.position), "finger": e.position.slug, "reason": e.reason,
                        "note": e.note} for e in record.exceptions]
                      + ([{"face": True, "reason": "quality"}] if record.face and record.face.quality_exception
                         else []),
        "approval": asdict(record.approval) if record.approval else None,
        "devices": [_device(d) for d in record.devices],
        "calibration_profile": record.calibration_profile,
        "audit_head": audit_head,
        "files": {name: hashlib.sha256(data).hexdigest() for name, data in sorted(files.items())},
    }
    return manifest, files
