"""The central record's HTTP API (FastAPI), served in-process by uvicorn.

Every station call except registration and packet delivery is a signed request
(``wire.sign_request``); a packet proves its origin by its own signature. Bodies are
read under a hard size limit before anything parses them, whatever their framing
(``Content-Length`` or chunked), JSON is refused past a nesting depth before it is
parsed, and every refusal is a JSON ``{"error": message_id, "params": {...}}`` with a
4xx status (the station renders it in its officer's language from the shared catalog).
The intake log (a database table) records what *authenticated* stations did and were
refused; a request that fails authentication is only logged, rate-limited, so that
anyone on the network cannot grow the database. Every answer carries the security
headers of :data:`SECURITY_HEADERS`.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import queue
import re
import threading
import time
from datetime import date, datetime, timedelta

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlalchemy import Engine

from . import adjudication, offices, snapshots, staff, store, web
from . import keys as central_keys
from .http_guard import quiet_floods
from .keys import KeysError
from .wire import (
    MAX_PACKET_BYTES,
    PacketError,
    ReplayGuard,
    b64,
    open_sealed,
    public_bytes,
    read_header,
    verify_request,
)

log = logging.getLogger("biostation.central")
# refusals of requests that failed authentication: anyone can cause them, so they go to the log only
# and rate-limited (``http_guard.quiet_floods`` filters this logger), never to the intake-log table
refusals = logging.getLogger("biostation.central.http")
PERSONS_PER_WORKER = 50_000  # with no --workers: a gallery shard (a worker process) per this many persons
CATCH_UP_OVERLAP = timedelta(seconds=60)  # records committed late by another process are still seen
RETRY_S = 10
RETRY_QUEUED_S = 300  # a search that could not run is tried again after this long without new records
STATION_KEYS_TTL_S = 10  # a revoked station is refused within this long
SNAPSHOT_EVERY_S = 3600  # the gallery's snapshot is written again after this long, if it has grown
PACKET_TYPE = "application/vnd.biostation.packet"
MAX_JSON_BYTES = 64 * 1024
MAX_JSON_DEPTH = 32  # our bodies nest 2 levels; Python's parser recurses and dies near 1000
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_JSON_BRACKET = re.compile(r"[\[\]{}]")

# Sent with every answer of the API (none of it is a page to frame, sniff, cache or refer from): the
# applications, templates and refusals it returns are personal data. A response that sets one of
# these itself (a future HTML page with its own policy) keeps its own.
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
    (b"cross-origin-resource-policy", b"same-origin"),
)


def _with_security_headers(headers: list) -> list:
    have = {bytes(name).lower() for name, _value in headers}
    return list(headers) + [(name, value) for name, value in SECURITY_HEADERS if name not in have]


class SecurityHeaders:
    """ASGI middleware: add :data:`SECURITY_HEADERS` to every response the wrapped app starts.

    Outermost in ``create_app``'s own stack; the answers made outside it (the 413 of
    :class:`BodyLimit`, the JSON 500 of an unexpected error) add the same headers themselves.
    """

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def with_headers(message):
            if message["type"] == "http.response.start":
                message = dict(message, headers=_with_security_headers(message.get("headers") or []))
            await send(message)

        await self.app(scope, receive, with_headers)


class BodyLimit:
    """ASGI middleware: refuse a body larger than ``limit`` bytes before the app reads it.

    A declared ``Content-Length`` over the limit is refused from the head. Every other body, and
    above all one without a length (``Transfer-Encoding: chunked``), is read here, counted as it
    arrives and refused with 413 as soon as it passes the limit; only a body within it is handed to
    the app (which reads it whole anyway). Refusing from inside the app's own read does not work:
    the framework turns any exception raised there into a 500 before this middleware sees it.
    """

    def __init__(self, app, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.limit):
            return await _too_large(send)
        parts: list[bytes] = []
        seen, more = 0, True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the client left (or was cut off as too slow, ``http_guard``): no one to answer
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > self.limit:
                return await _too_large(send)
            parts.append(chunk)
            more = message.get("more_body", False)
        replayed, gone = False, False

        async def replay():
            nonlocal replayed, gone
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(parts), "more_body": False}
            message = await receive()  # after the body: only the client's disconnect
            gone = gone or message["type"] == "http.disconnect"
            return message

        try:
            await self.app(scope, replay, send)
        except Exception:
            if not gone:
                raise
            # the client left mid-answer: no one to answer, and not an error of ours to log


async def _too_large(send) -> None:
    body = json.dumps({"error": "central.too_large", "params": {}}).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": _with_security_headers([(b"content-type", b"application/json"),
                                                   (b"content-length", str(len(body)).encode()),
                                                   (b"connection", b"close")])})
    await send({"type": "http.response.body", "body": body})


def _refusal(status: int, message_id: str, **params: object) -> JSONResponse:
    return JSONResponse({"error": message_id, "params": {k: str(v) for k, v in params.items()}},
                        status_code=status)


def _json_depth(text: str) -> int:
    """How deep arrays and objects nest in ``text`` (strings skipped), counted without recursion."""
    depth = deepest = 0
    for bracket in _JSON_BRACKET.findall(_JSON_STRING.sub("", text)):
        depth += 1 if bracket in "[{" else -1
        deepest = max(deepest, depth)
    return deepest


class Central:
    """The service's state: database, key, registered stations, the identification gallery."""

    def __init__(self, engine: Engine, production: bool = False, workers: int | None = None,
                 ray: str | None = None) -> None:
        self.engine = engine
        self.production = production
        self.key = store.central_key(engine)
        self._stations = store.station_keys(engine)
        self._stations_at = time.monotonic()
        self.replays = ReplayGuard()  # each signed request is taken once
        self._lock = threading.Lock()
        self.workers = workers  # decided when the gallery is built, unless given
        self.ray = ray
        self.gallery = None  # shards.ShardedGallery, built by the search worker (the matching modules load there)
        self._seen_until: datetime | None = None
        self._snapshot_at = (0.0, 0)  # (monotonic time, persons) of the last snapshot written or read
        self.gallery_source = ""  # "snapshot" or "records": where the gallery came from at start
        self._searches: queue.Queue = queue.Queue()
        self._stopping = threading.Event()
        self.worker = threading.Thread(target=self._search_worker, name="identification", daemon=True)
        self.worker.start()

    def _entries(self, since: datetime | None = None, shard: int | None = None, known=lambda _packet: False):
        """(record id, application, biometrics) of the accepted records: the gallery's content (in
        ``shard`` only, if given; those ``known`` already left out before their templates are read)."""
        from .identification import biometrics
        from .shards import shard_of

        def skip(packet_id: str, application: str) -> bool:
            return known(packet_id) or (shard is not None and shard_of(application, self.workers) != shard)

        for record in store.all_records(self.engine, since=since, accepted_only=True, skip=skip):
            yield record.packet_id, record.application, biometrics(record.manifest, record.files)

    def _make_gallery(self):
        from .shards import ProcessShard, ShardedGallery

        if self.ray:
            from .ray_shards import ray_shard_maker

            make = ray_shard_maker(self.ray, self.workers)
        else:
            def make(_index: int):
                return ProcessShard()
        return ShardedGallery(self.workers, make, lambda index, known: self._entries(shard=index, known=known))

    def catch_up(self) -> None:
        """Add the accepted records stored since the last look (by this process or another on the same
        database), so a search sees every record taken in before it, wherever."""
        started = store.now_utc()
        since = None if self._seen_until is None else self._seen_until - CATCH_UP_OVERLAP
        self.gallery.add_many(self._entries(since, known=self.gallery.knows))
        self._seen_until = started

    def _search_worker(self) -> None:
        """Builds the gallery from the stored records, searches the records still queued, then each new one.

        Off the request path: a record is stored and acknowledged before anyone searches it, and a
        slow search never holds a station's delivery. A record whose search cannot run stays queued
        in the database (its status says so) and is searched again at the next quiet moment or start.
        """
        while self.gallery is None and not self._stopping.is_set():
            try:
                if self.workers is None:  # one worker per PERSONS_PER_WORKER enrolled persons, up to the cores
                    persons = store.person_count(self.engine)
                    self.workers = max(1, min(os.cpu_count() or 1, -(-persons // PERSONS_PER_WORKER)))
                self.gallery = self._make_gallery()
                source = "snapshot" if self._load_snapshot() else "records"
                self.catch_up()
                if source == "records":
                    self._save_snapshot()
                self.gallery_source = source
            except Exception:
                log.exception("the identification gallery cannot be built; trying again in %d s", RETRY_S)
                if self.gallery is not None:
                    self.gallery.close()
                    self.gallery = None
                self._stopping.wait(RETRY_S)
        while not self._stopping.is_set():
            try:
                for record in store.all_records(self.engine, queued_only=True):
                    self.search(record.packet_id, record.application, record.status, record.manifest, record.files)
            except Exception:  # the database gone for a while: the records stay queued, the worker stays
                log.exception("the queued searches cannot be read; trying again in %d s", RETRY_S)
                self._stopping.wait(RETRY_S)
                continue
            try:  # new records as they come; every RETRY_QUEUED_S, whatever is still queued again
                while True:
                    queued = self._searches.get(timeout=RETRY_QUEUED_S)
                    if queued is None:  # close(): the search in progress is done, the others stay queued
                        return
                    self.search(*queued)
            except queue.Empty:
                if time.monotonic() - self._snapshot_at[0] >= SNAPSHOT_EVERY_S:
                    self._save_snapshot()
                continue

    def close(self, timeout_s: float = 30.0) -> None:
        """Stop the identification worker (after the search in progress; records not yet searched stay
        queued in the database for the next start) and the gallery's workers."""
        self._stopping.set()
        self._searches.put(None)
        self.worker.join(timeout_s)
        if self.gallery is not None:
            self.gallery.close()

    # -- the gallery's snapshot: a restart reads the shards' arrays instead of every record ---------------
    def _snapshot_folder(self):
        path = central_keys.for_engine(self.engine).directory.path
        return None if path is None else path / snapshots.FOLDER

    def _load_snapshot(self) -> bool:
        """Fill the shards from the last snapshot; False (nothing changed, or the shards made again) when
        there is none, it cannot be read, it holds a record erased since, or the shards are filled already
        (Ray actors that another central process keeps)."""
        folder = self._snapshot_folder()
        if folder is None or not folder.is_dir():
            return False
        if any(self.gallery.worker(i).persons() for i in range(self.gallery.count)):
            return False
        started = time.monotonic()
        try:
            self.gallery.load(folder, snapshots.folder_key(folder, store.record_wrapper(self.engine), create=False))
            erased = [p for p in store.erased_packets(self.engine) if self.gallery.knows(p)]
            if erased:
                raise snapshots.SnapshotError(f"it holds {len(erased)} record(s) erased since")
        except snapshots.SnapshotError as exc:
            log.warning("the gallery snapshot is not used (%s); building the gallery from the records", exc)
            snapshots.discard(folder)
            self.gallery.close()
            self.gallery = self._make_gallery()
            return False
        log.info("gallery of %d persons read from its snapshot in %.1f s", len(self.gallery),
                 time.monotonic() - started)
        self._snapshot_at = (time.monotonic(), len(self.gallery))
        return True

    def _save_snapshot(self) -> None:
        """Write every shard's snapshot, unless nothing was added since the last, or the gallery in memory
        still holds a record erased since it was built (a restart drops it; no snapshot keeps it)."""
        folder = self._snapshot_folder()
        if folder is None or self.gallery is None or len(self.gallery) == self._snapshot_at[1]:
            return
        try:
            if any(self.gallery.knows(p) for p in store.erased_packets(self.engine)):
                log.warning("the gallery holds records erased since it was built: no snapshot until a restart")
                return
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            key = snapshots.folder_key(folder, store.record_wrapper(self.engine), create=True)
            written = self.gallery.save(folder, key)
            self._snapshot_at = (time.monotonic(), len(self.gallery))
            log.info("gallery snapshot written: %d persons, %.1f MB", len(self.gallery), written / 2**20)
        except Exception:  # the snapshot only saves time at the next start
            log.exception("the gallery snapshot could not be written")

    def queue_search(self, packet_id: str, application: str, status: str, manifest: dict, files: dict) -> None:
        self._searches.put((packet_id, application, status, manifest, files))

    def search(self, packet_id: str, application: str, status: str, manifest: dict, files: dict) -> None:
        """Search one stored record 1:N and queue what it flags (its own application and those linked to it
        are not candidates); the gallery takes it in with the next catch-up if it is current."""
        from .identification import biometrics

        try:
            self.catch_up()
            record = biometrics(manifest, files)
            excluded = {application} | adjudication.linked(self.engine, application)
            outcome = self.gallery.search(record, excluded)
            items = adjudication.queue_flags(self.engine, packet_id, application, outcome, self.gallery.fpir)
            store.searched(self.engine, packet_id, "searched", {
                "gallery": outcome.gallery, "flagged": len(outcome.flagged), "items": items,
                "unusable": list(outcome.unusable)})
            if outcome.flagged:
                log.warning("record %s: %d possible duplicate(s), queue items %s",
                            packet_id, len(outcome.flagged), items)
        except Exception as exc:  # the record is stored and acknowledged whatever happens here
            log.exception("identification search failed for %s", packet_id)
            try:
                store.searched(self.engine, packet_id, "queued", {"error": type(exc).__name__})
            except Exception:
                log.exception("cannot note the search status of %s", packet_id)

    def station_key(self, station_id: str):
        """The key of a registered, unrevoked station. Re-read when the id is unknown (registered by
        another process since) and every ``STATION_KEYS_TTL_S`` (a revocation made on the command line
        takes effect within it)."""
        key = self._stations.get(station_id)
        if key is None or time.monotonic() - self._stations_at > STATION_KEYS_TTL_S:
            with self._lock:
                self._stations = store.station_keys(self.engine)
                self._stations_at = time.monotonic()
            key = self._stations.get(station_id)
        return key


async def _json_body(request: Request) -> dict:
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise store.CentralError(415, "central.wrong_content_type", expected="application/json")
    raw = await request.body()
    if len(raw) > MAX_JSON_BYTES:
        raise store.CentralError(413, "central.too_large")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise store.CentralError(400, "central.not_utf8") from exc
    # Python's parser recurses per level: 30,000 nested lists (60 KB, under the size limit) raised
    # RecursionError, a 500; the depth is checked first, and RecursionError is caught as a backstop
    if _json_depth(text) > MAX_JSON_DEPTH:
        raise store.CentralError(400, "central.json_too_deep", limit=MAX_JSON_DEPTH)
    try:
        value = json.loads(text)
    except RecursionError as exc:
        raise store.CentralError(400, "central.json_too_deep", limit=MAX_JSON_DEPTH) from exc
    except ValueError as exc:
        raise store.CentralError(400, "central.bad_json") from exc
    if not isinstance(value, dict):
        raise store.CentralError(400, "central.bad_json")
    return value


def create_app(engine: Engine, production: bool = False, workers: int | None = None,
               ray: str | None = None) -> FastAPI:
    central = Central(engine, production, workers, ray)
    app = FastAPI(title="Biostation central record", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.central = central
    app.add_middleware(SecurityHeaders)
    web.mount(app, engine)
    quiet_floods()  # the refusals' logger, rate-limited however the app is served

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception):
        """A JSON 500 with the security headers (it is sent outside the middleware stack); logged by Starlette."""
        response = _refusal(500, "error.unexpected", detail=type(exc).__name__)
        for name, value in SECURITY_HEADERS:
            response.headers.setdefault(name.decode(), value.decode())
        return response

    @app.exception_handler(store.CentralError)
    async def _central_error(_request: Request, exc: store.CentralError):
        return _refusal(exc.status, exc.message_id, **exc.params)

    @app.exception_handler(KeysError)
    async def _keys_error(_request: Request, exc: KeysError):
        log.error("keys: %s", exc)
        return _refusal(exc.status, exc.message_id, **exc.params)

    @app.exception_handler(PacketError)
    async def _packet_error(_request: Request, exc: PacketError):
        return _refusal(exc.status, exc.message_id, **exc.params)

    async def signed(request: Request) -> str:
        body = await request.body()
        headers = {k.lower(): v for k, v in request.headers.items()}
        try:
            return verify_request(request.method, request.url.path, body, headers, central.station_key,
                                  query=request.url.query, replays=central.replays)
        except PacketError as exc:
            # not authenticated: logged (rate-limited), never an intake-log row, or invented station
            # ids would each add one
            refusals.warning("request %s %s refused: %s (station id %r)", request.method, request.url.path,
                             exc.message_id, headers.get("x-station-id", "")[:64])
            raise

    @app.get("/health")
    async def health():
        return {"status": "ok", "production": central.production}

    @app.post("/api/v1/stations/register")
    async def register(request: Request):
        body = await _json_body(request)
        try:
            key = bytes.fromhex(str(body.get("public_key", "")))
        except ValueError as exc:
            raise store.CentralError(400, "central.bad_station_key") from exc
        station_id, name = store.register_station(engine, str(body.get("token", "")), key)
        central.station_key(station_id)
        log.info("station %s (%s) registered", station_id, name)
        return {"station_id": station_id, "name": name,
                "central_public_key": public_bytes(central.key.public_key()).hex(),
                "production": central.production}

    @app.get("/api/v1/appointments")
    async def appointments(request: Request, day: str, office: str = "", zone: str = "Asia/Jakarta"):
        """The station's queue: its own office's bookings on ``day`` (the office's day, in its zone).

        A station names no office, or its own (404 for an office that does not exist, so a first run
        can check a typed name; 403 for another office's). While no office exists at all, every
        application of that day in the ``zone`` the station gives."""
        station = await signed(request)
        try:
            when = date.fromisoformat(day)
        except ValueError as exc:
            raise store.CentralError(400, "central.bad_query") from exc

        def listing() -> dict:
            with engine.connect() as conn:
                scope = store.station_scope(conn, station)
            own = offices.get_office(engine, scope) if scope is not None else None
            if office:
                named = offices.office_named(engine, office)  # 404 when there is none of that name
                if own is not None and named.id != own.id:
                    raise store.CentralError(403, "central.office_not_yours", office=office)
            try:
                day_zone = own.timezone if own else offices.zone_name(zone)
            except store.CentralError as exc:
                raise store.CentralError(400, "central.bad_query") from exc
            return {"office": own.as_json() if own else None,
                    "appointments": store.appointments_on(engine, when, day_zone, own)}

        return await run_in_threadpool(listing)

    @app.get("/api/v1/applications/{number}")
    async def application(number: str, request: Request):
        station = await signed(request)
        return store.application_for_station(engine, number, station)

    @app.get("/api/v1/applications/{number}/templates")
    async def templates(number: str, request: Request):
        station = await signed(request)
        store.application_for_station(engine, number, station, cancelled_ok=True)
        found = store.latest_record(engine, number)
        if found is None:
            raise store.CentralError(404, "central.not_enrolled", number=number)
        manifest, files = found
        fingers = [{"position": f["position"], "iso19794_2": b64(files[f["template"]])}
                   for f in manifest.get("fingers", []) if f.get("template") in files]
        store.log_intake(engine, "templates_read", station, None, number)
        face = (manifest.get("face") or {}).get("embedding")
        return {"application": number, "face_embedding": face, "fingers": fingers}

    @app.post("/api/v1/feedback")
    async def feedback(request: Request):
        station = await signed(request)
        body = await _json_body(request)
        store.application_for_station(engine, str(body.get("application", "")), station, cancelled_ok=True)
        store.add_feedback(engine, str(body["application"]), body.get("stars"), body.get("comment", ""))
        return JSONResponse({"status": "stored"}, status_code=201)

    @app.get("/api/v1/packets/{packet_id}")
    async def packet_status(packet_id: str, request: Request):
        await signed(request)
        status = store.record_status(engine, packet_id)
        if status is None:
            raise store.CentralError(404, "central.no_packet", packet=packet_id)
        return {"packet_id": packet_id, "status": "stored", "record_status": status[0], "hold_reason": status[1]}

    async def staff_member(request: Request) -> staff.StaffMember:
        """The staff member a request's HTTP Basic credentials name (checked in the thread pool: argon2)."""
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        try:
            name, _, password = base64.b64decode(value, validate=True).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            name, password = "", ""
        if scheme.lower() != "basic" or not name:
            raise store.CentralError(401, "auth.bad_credentials")
        return await run_in_threadpool(staff.authenticate, engine, name, password)

    @app.get("/api/v1/adjudication")
    async def adjudication_queue(request: Request, state: str = "open", limit: int = 50, offset: int = 0):
        await staff_member(request)
        return await run_in_threadpool(adjudication.items, engine, state, limit, offset)

    @app.get("/api/v1/adjudication/{item_id}")
    async def adjudication_item(item_id: int, request: Request):
        member = await staff_member(request)  # the view is audited under this member (adjudication.item)
        return await run_in_threadpool(adjudication.item, engine, item_id, member)

    @app.post("/api/v1/adjudication/{item_id}/decision")
    async def adjudication_decision(item_id: int, request: Request):
        member = await staff_member(request)
        body = await _json_body(request)
        return await run_in_threadpool(adjudication.decide, engine, item_id, str(body.get("decision", "")), member)

    @app.post("/api/v1/packets")
    async def packets(request: Request):
        if request.headers.get("content-type", "").split(";")[0].strip() != PACKET_TYPE:
            refusals.warning("packet refused: wrong content type")  # no station has signed anything yet
            raise store.CentralError(415, "central.wrong_content_type", expected=PACKET_TYPE)
        data = await request.body()
        result, opened = await run_in_threadpool(_take_in, central, data)
        if result.status == "stored":
            central.queue_search(result.packet_id, result.application, result.record_status,
                                 opened.content.manifest, opened.content.files)
            # stored either way (201: the station's outbox may let it go); a held version is kept
            # for an adjudicator and does not replace the application's current one
            return JSONResponse({"status": "stored", "packet_id": result.packet_id,
                                 "record_status": result.record_status, "hold_reason": result.hold_reason},
                                status_code=201)
        return {"status": "already_received", "packet_id": result.packet_id}

    return app


def _take_in(central: Central, data: bytes):
    """Verify, decrypt, validate and store one packet (blocking: runs in the thread pool).

    A refusal goes to the intake log only when the packet's signature verified (a registered
    station sent it); before that, anyone could have, so it is only logged, rate-limited.
    """
    station_id = packet_id = opened = None
    try:
        header = read_header(data)
        station_id, packet_id = header.station_id, header.packet_id
        opened = open_sealed(data, central.key, central.station_key)
        result = store.intake(central.engine, opened, central.production)
    except PacketError as exc:
        if opened is None and not exc.authenticated:
            refusals.warning("packet refused before its station was authenticated: %s (station id %r)",
                             exc.message_id, (station_id or "")[:64])
            raise
        log.warning("packet %s from station %s refused: %s", packet_id, station_id, exc.message_id)
        store.log_intake(central.engine, "refused", station_id, packet_id, exc.message_id)
        raise
    store.log_intake(central.engine, result.status, station_id, packet_id, result.application)
    return result, opened


def server_config(app, host: str, port: int, limits=None):
    """uvicorn's configuration for the central record: h11 with deadlines and a connection cap (``http_guard``)."""
    import uvicorn

    from .http_guard import Limits, guarded_protocol, quiet_floods

    limits = limits or Limits.for_this_process()
    config = uvicorn.Config(app, host=host, port=port, workers=1, log_level="warning", lifespan="off",
                            server_header=False,  # no "server: uvicorn" banner
                            http=guarded_protocol(limits), timeout_keep_alive=5,
                            limit_concurrency=limits.max_connections + 1,
                            h11_max_incomplete_event_size=limits.max_head_bytes)
    quiet_floods()  # after uvicorn has configured its loggers
    return config


def serve(engine: Engine, host: str, port: int, production: bool = False, limits=None,
          workers: int | None = None, ray: str | None = None) -> None:
    """Run in this process (no reload, no HTTP workers), so a killed server frees its port at once; the
    gallery's shards live in ``workers`` worker processes, or in Ray actors when ``ray`` names a cluster."""
    import uvicorn

    app = BodyLimit(create_app(engine, production, workers, ray), MAX_PACKET_BYTES)
    uvicorn.Server(server_config(app, host, port, limits)).run()
