"""The fingerprint-scanner interface every sensor (real, emulated) is used through."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from domain.fingers import FingerPosition


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
