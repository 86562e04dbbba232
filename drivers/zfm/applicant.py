"""A simulated applicant at the emulated sensor, for the ``zfm-sim:DIR[?first=K]`` URL.

ISO finger position n is the n-th finger of the folder (sorted); each capture of a
position lays that finger's next impression, starting at K. So a headless enrollment
behaves like a person at the counter, and a later verification (``first=7``) can use
impressions the enrollment never saw.
"""

from __future__ import annotations

from collections import defaultdict

from domain.fingers import FingerPosition

from .emulator import ZfmEmulator


class SimulatedApplicant:
    def __init__(self, emulator: ZfmEmulator, first: int = 1) -> None:
        self.emulator = emulator
        self.first = first
        self._next: dict[int, int] = defaultdict(lambda: first)
        self._last: FingerPosition | None = None

    def __call__(self, position: FingerPosition | None, down: bool) -> None:
        if not down:
            self.emulator.lift()
            return
        position = position or self._last or FingerPosition.RIGHT_THUMB
        if self.emulator.finger_down and position == self._last:
            return  # still lying there from the last look
        impression = self._next[int(position)]
        self._next[int(position)] += 1
        self._last = position
        self.emulator.place(int(position), impression)
