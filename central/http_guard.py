"""Slow and too many clients: what ``biostation central serve`` adds to uvicorn (issue 27, finding 6).

uvicorn's HTTP/1.1 protocol (h11) waits for a request's head and body as long as the client keeps
the connection open: its only timer is the keep-alive one, armed after a response and disarmed by
the next byte, so a client that sends half a request (or one byte now and then) holds its
connection, a file descriptor, forever; enough of them and ``accept`` fails with "Too many open
files", which asyncio logs with a traceback every second. :class:`GuardedH11Protocol` adds, per
connection (the numbers are :class:`Limits`, documented in ``docs/security.md``):

- **a head deadline**: a request's line and headers must arrive within ``head_seconds`` of its first
  byte (or of the connection's opening, so a connection that sends nothing is closed too); the head
  is at most ``max_head_bytes`` (h11's incomplete-event limit: 431/400 past it);
- **a body deadline that grows with the bytes received**, as Apache's ``mod_reqtimeout`` does:
  ``body_seconds`` from the end of the head plus one second per ``body_min_rate`` bytes received,
  never more than ``body_max_seconds`` in all. A station's packet at any usable line rate finishes
  well within it; a client trickling bytes is cut off after about ``body_seconds``;
- past either, a ``408 Request Timeout`` (when no response has started) and the connection closed;
- **a connection cap**: past ``max_connections`` open connections a new one is answered ``503`` and
  closed at once; the cap stays below the process's file-descriptor limit, so ``accept`` itself
  never runs out of descriptors. uvicorn's ``limit_concurrency`` bounds the requests in progress;
- **rate-limited logging** (:class:`OncePer`): a message that repeats (a slow client cut off, a
  refused connection, an accept failure) is written once per ``period`` with the count of those left
  out, so a flood cannot fill the disk with its log.
"""

from __future__ import annotations

import logging
import resource
import time
from dataclasses import dataclass

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger("biostation.central.http")


@dataclass(frozen=True)
class Limits:
    head_seconds: float = 10.0
    body_seconds: float = 20.0
    body_min_rate: int = 4096  # bytes a second: each 4 KB received buys the body one more second
    body_max_seconds: float = 300.0  # a 32 MB packet needs about 110 KB/s to make it
    max_connections: int = 256
    max_head_bytes: int = 16 * 1024

    @classmethod
    def for_this_process(cls, **overrides) -> Limits:
        """The defaults, with the connection cap kept 48 descriptors below ``RLIMIT_NOFILE``."""
        soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        limits = cls(**overrides)
        if soft != resource.RLIM_INFINITY and limits.max_connections > soft - 48:
            limits = cls(**dict(overrides, max_connections=max(4, soft - 48)))
        return limits


def _raw_response(status: int, reason: str) -> bytes:
    return (f"HTTP/1.1 {status} {reason}\r\ncontent-type: text/plain\r\nconnection: close\r\n"
            f"content-length: {len(reason)}\r\n\r\n{reason}").encode("ascii")


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with head and body deadlines and a connection cap (see the module)."""

    limits = Limits()

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._refused = False
        self._phase: str | None = None  # "head" | "body" | None (nothing awaited from the client)
        self._timer = None
        self._started = 0.0
        self._received = 0
        self._body_from = 0

    # -- connection ----------------------------------------------------------------------------
    def connection_made(self, transport) -> None:  # type: ignore[override]
        if len(self.connections) >= self.limits.max_connections:
            self._refused = True
            log.warning("connection refused: %d connections open, the cap", len(self.connections))
            transport.write(_raw_response(503, "Service Unavailable"))
            transport.close()
            return
        super().connection_made(transport)
        self._start("head")

    def connection_lost(self, exc) -> None:
        if self._refused:
            return
        self._stop()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        if self._phase is None and self.conn.their_state is h11.IDLE:
            self._start("head")  # the first byte of the next request on a kept-alive connection
        self._received += len(data)
        super().data_received(data)
        self._follow()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._follow()

    # -- deadlines ------------------------------------------------------------------------------
    def _follow(self) -> None:
        """Move between head, body and nothing-awaited as h11 sees the client's side."""
        state = self.conn.their_state
        if state is h11.SEND_BODY:
            if self._phase != "body":
                self._start("body")
        elif state is not h11.IDLE:  # DONE (all received), MUST_CLOSE, CLOSED, ERROR
            self._stop()

    def _start(self, phase: str) -> None:
        self._stop()
        self._phase, self._started, self._body_from = phase, self.loop.time(), self._received
        self._timer = self.loop.call_later(self._deadline() - self._started, self._expire)

    def _stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer, self._phase = None, None

    def _deadline(self) -> float:
        limits = self.limits
        if self._phase == "head":
            return self._started + limits.head_seconds
        earned = (self._received - self._body_from) / limits.body_min_rate
        return self._started + min(limits.body_seconds + earned, limits.body_max_seconds)

    def _expire(self) -> None:
        self._timer = None
        now, deadline = self.loop.time(), self._deadline()
        if now < deadline - 0.001:  # bytes arrived since: the body earned more time
            self._timer = self.loop.call_later(deadline - now, self._expire)
            return
        phase, self._phase = self._phase, None
        if self.transport is None or self.transport.is_closing():
            return
        log.warning("slow client cut off: no complete request %s within %.0f s", phase, now - self._started)
        if phase == "head" or not self.cycle.response_started:
            self.transport.write(_raw_response(408, "Request Timeout"))
        self.transport.close()


def guarded_protocol(limits: Limits) -> type[GuardedH11Protocol]:
    """The protocol class uvicorn instantiates per connection, with these limits."""
    return type("GuardedH11Protocol", (GuardedH11Protocol,), {"limits": limits})


class OncePer(logging.Filter):
    """Lets a message through once per ``period`` seconds (per logger and format); counts the rest."""

    def __init__(self, period: float = 10.0) -> None:
        super().__init__()
        self.period = period
        self._last: dict[tuple[str, str], float] = {}
        self._left_out: dict[tuple[str, str], int] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        key = (record.name, str(record.msg)[:200])
        now = time.monotonic()
        last = self._last.get(key)
        if last is not None and now - last < self.period:
            self._left_out[key] = self._left_out.get(key, 0) + 1
            return False
        if len(self._last) > 1000:  # messages that vary by their text, not their arguments
            self._last.clear()
            self._left_out.clear()
        self._last[key] = now
        left_out = self._left_out.pop(key, 0)
        if left_out:
            record.msg = f"{record.msg} [and {left_out} more like this in the last {self.period:.0f} s]"
        return True


FLOODABLE_LOGGERS = ("asyncio", "uvicorn.error", "biostation.central.http")


def quiet_floods(period: float = 10.0) -> None:
    """Rate-limit the loggers a flood of connections writes to (accept failures, protocol errors, cut-offs)."""
    for name in FLOODABLE_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, OncePer) for f in logger.filters):
            logger.addFilter(OncePer(period))
