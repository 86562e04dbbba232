"""The fingerprint-scanner interface every sensor (real, emulated) is used through."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum
from typing import Protocol

import numpy as np


class FingerPosition(IntEnum):
    """ISO/IEC 19794-2 finger positions."""

    RIGHT_THUMB = 1
    RIGHT_INDEX = 2
    RIGHT_MIDDLE = 3
    RIGHT_RING = 4
    RIGHT_LITTLE = 5
    LEFT_THUMB = 6
    LEFT_INDEX = 7
    LEFT_MIDDLE = 8
    LEFT_RING = 9
    LEFT_LITTLE = 10

    @property
    def slug(self) -> str:
        return self.name.lower().replace("_", "-")

    @classmethod
    def from_slug(cls, text: str) -> FingerPosition:
        try:
            return cls[text.strip().upper().replace("-", "_")]
        except KeyError as exc:
            known = ", ".join(p.slug for p in cls)
            raise ValueError(f"unknown finger {text!r}; known: {known}") from exc


@dataclass(frozen=True)
class DeviceInfo:
    """What a record says about the device that captured it."""

    kind: str  # "camera" | "fingerprint"
    model: str
    url: str
    device_id: str
    emulated: bool


@dataclass(frozen=True)
class FingerImage:
    pixels: np.ndarray  # uint8 gray, dark ridges
    dpi: int
    position: FingerPosition | None
    device: DeviceInfo


Progress = Callable[[float], None]  # fraction in [0, 1]


class Scanner(Protocol):
    info: DeviceInfo

    def finger_present(self) -> bool:
        """Whether a finger lies on the sensor now (one quick look)."""

    def wait_for_finger(self, timeout: float, cancel: threading.Event | None = None,
                        position: FingerPosition | None = None) -> bool:
        """True once a finger is down; False when ``timeout`` passes first."""

    def capture(self, position: FingerPosition | None = None, timeout: float = 10.0,
                cancel: threading.Event | None = None,
                progress: Progress | None = None) -> FingerImage:
        """Wait for a finger, read and upload its image. Raises DeviceError subclasses."""

    def wait_for_removal(self, timeout: float, cancel: threading.Event | None = None) -> bool:
        """True once the finger is lifted."""

    def template_count(self) -> int:
        """Templates in the sensor's own library."""

    def close(self) -> None: ...
