"""Fitting the fingerprint score thresholds (``matching.fingerprint.thresholds``) again.

The thresholds turn a stated false-match rate into a score, so they must be fitted on impostor
scores that the accuracy targets are not judged on: FVC2000_DB4_B and FVC2002_DB4_B (synthetic
fingers, no target), each at native resolution and through the ZFM view, all four runs' pairs
pooled. Each run is the FVC protocol exactly as ``make eval`` scores it
(``fvc.evaluate_folder``); the minutiae-only table scores the same pairs of the same templates
with each template's ridge flow removed, as a sensor's own buffer or another vendor's record
arrives. A threshold is ``metrics.threshold_at_fmr`` of the pooled impostor scores (the lowest
score at which at most ``floor(rate × N)`` impostor pairs are accepted), rounded *up* to four
decimals so that the rounded table admits no more of these pairs than the fitted one.

Beside each threshold: how many impostor pairs lie at or above it and at or above the score just
below it (what the point rests on), the genuine pairs refused at it, and a 90 % interval over
fingers (each set's ten fingers drawn with replacement, a finger's pairs in both views moving
together, as ``metrics.eer_interval`` does for the EER), because one finger's impostor scores
are not independent of each other and the 0.01 % point is set by one or two pairs.

    python -m matching.evaluation.threshold_fit --data ../shared/data [--json OUT] [--check [SET ...]]

About 1½ minutes with one worker (``--check``, the fitted thresholds on the real sets' ZFM views,
about 3 more); it prints the tables to copy into ``thresholds.py`` and compares them with the
tables in the code.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from matching.fingerprint.cylinder import make_cylinders
from matching.fingerprint.extractor import extract
from matching.fingerprint.matcher import compare_cylinders
from matching.fingerprint.thresholds import FMR_TABLE, MINUTIAE_ONLY_FMR_TABLE, VERIFY_FMR

from .fvc import evaluate_folder, evaluation_image, finger_id, folder_dpi, list_images
from .metrics import threshold_at_fmr

SETS = ("FVC2000_DB4_B", "FVC2002_DB4_B")  # no accuracy target is judged on these
VIEWS = (None, "zfm")  # native, and what the ZFM sensor delivers
RATES = (1e-2, 1e-3, 1e-4)  # the rows of both tables, descending
DECIMALS = 4
# sets with mated pairs that the fit does not see: where ``--check`` tries the fitted thresholds
REAL_SETS = ("FVC2000_DB1_B", "FVC2000_DB2_B", "FVC2000_DB3_B", "FVC2002_DB1_B", "FVC2002_DB2_B",
             "FVC2002_DB3_B", "FVC2004_DB1_B", "FVC2004_DB3_B")
RESAMPLES = 200
LEVEL = 0.90


@dataclass(frozen=True)
class Run:
    """One set in one view: every pair's scores, in ``fvc_pairs`` order, with and without flow."""

    name: str
    fingers: list[str]  # per image, prefixed with the set so two sets' fingers never merge
    pairs: list[tuple[int, int]]  # (probe, gallery)
    flow: np.ndarray  # scores as make eval has them (fvc.evaluate_folder)
    minutiae: np.ndarray  # the same pairs, both templates without their ridge flow
    flow_check: float  # the largest difference between evaluate_folder's scores and ours


def fvc_pairs(n: int) -> list[tuple[int, int]]:
    """(probe, gallery) for every pair of ``n`` sorted images, the later file the probe: the order
    ``fvc.evaluate_folder`` compares and returns them in, so scores from both line up."""
    return [(j, i) for i in range(n) for j in range(i + 1, n)]


def score_run(folder: Path, sensor: str | None, workers: int = 1) -> Run:
    """Both kinds of scores of one run. The with-flow scores are ``evaluate_folder``'s own, so the
    table is fitted on exactly what ``make eval`` measures; the templates are then extracted again
    here (the evaluation does not hand them out), scored with their flow to check they are the
    same templates, and without it for the minutiae-only table."""
    paths = list_images(folder)
    dpi = folder_dpi(folder, None)
    fingers = [f"{folder.name}/{finger_id(p)}" for p in paths]
    pairs = fvc_pairs(len(paths))
    genuine_mask = np.array([fingers[a] == fingers[b] for a, b in pairs])
    result = evaluate_folder(folder, sensor=sensor, workers=workers)
    flow = np.empty(len(pairs))
    flow[genuine_mask], flow[~genuine_mask] = result.genuine, result.impostor
    templates = [extract(*evaluation_image(p, dpi, sensor)) for p in paths]
    with_flow = [make_cylinders(t) for t in templates]
    without = [make_cylinders(dataclasses.replace(t, flow=None)) for t in templates]
    ours = np.array([compare_cylinders(with_flow[a], with_flow[b]) for a, b in pairs])
    minutiae = np.array([compare_cylinders(without[a], without[b]) for a, b in pairs])
    name = folder.name + ("+" + sensor if sensor else "")
    return Run(name, fingers, pairs, flow, minutiae, float(np.max(np.abs(ours - flow))))


def round_up(value: float, decimals: int = DECIMALS) -> float:
    """``value`` rounded up to ``decimals``: a rounded threshold never accepts a pair the fitted one
    refuses (rounding to nearest could put it just below the impostor score it has to exceed)."""
    scale = 10**decimals
    steps = math.ceil(round(value * scale, 6))  # round(…, 6): 0.0562 × 10⁴ is 561.9999…
    if steps / scale < value:  # that rounding swallowed a last-digit step above a score on the grid
        steps += 1
    return steps / scale


def fit_table(impostor: np.ndarray, rates: Sequence[float] = RATES) -> tuple[tuple[float, float], ...]:
    """``((rate, threshold), ...)`` as ``thresholds.py`` holds them, from pooled impostor scores."""
    return tuple((rate, round_up(threshold_at_fmr(impostor, rate))) for rate in rates)


def tail(impostor: np.ndarray, rate: float, threshold: float) -> dict:
    """What a table row rests on: the impostor pairs it may accept (``allowed``), those it does
    accept (``at_or_above``), and those of the next impostor score down (``next_below``: how many
    pairs a threshold a hair lower would add). At 0.01 % of 11,520 pairs ``allowed`` is 1: the
    row is set by the second-highest impostor score alone."""
    impostor = np.sort(np.asarray(impostor, float))
    below = impostor[impostor < threshold]
    return {"impostor_pairs": int(len(impostor)), "allowed": int(math.floor(rate * len(impostor))),
            "at_or_above": int(np.sum(impostor >= threshold)),
            "next_below": int(np.sum(impostor == below[-1])) if len(below) else 0,
            "highest": float(impostor[-1]) if len(impostor) else math.nan}


def finger_interval(impostor: np.ndarray, pair_fingers: np.ndarray, strata: np.ndarray, rate: float,
                    level: float = LEVEL, resamples: int = RESAMPLES, seed: int = 0) -> tuple[float, float]:
    """How far the threshold for ``rate`` could move by the choice of fingers alone.

    ``pair_fingers`` is (I, 2), each impostor pair's two fingers as indices from 0; ``strata`` gives
    each finger's set. Each set's fingers are drawn with replacement as many as it has (so the two
    sets keep their weight in the pool), and an impostor pair counts as the product of its two
    fingers' draws, as in ``metrics.eer_interval``. The fixed seed makes it a property of the scores.
    """
    impostor = np.asarray(impostor, float)
    pair_fingers = np.asarray(pair_fingers, int).reshape(-1, 2)
    strata = np.asarray(strata)
    rng = np.random.default_rng(seed)
    groups = [np.nonzero(strata == s)[0] for s in np.unique(strata)]
    fits = []
    for _ in range(resamples):
        drawn = np.zeros(len(strata), int)
        for members in groups:
            np.add.at(drawn, rng.choice(members, len(members)), 1)
        weights = drawn[pair_fingers[:, 0]] * drawn[pair_fingers[:, 1]]
        if weights.sum():
            fits.append(threshold_at_fmr(np.repeat(impostor, weights), rate))
    if not fits:  # no draw held two different fingers of one set
        return math.nan, math.nan
    tails = (1 - level) / 2 * 100
    low, high = np.percentile(fits, [tails, 100 - tails])
    return float(low), float(high)


def pooled(runs: Sequence[Run]) -> dict[str, np.ndarray]:
    """The four runs' pairs in one pool: genuine and impostor scores of both kinds, and each
    impostor pair's fingers as indices into one list of fingers shared by the views."""
    names = sorted({f for r in runs for f in r.fingers})
    index = {f: k for k, f in enumerate(names)}
    out: dict[str, list] = {k: [] for k in ("flow_genuine", "flow_impostor", "minutiae_genuine",
                                            "minutiae_impostor", "impostor_fingers")}
    for r in runs:
        same = np.array([r.fingers[a] == r.fingers[b] for a, b in r.pairs])
        out["flow_genuine"].append(r.flow[same])
        out["flow_impostor"].append(r.flow[~same])
        out["minutiae_genuine"].append(r.minutiae[same])
        out["minutiae_impostor"].append(r.minutiae[~same])
        pairs = [(index[r.fingers[a]], index[r.fingers[b]]) for (a, b), s in zip(r.pairs, same, strict=True) if not s]
        out["impostor_fingers"].append(np.array(pairs, int).reshape(-1, 2))
    pool = {k: np.concatenate(v) for k, v in out.items()}
    pool["finger_sets"] = np.array([f.split("/", 1)[0] for f in names])
    return pool


def report(pool: dict[str, np.ndarray], in_code: dict[str, Sequence[tuple[float, float]]],
           verify_fmr: float = VERIFY_FMR) -> dict:
    """The fitted tables and, for each row, its tail, interval and FNMR at the fitted threshold and
    at the one in the code now; the verification point separately, per kind of template."""
    tables: dict = {}
    for kind in ("flow", "minutiae"):
        genuine, impostor = pool[f"{kind}_genuine"], pool[f"{kind}_impostor"]
        fitted = fit_table(impostor)
        current = dict(in_code[kind])
        rows = []
        for rate, threshold in fitted:
            old = current.get(rate)
            rows.append({
                "fmr": rate, "threshold": threshold, "in_code": old,
                "interval90": finger_interval(impostor, pool["impostor_fingers"], pool["finger_sets"], rate),
                **tail(impostor, rate, threshold),
                "fnmr": float(np.mean(genuine < threshold)),
                "fnmr_in_code": None if old is None else float(np.mean(genuine < old)),
                "fmr_in_code": None if old is None else float(np.mean(impostor >= old)),
            })
        tables[kind] = {"table": [list(r) for r in fitted], "genuine_pairs": int(len(genuine)), "rows": rows}
    verify = {kind: next(r for r in tables[kind]["rows"] if r["fmr"] == verify_fmr) for kind in tables}
    return {"sets": list(SETS), "views": ["native" if v is None else v for v in VIEWS],
            "tables": tables, "verify_fmr": verify_fmr, "verify": verify}


def check_sets(data: Path, names: Sequence[str], table: Sequence[tuple[float, float]], sensor: str | None = "zfm",
               workers: int = 1) -> list[dict]:
    """The fitted with-flow thresholds on sets they were not fitted on (by default the real FVC sets
    through the ZFM view, what the kiosk compares): per set and pooled, the genuine pairs each
    threshold refuses and the impostor pairs it accepts, counts beside the rates because the tails
    are a handful of pairs."""
    rows, genuine, impostor = [], [], []
    for name in names:
        result = evaluate_folder(data / "fingerprints" / name, sensor=sensor, workers=workers)
        genuine.append(result.genuine)
        impostor.append(result.impostor)
        rows.append(_counts(name + ("+" + sensor if sensor else ""), result.genuine, result.impostor, table))
    if names:
        rows.append(_counts("pooled", np.concatenate(genuine), np.concatenate(impostor), table))
    return rows


def _counts(name: str, genuine: np.ndarray, impostor: np.ndarray, table: Sequence[tuple[float, float]]) -> dict:
    return {"run": name, "genuine_pairs": int(len(genuine)), "impostor_pairs": int(len(impostor)),
            "points": [{"fmr": rate, "threshold": t, "genuine_refused": int(np.sum(genuine < t)),
                        "impostors_accepted": int(np.sum(impostor >= t))} for rate, t in table]}


def check_markdown(rows: Sequence[dict]) -> str:
    rates = [p["fmr"] for p in rows[0]["points"]]
    head = " | ".join(f"FMR {r:g}: genuine refused, impostors accepted" for r in rates)
    lines = [f"| run | genuine / impostor pairs | {head} |", "| --- | --- |" + " --- |" * len(rates)]
    for row in rows:
        cells = " | ".join(f"{p['genuine_refused']} ({p['genuine_refused'] / row['genuine_pairs']:.1%}), "
                           f"{p['impostors_accepted']} ({p['impostors_accepted'] / row['impostor_pairs']:.3%})"
                           for p in row["points"])
        lines.append(f"| {row['run']} | {row['genuine_pairs']:,} / {row['impostor_pairs']:,} | {cells} |")
    return "\n".join(lines)


def markdown(result: dict) -> str:
    lines = ["| templates | FMR | threshold now in code | fitted | 90 % interval over fingers | impostor pairs "
             "allowed / at or above | FNMR at code's | FNMR at fitted | FMR of code's on these pairs |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for kind, label in (("flow", "with ridge flow"), ("minutiae", "minutiae only")):
        for r in result["tables"][kind]["rows"]:
            low, high = r["interval90"]
            code = "–" if r["in_code"] is None else f"{r['in_code']:.4f}"
            fnmr_code = "–" if r["fnmr_in_code"] is None else f"{r['fnmr_in_code']:.1%}"
            fmr_code = "–" if r["fmr_in_code"] is None else f"{r['fmr_in_code']:.3%}"
            lines.append(f"| {label} | {r['fmr']:g} | {code} | {r['threshold']:.4f} | {low:.4f}–{high:.4f} | "
                         f"{r['allowed']} / {r['at_or_above']} of {r['impostor_pairs']:,} | {fnmr_code} | "
                         f"{r['fnmr']:.1%} | {fmr_code} |")
    return "\n".join(lines)


def python_tables(result: dict) -> str:
    """The two tables as ``thresholds.py`` spells them, to paste."""
    out = []
    for kind, name in (("flow", "FMR_TABLE"), ("minutiae", "MINUTIAE_ONLY_FMR_TABLE")):
        rows = "".join(f"    ({rate:g}, {t:.4f}),\n" for rate, t in result["tables"][kind]["table"])
        out.append(f"{name}: tuple[tuple[float, float], ...] = (\n{rows})")
    return "\n".join(out)


def fit(data: Path, workers: int = 1, progress: Callable[[str], None] | None = None) -> tuple[dict, list[Run]]:
    runs = []
    for name in SETS:
        folder = data / "fingerprints" / name
        if not folder.is_dir():
            raise FileNotFoundError(f"{folder} is missing: the thresholds are fitted on it")
        for view in VIEWS:
            if progress:
                progress(f"{name}{'+' + view if view else ''}")
            runs.append(score_run(folder, view, workers))
    result = report(pooled(runs), {"flow": FMR_TABLE, "minutiae": MINUTIAE_ONLY_FMR_TABLE})
    result["runs"] = [{"run": r.name, "pairs": len(r.pairs), "max_flow_difference": r.flow_check} for r in runs]
    return result, runs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m matching.evaluation.threshold_fit",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"),
                        help="the shared data folder (holding fingerprints/)")
    parser.add_argument("--workers", type=int, default=1, help="processes for evaluate_folder (default 1)")
    parser.add_argument("--json", type=Path, default=None, help="write the full result here")
    parser.add_argument("--check", nargs="*", default=None, metavar="SET",
                        help="also try the fitted thresholds on these sets' ZFM views (none named: the eight "
                             "real FVC sets)")
    args = parser.parse_args(argv)
    result, _ = fit(args.data, args.workers, progress=lambda run: print(f"scoring {run}", file=sys.stderr))
    for r in result["runs"]:
        print(f"{r['run']}: {r['pairs']} pairs, evaluate_folder vs re-extracted, largest difference "
              f"{r['max_flow_difference']:.2g}")
    print()
    print(markdown(result))
    print()
    print(python_tables(result))
    if args.check is not None:
        names = args.check or REAL_SETS
        result["check"] = check_sets(args.data, names, result["tables"]["flow"]["table"], workers=args.workers)
        print()
        print(check_markdown(result["check"]))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
