"""Does an image look like a fingerprint? A quick check before we serve, keep or compare it.

A capture with fewer than ``MIN_MINUTIAE`` minutiae is not a fingerprint: a palm's edge, a
smudge or an empty glass gives the sensor an image, but nothing a matcher could tell apart from
anyone else's. At the kiosk and in ``biostation verify`` such a capture is refused before any
comparison (``capture_problem``) and the applicant asked to place the finger again.
"""

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
    return details_problem(details)


def details_problem(details) -> str | None:
    """What is wrong with an extraction (``matching.fingerprint.extractor.Extraction``), or None."""
    if details.mask.mean() < MIN_FOREGROUND:
        return "fingerprint.no_finger_area"
    if len(details.template) < MIN_MINUTIAE:
        return "fingerprint.not_a_fingerprint"
    return None


def is_a_print(details) -> bool:
    """Enough minutiae to be a fingerprint at all (``details``: an extraction, None when it failed)."""
    return details is not None and len(details.template) >= MIN_MINUTIAE


def capture_problem(pixels: np.ndarray, dpi: float, workers=None, timeout_s: float = 30.0) -> str | None:
    """``kiosk_access.not_a_print`` when a capture has too few minutiae to be a fingerprint, else None.

    The extraction runs in a worker process when there is one (it holds the GIL, and the kiosk's
    window must stay responsive), waited for at most ``timeout_s``; call this off a window's thread.
    """
    if workers is not None:
        details = workers.extract_details(pixels, dpi).result(timeout=timeout_s)
    else:
        from matching.fingerprint.extractor import extract_details
        from matching.fingerprint.image import FingerprintImageError

        try:
            details = extract_details(pixels, dpi)
        except FingerprintImageError:
            details = None
    return None if is_a_print(details) else "kiosk_access.not_a_print"


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
