"""What a fingerprint score threshold means in false matches.

Fitted on FVC2000 DB4_B and FVC2002 DB4_B, each at native resolution and through the ZFM view
(256×288 centred on the print, 4 bits: ``zfm_image.zfm_view``, the emulator's pixels), the four
runs pooled: 11,520 impostor comparisons (2,880 a run, the FVC protocol as ``make eval`` scores
it) and 1,120 genuine ones. Those two sets have no accuracy target, so the thresholds are not
fitted on the sets the targets are judged on; the pipeline's own parameters (``parameters``,
the ridge-flow power among them) were chosen over all 22 runs, these included. A threshold is
``metrics.threshold_at_fmr`` of the pooled impostor scores, rounded up to four decimals.
Reproduce, with the impostor pairs behind each point and an interval over fingers, with
``python -m matching.evaluation.threshold_fit --data ../shared/data``. The 0.01 % point may
accept 1 of the 11,520 pairs: it sits just above the second-highest impostor score, with one
pair above it, so treat it as an estimate, not a guarantee.
"""

from __future__ import annotations

import numpy as np

# (false match rate per comparison, score threshold), rates descending
FMR_TABLE: tuple[tuple[float, float], ...] = (
    (1e-2, 0.0447),
    (1e-3, 0.0556),
    (1e-4, 0.0663),
)
# The same for templates without a ridge flow (a sensor's own buffers, another vendor's
# records), whose scores are minutiae alone: the flow's factor lowers impostors' scores most,
# so without it the same rate needs a higher score. Measured the same way, the flow stripped.
MINUTIAE_ONLY_FMR_TABLE: tuple[tuple[float, float], ...] = (
    (1e-2, 0.0500),
    (1e-3, 0.0589),
    (1e-4, 0.0694),
)

VERIFY_FMR = 1e-3  # 1:1 at the kiosk and the counter


def threshold_for_fmr(fmr: float, with_flow: bool = True) -> float:
    """The score at or above which a pair is accepted for a false match rate ``fmr``;
    ``with_flow`` says whether both templates carry their ridge flow.

    Between the measured points the threshold is interpolated in log(FMR); outside them
    the nearest point is used, because extrapolating a tail from 11,500 pairs is a guess.
    """
    table = FMR_TABLE if with_flow else MINUTIAE_ONLY_FMR_TABLE
    rates = np.log10([r for r, _ in table][::-1])
    scores = [t for _, t in table][::-1]
    return float(np.interp(np.log10(fmr), rates, scores))
