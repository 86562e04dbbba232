"""One station's state, wired: keys, audit log, officers, outbox, application cache, central link.

The composition root the command line and the windows open once and close at exit.
Submitting seals a finished record into the outbox (one transaction, then it is safe);
flushing delivers what is pending and erases what the central record acknowledged.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from central.wire import PacketContent, new_packet_id, seal
from enrollment.packet import packet_layout
from enrollment.record import EnrollmentRecord

from . import keys
from .applications import ApplicationDesk
from .audit import AuditLog, open_audit
from .central_link import CentralLink, CentralRefused, CentralUnreachable
from .officers import Officers
from .outbox import Outbox
from .settings import Settings, ensure_home
from .storage import StorageError

log = logging.getLogger("biostation.station")


@dataclass(frozen=True)
class FlushResult:
    delivered: int
    refused: int
    pending: int
    reachable: bool


class Station:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.home = ensure_home(settings)
        self.audit: AuditLog = open_audit(self.home)
        self.officers = Officers(self.home, self.audit)
        self.storage_key = keys.storage_key(self.home)
        self.outbox = Outbox(self.home, self.storage_key)
        self._registration: keys.Registration | None = None
        self._link: CentralLink | None = None

    @property
    def registration(self) -> keys.Registration:
        if self._registration is None:
            self._registration = keys.load_registration(self.home)
        return self._registration

    @property
    def registered(self) -> bool:
        return (self.home / "registration.json").exists()

    def link(self, central_url: str | None = None) -> CentralLink:
        reg = self.registration
        if central_url and central_url.rstrip("/") != reg.central_url:
            raise keys.RegistrationError("station.other_central", url=central_url, registered=reg.central_url)
        if self._link is None:
            self._link = CentralLink(reg.central_url, reg.station_id, keys.signing_key(self.home))
        return self._link

    def applications(self, central_url: str | None = None) -> ApplicationDesk:
        return ApplicationDesk(self.home, self.storage_key, self.link(central_url), self.settings.timezone)

    def register(self, central_url: str, token: str) -> keys.Registration:
        with CentralLink(central_url) as link:
            answer = link.register(token, keys.public_key_hex(self.home))
        reg = keys.save_registration(self.home, central_url, answer)
        self._registration, self._link = reg, None
        self.sync_appointments()
        self.audit.record("technician", "station.register", None, station_id=reg.station_id,
                          central=reg.central_url)
        return reg

    def submit(self, record: EnrollmentRecord) -> str:
        """Seal a finished record into the outbox; once this returns, the record is safe."""
        reg = self.registration
        packet_id = new_packet_id()
        head = self.audit.record(record.officer, "packet.sealed", record.application["number"], packet=packet_id)
        manifest, files = packet_layout(record, packet_id, head)
        wire = seal(PacketContent(manifest, files), packet_id, reg.station_id, keys.signing_key(self.home),
                    reg.central_key)
        self.outbox.put(packet_id, record.application["number"], wire)
        self.audit.record(record.officer, "outbox.put", record.application["number"], packet=packet_id)
        return packet_id

    def flush(self) -> FlushResult:
        """Deliver every pending packet; stops at the first sign the central record is unreachable."""
        link = self.link()
        delivered = refused = 0
        reachable = True
        for packet_id in self.outbox.pending():
            try:
                wire = self.outbox.wire(packet_id)
            except StorageError as exc:
                self.outbox.mark_attempt(packet_id, exc.message_id, failed=True)
                refused += 1
                continue
            try:
                answer = link.deliver(wire)
            except CentralUnreachable as exc:
                self.outbox.mark_attempt(packet_id, exc.message_id, failed=False)
                reachable = False
                break
            except CentralRefused as exc:
                log.warning("packet %s refused: %s", packet_id, exc.message_id)
                self.outbox.mark_attempt(packet_id, exc.message_id, failed=True)
                self.audit.record("station", "packet.refused", None, packet=packet_id, reason=exc.message_id)
                refused += 1
                continue
            self.outbox.mark_delivered(packet_id)
            self.audit.record("station", "packet.delivered", None, packet=packet_id, answer=answer.get("status"))
            delivered += 1
        if reachable:
            self.sync_appointments()
        return FlushResult(delivered, refused, len(self.outbox.pending()), reachable)

    def sync_appointments(self) -> bool:
        """Refresh today's appointments in the cache; False when the central record is unreachable."""
        desk = self.applications()
        try:
            desk.sync_appointments()
            return True
        except CentralUnreachable:
            return False
        finally:
            desk.close()

    def close(self) -> None:
        if self._link is not None:
            self._link.close()
        self.outbox.close()
        self.officers.close()
        self.audit.close()

    def __enter__(self) -> Station:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
