"""Cameras: OpenCV devices and file-backed ones (a video, or a folder of images), one interface.

A V4L2 ``read()`` can block for ever when a camera is unplugged, so frames are
grabbed by a watchdog thread into a one-frame slot, and ``read`` waits on that slot
with a bound. File cameras pace themselves at their frame rate and loop.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from matching.images import ImageTooLarge, read_image

from .errors import BadImageSource, DeviceNotFound, DeviceTimeout
from .scanner import DeviceInfo
from .zfm.fingers import IMAGE_SUFFIXES

log = logging.getLogger(__name__)
with contextlib.suppress(AttributeError):  # OpenCV's own chatter would bury our messages
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
VIDEO_SUFFIXES = (".mp4", ".avi", ".mkv", ".mov", ".webm", ".m4v")


@dataclass(frozen=True)
class Frame:
    image: np.ndarray  # BGR uint8
    timestamp: float  # time.monotonic() when it was taken
    index: int


class Camera(Protocol):
    info: DeviceInfo

    def read(self, timeout: float = 2.0) -> Frame:
        """The newest frame, waiting at most ``timeout`` seconds for one."""

    def close(self) -> None: ...


class _GrabberCamera:
    """Frames produced by a background thread into a one-frame slot."""

    def __init__(self, info: DeviceInfo) -> None:
        self.info = info
        self._cond = threading.Condition()
        self._frame: Frame | None = None
        self._error: Exception | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"camera {info.url}", daemon=True)

    def _start(self) -> None:
        self._thread.start()

    def _publish(self, image: np.ndarray, index: int) -> None:
        with self._cond:
            self._frame = Frame(image, time.monotonic(), index)
            self._cond.notify_all()

    def _fail(self, error: Exception) -> None:
        with self._cond:
            self._error = error
            self._cond.notify_all()

    def _run(self) -> None:  # pragma: no cover - replaced by subclasses
        raise NotImplementedError

    def read(self, timeout: float = 2.0) -> Frame:
        deadline = time.monotonic() + timeout
        with self._cond:
            last = self._frame.index if self._frame is not None else -1
            while True:
                if self._error is not None:
                    raise self._error
                if self._frame is not None and self._frame.index != last:
                    return self._frame
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    if self._frame is not None:
                        return self._frame  # nothing newer: the latest is still a frame
                    raise DeviceTimeout("camera.no_frame", url=self.info.url, seconds=timeout)
                self._cond.wait(remaining)

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2)


class OpenCVCamera(_GrabberCamera):
    def __init__(self, source: int | str, url: str, width: int = 640, height: int = 480) -> None:
        super().__init__(DeviceInfo("camera", "OpenCV", url, f"opencv-{source}", emulated=False))
        self._source = source
        self._cap = cv2.VideoCapture(source)
        if not self._cap.isOpened():
            self._cap.release()
            raise DeviceNotFound("camera.not_found", url=url)
        self._cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)
        self._cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
        self._cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        self._start()

    def _run(self) -> None:
        index = 0
        failures = 0
        while not self._stop.is_set():
            ok, image = self._cap.read()
            if not ok or image is None:
                failures += 1
                if failures > 30:
                    self._fail(DeviceNotFound("camera.disconnected", url=self.info.url))
                    return
                time.sleep(0.05)
                continue
            failures = 0
            index += 1
            self._publish(image, index)

    def close(self) -> None:
        super().close()
        if not self._thread.is_alive():
            self._cap.release()


class FileCamera(_GrabberCamera):
    """A video file or a folder of images played as a camera, looping, at ``fps``."""

    def __init__(self, path: Path, url: str, fps: float | None = None) -> None:
        super().__init__(DeviceInfo("camera", "file", url, f"file-{path.name}", emulated=True))
        self.path = path
        if path.is_dir():
            self._images = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
            if not self._images:
                raise BadImageSource("camera.no_images", folder=str(path))
            self.fps = fps or 15.0
            self._video = None
        elif path.is_file():
            self._images = []
            if path.suffix.lower() in IMAGE_SUFFIXES:
                self._images = [path]
                self.fps = fps or 15.0
                self._video = None
            else:
                cap = cv2.VideoCapture(str(path))
                if not cap.isOpened():
                    raise BadImageSource("camera.unreadable_video", path=str(path))
                self.fps = fps or (cap.get(cv2.CAP_PROP_FPS) or 25.0)
                self._video = cap
        else:
            raise DeviceNotFound("camera.no_file", url=url, path=str(path))
        self._cache: dict[Path, np.ndarray] = {}
        self._start()

    def _image(self, path: Path) -> np.ndarray:
        if path not in self._cache:
            try:  # the header first: a 31 KB PNG may declare 16000×16000 pixels (matching.images)
                image = read_image(path, "camera", cv2.IMREAD_COLOR)
            except ImageTooLarge as exc:
                raise BadImageSource(exc.message_id, **exc.params) from exc
            if image is None:
                raise BadImageSource("device.unreadable_image", path=str(path))
            if len(self._cache) < 64:
                self._cache[path] = image
            return image
        return self._cache[path]

    def _run(self) -> None:
        period = 1.0 / self.fps
        index = 0
        next_due = time.monotonic()
        while not self._stop.is_set():
            try:
                if self._video is not None:
                    ok, image = self._video.read()
                    if not ok:
                        self._video.set(cv2.CAP_PROP_POS_FRAMES, 0)
                        ok, image = self._video.read()
                        if not ok:
                            raise BadImageSource("camera.unreadable_video", path=str(self.path))
                else:
                    image = self._image(self._images[index % len(self._images)])
            except BadImageSource as exc:
                self._fail(exc)
                return
            index += 1
            self._publish(image, index)
            next_due += period
            delay = next_due - time.monotonic()
            if delay > 0:
                self._stop.wait(delay)
            else:
                next_due = time.monotonic()

    def close(self) -> None:
        super().close()
        if self._video is not None and not self._thread.is_alive():
            with contextlib.suppress(Exception):
                self._video.release()
