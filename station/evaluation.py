"""``make eval``: the benchmarks on ``../shared/data``, checked against the floors in the repo.

Floors (``eval/floors.toml``) are the worst figures we accept; they only ever go
up as the core improves. Targets are the issue's goals, printed beside each figure.
Missing data is a loud failure, never a silent pass.
"""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from pathlib import Path

from tqdm import tqdm

from matching.evaluation.fvc import evaluate_folder, list_images, work_units
from matching.evaluation.plots import det_plot

FLOORS = Path(__file__).resolve().parent.parent / "eval" / "floors.toml"

# EER targets from the fingerprint issue (twice as accurate as NBIS)
FINGER_TARGETS = {
    "FVC2002_DB1_B": 0.020, "FVC2002_DB2_B": 0.013, "FVC2002_DB3_B": 0.040,
    "FVC2000_DB1_B": 0.050, "FVC2000_DB2_B": 0.045, "FVC2000_DB3_B": 0.050,
    "FVC2004_DB1_B": 0.050, "FVC2004_DB3_B": 0.022,
    "FVC2002_DB1_B+zfm": 0.035, "FVC2002_DB2_B+zfm": 0.023,
}
FACE_TARGETS = {"accuracy": 0.993, "tar_at_far_0_001": 0.95, "failures_to_enroll": 0,
                "encode_ms_median": 400.0}
HIGHER_IS_BETTER = {"accuracy", "tar_at_far_0_001"}
EXTRACT_MS_TARGET = 100.0
COMPARE_US_TARGET = 500.0


def _mated(folder: Path) -> bool:
    ids = [p.stem.rsplit("_", 1)[0] for p in list_images(folder)]
    return len(ids) > len(set(ids))


def run_fingerprints(data: Path, out: Path) -> tuple[dict, list[str]]:
    sets_dir = data / "fingerprints"
    if not sets_dir.is_dir():
        raise SystemExit(f"make eval: {sets_dir} is missing; the benchmarks need ../shared/data")
    folders = [f for f in sorted(sets_dir.iterdir()) if f.is_dir() and _mated(f)]
    if not folders:
        raise SystemExit(f"make eval: no fingerprint sets with mated pairs in {sets_dir}")
    runs = [(f, None) for f in folders] + [(f, "zfm") for f in folders]
    results: dict[str, dict] = {}
    curves: dict[str, dict] = {"native": {}, "zfm": {}}
    total = sum(work_units(f) for f, _ in runs)
    with tqdm(total=total, desc="fingerprints (FVC protocol)", file=sys.stderr,
              mininterval=1.0 if sys.stderr.isatty() else 30.0) as bar:
        for folder, sensor in runs:
            r = evaluate_folder(folder, sensor=sensor, progress=bar.update)
            key = folder.name + ("+zfm" if sensor else "")
            results[key] = r.figures
            curves[sensor or "native"][folder.name] = (r.genuine, r.impostor)
    out.mkdir(parents=True, exist_ok=True)
    (out / "fingerprints.json").write_text(json.dumps({"sets": results}, indent=1))
    det_plot(curves["native"], out / "det_fingerprints.png", "DET, FVC sets (native images)")
    det_plot(curves["zfm"], out / "det_fingerprints_zfm.png", "DET, FVC sets seen through a ZFM")
    return results, [str(out / "det_fingerprints.png"), str(out / "det_fingerprints_zfm.png")]


def run_faces(data: Path, out: Path) -> dict:
    from matching.evaluation.lfw import evaluate_lfw, image_count
    from matching.evaluation.plots import roc_plot
    from matching.face.compare import THRESHOLD

    lfw = data / "faces" / "LFW"
    pairs = lfw / "pairs.txt"
    if not pairs.is_file():
        raise SystemExit(f"make eval: {pairs} is missing; the benchmarks need ../shared/data")
    with tqdm(total=image_count(pairs, lfw), desc="faces (LFW protocol)", file=sys.stderr,
              mininterval=1.0 if sys.stderr.isatty() else 30.0) as bar:
        figures, genuine, impostor = evaluate_lfw(lfw, pairs, THRESHOLD, progress=bar.update)
    out.mkdir(parents=True, exist_ok=True)
    (out / "faces.json").write_text(json.dumps(figures, indent=1))
    roc_plot(genuine, impostor, THRESHOLD, out / "roc_faces.png", "ROC, LFW folds 1–3")
    return figures


def run_liveness(data: Path, out: Path) -> dict:
    from matching.evaluation.liveness_eval import evaluate_liveness

    print("liveness (APCER/BPCER)...", file=sys.stderr)
    figures = evaluate_liveness(data)
    (out / "liveness.json").write_text(json.dumps(figures, indent=1))
    return figures


def liveness_table(f: dict) -> str:
    lines = ["| liveness | measured | presentations |", "| --- | --- | --- |"]
    for kind, rate in f["apcer"].items():
        lines.append(f"| APCER, {kind} attack | {rate:.1%} | {f['attacks'][kind]} |")
    lines.append(f"| BPCER (semi-synthetic, see docs) | {f['bpcer']:.1%} | {f['bona_fide']} |")
    return "\n".join(lines)


def face_table(f: dict) -> str:
    lines = ["| LFW figure | measured | target |", "| --- | --- | --- |"]
    for key, target in FACE_TARGETS.items():
        value = f[key]
        good = value >= target if key in HIGHER_IS_BETTER else value <= target
        shown = f"{value:.2%}" if key in HIGHER_IS_BETTER else f"{value:.0f}"
        want = f"{target:.1%}" if key in HIGHER_IS_BETTER else f"{target:.0f}"
        lines.append(f"| {key} | {shown} {'✓' if good else '✗'} | {want} |")
    lines.append(f"| eer | {f['eer']:.2%} | – |")
    lines.append(f"| threshold | {f['threshold']} | fixed, chosen on other data |")
    return "\n".join(lines)


def check(results: dict, floors: dict) -> list[str]:
    """Every figure worse than its floor, as a sentence."""
    failures = []
    for key, limits in floors.items():
        figures = results.get(key)
        if figures is None:
            failures.append(f"{key}: no result (the set is missing from the data)")
            continue
        for metric, bound in limits.items():
            value = figures.get(metric)
            worse = value is None or (value < bound if metric in HIGHER_IS_BETTER else value > bound)
            if worse:
                failures.append(f"{key}: {metric} = {value} is worse than the floor {bound}")
    return failures


def table(results: dict) -> str:
    # the interval says how far a set's EER moves by chance (metrics.eer_interval): a figure
    # and a target or floor closer than that are not told apart by the set
    lines = ["| set | EER | target | EER, 90 % interval over fingers | FMR100 | FMR1000 | ZeroFMR | extract ms "
             "| compare µs |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for key, f in results.items():
        target = FINGER_TARGETS.get(key)
        tgt = f"{target:.1%}" if target is not None else "–"
        met = "" if target is None else (" ✓" if f["eer"] <= target else " ✗")
        low, high = f.get("eer_interval90", (float("nan"), float("nan")))
        lines.append(
            f"| {key} | {f['eer']:.2%}{met} | {tgt} | {low:.2%}–{high:.2%} | {f['fmr100']:.2%} | {f['fmr1000']:.2%} | "
            f"{f['zero_fmr']:.2%} | {f['extract_ms_median']:.0f} | {f['compare_us_median']:.0f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", default="../shared/data")
    parser.add_argument("--out", default="build/eval")
    args = parser.parse_args(argv)
    data, out = Path(args.data), Path(args.out)
    if not data.is_dir():
        print(f"make eval: the sample data folder {data} is missing", file=sys.stderr)
        return 2
    floors = tomllib.loads(FLOORS.read_text())
    results, plots = run_fingerprints(data, out)
    print(table(results))
    print(f"extraction target ≤ {EXTRACT_MS_TARGET:.0f} ms, comparison target ≤ {COMPARE_US_TARGET:.0f} µs;"
          f" DET plots: {', '.join(plots)}")
    failures = check(results, floors.get("fingerprints", {}))
    faces = run_faces(data, out)
    print(face_table(faces))
    failures += check({"LFW": faces}, floors.get("faces", {}))
    liveness = run_liveness(data, out)
    print(liveness_table(liveness))
    failures += check({"liveness": liveness}, floors.get("liveness", {}))
    for failure in failures:
        print("BELOW FLOOR: " + failure, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
