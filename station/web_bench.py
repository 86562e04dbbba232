"""``biostation bench web``: the applicant portal under load, and the station API's intake beside it.

A bounded load test on loopback only, against a real ``biostation central serve`` process on a
scratch PostgreSQL database (dropped afterwards). It answers two questions an office asks before
opening the portal to the public:

- **Do the pages stay quick?** ``users`` simulated applicants, each an ``httpx`` client with its own
  cookie jar, follow the real path with ``think_s`` seconds of think time between pages: open ``/``,
  choose a service and an office from the form as served, open the booking page, fill it (the
  ``csrf_token`` and one-time ``form_id`` hidden fields taken from the page), pick one of the free
  slots it offers, post it, land on the confirmation; now and then they download the PDF or look their
  application up on ``/status`` with number and birth date. Each request's time is taken at the
  client, the redirect after a post counted as its own page.
- **Does the portal slow the stations down?** The packet intake rate (sealed records posted to
  ``/api/v1/packets`` by ``intake_clients`` concurrent senders, as ``station.intake_bench`` does) is
  measured alone, then while the applicants run, then alone again (the machine's speed drifts; the
  two quiet runs bracket the loaded one). Every stored record queues a 1:N search against a gallery
  filled beforehand with ``gallery`` persons, so identification searches run throughout.

The portal limits form posts per client address (``central.web.portal.RATES``) and has no setting to
raise them; rather than weakening the server for the test, each applicant connects from its own
loopback address (127.0.0.10 onwards: Linux routes all of 127/8 to ``lo``), as applicants behind
their own connections do. Records carry distinct synthetic finger templates
(``matching.evaluation.synthetic_persons``), so a search does the work of a real one instead of
flagging every earlier record as the same fingers.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import httpx

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
TARGET_P95_MS = 200.0  # pages, PDF generation aside
TARGET_INTAKE_RATIO = 0.8  # loaded intake within 20 % of the unloaded rate
PDF = "pdf"
GIVEN = ("Siti", "Budi", "Dewi", "Agus", "Putri", "Rizky", "Ayu", "Hendra", "Wulan", "Joko")
FAMILY = ("Rahayu", "Santoso", "Wijaya", "Lestari", "Hidayat", "Saputra", "Kusuma", "Nugroho")


def _say(text: str) -> None:
    print(f"[bench web {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


# -- reading the pages as served -------------------------------------------------------------------
@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)  # hidden and text inputs as served
    options: dict[str, list[str]] = field(default_factory=dict)  # a select's non-empty option values


class PageParser(HTMLParser):
    """The forms of a page (inputs, selects and their options) and the text of ``#application-number``."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self.number = ""
        self._form: Form | None = None
        self._select: str | None = None
        self._in_number = False

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = Form(a.get("action", ""), a.get("method", "get").lower())
            self.forms.append(self._form)
        elif self._form is not None and tag == "input" and a.get("name") and a.get("type") != "checkbox":
            self._form.fields[a["name"]] = a.get("value", "")  # a checkbox is the applicant's to tick
        elif self._form is not None and tag == "select" and a.get("name"):
            self._select = a["name"]
            self._form.options[self._select] = []
        elif tag == "option" and self._form is not None and self._select and a.get("value"):
            self._form.options[self._select].append(a["value"])
        if a.get("id") == "application-number":
            self._in_number = True

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif self._in_number:
            self._in_number = False

    def handle_data(self, data):
        if self._in_number:
            self.number += data.strip()

    def form(self, action: str, method: str) -> Form:
        for candidate in self.forms:
            if candidate.action == action and candidate.method == method:
                return candidate
        raise PageError(f"no {method.upper()} {action} form on the page")


class PageError(Exception):
    """A page that does not offer what the applicant's next step needs."""


def parse(html: str) -> PageParser:
    parser = PageParser()
    parser.feed(html)
    return parser


# -- one applicant -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Sample:
    kind: str
    at: float  # time.monotonic() when the request started
    ms: float
    status: int  # 0: no answer (a connection or timeout error)
    error: str = ""  # why the step failed, "" when it did as an applicant expects


class Applicant:
    """One simulated applicant: its own client, cookie jar and loopback address."""

    def __init__(self, base: str, address: str, think_s: float, rng: random.Random, samples: list[Sample],
                 stop: threading.Event, pdf_share: float, status_share: float) -> None:
        self.client = httpx.Client(base_url=base, transport=httpx.HTTPTransport(local_address=address),
                                   timeout=30.0, follow_redirects=False)
        self.think_s, self.rng, self.samples, self.stop = think_s, rng, samples, stop
        self.pdf_share, self.status_share = pdf_share, status_share
        self.bookings = 0

    def think(self) -> bool:
        """Wait as a person reading and typing does (0.5–1.5 × ``think_s``); False once the test ends."""
        return not self.stop.wait(self.think_s * self.rng.uniform(0.5, 1.5))

    def request(self, kind: str, method: str, url: str, expect: tuple[int, ...], **kwargs) -> httpx.Response | None:
        started = time.monotonic()
        try:
            response = self.client.request(method, url, **kwargs)
            if method == "GET":
                response.read()
        except httpx.HTTPError as exc:
            self.samples.append(Sample(kind, started, (time.monotonic() - started) * 1000, 0, type(exc).__name__))
            return None
        ms = (time.monotonic() - started) * 1000
        ok = response.status_code in expect
        error = "" if ok else f"http {response.status_code}"
        self.samples.append(Sample(kind, started, ms, response.status_code, error))
        return response if ok else None

    def run(self) -> None:
        with self.client:
            while not self.stop.is_set():
                try:
                    finished = self.visit()
                except PageError as exc:
                    self.samples.append(Sample("flow", time.monotonic(), 0.0, 0, str(exc)))
                    finished = False
                if not finished and not self.think():  # after a failed step a person waits, then starts over
                    return

    def visit(self) -> bool:
        """One applicant's visit: start page, booking form, booking, confirmation, perhaps PDF and lookup;
        False when it stopped early (a request failed, or the test ended)."""
        start = self.request("start", "GET", "/", (200,))
        if start is None or not self.think():
            return False
        choice = parse(start.text).form("/book", "get")
        if not choice.options.get("service") or not choice.options.get("office"):
            raise PageError("the start page offers no service or office")
        query = {"service": self.rng.choice(choice.options["service"]),
                 "office": self.rng.choice(choice.options["office"])}
        form_page = self.request("book_form", "GET", "/book", (200,), params=query)
        if form_page is None or not self.think():
            return False
        form = parse(form_page.text).form("/book", "post")
        slots = form.options.get("slot") or []
        if not slots:
            raise PageError("the booking page offers no free slot")
        born = f"{self.rng.randint(1950, 2005)}-{self.rng.randint(1, 12):02d}-{self.rng.randint(1, 28):02d}"
        data = dict(form.fields) | {"given_name": self.rng.choice(GIVEN), "surname": self.rng.choice(FAMILY),
                                    "birth_date": born, "slot": self.rng.choice(slots[:40]), "consent": "yes"}
        # 409: the slot filled while this applicant typed; a person picks another next time round
        booked = self.request("book", "POST", "/book", (303, 409), data=data)
        if booked is None or booked.status_code != 303:
            return False
        confirmation = self.request("confirmation", "GET", booked.headers["location"], (200,))
        if confirmation is None:
            return False
        number = parse(confirmation.text).number
        if not number:
            raise PageError("the confirmation shows no application number")
        self.bookings += 1
        if self.rng.random() < self.pdf_share:
            self.request(PDF, "GET", "/confirmation.pdf", (200,))
        if self.rng.random() < self.status_share:
            if not self.think():
                return False
            lookup = self.request("status_form", "GET", "/status", (200,))
            if lookup is None or not self.think():
                return False
            fields = parse(lookup.text).form("/status", "post").fields
            found = self.request("status", "POST", "/status", (303,),
                                 data=dict(fields) | {"number": number, "birth_date": born})
            if found is not None:
                self.request("confirmation", "GET", found.headers["location"], (200,))
        return self.think()


def loopback_address(index: int) -> str:
    """The ``index``-th applicant's source address: 127.0.0.10, .11, … then 127.0.1.10, …"""
    return f"127.0.{index // 240}.{10 + index % 240}"


# -- the central record and its intake ---------------------------------------------------------------
def _distinct_record(application: dict, station_id: str, image, rng, seed: int):
    """A complete record whose two fingers no other record has (the image is shared; the templates are
    what the search compares) and whose face vector is random."""
    from datetime import UTC, datetime

    from domain.fingers import FingerPosition
    from enrollment.record import EnrollmentRecord, FingerCaptureResult
    from enrollment.synthetic import SENSOR, face_result
    from matching.evaluation.synthetic_persons import synthetic_finger

    now = datetime.now(UTC).isoformat()
    fingers = [FingerCaptureResult(FingerPosition(p), image, 500, synthetic_finger(rng), 80, 2, 0.2, SENSOR)
               for p in (1, 2)]
    return EnrollmentRecord(application, "siti", station_id, {"obtained": True, "at": now}, now,
                            face=face_result(seed), fingers=fingers, finished_at=now)


def seal_packets(base: str, url: str, home: Path, count: int, seed: int) -> list[bytes]:
    """``count`` sealed packets, one new applicant each, from a station registered with the central record."""
    import cv2
    import numpy as np
    from tqdm import tqdm

    from central import store
    from central.db import connect
    from matching.fingerprint.synth import write_synthetic_fingers

    from .settings import load_settings
    from .station import Station

    engine = connect(url)
    numbers = [store.add_application(engine, "Siti", "Rahayu " + "".join(chr(97 + int(d)) for d in str(i)),
                                     "1990-04-01", "passport") for i in range(count)]
    token = store.issue_token(engine, "bench-web")
    engine.dispose()
    write_synthetic_fingers(home / "fingers", 1, 1, seed=1)
    image = cv2.imread(str(home / "fingers" / "001_1.png"), cv2.IMREAD_GRAYSCALE)
    station = Station(load_settings({"BIOSTATION_HOME": str(home / "station")}))
    station.register(base, token)
    link = station.link()
    rng = np.random.default_rng(seed)
    wires = []
    try:
        for i, number in enumerate(tqdm(numbers, desc="sealing packets", file=sys.stderr, leave=False)):
            record = _distinct_record(link.application(number), station.registration.station_id, image, rng, seed + i)
            wires.append(station.outbox.wire(station.submit(record)))
    finally:
        station.close()
    return wires


def post_packets(base: str, wires: list[bytes], clients: int) -> dict:
    """Post ``wires`` from ``clients`` senders (a kept-alive connection each); the intake rate and outcome."""
    from central.service import PACKET_TYPE

    chunks = [wires[i::clients] for i in range(clients)]

    def send(chunk: list[bytes]) -> list[int]:
        with httpx.Client(base_url=base, timeout=60) as client:
            return [client.post("/api/v1/packets", content=w, headers={"content-type": PACKET_TYPE}).status_code
                    for w in chunk]

    started = time.monotonic()
    with ThreadPoolExecutor(clients) as pool:
        codes = [c for chunk in pool.map(send, chunks) for c in chunk]
    seconds = time.monotonic() - started
    return {"packets": len(wires), "clients": clients, "stored": codes.count(201), "seconds": round(seconds, 2),
            "packets_per_second": round(len(wires) / seconds, 1), "started": started, "ended": started + seconds}


def post_packets_apart(pool, base: str, wires: list[bytes], clients: int) -> dict:
    """:func:`post_packets` in ``pool``'s own process, so that the applicants' threads in this one (their
    HTML parsing holds Python's lock) never delay a sender; ``time.monotonic`` is the same clock there."""
    return pool.submit(post_packets, base, wires, clients).result()


def queued_searches(url: str) -> int:
    from sqlalchemy import func, select

    from central import db
    from central.db import connect

    engine = connect(url)
    try:
        with engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(db.records)
                                .where(db.records.c.search_status == "queued")).scalar_one()
    finally:
        engine.dispose()


def wait_for_searches(url: str, timeout_s: float) -> float:
    """Seconds until no stored record waits for its 1:N search (the previous phase's work is done)."""
    started = time.monotonic()
    while queued_searches(url) and time.monotonic() - started < timeout_s:
        time.sleep(0.5)
    return round(time.monotonic() - started, 1)


# -- CPU accounting, to say where the time went ---------------------------------------------------------
def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _descendants(pid: int) -> list[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
    found, frontier = [], [pid]
    while frontier:
        children = [p for p, parent in parents.items() if parent in frontier]
        found += children
        frontier = children
    return found


def _machine_busy() -> tuple[float, float]:
    """(busy, total) clock ticks of the whole machine so far (``/proc/stat``)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


class CpuMeter:
    """CPU seconds used between ``start`` and ``stop`` by the server, its workers, this process, the machine."""

    def __init__(self, server_pid: int) -> None:
        self.server_pid = server_pid

    def _read(self) -> dict:
        workers = _descendants(self.server_pid)
        own = os.times()
        return {"server": _cpu_seconds(self.server_pid), "workers": sum(map(_cpu_seconds, workers)),
                "bench_client": own.user + own.system, "machine": _machine_busy(), "at": time.monotonic()}

    def start(self) -> None:
        self._first = self._read()

    def stop(self) -> dict:
        last, first = self._read(), self._first
        seconds = last["at"] - first["at"]
        busy = (last["machine"][0] - first["machine"][0]) / max(1, last["machine"][1] - first["machine"][1])
        return {"seconds": round(seconds, 1),
                **{f"{k}_cpu_s": round(last[k] - first[k], 1) for k in ("server", "workers", "bench_client")},
                "machine_busy_share": round(busy, 2)}


# -- the run -------------------------------------------------------------------------------------------
def _percentiles(values: list[float]) -> dict:
    import numpy as np

    if not values:
        return {"count": 0}
    a = np.asarray(values)
    return {"count": len(values), "p50_ms": round(float(np.percentile(a, 50)), 1),
            "p95_ms": round(float(np.percentile(a, 95)), 1), "p99_ms": round(float(np.percentile(a, 99)), 1),
            "max_ms": round(float(a.max()), 1)}


def page_figures(samples: list[Sample], since: float, until: float) -> dict:
    """Latency per page kind over [since, until] (answered requests only), errors, and all pages but the PDF."""
    window = [s for s in samples if since <= s.at <= until]
    answered = [s for s in window if s.status]
    kinds = sorted({s.kind for s in answered})
    errors: dict[str, int] = {}
    for s in window:
        if s.error:
            key = f"{s.kind}: {s.error}"
            errors[key] = errors.get(key, 0) + 1
    return {"pages": {k: _percentiles([s.ms for s in answered if s.kind == k]) for k in kinds},
            "all_but_pdf": _percentiles([s.ms for s in answered if s.kind != PDF]),
            "requests": len(window), "errors": sum(errors.values()), "error_kinds": errors,
            "slot_taken": sum(1 for s in window if s.kind == "book" and s.status == 409),
            "requests_per_second": round(len(window) / max(1e-9, until - since), 1)}


def run_web_bench(server: str = DEFAULT_SERVER, users: int = 50, think_s: float = 5.0, duration_s: float = 120.0,
                  warmup_s: float | None = None, gallery: int = 300, intake_packets: int = 200,
                  intake_clients: int = 4, offices: int = 3, capacity: int = 20, pdf_share: float = 0.1,
                  status_share: float = 0.3, seed: int = 0) -> dict:
    """The whole measurement (see the module). ``server``: a PostgreSQL server URL (a scratch database is
    made on it and dropped), or "sqlite" (a temporary file: for a quick check, not the figures)."""
    from central.db import scratch_database

    if users < 1 or intake_packets < 1 or intake_clients < 1 or offices < 1:
        raise ValueError("users, intake packets, intake clients and offices must be 1 or more")
    warmup_s = think_s * 2 if warmup_s is None else warmup_s
    with contextlib.ExitStack() as stack:
        if server == "sqlite":
            folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-web-db-"))
            url = f"sqlite:///{folder}/central.db"
        else:
            url = stack.enter_context(scratch_database(server, "bs_bench_web_"))
        result = _run(url, users, think_s, duration_s, warmup_s, gallery, intake_packets, intake_clients, offices,
                      capacity, pdf_share, status_share, seed)
    result["setup"]["database"] = "sqlite" if server == "sqlite" else "postgresql"
    return result


def _run(url, users, think_s, duration_s, warmup_s, gallery, intake_packets, intake_clients, offices_count,
         capacity, pdf_share, status_share, seed) -> dict:
    from central import offices
    from central.db import connect

    from .central_link import stop_server, wait_until_ready
    from .embedded_central import free_port

    home = Path(tempfile.mkdtemp(prefix="bench-web-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    load_before = os.getloadavg()
    _say(f"starting central serve on {base}")
    server_log = open(home / "central.log", "wb")  # noqa: SIM115 (closed with the server, below)
    senders = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
    server = subprocess.Popen([sys.executable, "-m", "station.cli", "central", "serve", "--db", url,
                               "--keys", str(home / "central-keys"), "--port", str(port)],
                              env=dict(os.environ, BIOSTATION_HOME=str(home / "central")),
                              stdout=subprocess.DEVNULL, stderr=server_log)
    try:
        if not wait_until_ready(base, 90.0, lambda: server.poll() is None):
            raise RuntimeError(f"the central record did not start (see {home / 'central.log'})")
        engine = connect(url)
        for i in range(offices_count):
            offices.add_office(engine, f"Kantor Imigrasi Bench {i + 1}", "08:00", "15:00", 15, capacity,
                               closed_weekdays="")
        engine.dispose()
        _say(f"{offices_count} offices (08:00–15:00, 15-minute slots, {capacity} a slot); sealing "
             f"{gallery} gallery + 3 × {intake_packets} intake packets")
        wires = seal_packets(base, url, home, gallery + 3 * intake_packets, seed)
        fill, quiet_a, loaded, quiet_b = (wires[:gallery], wires[gallery:gallery + intake_packets],
                                          wires[gallery + intake_packets:gallery + 2 * intake_packets],
                                          wires[gallery + 2 * intake_packets:])
        if fill:
            _say(f"filling the gallery with {gallery} persons through the intake")
            post_packets(base, fill, intake_clients)
            _say(f"gallery searches done in {wait_for_searches(url, 900)} s")
        cpu, intake_cpu = CpuMeter(server.pid), CpuMeter(server.pid)

        def quiet_intake(wires_: list[bytes], label: str) -> dict:
            intake_cpu.start()
            result = post_packets_apart(senders, base, wires_, intake_clients)
            result["cpu"] = intake_cpu.stop()
            result["searches_drained_s"] = wait_for_searches(url, 900)
            _say(f"intake {label}: {result['packets_per_second']} packets/s; its searches done "
                 f"{result['searches_drained_s']} s later")
            return result

        first = quiet_intake(quiet_a, "alone")

        _say(f"{users} applicants start (think time {think_s} s, from {loopback_address(0)} onwards); "
             f"warm-up {warmup_s:.0f} s, then {duration_s:.0f} s measured with the loaded intake inside it")
        samples: list[Sample] = []
        stop = threading.Event()
        rng = random.Random(seed)
        applicants = [Applicant(base, loopback_address(i), think_s, random.Random(rng.random()), samples, stop,
                                pdf_share, status_share) for i in range(users)]

        def stagger(applicant: Applicant, delay: float) -> None:
            if not stop.wait(delay):
                applicant.run()

        threads = [threading.Thread(target=stagger, args=(a, rng.uniform(0, think_s)), daemon=True)
                   for a in applicants]
        started = time.monotonic()
        for t in threads:
            t.start()
        stop.wait(warmup_s)
        measured_from = time.monotonic()
        cpu.start()
        stop.wait(min(5.0, duration_s / 4))  # the intake starts once the applicants' load is steady
        searched_before = queued_searches(url)
        intake_cpu.start()
        under_load = post_packets_apart(senders, base, loaded, intake_clients)
        under_load["cpu"] = intake_cpu.stop()
        _say(f"intake under load: {under_load['packets_per_second']} packets/s")
        remaining = measured_from + duration_s - time.monotonic()
        if remaining > 0:
            stop.wait(remaining)
        measured_until = time.monotonic()
        under_load["searches_still_queued_at_end"] = queued_searches(url)
        under_load["searches_queued_at_start"] = searched_before
        load_cpu = cpu.stop()
        stop.set()
        for t in threads:
            t.join(40)
        _say(f"applicants stopped after {measured_until - started:.0f} s; "
             f"{sum(a.bookings for a in applicants)} bookings")
        under_load["searches_drained_s"] = wait_for_searches(url, 900)
        second = quiet_intake(quiet_b, "alone again")
    finally:
        stop_server(server, 20)
        server_log.close()
        senders.shutdown()

    shutil.rmtree(home, ignore_errors=True)  # kept when the run fails: the server's log is in it
    web = page_figures(samples, measured_from, measured_until)
    web["during_intake"] = page_figures(samples, under_load["started"], under_load["ended"])["all_but_pdf"]
    web["bookings"] = sum(a.bookings for a in applicants)
    web["cpu"] = load_cpu
    for result in (first, under_load, second):
        result.pop("started")
        result.pop("ended")
    unloaded = (first["packets_per_second"] + second["packets_per_second"]) / 2
    ratio = under_load["packets_per_second"] / unloaded
    p95 = web["all_but_pdf"].get("p95_ms")
    return {
        "machine": {"cores": os.cpu_count(), "processor": platform.processor() or platform.machine(),
                    "python": platform.python_version(),
                    "load_average_before": [round(x, 2) for x in load_before],
                    "load_average_after": [round(x, 2) for x in os.getloadavg()]},
        "setup": {"users": users, "think_s": think_s, "warmup_s": warmup_s,
                  "duration_s": duration_s, "gallery": gallery, "offices": offices_count, "capacity": capacity,
                  "pdf_share": pdf_share, "status_share": status_share,
                  "client_addresses": f"{loopback_address(0)}–{loopback_address(users - 1)} (one an applicant)"},
        "web": web,
        "intake": {"alone_before": first, "under_load": under_load, "alone_after": second,
                   "alone_packets_per_second": round(unloaded, 1), "loaded_over_alone": round(ratio, 3)},
        "targets": {"page_p95_ms": TARGET_P95_MS, "page_p95_met": p95 is not None and p95 <= TARGET_P95_MS,
                    "intake_ratio": TARGET_INTAKE_RATIO, "intake_ratio_met": ratio >= TARGET_INTAKE_RATIO},
    }


def table(result: dict) -> str:
    """The figures as a plain-text table for the terminal."""
    web, intake = result["web"], result["intake"]
    lines = [f"{'page':<14}{'count':>7}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}"]
    for kind, p in list(web["pages"].items()) + [("all but PDF", web["all_but_pdf"])]:
        if p.get("count"):
            lines.append(f"{kind:<14}{p['count']:>7}{p['p50_ms']:>9}{p['p95_ms']:>9}{p['p99_ms']:>9}{p['max_ms']:>9}")
    during = web["during_intake"]
    if during.get("count"):
        lines.append(f"{'(during intake)':<14}{during['count']:>7}{during['p50_ms']:>9}{during['p95_ms']:>9}"
                     f"{during['p99_ms']:>9}{during['max_ms']:>9}")
    lines.append(f"requests {web['requests']} ({web['requests_per_second']}/s), errors {web['errors']}, "
                 f"bookings {web['bookings']}, slot taken meanwhile {web['slot_taken']}")
    for name, error_count in web["error_kinds"].items():
        lines.append(f"  error {name}: {error_count}")
    rates = [intake[k]["packets_per_second"] for k in ("alone_before", "under_load", "alone_after")]
    lines.append(f"intake packets/s: alone {rates[0]} and {rates[2]}, under load {rates[1]}"
                 f" → {intake['loaded_over_alone']:.2f} of alone")
    targets = result["targets"]
    verdict = {True: "met", False: "MISSED"}
    lines.append(f"targets: page p95 ≤ {targets['page_p95_ms']:.0f} ms {verdict[targets['page_p95_met']]}; "
                 f"intake ≥ {targets['intake_ratio']:.0%} of alone {verdict[targets['intake_ratio_met']]}")
    return "\n".join(lines)


def add_parser(bench_of) -> None:
    """``biostation bench web`` in ``bench_of``, ``biostation bench``'s subcommand table."""
    bw = bench_of.add_parser("web", help="the applicant portal under load, and the station intake beside it")
    bw.add_argument("--db", default=DEFAULT_SERVER,
                    help="PostgreSQL server URL (a scratch database is made on it and dropped), or 'sqlite'")
    bw.add_argument("--users", type=int, default=50)
    bw.add_argument("--think-s", type=float, default=5.0)
    bw.add_argument("--duration-s", type=float, default=120.0, help="measured seconds, after the warm-up")
    bw.add_argument("--warmup-s", type=float, help="default: twice the think time")
    bw.add_argument("--gallery", type=int, default=300, help="persons enrolled through the intake first")
    bw.add_argument("--intake-packets", type=int, default=200, help="packets per intake measurement (three)")
    bw.add_argument("--intake-clients", type=int, default=4)
    bw.add_argument("--pdf-share", type=float, default=0.1, help="share of bookings that download the PDF")
    bw.add_argument("--status-share", type=float, default=0.3, help="share of bookings looked up on /status")
    bw.add_argument("--seed", type=int, default=0)
    bw.add_argument("--json", help="also write the JSON here")
    bw.set_defaults(func=cmd_bench_web)


def cmd_bench_web(args, settings=None) -> int:
    """Runs the web benchmark: the table on stdout (the JSON with ``--json``), progress on stderr."""
    import json

    result = run_web_bench(args.db, args.users, args.think_s, args.duration_s, args.warmup_s, args.gallery,
                           args.intake_packets, args.intake_clients, pdf_share=args.pdf_share,
                           status_share=args.status_share, seed=args.seed)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))
    print(table(result))
    return 0
