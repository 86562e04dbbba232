"""Does an image look like a fingerprint? A quick check before we serve or keep it."""

from __future__ import annotations

from pathlib import Path

import numpy as np

MIN_MINUTIAE = 6
MIN_FOREGROUND = 0.10


def finger_image_problem(gray: np.ndarray) -> str | None:
    """None when ``gray`` looks like a fingerprint, else the catalog id of what is wrong."""
    from matching.fingerprint.extractor import extract_details
    from matching.fingerprint.image import FingerprintImageError

    try:
        details = extract_details(gray)
    except FingerprintImageError as exc:
        return exc.message_id
    if details.mask.mean() < MIN_FOREGROUND:
        return "fingerprint.no_finger_area"
    if len(details.template) < MIN_MINUTIAE:
        return "fingerprint.not_a_fingerprint"
    return None


def check_finger_images(paths: list[Path], sample: int = 3) -> list[tuple[str, dict]]:
    """Warnings (message id, params) for the first few images that are not fingerprints."""
    from drivers.errors import BadImageSource
    from drivers.zfm.fingers import read_gray

    warnings: list[tuple[str, dict]] = []
    for path in paths[:sample]:
        try:
            problem = finger_image_problem(read_gray(path))
        except BadImageSource as exc:
            warnings.append((exc.message_id, exc.params))
            continue
        if problem is not None:
            warnings.append(("emulator.not_fingerprint", {"path": str(path)}))
    return warnings
