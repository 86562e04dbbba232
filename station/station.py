"""One station's state, wired: keys, audit log, officers, outbox, application cache, central link.

The composition root the command line and the windows open once and close at exit.
Submitting seals a finished record into the outbox (one transaction, then it is safe);
flushing delivers what is pending and erases what the central record acknowledged.

Opening checks the audit chain and refuses to work on one that is broken, rewritten, cut
short or emptied (``AuditError``): a station that went on would extend, and anchor at the
central record, a history someone changed. The station remembers the last entry it verified
(``audit-head``, kept with its keys), so an open with ``audit_check="new"`` checks only what
was appended since and still sees a log that lost entries; the default open (the console's
start) and ``biostation audit verify`` check the whole chain. The way back is a supervisor's
re-anchor (``reanchor``); every packet carries the latest one to the central record.

The outbox is checked against the audit log before anything is delivered
(``outbox_damage``): every packet the log saw enter and not leave must still be there and
open. Damage is named (the applications to enroll again), audited, and never delivered,
marked failed or counted as refused; a supervisor sets it aside (``set_aside``).
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import tempfile
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime

from central.wire import PacketContent, new_packet_id, seal
from enrollment.packet import packet_layout
from enrollment.record import EnrollmentRecord

from . import keys
from .applications import ApplicationDesk
from .audit import REANCHOR, AuditEntry, AuditError, AuditLog, open_audit
from .central_link import CentralLink, CentralRefused, CentralUnreachable
from .officers import AuthError, Officers
from .outbox import DamagedPacket, DeliveryLock, Outbox, OutboxDamage, OutboxDamaged, is_damage
from .parked import ParkedRecords
from .settings import Settings, ensure_home
from .storage import StorageError

log = logging.getLogger("biostation.station")
AUDIT_CHECKS = ("full", "new", "off")
FLUSH_WAIT_S = 30.0  # how long a delivery waits for another one to finish
MARKER = "audit-head"  # the last audit entry this station verified, kept with its keys


@dataclass(frozen=True)
class FlushResult:
    delivered: int
    refused: int
    pending: int
    reachable: bool


@dataclass(frozen=True)
class SetAside:
    """What a supervisor's set-aside did: the damaged file moved (its name), packets kept and lost."""

    moved_to: str | None
    kept: tuple[str, ...]
    lost: tuple[DamagedPacket, ...]

    @property
    def applications(self) -> list[str]:
        return list(dict.fromkeys(p.application for p in self.lost if p.application))


class Station:
    def __init__(self, settings: Settings, audit_check: str = "full") -> None:
        """``audit_check``: "full" (the whole chain), "new" (what was appended since the head the station
        remembers), or "off" (for ``biostation audit``, which inspects and repairs the log)."""
        if audit_check not in AUDIT_CHECKS:
            raise ValueError(f"audit_check must be one of {AUDIT_CHECKS}")
        self.settings = settings
        self.home = ensure_home(settings)
        self._registration: keys.Registration | None = None
        self._link: CentralLink | None = None
        self._audit_ok = False  # a check passed: closing remembers the head
        self.audit: AuditLog = open_audit(self.home)
        self.officers = Officers(self.home, self.audit)
        self.storage_key = keys.storage_key(self.home)
        self.outbox = Outbox(self.home, self.storage_key)
        self.parked = ParkedRecords(self.home, self.storage_key)  # records awaiting a supervisor (the console)
        self.delivery_lock = DeliveryLock(self.home / "outbox.lock")
        if audit_check == "off":
            return
        try:
            problem = self.check_audit(full=audit_check == "full")
        except BaseException:
            self.close()
            raise
        if problem is not None:
            self.close()
            raise problem

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
        return ApplicationDesk(self.home, self.storage_key, self.link(central_url), self.settings.timezone,
                               self.settings.office)

    def register(self, central_url: str, token: str) -> keys.Registration:
        with CentralLink(central_url) as link:
            answer = link.register(token, keys.public_key_hex(self.home))
        reg = keys.save_registration(self.home, central_url, answer)
        self._registration, self._link = reg, None
        self.sync_appointments()
        self.audit.record("technician", "station.register", None, station_id=reg.station_id,
                          central=reg.central_url)
        return reg

    # -- the audit chain --------------------------------------------------------------------
    def check_audit(self, full: bool = True) -> AuditError | None:
        """What makes the audit log untrustworthy, or None (then the verified head is remembered).

        ``full=False`` checks only the entries after the head the station remembers (all of them when
        it remembers none); either way a log that lost the remembered entry, or holds another one in
        its place, or is empty while the station has a history, is refused.
        """
        remembered = self.remembered_head()
        last = self.audit.last()
        if last is None:
            if remembered is not None or self._has_history():
                return AuditError("station.audit_emptied")
            self._audit_ok = True  # a new station: what it appends from now on is remembered at close
            return None
        if remembered is not None:
            seq, digest = remembered
            if last[0] < seq:
                return AuditError("station.audit_lost", seq=seq, last=last[0])
            if self.audit.hash_at(seq) != digest:
                broken = self.audit.verify()
                return (AuditError("station.audit_rewritten", seq=seq) if broken is None
                        else AuditError("station.audit_broken", seq=broken))
            if not full:
                self.audit.remember(seq, digest)
        broken = self.audit.verify(full=full or remembered is None)
        if broken is not None:
            return AuditError("station.audit_broken", seq=broken)
        self._audit_ok = True
        self._remember_head()
        return None

    def _has_history(self) -> bool:
        """Whether the station did anything an audit entry records: registered, accounts, packets."""
        return (self.registered or self.outbox.has_rows()
                or self.officers.conn.execute("SELECT 1 FROM officers LIMIT 1").fetchone() is not None)

    def remembered_head(self) -> tuple[int, str] | None:
        """``(seq, hash)`` of the last audit entry this station verified; None when it remembers none."""
        try:
            raw = keys.SecretStore(self.home).get(MARKER)
            data = json.loads(raw) if raw else None
            return None if data is None else (int(data["seq"]), str(data["hash"]))
        except (ValueError, KeyError, TypeError) as exc:  # unreadable: as if none, so the full check runs
            log.warning("the remembered audit head is unreadable: %s", exc)
            return None

    def _remember_head(self, head: tuple[int, str] | None = None, force: bool = False) -> None:
        """Keep the newest verified head (never an older one, unless a re-anchor replaces it)."""
        head = head or self.audit.verified_head()
        if head is None or self.audit.hash_at(head[0]) != head[1]:
            return
        current = self.remembered_head()
        if current == head or (not force and current is not None and current[0] > head[0]):
            return
        _put_secret(self.home, MARKER, json.dumps({"seq": head[0], "hash": head[1]}).encode())

    def reanchor(self, supervisor: str, password: str) -> AuditEntry:
        """A supervisor's way back from a refused audit log: an entry naming the broken entries, the old
        head and the head the station remembered, after which the chain verifies again (recorded here;
        the next packet carries it to the central record)."""
        problem = self.check_audit(full=True)  # before the login below adds to the log
        if problem is None:
            raise AuditError("station.audit_nothing_to_reanchor")
        officer = self.officers.authenticate(supervisor, password)
        if not officer.may("audit"):
            raise AuthError("station.not_supervisor", name=officer.name)
        entry = self.audit.reanchor(officer.name, self.remembered_head(), finding=problem.message_id,
                                    finding_params=problem.params)
        self._remember_head((entry.seq, entry.hash), force=True)
        self._audit_ok = True
        return entry

    def _latest_reanchor(self) -> dict | None:
        entry = self.audit.latest(REANCHOR)
        if entry is None:
            return None
        return {"seq": entry.seq, "at": entry.at, "actor": entry.actor, "hash": entry.hash} | {
            k: entry.detail.get(k) for k in ("old_seq", "old_head", "remembered", "broken", "finding")}

    # -- records ---------------------------------------------------------------------------
    def submit(self, record: EnrollmentRecord) -> str:
        """Seal a finished record into the outbox; once this returns, the record is safe.

        Never on a broken chain: the packet anchors the head it carries at the central record.
        """
        broken = self.audit.verify(full=False)
        if broken is not None:
            raise AuditError("station.audit_broken", seq=broken)
        reg = self.registration
        packet_id = new_packet_id()
        sealed = self.audit.append(record.officer, "packet.sealed", record.application["number"], packet=packet_id)
        manifest, files = packet_layout(record, packet_id, sealed.hash)
        # where the chain stands, so the central record sees a head that goes backwards, and re-anchors
        manifest |= {"audit_seq": sealed.seq, "audit_at": sealed.at, "audit_reanchor": self._latest_reanchor()}
        wire = seal(PacketContent(manifest, files), packet_id, reg.station_id, keys.signing_key(self.home),
                    reg.central_key)
        self.outbox.put(packet_id, record.application["number"], wire)
        self.audit.record(record.officer, "outbox.put", record.application["number"], packet=packet_id)
        return packet_id

    def flush(self, wait_s: float = FLUSH_WAIT_S) -> FlushResult:
        """Deliver every pending packet; stops at the first sign the central record is unreachable.

        One delivery at a time per station home: a second one, from another process or thread, waits
        for the first at most ``wait_s`` seconds (then ``OutboxBusy``), so no packet is delivered, marked
        or audited twice. A damaged outbox raises ``OutboxDamaged`` naming the applications to enroll
        again: a damaged file before anything is delivered; damaged packets after the intact ones went,
        themselves left as they are (never marked failed, never counted as refused).
        """
        link = self.link()
        with self.delivery_lock.held(wait_s):
            damage = self.outbox_damage()
            if damage is not None and damage.problem is not None:
                raise OutboxDamaged(damage)
            found = list(damage.packets) if damage else []
            skip = {p.packet for p in found}
            delivered = refused = 0
            reachable = True
            try:
                for packet_id in self.outbox.pending():
                    if packet_id in skip or not self.outbox.is_pending(packet_id):
                        continue
                    try:
                        wire = self.outbox.wire(packet_id)
                    except StorageError:  # damaged since the check above: damage too, left as it is
                        found.append(DamagedPacket(packet_id, self.outbox.application(packet_id), "unreadable"))
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
                        self.audit.record("station", "packet.refused", None, packet=packet_id,
                                          reason=exc.message_id)
                        refused += 1
                        continue
                    self.outbox.mark_delivered(packet_id)
                    self.audit.record("station", "packet.delivered", None, packet=packet_id,
                                      answer=answer.get("status"))
                    delivered += 1
                pending = len(self.outbox.pending())
            except sqlite3.DatabaseError as exc:
                if not is_damage(exc):
                    raise
                whole = OutboxDamage(str(exc)[:500], tuple(DamagedPacket(p, a, "file")
                                                           for p, a in self._undelivered()[0].items()))
                self._audit_damage(whole)
                raise OutboxDamaged(whole) from exc
        if reachable:
            self.sync_appointments()
        result = FlushResult(delivered, refused, pending, reachable)
        if found:
            damage = OutboxDamage(None, tuple(found))
            self._audit_damage(damage)
            raise OutboxDamaged(damage, result)
        return result

    def _undelivered(self) -> tuple[dict[str, str | None], set[str]]:
        """From the audit log: packet id → application of every packet that entered the outbox and did not
        leave it, and the ids of those that left (delivered, or set aside by a supervisor)."""
        entered = {packet: application for application, packet in self.audit.packets("outbox.put")}
        left = {packet for action in ("packet.delivered", "packet.lost") for _, packet in self.audit.packets(action)}
        return {p: a for p, a in entered.items() if p not in left}, left

    def outbox_damage(self) -> OutboxDamage | None:
        """The outbox checked against itself and the audit log, or None when intact; a finding is audited.

        Every packet the log saw enter and not leave must still be in the outbox with bytes that open
        and match their digest (or be marked delivered: a crash can fall between the mark and its entry).
        """
        expected, left = self._undelivered()
        found = self.outbox.inspect()
        if found.problem is not None:
            damage = OutboxDamage(found.problem, tuple(DamagedPacket(p, a, "file") for p, a in expected.items()))
        else:
            packets = []
            for packet, application in expected.items():
                row = found.rows.get(packet)
                if row is None or not row[2]:
                    packets.append(DamagedPacket(packet, application, "missing" if row is None else "unreadable"))
            for packet, (application, _state, readable) in found.rows.items():
                if not readable and packet not in expected and packet not in left:
                    packets.append(DamagedPacket(packet, application, "unreadable"))
            damage = OutboxDamage(None, tuple(packets)) if packets else None
        if damage is not None:
            self._audit_damage(damage)
        return damage

    def _audit_damage(self, damage: OutboxDamage) -> None:
        """Each damaged packet once (by application, so the audit browser finds it), and a damaged file once
        until a supervisor sets it aside."""
        seen = {packet for _, packet in self.audit.packets("outbox.damaged")}
        entries = [("station", "outbox.damaged", p.application, {"packet": p.packet, "what": p.what})
                   for p in damage.packets if p.packet not in seen]
        if damage.problem is not None:
            noted, cleared = self.audit.latest("outbox.file_damaged"), self.audit.latest("outbox.set_aside")
            if noted is None or (cleared is not None and cleared.seq > noted.seq):
                entries.insert(0, ("station", "outbox.file_damaged", None, {"problem": damage.problem}))
        if entries:
            log.error("outbox damaged: %s", damage.as_json())
            self.audit.record_many(entries)

    def set_aside(self, supervisor: str, password: str, wait_s: float = FLUSH_WAIT_S) -> SetAside | None:
        """A supervisor's way back from a damaged outbox; None when nothing is damaged.

        Damaged packets are erased and audited as lost (``packet.lost``, with their application); a damaged
        file is moved aside (kept for support, under its own name) and every packet in it that still opens
        intact is kept in a fresh outbox. The lost applications are to be enrolled again.
        """
        officer = self.officers.authenticate(supervisor, password)
        if not officer.may("audit"):
            raise AuthError("station.not_supervisor", name=officer.name)
        with self.delivery_lock.held(wait_s):
            damage = self.outbox_damage()
            if damage is None:
                return None
            moved, kept = None, []
            if damage.problem is not None:
                moved, kept = self._replace_outbox_file()
            else:
                self.outbox.remove([p.packet for p in damage.packets])
            lost = tuple(p for p in damage.packets if p.packet not in set(kept))
            self.audit.record_many(
                [(officer.name, "packet.lost", p.application, {"packet": p.packet, "what": p.what}) for p in lost]
                + [(officer.name, "outbox.set_aside", None, {"moved_to": moved, "kept": len(kept),
                                                             "lost": len(lost), "problem": damage.problem})])
        return SetAside(moved, tuple(kept), lost)

    def _replace_outbox_file(self) -> tuple[str, list[str]]:
        """Move the damaged outbox file aside, start a fresh one and keep what still opens of the old."""
        self.outbox.close()
        aside = self.home / f"outbox.db.damaged-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%fZ')}"
        for suffix in ("", "-wal", "-shm"):
            with suppress(FileNotFoundError):
                os.replace(f"{self.outbox.path}{suffix}", f"{aside}{suffix}")
        self.outbox = Outbox(self.home, self.storage_key)
        return aside.name, self.outbox.salvage(aside)

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
        if self._audit_ok:  # remember what this run verified and appended, for the next open's quick check
            self._audit_ok = False
            try:
                if self.audit.verify(full=False) is None:
                    self._remember_head()
            except Exception:  # closing must not hide why the station closed
                log.warning("could not remember the audit head", exc_info=True)
        if self._link is not None:
            self._link.close()
        self.outbox.close()
        self.parked.close()
        self.officers.close()
        self.audit.close()

    def __enter__(self) -> Station:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _put_secret(home, name: str, value: bytes) -> None:
    """A small secret beside the station's keys; in a file it is replaced atomically under a unique
    temporary name, so two processes closing at once never leave half of one."""
    store = keys.SecretStore(home)
    if store.keyring is not None:
        store.put(name, value)
        return
    store.folder.mkdir(parents=True, exist_ok=True)
    os.chmod(store.folder, 0o700)
    fd, tmp = tempfile.mkstemp(dir=store.folder, prefix=f".{name}.")  # created 0600
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(value)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, store.folder / name)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
