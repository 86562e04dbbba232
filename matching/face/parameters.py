"""Every tuned constant of the face core, one place: the match threshold, the descriptor's views,
the detection fallback, the ICAO photo limits and the liveness challenge's rules.

The modules that use them import them from here, under the names they have always had
(``compare.THRESHOLD``, ``embedding.CHIP_PADDINGS``, ``icao.IcaoLimits``,
``liveness.LivenessRules``). The limits and rules stay dataclasses, so a caller may still pass
its own; their defaults are the station's values. Not here, because they are formats rather
than tuning: dlib's 150-px chip and 68 landmarks (``embedding``), the ISO/IEC 19794-5 crop's
geometry (``crop``), the input size limits (``detection``).
"""

from __future__ import annotations

from dataclasses import dataclass

# --- comparison (compare.py) ------------------------------------------------------------------
# Euclidean descriptor distance at or below which two faces match: the equal-error point of
# calibration pairs that LFW's reported pairs do not use (FAR 1.3 %, TAR 98.7 % there;
# docs/accuracy.md, "Faces"); re-derive it with matching.evaluation.face_threshold whenever the
# pipeline changes
MATCH_THRESHOLD = 0.598
SIMILARITY_SCALE = 1.2  # distance at which the 0..1 similarity shown to people reaches 0; no decision rests on it

# --- descriptor (embedding.py) ----------------------------------------------------------------
# paddings of the two aligned chips (each with its mirror) whose descriptors are averaged: either
# side of the 0.25 the network was trained at; LFW EER 0.72 % against 0.83 % for one chip at 0.25
# and its mirror, and a third scale is over the time budget (docs/decisions.md, "the face descriptor's
# views; a matcher twice as fast")
CHIP_PADDINGS = (0.20, 0.30)

# --- detection fallback (detection.py) --------------------------------------------------------
# side of a centred token image's face box, as a share of the image's shorter side: where LFW's own
# detector placed the subject (docs/accuracy.md, "Faces")
CENTRE_BOX_FRACTION = 0.46

# --- head pose (pose.py) -----------------------------------------------------------------------
# focal length of a camera without a calibration profile, in multiples of the image's longer side:
# a 53° horizontal field on a landscape frame, between a webcam's 60-70° and a portrait camera's
# longer lens, and what the pose always assumed, so a centred face reads as before; 0.8 to 2 moved
# the median pitch of 13 frontal portraits by 1.5° (docs/accuracy.md, "Head pose")
DEFAULT_FOCAL_PER_SIDE = 1.0

# --- ICAO photo checks (icao.py) ----------------------------------------------------------------
SHARPNESS_EYE_DISTANCE = 50.0  # px between the eyes a face is shrunk to (never enlarged) before its sharpness is read
CLIPPED_DARK, CLIPPED_BRIGHT = 5, 250  # grey levels at or beyond which a face pixel counts as clipped


@dataclass(frozen=True)
class IcaoLimits:
    min_eye_distance_px: float = 90.0  # ISO/IEC 19794-5's full-frontal minimum, in the output image; never upscaled to
    max_yaw_deg: float = 8.0
    max_pitch_deg: float = 12.0
    max_roll_deg: float = 8.0
    min_eye_opening: float = 0.20  # eye aspect ratio: about 0.3 open, below 0.2 closed
    max_mouth_opening: float = 0.12  # inner-lip opening over mouth width: near 0 closed, above about 0.15 open
    max_centre_offset: float = 0.10  # of the frame width / height
    min_sharpness: float = 4.0  # see icao.sharpness(); blur of 1.5 px reads about 3, sharp faces 8-40
    exposure_range: tuple[float, float] = (70.0, 200.0)  # mean face luminance
    max_clipped: float = 0.02  # share of face pixels at or beyond CLIPPED_DARK / CLIPPED_BRIGHT
    min_illumination_ratio: float = 0.75  # darker half of the face over the lighter
    max_background_std: float = 22.0  # luminance spread of the background beside the head


ICAO_LIMITS = IcaoLimits()  # the station's: what check_photo applies unless told otherwise


# --- active liveness (liveness.py) --------------------------------------------------------------
@dataclass(frozen=True)
class LivenessRules:
    time_limit_s: float = 10.0
    closed_ratio: float = 0.65  # eye opening below this share of the open baseline = closed
    reopened_ratio: float = 0.85
    turn_deg: float = 15.0
    frontal_deg: float = 12.0  # blinks are read only while the head faces the camera
    baseline_frames: int = 5  # frames that set the person's straight-ahead yaw
    frozen_frames: int = 12  # this many frames in a row without any landmark movement
    frozen_px: float = 0.05
