"""How much of a finger the ZFM windows of two impressions share.

The ZFM view of an FVC image (``zfm_image``) is the 256×288 window centred on the print
(the centroid of its foreground). Where two impressions of a finger show different parts
of it (one rolled to the tip, one to the first joint), their windows still show different
parts, and no matcher can match what they do not share. (Until 2026-12-06 the window was
the image's centre, and a finger laid far from the centre of the larger sensor was cut
off too: 16 of FVC2002_DB2's 280 genuine pairs then shared under 5 %.) This measures
that, on the full images: each genuine pair is aligned by the matcher itself, and the
share of A's visible print (its window and its foreground) that B's visible print also
covers is counted. The window is the view's own (``zfm_image.zfm_window`` on the
extractor's foreground, which is the view's: both resample alike and segment alike).

A pair whose full images score below the threshold at 0.1 % FMR is left out (its
alignment is not to be trusted) and reported as such.

If a share ``p`` of the genuine pairs show the same finger hardly at all, they score
like impostors, and at any threshold where a share ``e`` of impostors pass, at least
``p (1 - e)`` of the genuine pairs fail; so the EER cannot fall below ``p / (1 + p)``.

    python -m matching.evaluation.zfm_overlap ../shared/data/fingerprints/FVC2002_DB2_B
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from matching.fingerprint.cylinder import Cylinders, make_cylinders
from matching.fingerprint.extractor import extract_details
from matching.fingerprint.matcher import Alignment, align
from matching.fingerprint.thresholds import threshold_for_fmr
from matching.fingerprint.zfm_image import print_centre, zfm_window

from .fvc import finger_id, folder_dpi, list_images

HARDLY = 0.05  # a share of the visible print below this shows hardly any of the same finger
STEP = 4  # px between the print points counted each way: one in 16 of the print's pixels


@dataclass(frozen=True)
class WindowedPrint:
    """One impression at 500 dpi: its cylinders and the print the sensor's window sees."""

    cylinders: Cylinders
    visible: np.ndarray  # bool, the foreground inside the window


def windowed_print(gray: np.ndarray, dpi: float) -> WindowedPrint:
    details = extract_details(gray, dpi)
    mask = details.mask
    x0, y0, x1, y1 = zfm_window(*mask.shape, print_centre(mask))
    visible = np.zeros_like(mask)
    # where the window reaches past a small image it sees white, no print; slices stop at the edge
    window = np.s_[max(y0, 0) : y1, max(x0, 0) : x1]
    visible[window] = mask[window]
    return WindowedPrint(make_cylinders(details.template), visible)


def shared_share(a: WindowedPrint, b: WindowedPrint, alignment: Alignment) -> float:
    """The share of A's visible print that lies, under ``alignment``, in B's visible print."""
    ys, xs = np.nonzero(a.visible[::STEP, ::STEP])
    if len(xs) == 0:
        return 0.0
    in_b = np.rint(alignment.carry_back(np.column_stack([xs, ys]) * STEP)).astype(int)
    h, w = b.visible.shape
    inside = (in_b[:, 0] >= 0) & (in_b[:, 0] < w) & (in_b[:, 1] >= 0) & (in_b[:, 1] < h)
    hit = np.zeros(len(xs), bool)
    hit[inside] = b.visible[in_b[inside, 1], in_b[inside, 0]]
    return float(hit.mean())


@dataclass(frozen=True)
class OverlapFigures:
    genuine: int
    aligned: int  # pairs whose full images match at 0.1 % FMR, so their share is measured
    shares: np.ndarray  # of the aligned pairs

    @property
    def hardly(self) -> float:
        """The share of all genuine pairs whose windows show hardly any of the same finger."""
        return float((self.shares < HARDLY).sum() / max(self.genuine, 1))

    @property
    def eer_bound(self) -> float:
        return self.hardly / (1 + self.hardly)


def measure_folder(folder: Path, dpi: int | None = None) -> OverlapFigures:
    images = list_images(folder)
    resolution = folder_dpi(folder, dpi)
    prints = []
    for path in tqdm(images, desc=folder.name, file=sys.stderr, leave=False, disable=None):
        gray = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
        if gray is None:
            raise ValueError(f"cannot read {path}")
        prints.append(windowed_print(gray, resolution))
    ids = [finger_id(p) for p in images]
    threshold = threshold_for_fmr(0.001)
    genuine, shares = 0, []
    for i in range(len(images)):
        for j in range(i + 1, len(images)):
            if ids[i] != ids[j]:
                continue
            genuine += 1
            # the later file is the probe, as in the FVC protocol
            score, alignment = align(prints[j].cylinders, prints[i].cylinders)
            if alignment is not None and score >= threshold:
                shares.append(shared_share(prints[j], prints[i], alignment))
    return OverlapFigures(genuine, len(shares), np.array(shares))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folders", nargs="+", type=Path)
    parser.add_argument("--dpi", type=int)
    args = parser.parse_args(argv)
    print("| Set | genuine pairs | aligned on the full images | windows sharing < 5 % "
          "| < 25 % | < 50 % | median share | EER bound |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for folder in args.folders:
        f = measure_folder(folder, args.dpi)
        below = [(f.shares < s).sum() for s in (HARDLY, 0.25, 0.5)]
        median = f"{np.median(f.shares):.0%}" if f.aligned else "–"
        print(f"| {folder.name} | {f.genuine} | {f.aligned} | {below[0]} ({f.hardly:.1%}) "
              f"| {below[1]} | {below[2]} | {median} | {f.eer_bound:.1%} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
