"""The office's rules for an enrollment: which fingers, how hard to try, who may be exempt.

Loaded from the ``[policy]`` table of ``station.toml``; every field has the default an
attended passport counter in Indonesia would use. Consent and retention wording follow
UU 27/2022 (Pelindungan Data Pribadi): the applicant is told what is collected, why, for
how long, and that it is deleted from the station once the central record holds it.
"""

from __future__ import annotations

import secrets
import tomllib
from dataclasses import dataclass, fields, replace
from datetime import date
from pathlib import Path

from domain.errors import BiostationError
from domain.fingers import FingerPosition
from matching.face.liveness import LivenessChallenge

DEFAULT_FINGERS = (FingerPosition.RIGHT_THUMB, FingerPosition.RIGHT_INDEX,
                   FingerPosition.LEFT_THUMB, FingerPosition.LEFT_INDEX)


DEFAULT_FINGER_MIN_NFIQ2 = 20
# keys an older station.toml may hold, and the key that replaced each
RENAMED_KEYS = {"finger_min_quality": "finger_min_nfiq2"}


class PolicyError(BiostationError, ValueError):
    """The office's policy settings cannot be used as written."""


@dataclass(frozen=True)
class Policy:
    fingers: tuple[FingerPosition, ...] = DEFAULT_FINGERS
    finger_attempts: int = 3
    # NFIQ 2 (ISO/IEC 29794-4, 0–100) an impression needs. Chosen on the ZFM view of every real set
    # (docs/accuracy.md, "Finger image quality: NFIQ 2"): 6 % of captures refused there; MOSIP's 40
    # would refuse 36 % of this 256×288, 4-bit sensor's captures.
    finger_min_nfiq2: int = DEFAULT_FINGER_MIN_NFIQ2
    finger_capture_timeout_s: float = 15.0
    finger_removal_timeout_s: float = 5.0
    face_timeout_s: float = 20.0
    verify_face_timeout_s: float = 20.0  # the kiosk's blink-and-turn needs time; a still face is found in 1 s
    liveness_at_counter: bool = False
    liveness_at_kiosk: bool = True
    no_fingerprints_under_age: int = 5  # young children's ridges are too small for the sensor
    guardian_consent_under_age: int = 17  # UU 27/2022 art. 25: a child's data needs a guardian's consent
    consent_text_id: str = "consent.text"

    def liveness_challenge(self, where: str, seed: int | None = None) -> LivenessChallenge | None:
        """A fresh challenge where this office requires one (``where``: "kiosk" or "counter"), else None.

        The seed decides the order of blinks and turns; drawn from the OS so a recording of one
        applicant's challenge does not answer the next one's.
        """
        required = self.liveness_at_kiosk if where == "kiosk" else self.liveness_at_counter
        if not required:
            return None
        return LivenessChallenge(secrets.randbits(32) if seed is None else seed)

    def needs_fingerprints(self, birth_date: str, today: date) -> bool:
        return age_on(birth_date, today) >= self.no_fingerprints_under_age

    def needs_guardian(self, birth_date: str, today: date) -> bool:
        return age_on(birth_date, today) < self.guardian_consent_under_age


def age_on(birth_date: str, today: date) -> int:
    born = date.fromisoformat(birth_date)
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def parse_fingers(text: str) -> tuple[FingerPosition, ...]:
    try:
        positions = tuple(FingerPosition.from_slug(s) for s in text.split(",") if s.strip())
    except ValueError as exc:
        raise PolicyError("policy.unknown_finger", fingers=text,
                          known=", ".join(p.slug for p in FingerPosition)) from exc
    if not positions or len(set(positions)) != len(positions):
        raise PolicyError("policy.bad_fingers", fingers=text)
    return positions


def load_policy(config: Path) -> Policy:
    """The ``[policy]`` table of the station's settings file (absent: the defaults)."""
    policy = Policy()
    if not config.exists():
        return policy
    table = tomllib.loads(config.read_text("utf-8")).get("policy", {})
    known = {f.name for f in fields(Policy)}
    for old, new in RENAMED_KEYS.items():
        if old in table:  # our own score's scale is not NFIQ 2's: never carry a number across silently
            raise PolicyError("policy.renamed_key", old=old, new=new)
    if "finger_min_nfiq2" in table:
        value = table["finger_min_nfiq2"]
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
            raise PolicyError("policy.bad_nfiq2", value=value)
    unknown = sorted(set(table) - known)
    if unknown:
        raise PolicyError("policy.unknown_keys", keys=", ".join(unknown))
    if "fingers" in table:
        table["fingers"] = parse_fingers(",".join(table["fingers"]) if isinstance(table["fingers"], list)
                                         else str(table["fingers"]))
    return replace(policy, **table)
