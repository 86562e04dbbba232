"""The gallery's shards on Ray (``central serve --ray``): the same candidates as the worker processes, a
killed actor replaced, two central records sharing one Ray, and the local Ray kept to this machine
with TLS and token authentication on.

One local Ray (``auto``, 2 CPUs for 2 shards) is started for the whole module and stopped at its end;
the central records of the last test join it, as a second ``central serve`` on a machine does.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import stat
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np
import pytest

from central import adjudication, db, store
from central.ray_shards import DIRECTORY_ENV, NAMESPACE, RayInsecure, check_address, ray_shard_maker, stop_local
from central.shards import ProcessShard, ShardedGallery, shard_of
from domain.catalog import render
from matching.fingerprint.extractor import extract
from matching.gallery import Biometrics
from station.central_link import wait_until_ready
from station.settings import load_settings
from station.station import Station
from tests.conftest import BIOSTATION, CentralProcess
from tests.test_adjudication import _enroll, _wait_searched
from tests.test_hardening_central import PERSON_P, PERSON_P_AGAIN, PERSON_Q, _embedding, _near

SHARDS = 2
TEST_NAMESPACE = "biostation-tests"  # the central records of the last test use the default one


class LocalRay:
    def __init__(self, folder: Path, make, started_s: float) -> None:
        self.folder = folder
        self.make = make
        self.started_s = started_s


@pytest.fixture(scope="module")
def local_ray(tmp_path_factory):
    """``ray_shard_maker("auto", 2)`` once: the local head started, this process connected to it."""
    saved = dict(os.environ)
    folder = tmp_path_factory.mktemp("ray")
    os.environ[DIRECTORY_ENV] = str(folder)
    started = time.monotonic()
    make = ray_shard_maker("auto", SHARDS, namespace=TEST_NAMESPACE)
    import ray

    ray.get(ray.remote(lambda: 1).remote(), timeout=120)
    cluster = LocalRay(folder, make, time.monotonic() - started)
    print(f"local Ray started and connected in {cluster.started_s:.1f} s")
    try:
        yield cluster
    finally:
        ray.shutdown()
        stop_local(folder)
        for key in [k for k in os.environ if k.startswith("RAY_") or k == DIRECTORY_ENV]:
            if key in saved:
                os.environ[key] = saved[key]
            else:
                del os.environ[key]


def _face(seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=128)
    return (0.6 * v / np.linalg.norm(v)).astype(np.float32)


@pytest.fixture(scope="module")
def people(synthetic_fingers):
    """Four persons of a face and two fingers, twelve of a face alone; probes: a duplicate, the same
    fingers at swapped positions, a newcomer."""
    def finger(f: int, k: int):
        return extract(cv2.imread(str(synthetic_fingers / f"{f:03d}_{k}.png"), cv2.IMREAD_GRAYSCALE))

    enrolled = [(f"r{i}", f"P{i}", Biometrics(_face(i), {2: finger(i + 1, 1), 7: finger(4 - i, 1)}))
                for i in range(4)]
    enrolled += [(f"s{i}", f"S{i}", Biometrics(_face(100 + i), {})) for i in range(12)]
    probes = [Biometrics(_face(0) + 0.02, {2: finger(1, 2), 7: finger(4, 2)}),
              Biometrics(None, {7: finger(2, 2), 2: finger(3, 2)}),
              Biometrics(_face(500), {2: finger(4, 3)})]
    return enrolled, probes


def _reload(entries):
    by_shard = {i: [e for e in entries if shard_of(e[1], SHARDS) == i] for i in range(SHARDS)}
    return lambda index, known: (e for e in by_shard[index] if not known(e[0]))


def _kill_test_actors() -> None:
    """The actors of this module's own galleries, so that their CPUs are free for the central records'."""
    import ray

    for named in ray.util.list_named_actors(all_namespaces=True):
        if named["namespace"] == TEST_NAMESPACE:
            with contextlib.suppress(ValueError):
                ray.kill(ray.get_actor(named["name"], namespace=TEST_NAMESPACE), no_restart=True)


@pytest.fixture(scope="module")
def on_ray(local_ray, people):
    """The people in a gallery of 2 Ray shards."""
    enrolled, _ = people
    gallery = ShardedGallery(SHARDS, local_ray.make, _reload(enrolled))
    gallery.add_many(enrolled)
    yield gallery
    gallery.close()
    _kill_test_actors()


def _candidates(outcome):
    return [(c.person, c.probability, c.evidence, c.flagged) for c in outcome.candidates]


@pytest.mark.timeout(300)  # its setup starts the local Ray
def test_ray_actors_and_worker_processes_give_the_same_candidates(on_ray, people):
    enrolled, probes = people
    processes = ShardedGallery(SHARDS, lambda _i: ProcessShard(), _reload(enrolled))
    try:
        processes.add_many(enrolled)
        # each actor holds a real shard: the same persons as the worker process of its index
        held = [on_ray.worker(i).persons() for i in range(SHARDS)]
        assert all(n > 0 for n in held) and sum(held) == 16
        assert held == [processes.worker(i).persons() for i in range(SHARDS)]
        assert len({on_ray.worker(i).pid for i in range(SHARDS)}) == SHARDS
        for probe, excluded in [(p, ()) for p in probes] + [(probes[0], {"S3", "P1"})]:
            by_ray, by_processes = on_ray.search(probe, excluded), processes.search(probe, excluded)
            assert by_ray.gallery == by_processes.gallery == 16 - len(excluded)
            ray_rows, process_rows = _candidates(by_ray), _candidates(by_processes)
            assert [r[0] for r in ray_rows] == [r[0] for r in process_rows] and ray_rows  # same persons, order
            assert [r[3] for r in ray_rows] == [r[3] for r in process_rows]
            for (_, p1, e1, _), (_, p2, e2, _) in zip(ray_rows, process_rows, strict=True):
                assert p1 == pytest.approx(p2, rel=1e-9, abs=1e-12)
                assert e1 == pytest.approx(e2, rel=1e-9, abs=1e-12)
            if excluded == () and probe is probes[0]:
                assert by_ray.flagged[0].person == "P0"  # the duplicate, found by both
    finally:
        processes.close()


def test_a_killed_actor_is_replaced_and_the_search_answered_with_every_shard(on_ray, people, local_ray):
    import ray

    probe = people[1][0]
    before = _candidates(on_ray.search(probe))
    assert {shard_of(row[0], SHARDS) for row in before} == set(range(SHARDS))
    index = shard_of("P0", SHARDS)
    victim = on_ray.worker(index)
    held = victim.persons()
    with ThreadPoolExecutor(1) as pool:
        during = pool.submit(on_ray.search, probe)
        ray.kill(victim.actor, no_restart=True)  # mid-use: during this search, or found dead by the next
        assert _candidates(during.result()) == before  # never fewer shards
    assert _candidates(on_ray.search(probe)) == before
    replaced = on_ray.worker(index)
    assert replaced.actor_id != victim.actor_id and replaced.persons() == held  # rebuilt from the "database"
    named = ray.get_actor(victim.name, namespace=TEST_NAMESPACE)
    assert named._actor_id.hex() == replaced.actor_id  # the name now leads every central to the new one
    # made again, the shard is the live actor, never the dead one
    again = local_ray.make(index)
    assert again.actor_id == replaced.actor_id and again.persons() == held


# -- the local Ray: this machine only, TLS and token on ------------------------------------------------
def _tree(root: int) -> set[int]:
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
    tree, grew = {root}, True
    while grew:
        more = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= more
        grew = bool(more)
    return tree


def _listening(pids: set[int]) -> list[tuple[int, str]]:
    """(pid, address) of every TCP socket these processes listen on."""
    inodes = {}
    for pid in pids:
        try:
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                target = os.readlink(fd)
                if target.startswith("socket:["):
                    inodes[target[8:-1]] = pid
        except OSError:
            continue
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # LISTEN
                raw = bytes.fromhex(fields[1].split(":")[0])
                address = ipaddress.ip_address(b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4)))
                if address.version == 6 and address.ipv4_mapped is not None:
                    address = address.ipv4_mapped
                found.append((inodes[fields[9]], str(address)))
    return found


def test_the_local_ray_listens_on_loopback_only_with_tls_and_a_token(local_ray):
    import json

    folder = local_ray.folder
    head = json.loads((folder / "head.json").read_text())
    sockets = _listening(_tree(head["pid"]) | {os.getpid()})
    assert len(sockets) >= 3  # the head's GCS and raylet, the workers
    assert all(ipaddress.ip_address(address).is_loopback for _, address in sockets), sockets
    assert head["address"].startswith("127.0.0.1:")
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for name in ("ca.pem", "node.pem", "node.key", "token"):
        assert stat.S_IMODE((folder / name).stat().st_mode) == 0o600
    assert not list(folder.glob("ca*.key"))  # the CA's key signed once and is gone
    assert os.environ["RAY_USE_TLS"] == "1" and os.environ["RAY_AUTH_MODE"] == "token"
    assert os.environ["RAY_AUTH_TOKEN_PATH"] == str(folder / "token")


def test_the_local_ray_refuses_a_client_without_its_certificate_or_its_token(local_ray):
    """Straight at the head's GCS: mutual TLS under the private CA, then the token, on every call."""
    import json

    import grpc
    from ray.core.generated import gcs_service_pb2, gcs_service_pb2_grpc

    folder = local_ray.folder
    address = json.loads((folder / "head.json").read_text())["address"]
    ca, certificate, key = ((folder / name).read_bytes() for name in ("ca.pem", "node.pem", "node.key"))
    token = [("authorization", "Bearer " + (folder / "token").read_text().strip())]

    def call(channel: grpc.Channel, metadata) -> grpc.StatusCode:
        with channel:
            stub = gcs_service_pb2_grpc.InternalKVGcsServiceStub(channel)
            try:
                stub.InternalKVKeys(gcs_service_pb2.InternalKVKeysRequest(prefix=b"", namespace=b"session"),
                                    timeout=15, metadata=metadata)
            except grpc.RpcError as refused:
                return refused.code()
            return grpc.StatusCode.OK

    member = grpc.ssl_channel_credentials(root_certificates=ca, private_key=key, certificate_chain=certificate)
    assert call(grpc.secure_channel(address, member), token) == grpc.StatusCode.OK
    assert call(grpc.secure_channel(address, member), []) == grpc.StatusCode.UNAUTHENTICATED
    assert call(grpc.secure_channel(address, member), [("authorization", "Bearer " + "0" * 64)]) == \
        grpc.StatusCode.UNAUTHENTICATED
    stranger = grpc.ssl_channel_credentials(root_certificates=ca)  # TLS, but no certificate of the CA's
    assert call(grpc.secure_channel(address, stranger), token) == grpc.StatusCode.UNAVAILABLE
    assert call(grpc.insecure_channel(address), token) == grpc.StatusCode.UNAVAILABLE  # no TLS at all


def test_a_remote_cluster_without_tls_and_a_token_is_refused(monkeypatch):
    for name in [k for k in os.environ if k.startswith("RAY_")]:
        monkeypatch.delenv(name)
    with pytest.raises(RayInsecure) as refused:
        ray_shard_maker("ray://10.1.2.3:10001", SHARDS)  # refused before anything is sent
    assert refused.value.message_id == "central.ray_insecure"
    environ = {"RAY_USE_TLS": "1", "RAY_TLS_SERVER_CERT": "/nonexistent/node.pem"}
    with pytest.raises(RayInsecure) as refused:
        check_address("10.1.2.3:6379", environ)
    missing = refused.value.params["missing"]
    assert "RAY_TLS_SERVER_CERT (/nonexistent/node.pem: not readable)" in missing
    assert "RAY_AUTH_MODE=token" in missing and "RAY_TLS_CA_CERT" in missing and "RAY_USE_TLS" not in missing
    for language in ("en", "id"):
        assert "RAY_AUTH_MODE=token" in render("central.ray_insecure", language, **refused.value.params)


def test_a_configured_remote_cluster_passes_the_check(local_ray):
    environ = {"RAY_USE_TLS": "true", **{k: str(local_ray.folder / f) for k, f in (
        ("RAY_TLS_SERVER_CERT", "node.pem"), ("RAY_TLS_SERVER_KEY", "node.key"), ("RAY_TLS_CA_CERT", "ca.pem"))},
        "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN_PATH": str(local_ray.folder / "token")}
    check_address("ray://10.1.2.3:10001", environ)


# -- two central records on one database and one Ray ---------------------------------------------------
class RayCentral(CentralProcess):
    """``central serve --ray auto --workers 2``; its log kept in a file (read when it fails)."""

    def start(self, timeout: float = 60.0) -> None:
        self.log = self.home.parent / f"central-{self.port}.log"
        self.home.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ, BIOSTATION_HOME=str(self.home))
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(BIOSTATION + ["central", "serve", "--db", self.db, "--port", str(self.port),
                                                       "--ray", "auto", "--workers", str(SHARDS)],
                                         env=env, stdout=subprocess.DEVNULL, stderr=out)
        if not wait_until_ready(self.url, timeout, lambda: self.proc.poll() is None):
            raise RuntimeError("central did not become ready: " + self.log.read_text(errors="replace"))


@pytest.mark.timeout(300)
def test_two_central_records_on_one_database_and_one_ray_search_each_others_records(
        local_ray, central_db, synthetic_fingers, tmp_path):
    import ray

    _kill_test_actors()  # 2 CPUs: the central records' 2 actors need them
    home = tmp_path / "central-home"  # one home: the same local Ray (BIOSTATION_RAY_DIR: the module's)
    first, second = RayCentral(central_db, home), RayCentral(central_db, home)
    engine = db.connect(central_db)
    stations = []
    try:
        first.start()
        second.start()
        for n, central in enumerate((first, second)):
            station = Station(load_settings({"BIOSTATION_HOME": str(tmp_path / f"station-{n}")}))
            station.register(central.url, store.issue_token(engine, f"counter {n}"))
            stations.append(station)
        at_first, at_second = (stations[0], engine, first), (stations[1], engine, second)

        a, pid_a = _enroll(at_first, synthetic_fingers, "Siti", _embedding(0), PERSON_P)
        searched = _wait_searched(engine, pid_a, 150)
        assert searched["search"]["status"] == "searched", (searched, first.log.read_text(errors="replace"))
        assert searched["flags"] == []
        # taken in by the second: searched against the first's record
        b, pid_b = _enroll(at_second, synthetic_fingers, "Sri", _near(_embedding(0)), PERSON_P_AGAIN)
        searched = _wait_searched(engine, pid_b, 150)
        assert searched["search"]["status"] == "searched", (searched, second.log.read_text(errors="replace"))
        assert searched["search"]["gallery"] == 1 and [f["other_application"] for f in searched["flags"]] == [a]
        # taken in by the first: searched against both, the second's record too
        c, pid_c = _enroll(at_first, synthetic_fingers, "Ayu", _near(_embedding(0), 5), PERSON_P)
        searched = _wait_searched(engine, pid_c, 150)
        assert searched["search"]["gallery"] == 2
        assert sorted(f["other_application"] for f in searched["flags"]) == sorted([a, b])

        # one set of actors, shared: each shard once under its name, holding the three applications
        names = sorted(n["name"] for n in ray.util.list_named_actors(all_namespaces=True)
                       if n["namespace"] == NAMESPACE)
        assert names == [f"gallery-shard-{i}-of-{SHARDS}" for i in range(SHARDS)]
        held = [ray.get(ray.get_actor(n, namespace=NAMESPACE).persons.remote(), timeout=60) for n in names]
        assert sum(held) == 3

        # one person's two applications taken in at the same moment, one by each central record: whichever
        # search runs second finds the first (each search starts by catching up from the database), and
        # if both find each other the pair is still one item of the queue
        with ThreadPoolExecutor(2) as both:
            at_once = [both.submit(_enroll, at_first, synthetic_fingers, "Dian", _embedding(1), PERSON_Q),
                       both.submit(_enroll, at_second, synthetic_fingers, "Dina", _near(_embedding(1)), PERSON_Q)]
            (d, pid_d), (e, pid_e) = (f.result() for f in at_once)
        flags = {number: _wait_searched(engine, pid, 150)["flags"] for number, pid in ((d, pid_d), (e, pid_e))}
        assert sorted((application, f["other_application"]) for application, found in flags.items()
                      for f in found) in ([(d, e)], [(e, d)]), flags
        items = adjudication.items(engine, "all")["items"]
        assert sum({i["application"], i["other_application"]} == {d, e} for i in items) == 1
    finally:
        for station in stations:
            station.close()
        second.stop()
        first.stop()
        engine.dispose()
