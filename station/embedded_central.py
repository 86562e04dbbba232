"""A central record inside the station's own process, for a single office with no server.

``biostation run`` starts it when no central URL is configured: uvicorn on a loopback
port in a background thread, SQLite in the station home, and the station registered
with it on first start, so the console works out of the box. It serves the applicant portal
too (on the same loopback port), with one office (:data:`DEFAULT_OFFICE`) made on first start
when there is none, so bookings have somewhere to go; the station's queue is that office's.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from datetime import datetime

from .central_link import wait_until_ready

PREFERRED_PORT = 8700  # the same port every start keeps the registration valid
# the office a single-office station starts with: weekdays 08:00-15:00, 15-minute slots, 4 applicants each
DEFAULT_OFFICE = {"name": "Kantor Imigrasi", "opens": "08:00", "closes": "15:00", "slot_minutes": 15, "capacity": 4}


def free_port(preferred: int = 0) -> int:
    """``preferred`` when it is free, else any free loopback port."""
    for candidate in (preferred, 0):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", candidate))
            except OSError:
                continue
            return s.getsockname()[1]
    raise OSError("no free port")


class EmbeddedCentral:
    def __init__(self, db_url: str, port: int | None = None, zone: str = "Asia/Jakarta") -> None:
        import uvicorn

        from central.db import connect
        from central.offices import add_office, default_office
        from central.service import MAX_PACKET_BYTES, BodyLimit, create_app
        from central.store import CentralError

        self.engine = connect(db_url)
        if default_office(self.engine) is None:
            with contextlib.suppress(CentralError):  # made meanwhile by another start on the same file
                add_office(self.engine, timezone=zone, **DEFAULT_OFFICE)
        if port is None:
            port = free_port(PREFERRED_PORT)
        self.url = f"http://127.0.0.1:{port}"
        app = BodyLimit(create_app(self.engine), MAX_PACKET_BYTES)
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                                    lifespan="off", server_header=False))
        self.server.install_signal_handlers = lambda: None  # the window owns the signals
        self.thread = threading.Thread(target=self.server.run, name="embedded central", daemon=True)
        self.thread.start()
        if not wait_until_ready(self.url, 20.0, self.thread.is_alive):
            raise RuntimeError("the embedded central record did not start")

    def token(self, name: str) -> str:
        from central.store import issue_token

        return issue_token(self.engine, name)

    def add_application(self, given_name: str, surname: str, birth_date: str, service: str,
                        appointment_at: datetime | None = None, office: str | None = None) -> str:
        """Register an application in this record as staff would (``office``: its name, default the
        default office); returns its number."""
        from central.store import add_application

        return add_application(self.engine, given_name, surname, birth_date, service, appointment_at, office)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(5)


def ensure_registered(station, central: EmbeddedCentral) -> None:
    """Register the station with the embedded record unless it already is (with this one)."""
    if station.registered and station.registration.central_url == central.url:
        return
    station.register(central.url, central.token("this station"))
