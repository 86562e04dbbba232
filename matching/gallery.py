"""The 1:N gallery: every enrolled person's face and fingers in memory, one decision per person.

A person is a key (the central record uses application numbers). The gallery holds each
person's face vectors (a faiss flat index: exact distances, grown by appending) and finger
templates by ISO position. A search collects candidate persons from the face's nearest
neighbours, each finger's first-stage shortlist at its own position and, unless the caller
leaves that pass out, the best first-stage matches at every other position (a finger presented
in the wrong place: the same first-stage scores, taken over all positions). Each candidate is
scored first on what proposed it, and on every modality both hold (fused by
``matching.identification.candidate``) only when two or more proposed it or its strongest proposing
modality alone is as rare among strangers as one in the gallery's size (p ≤ 1/N): every shortlist
holds its best strangers, and scoring ten fingers of each would be most of a search's time. A
duplicate proposed by one modality that does not stand out that far is scored on that modality
alone (and not flagged unless it alone suffices); ``eval identification`` and ``bench
identification`` measure how often a mate is missed. A candidate is flagged when a stranger would
reach its fused evidence less often than the gallery's size allows at the stated FPIR. Keys the
caller excludes (the record's own application, those linked to it) are never candidates.
"""

from __future__ import annotations

import json
import math
import threading
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import faiss
import numpy as np

from .fingerprint.cylinder import Cylinders, make_cylinders
from .fingerprint.matcher import compare_cylinders, scored_with_flow
from .fingerprint.search import FingerprintGallery
from .fingerprint.template import Template
from .identification import (
    FPIR,
    Candidate,
    FingerScore,
    SearchOutcome,
    Tails,
    candidate,
    face_evidence,
    finger_evidence,
    tails,
)

FACE_NEIGHBOURS = 20  # persons the face index proposes per search
FINGER_NEIGHBOURS = 10  # persons each finger's shortlist proposes at its own position
OTHER_POSITION_NEIGHBOURS = 3  # and at any other position
REPORTED = 10  # candidates a search reports (flagged or not), best first
FACE = (0, 0)  # among what proposed a person: the face


@dataclass(frozen=True)
class Biometrics:
    """What a record offers a search: its face vector and finger templates by ISO position."""

    face: np.ndarray | None
    fingers: dict[int, Template]
    unusable: tuple[str, ...] = ()  # catalog ids: what the record held but could not be used


class Gallery:
    """Every accepted record's biometrics, searched as records arrive; safe across threads.

    Fingers are kept compact (``FingerprintGallery``: minutiae, flow and the first stage's
    pooled rows); the full cylinders a comparison needs are built for the candidates only.
    """

    def __init__(self, model: Tails | None = None, fpir: float = FPIR) -> None:
        self.model = model or tails()
        self.fpir = fpir
        self._lock = threading.RLock()
        self._faces = faiss.IndexFlatL2(128)
        self._face_owner: list[str] = []
        self._face_rows: dict[str, list[int]] = defaultdict(list)  # person -> rows of the face index
        self._by_position: dict[int, FingerprintGallery] = defaultdict(FingerprintGallery)
        # person -> position -> indices into that position's gallery
        self._fingers_of: dict[str, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
        self._persons: set[str] = set()
        self._records: set[str] = set()  # ids of the records added, so that adding one twice changes nothing

    def __len__(self) -> int:
        """Enrolled persons."""
        return len(self._persons)

    def persons(self) -> list[str]:
        with self._lock:
            return sorted(self._persons)

    def records(self) -> list[str]:
        with self._lock:
            return sorted(self._records)

    def finger_templates(self) -> int:
        return sum(len(g) for g in self._by_position.values())

    def memory_bytes(self) -> int:
        """What the gallery's arrays take: face vectors and the fingers' compact form (minutiae, flow, index)."""
        return self._faces.ntotal * 128 * 4 + sum(g.compact_bytes() for g in self._by_position.values())

    def add(self, person: str, record: Biometrics, record_id: str | None = None) -> bool:
        """Add a record's biometrics to ``person`` (a later accepted version adds to the earlier); False
        when ``record_id`` was added before or the record holds nothing to search."""
        with self._lock:
            if record_id is not None and record_id in self._records:
                return False
            if record.face is None and not record.fingers:
                return False
            if record_id is not None:
                self._records.add(record_id)
            self._persons.add(person)
            if record.face is not None:
                self._face_rows[person].append(self._faces.ntotal)
                self._faces.add(record.face[None].astype(np.float32))
                self._face_owner.append(person)
            for position, template in sorted(record.fingers.items()):
                gallery = self._by_position[position]
                self._fingers_of[person][position].append(len(gallery))
                gallery.add(person, template)
            return True

    def state(self) -> dict[str, np.ndarray]:
        """Everything the gallery holds, as arrays: a snapshot to start from instead of the database."""
        with self._lock:
            out = {"faces": faiss.serialize_index(self._faces),
                   "face_owner": np.frombuffer(json.dumps(self._face_owner).encode(), np.uint8),
                   "records": np.frombuffer(json.dumps(sorted(self._records)).encode(), np.uint8)}
            for position, gallery in self._by_position.items():
                out |= {f"{position}/{name}": value for name, value in gallery.state().items()}
            return out

    @classmethod
    def from_state(cls, state: dict[str, np.ndarray], model: Tails | None = None, fpir: float = FPIR) -> Gallery:
        gallery = cls(model, fpir)
        gallery._faces = faiss.deserialize_index(state["faces"])
        gallery._face_owner = json.loads(bytes(state["face_owner"]))
        for row, person in enumerate(gallery._face_owner):
            gallery._face_rows[person].append(row)
        gallery._records = set(json.loads(bytes(state["records"])))
        positions = {int(name.split("/")[0]) for name in state if "/" in name}
        for position in sorted(positions):
            part = {name.split("/", 1)[1]: value for name, value in state.items()
                    if name.startswith(f"{position}/")}
            fingers = FingerprintGallery.from_state(part)
            gallery._by_position[position] = fingers
            for index, person in enumerate(fingers.keys):
                gallery._fingers_of[person][position].append(index)
        gallery._persons = set(gallery._face_owner) | set(gallery._fingers_of)
        return gallery

    def search(self, probe: Biometrics, excluded: Iterable[str] = (), gallery_size: int | None = None,
               other_positions: bool = True) -> SearchOutcome:
        """Candidates for ``probe`` among everyone enrolled except ``excluded`` (its own application and
        those linked to it), each fused over the modalities both hold, best first.

        ``gallery_size`` is the number of persons the flag threshold is set for: this gallery's own
        (less the excluded) unless it is one shard of a larger one. ``other_positions=False`` leaves out
        the pass that looks for each finger at the other positions (it multiplies the first stage's
        work by the number of positions held).
        """
        skip = set(excluded)
        cylinders = {position: make_cylinders(t) for position, t in probe.fingers.items()}
        with self._lock:
            others = len(self._persons) - len(skip & self._persons) if gallery_size is None else gallery_size
            proposed: set[str] = set()
            elsewhere: dict[str, set[tuple[int, int]]] = defaultdict(set)  # person -> (probe, stored) positions
            proposers: dict[str, set[tuple[int, int]]] = defaultdict(set)  # what proposed each person
            if probe.face is not None and self._faces.ntotal:
                own_faces = sum(len(self._face_rows.get(p, ())) for p in skip)
                k = min(self._faces.ntotal, FACE_NEIGHBOURS + own_faces)
                _, rows = self._faces.search(probe.face[None].astype(np.float32), k)
                for i in rows[0]:
                    if i >= 0:
                        proposed.add(self._face_owner[int(i)])
                        proposers[self._face_owner[int(i)]].add(FACE)
            own_all = sum(len(v) for p in skip for v in self._fingers_of.get(p, {}).values())
            # one pass of the first stage over each position's index, for every probe finger that looks there
            elsewhere_found: dict[int, list[tuple[float, int, int]]] = defaultdict(list)
            for stored, gallery in sorted(self._by_position.items()):
                looking = [p for p in sorted(cylinders) if p == stored or other_positions]
                if not len(gallery) or not looking:
                    continue
                coarse = gallery.first_stage_many([cylinders[p] for p in looking])
                for position, scores in zip(looking, coarse, strict=True):
                    if position == stored:
                        own = sum(len(self._fingers_of.get(p, {}).get(position, ())) for p in skip)
                        for i in np.argsort(-scores, kind="stable")[: FINGER_NEIGHBOURS + own]:
                            proposed.add(gallery.keys[int(i)])
                            proposers[gallery.keys[int(i)]].add((position, position))
                    else:
                        best = np.argsort(-scores, kind="stable")[: OTHER_POSITION_NEIGHBOURS + own_all]
                        elsewhere_found[position] += [(-float(scores[i]), stored, int(i)) for i in best]
            for position, found_there in elsewhere_found.items():
                # the best over every other position: ties by position, then order of adding
                for _, stored, i in sorted(found_there)[: OTHER_POSITION_NEIGHBOURS + own_all]:
                    person = self._by_position[stored].keys[i]
                    proposed.add(person)
                    elsewhere[person].add((position, stored))
                    proposers[person].add((position, stored))
            screen = math.log(max(others, 1))
            found = []
            for person in sorted(proposed - skip):
                done: dict[tuple[int, int, int], FingerScore] = {}
                quick = self._score(person, probe, cylinders, others, elsewhere.get(person, set()), other_positions,
                                    done, proposers.get(person, set()))
                if len(proposers.get(person, ())) > 1 or self._strongest(quick) >= screen:
                    quick = self._score(person, probe, cylinders, others, elsewhere.get(person, set()),
                                        other_positions, done)
                found.append(quick)
        found.sort(key=lambda c: (c.probability, c.person))
        return SearchOutcome(tuple(found[:REPORTED]), others, probe.unusable)

    def _strongest(self, found: Candidate) -> float:
        """The evidence of ``found``'s strongest single modality."""
        evidence = [finger_evidence(f, self.model) for f in found.fingers]
        if found.face_distance is not None:
            evidence.append(face_evidence(found.face_distance, self.model))
        return max(evidence, default=0.0)

    def _score(self, person: str, probe: Biometrics, cylinders: dict[int, Cylinders], gallery: int,
               elsewhere: set[tuple[int, int]], other_positions: bool,
               done: dict[tuple[int, int, int], FingerScore], only: set[tuple[int, int]] | None = None) -> Candidate:
        """Every modality of ``probe`` against ``person`` (or ``only`` those that proposed the person: the
        face, ``FACE``, and (probe, stored) positions): the face at its nearest stored vector, each finger at
        its own position and, as a second chance, at the person's other positions the first stage proposed
        (``elsewhere``). Comparisons already made are taken from ``done``."""
        distance = None
        if probe.face is not None and self._face_rows.get(person) and (only is None or FACE in only):
            stored = np.stack([self._faces.reconstruct(i) for i in self._face_rows[person]]).astype(np.float64)
            distance = float(np.min(np.linalg.norm(stored - probe.face.astype(np.float64), axis=1)))
        held = self._fingers_of.get(person, {})
        fingers = []
        for position, probe_cylinders in cylinders.items():
            others = sum(len(indices) for p, indices in held.items() if p != position) if other_positions else 0
            # a weighted Bonferroni over the two chances: half the stated rate to the finger's own
            # position, half shared among all the person's others (all of it to whichever exists alone);
            # the first stage chose which others to compare, so all of them count
            share = 2 if held.get(position) and others else 1
            pairs = [(position, share)] + [(stored, share * others)
                                           for stored in sorted(p for q, p in elsewhere if q == position)]
            for stored, multiplicity in pairs:
                if only is not None and (position, stored) not in only:
                    continue
                for i in held.get(stored, ()):
                    if (position, stored, i) not in done:
                        enrolled = self._by_position[stored].cylinders(i)
                        done[position, stored, i] = FingerScore(
                            position, stored, compare_cylinders(probe_cylinders, enrolled),
                            scored_with_flow(probe_cylinders, enrolled), multiplicity=multiplicity)
                    fingers.append(done[position, stored, i])
        return candidate(person, distance, fingers, gallery, self.model, self.fpir)
