"""The 1:N gallery: every enrolled person's face and fingers in memory, one decision per person.

A person is a key (the central record uses application numbers). The gallery holds each
person's face vectors (a faiss flat index: exact distances, grown by appending) and finger
templates, by ISO position and once more all together for the pass that finds a finger
presented at another position. A search collects candidate persons from the face's nearest
neighbours and each finger's first-stage shortlist, then scores every candidate on every
modality both hold and fuses them (``matching.identification.candidate``): a candidate is
flagged when a stranger would reach its fused evidence less often than the gallery's size
allows at the stated FPIR. Keys the caller excludes (the record's own application, those
linked to it) are never candidates.
"""

from __future__ import annotations

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
from .identification import FPIR, Candidate, FingerScore, SearchOutcome, Tails, candidate, tails

FACE_NEIGHBOURS = 20  # persons the face index proposes per search
FINGER_NEIGHBOURS = 10  # persons each finger's shortlist proposes at its own position
OTHER_POSITION_NEIGHBOURS = 3  # and at any other position
REPORTED = 10  # candidates a search reports (flagged or not), best first


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
        self._face_of: dict[str, list[np.ndarray]] = defaultdict(list)
        self._by_position: dict[int, FingerprintGallery] = defaultdict(FingerprintGallery)
        self._anywhere = FingerprintGallery()  # keys "person|position"
        # person -> position -> indices into that position's gallery
        self._fingers_of: dict[str, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
        self._persons: set[str] = set()
        self._records: set[str] = set()  # ids of the records added, so that adding one twice changes nothing

    def __len__(self) -> int:
        """Enrolled persons."""
        return len(self._persons)

    def memory_bytes(self) -> int:
        """What the gallery's arrays take: face vectors and the fingers' compact form (minutiae, flow, index)."""
        faces = self._faces.ntotal * 128 * 4 * 2  # the faiss index and the per-person copies
        fingers = sum(g.compact_bytes() for g in self._by_position.values()) + self._anywhere.index_bytes()
        return faces + fingers

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
                self._faces.add(record.face[None].astype(np.float32))
                self._face_owner.append(person)
                self._face_of[person].append(record.face)
            for position, template in sorted(record.fingers.items()):
                gallery = self._by_position[position]
                self._fingers_of[person][position].append(len(gallery))
                built = gallery.add(person, template)
                self._anywhere.add_index_only(f"{person}|{position}", built)
            return True

    def search(self, probe: Biometrics, excluded: Iterable[str] = (), gallery_size: int | None = None,
               ) -> SearchOutcome:
        """Candidates for ``probe`` among everyone enrolled except ``excluded`` (its own application and
        those linked to it), each fused over the modalities both hold, best first.

        ``gallery_size`` is the number of persons the flag threshold is set for: this gallery's own
        (less the excluded) unless it is one shard of a larger one.
        """
        skip = set(excluded)
        cylinders = {position: make_cylinders(t) for position, t in probe.fingers.items()}
        with self._lock:
            others = len(self._persons - skip) if gallery_size is None else gallery_size
            proposed: set[str] = set()
            own_faces = sum(len(self._face_of.get(p, ())) for p in skip)
            if probe.face is not None and self._faces.ntotal:
                k = min(self._faces.ntotal, FACE_NEIGHBOURS + own_faces)
                _, rows = self._faces.search(probe.face[None].astype(np.float32), k)
                proposed |= {self._face_owner[int(i)] for i in rows[0] if i >= 0}
            own_all = sum(len(v) for p in skip for v in self._fingers_of.get(p, {}).values())
            for position, probe_cylinders in cylinders.items():
                gallery = self._by_position.get(position)
                if gallery is not None and len(gallery):
                    own = sum(len(self._fingers_of.get(p, {}).get(position, ())) for p in skip)
                    order = np.argsort(-gallery.first_stage(probe_cylinders), kind="stable")
                    proposed |= {gallery.keys[int(i)] for i in order[: FINGER_NEIGHBOURS + own]}
                if len(self._anywhere):
                    order = np.argsort(-self._anywhere.first_stage(probe_cylinders), kind="stable")
                    proposed |= {self._anywhere.keys[int(i)].rsplit("|", 1)[0]
                                 for i in order[: OTHER_POSITION_NEIGHBOURS + own_all]}
            found = [self._score(person, probe, cylinders, others) for person in sorted(proposed - skip)]
        found.sort(key=lambda c: (c.probability, c.person))
        return SearchOutcome(tuple(found[:REPORTED]), others, probe.unusable)

    def _score(self, person: str, probe: Biometrics, cylinders: dict[int, Cylinders], gallery: int) -> Candidate:
        """Every modality of ``probe`` against ``person``: the face at its nearest stored vector, each finger
        at its own position and, as a second chance, at the person's other positions."""
        distance = None
        if probe.face is not None and self._face_of.get(person):
            stored = np.stack(self._face_of[person]).astype(np.float64)
            distance = float(np.min(np.linalg.norm(stored - probe.face.astype(np.float64), axis=1)))
        held = {position: [self._by_position[position].cylinders(i) for i in indices]
                for position, indices in self._fingers_of.get(person, {}).items()}
        fingers = []
        for position, probe_cylinders in cylinders.items():
            same = held.get(position, ())
            elsewhere = [(p, c) for p, stored in sorted(held.items()) if p != position for c in stored]
            # a weighted Bonferroni over the two chances: half the stated rate to the finger's own
            # position, half shared among the others (all of it to whichever exists alone)
            share = 2 if same and elsewhere else 1
            for enrolled in same:
                fingers.append(FingerScore(position, position, compare_cylinders(probe_cylinders, enrolled),
                                           scored_with_flow(probe_cylinders, enrolled), multiplicity=share))
            for other, enrolled in elsewhere:
                fingers.append(FingerScore(position, other, compare_cylinders(probe_cylinders, enrolled),
                                           scored_with_flow(probe_cylinders, enrolled),
                                           multiplicity=share * len(elsewhere)))
        return candidate(person, distance, fingers, gallery, self.model, self.fpir)
