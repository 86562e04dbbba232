"""The station's ZFM driver: the unmodified ``pyfingerprint`` client behind a safer port.

``pyfingerprint`` 1.5 reads one byte at a time with a fixed 2 s timeout and reports
a silent sensor as a bad header after 24 s, never resynchronises after noise, and
writes uploaded images to a file. We keep the library as it is and hand it a
``GuardedPort`` in place of its serial port: reads there are bounded (the first
byte of an answer may take ``response_timeout``, later ones ``byte_timeout``),
counted (which is the upload's progress), and cancellable. After any failure the
line is drained so the next call starts clean, and one process at a time holds the
port (an advisory lock on the device).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import math
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import serial
from pyfingerprint.pyfingerprint import PyFingerprint

from domain.fingers import FingerPosition
from matching.fingerprint.thresholds import threshold_for_fmr

from ..errors import (
    CaptureCancelled,
    DeviceBusy,
    DeviceError,
    DeviceNotFound,
    DeviceProtocolError,
    DeviceTimeout,
)
from ..scanner import DeviceInfo, FingerImage, Progress
from . import protocol as p

log = logging.getLogger(__name__)

# bytes the sensor sends for one image: the ack, then 288 data packets of 128 bytes
IMAGE_PACKETS = p.IMAGE_WIDTH * p.IMAGE_HEIGHT // 2 // 128
IMAGE_UPLOAD_BYTES = 12 + IMAGE_PACKETS * (p.HEADER_LEN + 128 + 2)
POLL_INTERVAL = 0.05
BAUD_RATES = (57600, 115200, 9600, 19200, 38400)
# what pyfingerprint raises when the sensor cannot make features of the image it holds: an answer,
# not a fault (the image is no print the sensor's own extractor can use)
FEATURE_REFUSALS = ("The image is too messy", "The image contains too few feature points", "The image is invalid")
# The sensor's match score from which its "same finger" is taken without a second look: the score
# its strictest security level (5) needs, which the emulator sets at a false-match rate of 1e-4 for
# its minutiae-only features (drivers/zfm/features.py, from the same calibration); an office's 1:1
# point is 1e-3, so the sensor's yes is trusted only with ten times that margin. On a real module of
# another maker's scale this is the figure to calibrate.
SURE_MATCH_FMR = 1e-4
SURE_MATCH_SCORE = math.ceil(1000 * threshold_for_fmr(SURE_MATCH_FMR, with_flow=False))


class _ReadTimeout(Exception):
    pass


class _Cancelled(Exception):
    pass


class GuardedPort:
    """The serial port as ``pyfingerprint`` sees it, with bounded, counted, cancellable reads."""

    def __init__(self, port: serial.Serial, response_timeout: float, byte_timeout: float) -> None:
        self.port = port
        self.response_timeout = response_timeout
        self.byte_timeout = byte_timeout
        self.bytes_read = 0
        self.on_read: Callable[[int], None] | None = None
        self.cancel: threading.Event | None = None
        self.expected_bytes = 0  # how long the answer under way is, when known (uploads)
        self._answer_pending = False
        self._drain_before_next: float = 0.0

    # the subset of pyserial that pyfingerprint calls
    def write(self, data: bytes) -> int:
        if self._drain_before_next:
            # a cancelled upload keeps coming (the protocol has no abort): let it pass first
            self.drain(limit=self._drain_before_next)
            self._drain_before_next = 0.0
        self._answer_pending = True
        return self.port.write(data)

    def abandon_answer(self, started_at: int) -> None:
        """We stop reading an answer the sensor is still sending; skip it before the next command."""
        remaining = max(0, self.expected_bytes - (self.bytes_read - started_at))
        seconds_per_byte = 10.0 / max(9600, int(self.port.baudrate))
        self._drain_before_next = min(15.0, remaining * seconds_per_byte * 1.5 + 0.5)

    def read(self, size: int = 1) -> bytes:
        if self.cancel is not None and self.cancel.is_set():
            raise _Cancelled()
        self.port.timeout = self.response_timeout if self._answer_pending else self.byte_timeout
        data = self.port.read(size)
        if not data:
            raise _ReadTimeout()
        self._answer_pending = False
        self.bytes_read += len(data)
        if self.on_read is not None:
            self.on_read(self.bytes_read)
        return data

    def isOpen(self) -> bool:  # noqa: N802 - pyserial's old name, which pyfingerprint uses
        return self.port.is_open

    def open(self) -> None:
        self.port.open()

    def close(self) -> None:
        self.port.close()

    def drain(self, quiet: float = 0.1, limit: float = 2.0) -> int:
        """Discard whatever the sensor is still sending, until ``quiet`` seconds of silence."""
        dropped = 0
        deadline = time.monotonic() + limit
        self.port.timeout = quiet
        while time.monotonic() < deadline:
            chunk = self.port.read(4096)
            if not chunk:
                break
            dropped += len(chunk)
        self.port.reset_input_buffer()
        self._answer_pending = False
        return dropped


def _lock_port(path: str, url: str) -> int:
    """An exclusive advisory lock on the device, so two programs never share one sensor."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
    except OSError as exc:
        raise DeviceNotFound(url=url, detail=str(exc)) from exc
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as exc:
        os.close(fd)
        raise DeviceBusy(url=url) from exc
    return fd


class ZfmScanner:
    """A ZFM/R30x sensor on a serial port (or the emulator on a pseudo-terminal)."""

    def __init__(self, port: str, baud: int = 57600, address: int = p.DEFAULT_ADDRESS,
                 password: int = 0, url: str = "", emulated: bool = False,
                 response_timeout: float = 2.0, byte_timeout: float = 0.5,
                 prefer_baud: int | None = 115200,
                 presenter: Callable[[FingerPosition | None, bool], None] | None = None) -> None:
        self.port_path = port
        self.url = url or f"zfm:{port}"
        self._presenter = presenter
        self._lock = threading.RLock()
        self._lock_fd = _lock_port(port, self.url)
        try:
            self._fp, self._port = self._connect(port, baud, address, password,
                                                 response_timeout, byte_timeout)
            if prefer_baud and prefer_baud != self._port.port.baudrate:
                self._switch_baud(prefer_baud)
            params = self._call(self._fp.getSystemParameters)
        except BaseException:
            self.close()
            raise
        self.info = DeviceInfo(
            kind="fingerprint",
            model="ZFM/R30x" + (" (emulated)" if emulated else ""),
            url=self.url,
            device_id=f"zfm-{params[4]:08x}@{os.path.basename(port)}",
            emulated=emulated,
        )

    # -- connection --------------------------------------------------------------------
    def _connect(self, port: str, baud: int, address: int, password: int,
                 response_timeout: float, byte_timeout: float) -> tuple[PyFingerprint, GuardedPort]:
        """Open the port at ``baud``; a sensor left at another rate is found by trying the rest."""
        last: DeviceError | None = None
        for rate in (baud, *[b for b in BAUD_RATES if b != baud]):
            try:
                fp = PyFingerprint(port, rate, address, password)
            except serial.SerialException as exc:
                raise DeviceNotFound(url=self.url, detail=str(exc)) from exc
            except ValueError as exc:
                raise DeviceError("device.bad_parameter", url=self.url, name="baud", value=rate) from exc
            raw = fp._PyFingerprint__serial  # the port it opened; we guard all access to it
            guarded = GuardedPort(raw, response_timeout, byte_timeout)
            fp._PyFingerprint__serial = guarded
            try:
                ok = self._call_on(guarded, fp.verifyPassword)
            except DeviceTimeout as exc:
                last = exc
                guarded.close()
                continue
            except DeviceProtocolError as exc:
                if "address" in exc.detail:
                    guarded.close()
                    raise DeviceError("sensor.wrong_address", url=self.url) from exc
                last = exc
                guarded.close()
                continue
            if not ok:
                guarded.close()
                raise DeviceError("sensor.wrong_password", url=self.url)
            return fp, guarded
        raise DeviceTimeout("sensor.no_answer", url=self.url, detail=str(last))

    def _switch_baud(self, rate: int) -> None:
        old = self._port.port.baudrate
        try:
            self._call(self._fp.setBaudRate, rate)
            self._port.port.baudrate = rate  # pyfingerprint does not reopen the port itself
            self._call(self._fp.getSystemParameters)
            log.info("sensor on %s now at %d baud", self.port_path, rate)
        except DeviceError:
            log.info("sensor on %s stays at %d baud", self.port_path, old)
            self._port.port.baudrate = old
            self._port.drain()

    @staticmethod
    def _call_on(port: GuardedPort, fn: Callable, *args: object):
        try:
            return fn(*args)
        except _ReadTimeout as exc:
            port.drain()
            raise DeviceTimeout("sensor.no_answer", url=getattr(port.port, "port", "")) from exc
        except _Cancelled as exc:
            raise CaptureCancelled() from exc
        except serial.SerialException as exc:
            raise DeviceNotFound("sensor.disconnected", url=getattr(port.port, "port", ""),
                                 detail=str(exc)) from exc
        except Exception as exc:  # a bare Exception for every sensor error, TypeError on half packets
            port.drain()
            raise DeviceProtocolError(url=getattr(port.port, "port", ""), detail=str(exc)) from exc

    def _call(self, fn: Callable, *args: object):
        with self._lock:
            return self._call_on(self._port, fn, *args)

    # -- the Scanner interface -------------------------------------------------------------
    def finger_present(self) -> bool:
        return bool(self._call(self._fp.readImage))

    def wait_for_finger(self, timeout: float, cancel: threading.Event | None = None,
                        position: FingerPosition | None = None) -> bool:
        if self._presenter is not None:
            self._presenter(position, True)
        return self._poll_until(lambda: self.finger_present(), timeout, cancel)

    def wait_for_removal(self, timeout: float, cancel: threading.Event | None = None) -> bool:
        if self._presenter is not None:
            self._presenter(None, False)
        return self._poll_until(lambda: not self.finger_present(), timeout, cancel)

    @staticmethod
    def _poll_until(condition: Callable[[], bool], timeout: float,
                    cancel: threading.Event | None) -> bool:
        """Ask the sensor every POLL_INTERVAL until ``condition`` holds (True) or time is up."""
        deadline = time.monotonic() + timeout
        while True:
            if cancel is not None and cancel.is_set():
                raise CaptureCancelled()
            if condition():
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(POLL_INTERVAL)

    def upload_image(self, cancel: threading.Event | None = None,
                     progress: Progress | None = None) -> FingerImage:
        """Upload the image the sensor last took (about 40 KB: over 6 s at 57600 baud)."""
        workdir = Path(tempfile.mkdtemp(prefix="zfm-"))  # mkdtemp makes it 0700
        target = workdir / "finger.png"
        with self._lock:
            start = self._port.bytes_read
            if progress is not None:
                self._port.on_read = lambda n: progress(min(1.0, (n - start) / IMAGE_UPLOAD_BYTES))
            self._port.cancel = cancel
            self._port.expected_bytes = IMAGE_UPLOAD_BYTES
            try:
                self._call(self._fp.downloadImage, str(target))
                pixels = cv2.imread(str(target), cv2.IMREAD_GRAYSCALE)
            except CaptureCancelled:
                self._port.abandon_answer(start)
                raise
            finally:
                self._port.on_read = None
                self._port.cancel = None
                self._port.expected_bytes = 0
                shutil.rmtree(workdir, ignore_errors=True)
        if pixels is None:
            raise DeviceProtocolError(url=self.url, detail="image upload gave no image")
        if progress is not None:
            progress(1.0)
        return FingerImage(pixels=pixels, dpi=500, position=None, device=self.info)

    def capture(self, position: FingerPosition | None = None, timeout: float = 10.0,
                cancel: threading.Event | None = None,
                progress: Progress | None = None) -> FingerImage:
        if not self.wait_for_finger(timeout, cancel, position):
            raise DeviceTimeout("sensor.no_finger", url=self.url, seconds=timeout)
        image = self.upload_image(cancel, progress)
        return FingerImage(image.pixels, image.dpi, position, self.info)

    # the sensor's character buffers: the second impression confirmed on the sensor
    @property
    def sure_match_score(self) -> int:
        """The sensor's score from which its match is sure (``SURE_MATCH_SCORE``)."""
        return SURE_MATCH_SCORE

    def features_on_sensor(self, buffer: int) -> bool:
        """The sensor's features of the image it holds, into character buffer ``buffer`` (1 or 2):
        about 0.2 s of the module's time and 24 bytes of line, against 40 KB for the image itself.
        False when the sensor finds the image too messy or too poor in features to use."""
        def convert() -> bool:
            try:
                return bool(self._fp.convertImage(buffer))
            except (_ReadTimeout, _Cancelled):
                raise
            except Exception as exc:
                if str(exc) in FEATURE_REFUSALS:
                    return False
                raise

        return bool(self._call(convert))

    def compare_on_sensor(self) -> int:
        """The sensor's comparison of its two character buffers (the protocol's Match): its score,
        0 when it finds no match at its security level."""
        return int(self._call(self._fp.compareCharacteristics))

    def confirm_on_sensor(self, buffer: int, timeout: float = 10.0, cancel: threading.Event | None = None,
                          position: FingerPosition | None = None) -> int | None:
        """Wait for the finger, make its features into ``buffer`` and compare them on the sensor with
        the other buffer's: the score (0: no match), None when the sensor could not make features.
        Nothing is uploaded; the image stays in the sensor for ``upload_image`` until the next look."""
        if not self.wait_for_finger(timeout, cancel, position):
            raise DeviceTimeout("sensor.no_finger", url=self.url, seconds=timeout)
        if not self.features_on_sensor(buffer):
            return None
        return self.compare_on_sensor()

    # the sensor's own template library
    def template_count(self) -> int:
        return int(self._call(self._fp.getTemplateCount))

    def enroll_on_sensor(self, first_done: Callable[[], None] | None = None,
                         timeout: float = 10.0, cancel: threading.Event | None = None) -> int:
        """The sensor's own enrollment: two placements, one stored template; returns its slot."""
        for buffer_id in (1, 2):
            if not self.wait_for_finger(timeout, cancel):
                raise DeviceTimeout("sensor.no_finger", url=self.url, seconds=timeout)
            self._call(self._fp.convertImage, buffer_id)
            if buffer_id == 1:
                if first_done is not None:
                    first_done()
                self.wait_for_removal(timeout, cancel)
        if not self._call(self._fp.createTemplate):
            raise DeviceError("sensor.fingers_differ", url=self.url)
        return int(self._call(self._fp.storeTemplate))

    def search_on_sensor(self, timeout: float = 10.0,
                         cancel: threading.Event | None = None) -> tuple[int, int]:
        """Search the sensor's library for the finger laid now: (slot, score), slot -1 if none."""
        if not self.wait_for_finger(timeout, cancel):
            raise DeviceTimeout("sensor.no_finger", url=self.url, seconds=timeout)
        self._call(self._fp.convertImage, 1)
        return tuple(self._call(self._fp.searchTemplate))  # type: ignore[return-value]

    def system_parameters(self) -> dict[str, int]:
        status, system_id, capacity, level, address, size, baud = self._call(self._fp.getSystemParameters)
        return {"status": status, "system_id": system_id, "capacity": capacity,
                "security_level": level, "address": address,
                "packet_size": p.PACKET_SIZES[size] if size < 4 else size, "baud": baud * 9600}

    def switch_baud(self, rate: int) -> int:
        """Ask the sensor for ``rate``; returns the rate it now runs at (unchanged if it refused)."""
        self._switch_baud(rate)
        return self.baud

    def set_security_level(self, level: int) -> None:
        """The sensor's own matching strictness, 1 (lenient) to 5 (strict)."""
        if not 1 <= level <= 5:
            raise DeviceError("device.bad_parameter", url=self.url, name="security_level", value=level)
        self._call(self._fp.setSecurityLevel, level)

    @property
    def baud(self) -> int:
        return int(self._port.port.baudrate)

    def close(self) -> None:
        port = getattr(self, "_port", None)
        if port is not None:
            with contextlib.suppress(Exception):
                port.close()
        if getattr(self, "_lock_fd", None) is not None:
            with contextlib.suppress(OSError):
                os.close(self._lock_fd)
            self._lock_fd = None

    def __enter__(self) -> ZfmScanner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
