"""Putting the emulator on a pseudo-terminal, where any serial client can open it.

Traps handled here: the master reads EIO whenever no slave is open, so we keep our
own slave descriptor open for the link's whole life; the slave is switched to raw
mode at once, or the line discipline would eat 0x0D, 0x11 and 0x13 bytes; a pty has
no baud rate, so pacing to the sensor's line rate is done by time.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import select
import threading
import time
import tty
from pathlib import Path

from .emulator import ZfmEmulator
from .protocol import PacketReader

log = logging.getLogger(__name__)

WRITE_STALL_LIMIT = 2.0  # seconds a client may leave us blocked before its answer is dropped


class PtyLink:
    """Serves an emulator on a new pseudo-terminal from a background thread."""

    def __init__(self, emulator: ZfmEmulator, link: Path | None = None, pace: bool = False) -> None:
        self.emulator = emulator
        self.pace = pace
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)
        self.port = os.ttyname(self._slave)
        self.link = link
        if link is not None:
            with contextlib.suppress(FileNotFoundError):
                if link.is_symlink():
                    link.unlink()
            link.symlink_to(self.port)
        os.set_blocking(self._master, False)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="zfm-emulator", daemon=True)
        self._thread.start()

    @property
    def path(self) -> str:
        """What a client opens: the link when there is one, else the pty itself."""
        return str(self.link) if self.link is not None else self.port

    def _write(self, data: bytes) -> None:
        rate = self.emulator.baud / 10.0 if self.pace else None  # 8N1: ten bits a byte
        view = memoryview(data)
        started = time.monotonic()
        sent = 0
        chunk = 64 if rate else 4096
        while sent < len(view) and not self._stop.is_set():
            _, writable, _ = select.select([], [self._master], [], 0.1)
            if not writable:
                if time.monotonic() - started > WRITE_STALL_LIMIT + (len(view) / rate if rate else 0):
                    log.debug("client not reading; dropping %d bytes", len(view) - sent)
                    return
                continue
            try:
                n = os.write(self._master, view[sent : sent + chunk])
            except BlockingIOError:
                continue
            sent += n
            if rate:
                due = started + sent / rate
                delay = due - time.monotonic()
                if delay > 0:
                    time.sleep(delay)

    def _serve(self) -> None:
        reader = PacketReader()
        while not self._stop.is_set():
            ready, _, _ = select.select([self._master], [], [], 0.1)
            if not ready:
                continue
            try:
                data = os.read(self._master, 4096)
            except BlockingIOError:
                continue
            except OSError as exc:
                if exc.errno == errno.EIO:
                    time.sleep(0.05)
                    continue
                raise
            if self.pace:
                time.sleep(len(data) * 10.0 / self.emulator.baud)
            for packet, bad in reader.feed(data):
                for out in self.emulator.handle(packet, bad):
                    if out:
                        self._write(out)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        for fd in (self._master, self._slave):
            with contextlib.suppress(OSError):
                os.close(fd)
        if self.link is not None:
            with contextlib.suppress(FileNotFoundError):
                if self.link.is_symlink():
                    self.link.unlink()

    def __enter__(self) -> PtyLink:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
