"""``biostation eval identification``: chimeric persons from real data, searched 1:N among distractors.

No public set holds faces and fingerprints of the same people, so a person is made of one
LFW identity and two real fingers (chimeric persons, the standard way to test a multimodal
system without a multimodal corpus), built exactly as DESIGN.md, "Identification", says.
Fingers are seen through the ZFM view, as the deployed gallery sees them.

Distractors pad the gallery to the size an office would have. They are made directly, not
rendered: a face vector drawn from a Gaussian fitted to LFW identities that are not among
the persons, and each finger a real template of the persons' sets mirrored left to right
(a mirrored finger is no finger of anyone: no rotation or shift lays it on its original),
cut to a random part of its area, thinned and jittered. A distractor that never scores high
would make the FPIR zero for free, so the report sets the 99.9th percentile of real probes'
scores against distractors beside that of real impostor pairs, per modality.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from matching.face.compare import similarity
from matching.fingerprint.cylinder import make_cylinders
from matching.fingerprint.matcher import compare_cylinders
from matching.fingerprint.ridge_flow import OUTSIDE, STEP, RidgeFlow
from matching.fingerprint.template import Template
from matching.gallery import Biometrics, Gallery
from matching.identification import FPIR, flag_probability, tails

from .fvc import finger_id, list_images

FIRST_POSITION, SECOND_POSITION = 2, 7  # right index, left index
TAIL_SAMPLE = 300  # distractors each real probe is scored against for the distractor tail


@dataclass(frozen=True)
class ChimericPerson:
    index: int
    face_images: tuple[Path, Path]  # first, second
    fingers: dict[int, tuple[Path, Path]]  # ISO position -> (first, second impression)
    face_identity: str
    finger_ids: tuple[str, str]


def _impression(path: Path) -> int:
    match = re.search(r"_(\d+)$", path.stem)
    return int(match.group(1)) if match else 0


def chimeric_persons(finger_dirs: list[Path], faces: Path) -> list[ChimericPerson]:
    """The persons DESIGN.md defines: finger pairs from the folders in order, LFW identities in order."""
    fingers: list[tuple[str, list[Path]]] = []
    for folder in finger_dirs:
        by_id: dict[str, list[Path]] = {}
        for path in list_images(folder):
            by_id.setdefault(finger_id(path), []).append(path)
        for fid in sorted(by_id):
            if len(by_id[fid]) >= 2:
                fingers.append((f"{folder.name}/{fid}", sorted(by_id[fid], key=_impression)[:2]))
    pairs = [(fingers[k], fingers[k + 1]) for k in range(0, len(fingers) - 1, 2)]
    identities = [p for p in sorted(faces.iterdir(), key=lambda p: p.name)
                  if p.is_dir() and len([f for f in p.iterdir() if f.suffix.lower() in (".jpg", ".png")]) >= 2]
    persons = []
    for k, (((id_a, a), (id_b, b)), folder) in enumerate(zip(pairs, identities, strict=False)):
        images = sorted((f for f in folder.iterdir() if f.suffix.lower() in (".jpg", ".png")), key=lambda p: p.name)
        persons.append(ChimericPerson(k, (images[0], images[1]), {FIRST_POSITION: (a[0], a[1]),
                                                                  SECOND_POSITION: (b[0], b[1])},
                                      folder.name, (id_a, id_b)))
    return persons


def mirrored(template: Template) -> Template:
    """The template's finger reflected left to right, flow grid included (on the grid's own axis)."""
    flow = template.flow
    width = template.width
    if flow is not None:
        width = max(width, flow.angle.shape[1] * STEP)
        angle = flow.angle[:, ::-1].astype(np.int32)
        inside = angle != OUTSIDE
        angle = np.where(inside, (180 - angle) % 180, OUTSIDE)
        flow = RidgeFlow(angle.astype(np.uint8), flow.coherence[:, ::-1].copy())
    m = template.minutiae.copy()
    axis = (flow.angle.shape[1] * STEP) if flow is not None else template.width - 1
    m[:, 0] = axis - m[:, 0]
    m[:, 2] = np.arctan2(np.sin(m[:, 2]), -np.cos(m[:, 2]))
    return replace(template, width=width, minutiae=m, flow=flow)


def distractor_finger(source: Template, rng: np.random.Generator) -> Template:
    """A finger no one has: ``source`` mirrored, cut to 70–100 % of its extent, thinned by up to 15 %
    and jittered by a pixel or two."""
    t = mirrored(source)
    m = t.minutiae
    if len(m) == 0:
        return t
    lo, hi = m[:, :2].min(axis=0), m[:, :2].max(axis=0)
    keep_share = rng.uniform(0.7, 1.0, size=2)
    start = lo + rng.uniform(0, 1, size=2) * (hi - lo) * (1 - keep_share)
    end = start + (hi - lo) * keep_share
    inside = np.all((m[:, :2] >= start) & (m[:, :2] <= end), axis=1)
    inside &= rng.uniform(size=len(m)) >= rng.uniform(0, 0.15)
    kept = m[inside].copy()
    kept[:, :2] += rng.normal(0, 1.0, size=(len(kept), 2))
    kept[:, 0] = np.clip(kept[:, 0], 0, t.width - 1)
    kept[:, 1] = np.clip(kept[:, 1], 0, t.height - 1)
    return replace(t, minutiae=kept)


def distractor_faces(vectors: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    """Face vectors from the Gaussian of ``vectors`` (real identities that are not persons here)."""
    mean = vectors.mean(axis=0)
    cov = np.cov(vectors, rowvar=False)
    return rng.multivariate_normal(mean, cov, size=count, method="eigh").astype(np.float32)


def p999(values: list[float] | np.ndarray) -> float | None:
    v = np.asarray(values, np.float64)
    return float(np.quantile(v, 0.999)) if len(v) else None


def evaluate(persons: list[ChimericPerson], templates: dict[Path, Template], faces: dict[Path, np.ndarray],
             face_pool: np.ndarray, distractors: int, seed: int,
             progress: Callable[[int], None] | None = None) -> dict:
    """The protocol on extracted data: ``templates`` and ``faces`` hold every image the persons use."""
    rng = np.random.default_rng(seed)
    model = tails()
    gallery = Gallery(model)
    enrolled = [p for p in persons if p.index % 2 == 0]

    def record(person: ChimericPerson, which: int, face: bool = True, fingers: bool = True) -> Biometrics:
        return Biometrics(faces.get(person.face_images[which]) if face else None,
                          {pos: templates[paths[which]] for pos, paths in person.fingers.items()} if fingers else {})

    for p in enrolled:
        gallery.add(f"person-{p.index}", record(p, 0))
    pool = [templates[paths[0]] for p in persons for paths in p.fingers.values()]
    pool += [templates[paths[1]] for p in persons for paths in p.fingers.values()]
    synthetic_faces = distractor_faces(face_pool, distractors, rng) if distractors else np.zeros((0, 128))
    synthetic_fingers = []
    for k in range(distractors):
        sources = rng.choice(len(pool), size=2, replace=False)
        synthetic_fingers.append({FIRST_POSITION: distractor_finger(pool[sources[0]], rng),
                                  SECOND_POSITION: distractor_finger(pool[sources[1]], rng)})
        gallery.add(f"distractor-{k}", Biometrics(synthetic_faces[k], synthetic_fingers[-1]))
        if progress and k % 100 == 99:
            progress(100)
    searches = [(p, "duplicate") for p in enrolled] + [(p, "new") for p in persons if p.index % 2 == 1]
    results: dict[str, dict] = {}
    for mode, use_face, use_fingers in (("fused", True, True), ("face", True, False), ("fingers", False, True)):
        duplicates = news = missed = false_flags = rank1 = 0
        times = []
        for person, kind in searches:
            probe = record(person, 1 if kind == "duplicate" else 0, use_face, use_fingers)
            started = time.perf_counter()
            outcome = gallery.search(probe, excluded=())
            times.append((time.perf_counter() - started) * 1000)
            mate = f"person-{person.index}"
            flagged = {c.person for c in outcome.flagged}
            if kind == "duplicate":
                duplicates += 1
                missed += mate not in flagged
                rank1 += bool(outcome.candidates) and outcome.candidates[0].person == mate
                strangers = flagged - {mate}
            else:
                news += 1
                strangers = flagged
            false_flags += bool(strangers)
            if progress:
                progress(1)
        results[mode] = {"duplicate_searches": duplicates, "new_searches": news,
                         "fnir": missed / duplicates if duplicates else None,
                         "fpir": false_flags / len(searches) if searches else None,
                         "rank1": rank1 / duplicates if duplicates else None,
                         "search_ms_median": float(np.median(times)) if times else None,
                         "search_ms_p95": float(np.quantile(times, 0.95)) if times else None}
    fused = results["fused"]
    real = impostor_p999()
    sampled = distractor_tails([record(p, 1 if p.index % 2 == 0 else 0) for p in persons], synthetic_faces,
                               synthetic_fingers, TAIL_SAMPLE, rng) if distractors else {"face": [], "finger": []}
    return {"persons": len(persons), "gallery": len(gallery), "distractors": distractors, "seed": seed,
            "finger_view": "zfm", "fpir_stated": FPIR,
            "flag_probability": flag_probability(len(gallery), FPIR),
            "duplicate_searches": fused["duplicate_searches"], "new_searches": fused["new_searches"],
            "fnir": fused["fnir"], "fpir": fused["fpir"], "rank1": fused["rank1"],
            "search_ms_median": fused["search_ms_median"], "search_ms_p95": fused["search_ms_p95"],
            "modes": results,
            "tails": {m: {"distractor_p999": p999(sampled[m]), "impostor_p999": real[m],
                          "distractor_scores": len(sampled[m]),
                          "impostor_scores": tails().face.pairs if m == "face" else tails().finger.pairs}
                      for m in ("face", "finger")},
            "tails_gap": max((abs(p999(sampled[m]) - real[m]) / abs(real[m]) for m in ("face", "finger")
                              if sampled[m]), default=None),
            "gallery_bytes": gallery.memory_bytes()}


def distractor_tails(probes: list[Biometrics], faces: np.ndarray, fingers: list[dict[int, Template]],
                     sample: int, rng: np.random.Generator) -> dict[str, list[float]]:
    """Scores of real probes against one random sample of ``sample`` distractors (faces as the product's
    0..1 similarity, fingers as the matcher's score at their own position)."""
    out: dict[str, list[float]] = {"face": [], "finger": []}
    chosen = rng.choice(len(fingers), size=min(sample, len(fingers)), replace=False)
    cylinders = [{p: make_cylinders(t) for p, t in fingers[int(k)].items()} for k in chosen]
    chosen_faces = faces[chosen].astype(np.float64)
    for probe in probes:
        if probe.face is not None:
            d = np.linalg.norm(chosen_faces - probe.face.astype(np.float64), axis=1)
            out["face"] += [float(v) for v in similarity(d)]
        for position, template in probe.fingers.items():
            mine = make_cylinders(template)
            out["finger"] += [compare_cylinders(mine, c[position]) for c in cylinders if position in c]
    return out


def impostor_p999() -> dict[str, float]:
    """The 99.9th percentiles of the real impostor pairs the tails were fitted on (``impostor_tails``)."""
    model = tails()
    evidence = -np.log(0.001)
    return {"face": float(similarity(-float(model.face.score_at(evidence)))),
            "finger": float(model.finger.score_at(evidence))}
