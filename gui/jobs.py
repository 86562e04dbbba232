"""Slow work off the GUI thread: a function on a pool thread, its result delivered as a signal.

Device I/O runs on threads (it waits, it does not compute); CPU-heavy matching goes to
worker processes (``matching.workers``) because dlib and numpy hold the GIL, and a thread
alone would still freeze the window. Either way the GUI thread only ever receives results.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from concurrent.futures import Future

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal

from domain.errors import BiostationError

log = logging.getLogger("biostation.gui")


class JobSignals(QObject):
    done = Signal(object)
    failed = Signal(object)
    progress = Signal(float)


class _Runnable(QRunnable):
    def __init__(self, fn: Callable, args: tuple, signals: JobSignals, with_progress: bool) -> None:
        super().__init__()
        self.fn, self.args, self.signals, self.with_progress = fn, args, signals, with_progress
        self.setAutoDelete(True)
        self._last = -1

    def _progress(self, fraction: float) -> None:
        """Forward progress in whole percents: a serial upload reports every byte, the bar needs 100 steps."""
        step = int(fraction * 100)
        if step != self._last:
            self._last = step
            self.signals.progress.emit(step / 100.0)

    def run(self) -> None:
        try:
            kwargs = {"progress": self._progress} if self.with_progress else {}
            result = self.fn(*self.args, **kwargs)
        except Exception as exc:  # delivered to the window, which shows it as a sentence
            if not isinstance(exc, BiostationError):
                log.error("job failed: %s", traceback.format_exc())
            self.signals.failed.emit(exc)
            return
        self.signals.done.emit(result)


_alive: set[JobSignals] = set()


def run_job(fn: Callable, *args, on_done: Callable | None = None, on_error: Callable | None = None,
            on_progress: Callable[[float], None] | None = None) -> JobSignals:
    """Run ``fn(*args)`` on the pool; ``on_progress`` also passes ``progress=`` to ``fn``."""
    signals = JobSignals()
    _alive.add(signals)
    if on_done:
        signals.done.connect(on_done)
    if on_error:
        signals.failed.connect(on_error)
    if on_progress:
        signals.progress.connect(on_progress)
    signals.done.connect(lambda _r: _alive.discard(signals))
    signals.failed.connect(lambda _e: _alive.discard(signals))
    QThreadPool.globalInstance().start(_Runnable(fn, args, signals, on_progress is not None))
    return signals


def finish_jobs(timeout_s: float = 10.0) -> bool:
    """Wait (bounded) for the jobs still running: a window closes its station after this, and a job
    still inside the station's SQLite connections when they close crashes the process. False: some
    job outlived the wait (a device that stopped answering; its own deadline ends it)."""
    return QThreadPool.globalInstance().waitForDone(int(timeout_s * 1000))


def when_ready(future: Future, on_done: Callable, on_error: Callable | None = None, poll_ms: int = 20) -> None:
    """Deliver a worker process's result on the GUI thread without ever blocking on it."""

    def check() -> None:
        if not future.done():
            QTimer.singleShot(poll_ms, check)
            return
        exc = future.exception()
        if exc is not None:
            if on_error:
                on_error(exc)
        else:
            on_done(future.result())

    QTimer.singleShot(poll_ms, check)
