"""Putting the emulator on a pseudo-terminal, where any serial client can open it.

Traps handled here: the master reads EIO whenever no slave is open, so we keep our
own slave descriptor open for the link's whole life; the slave is switched to raw
mode at once, or the line discipline would eat 0x0D, 0x11 and 0x13 bytes; a pty has
no baud rate, so pacing to the sensor's line rate is done by time.

A paced link is the real line in full: every byte takes its ten bits' time at the sensor's
rate, each instruction its module's working time (``WORK_SECONDS``), and a client whose port
is set to another rate than the sensor's is heard as noise and gets no answer, as a UART would
(the client's rate is read from the terminal settings it gave the pty). ``busy_seconds`` adds up
the sensor's device time: the line and the module's work, not the looks that found no finger,
which are the person's time.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import select
import termios
import threading
import time
import tty
from pathlib import Path

from .emulator import ZfmEmulator
from .protocol import COMMAND, PacketReader

log = logging.getLogger(__name__)

WRITE_STALL_LIMIT = 2.0  # seconds a client may leave us blocked before its answer is dropped
# the terminal speed codes a client's port may be set to, and the rates they stand for
SPEEDS = {getattr(termios, f"B{rate}"): rate for rate in (9600, 19200, 38400, 57600, 115200, 230400)
          if hasattr(termios, f"B{rate}")}


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
        self.busy_seconds = 0.0  # the sensor's device time so far (paced links only)
        self.busy_by_instruction: dict[str, float] = {}  # "0x0a" for an instruction, "data" for data packets
        self._busy_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="zfm-emulator", daemon=True)
        self._thread.start()

    @property
    def path(self) -> str:
        """What a client opens: the link when there is one, else the pty itself."""
        return str(self.link) if self.link is not None else self.port

    def client_baud(self) -> int | None:
        """The rate the client set its end of the line to (None: one no UART has)."""
        try:
            return SPEEDS.get(termios.tcgetattr(self._slave)[5])
        except termios.error:
            return None

    def take_busy(self) -> float:
        """The device time since the last call (and reset): one benchmark step's share."""
        with self._busy_lock:
            busy, self.busy_seconds = self.busy_seconds, 0.0
            return busy

    def _account(self, instruction: str, seconds: float) -> None:
        with self._busy_lock:
            self.busy_seconds += seconds
            self.busy_by_instruction[instruction] = self.busy_by_instruction.get(instruction, 0.0) + seconds

    def _write(self, data: bytes, baud: int | None = None) -> None:
        """Send ``data`` at ``baud`` (the sensor's rate when the command came: an answer to a change
        of rate still goes at the old one, and only then does the line switch)."""
        rate = (baud or self.emulator.baud) / 10.0 if self.pace else None  # 8N1: ten bits a byte
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
            if not self.pace:
                for packet, bad in reader.feed(data):
                    for out in self.emulator.handle(packet, bad):
                        if out:
                            self._write(out)
                continue
            self._serve_paced(reader, data)

    def _serve_paced(self, reader: PacketReader, data: bytes) -> None:
        """``data`` as the real line would carry it: heard only at the sensor's own rate, each byte
        in its time, each instruction in its module's working time."""
        baud = self.emulator.baud
        inbound = len(data) * 10.0 / baud
        time.sleep(inbound)
        if self.client_baud() != baud:
            log.debug("client at %s baud, sensor at %d: heard as noise", self.client_baud(), baud)
            reader.feed(bytes(b ^ 0xA5 for b in data))  # framing errors: nothing the sensor can parse
            return
        for packet, bad in reader.feed(data):
            started = time.monotonic()
            answers = self.emulator.handle(packet, bad)
            work = self.emulator.work_seconds()
            time.sleep(max(0.0, work - (time.monotonic() - started)))
            instruction = f"0x{packet.payload[0]:02x}" if packet.kind == COMMAND and packet.payload else "data"
            if not self.emulator.waiting_for_finger:
                # counted before the answer goes, so a client that has it finds it counted; the
                # answer's share is its line time, which the write below then takes
                outbound = sum(len(out) for out in answers) * 10.0 / baud
                self._account(instruction, inbound + time.monotonic() - started + outbound)
            for out in answers:
                if out:
                    self._write(out, baud)
            inbound = 0.0  # the chunk's line time counted once, with its first packet

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
