"""Enrollment and verification as plain state machines (no Qt, no network), and the record they produce.

``flow`` orders an enrollment's steps, ``face_capture`` and ``finger_capture`` judge captures
as they arrive, ``verification`` decides a 1:1 check, ``policy`` holds the office's rules,
``record``, ``packet``, ``iso19794_5`` and ``nist`` lay the record out for delivery, and
``fusion`` combines face and finger scores. The station's use cases (``station.enrollment``,
``station.verification``) drive these with devices, workers and the audit log.
"""
