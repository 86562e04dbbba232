"""The gallery's shards in Ray actors: ``central serve --ray auto|ADDRESS``.

Each shard is a named actor holding one ``matching.gallery.Gallery``, the same code a worker process
of the default engine runs (``shards.ProcessShard``), so both engines give the same candidates.
Actors are named ``gallery-shard-{i}-of-{n}`` in one namespace (``biostation``, or
``BIOSTATION_RAY_NAMESPACE``) and made with *get if exists*: every ``central serve`` on the same
database and the same Ray cluster uses the same actors. Adding is idempotent by record id, and each
central catches up from the shared database before each search, so a record taken in by any of them
is searched against every record taken in by all of them.

An actor is owned by the central process that made it and dies with it; the others then find their
calls failing, and ``ShardedGallery`` makes the shard again (a new actor under the same name, which
every central then finds) and rebuilds it from the database. A shard that failed (died, or missed a
deadline) is killed when it is closed, so making it again never returns the failed actor.

Biometric data crosses Ray's connections only with TLS and token authentication on (Ray's own
security notes: anyone who reaches an open Ray port can run code on the cluster):

- ``auto`` runs a Ray head on this machine, bound to 127.0.0.1 with no dashboard, with a private CA,
  a node certificate and a token made once in a 0700 directory (``BIOSTATION_RAY_DIR``, else
  ``ray`` in the station home). The head lives in a small process of its own (``python -m
  central.ray_shards head``): the first central starts it, the next ones on this machine join it, and
  it stops by itself ``IDLE_S`` after the last central left.
- any other address (``ray://HOST:10001`` through the Ray Client, or a GCS address on a node of the
  cluster) is refused unless ``RAY_USE_TLS``, ``RAY_TLS_*`` and ``RAY_AUTH_MODE=token`` with a token
  are set (``check_address``). docs/security.md says what crosses the wire and who may reach it.
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import ipaddress
import json
import logging
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from domain.errors import BiostationError
from matching.gallery import Biometrics
from matching.identification import FPIR, Candidate

from .shards import (
    ADD_TIMEOUT_S,
    SEARCH_TIMEOUT_S,
    SNAPSHOT_TIMEOUT_S,
    START_TIMEOUT_S,
    Entry,
    Shard,
    ShardFailed,
    ShardWork,
    one_core_each,
)

log = logging.getLogger("biostation.central")

NAMESPACE = "biostation"
NAMESPACE_ENV = "BIOSTATION_RAY_NAMESPACE"
DIRECTORY_ENV = "BIOSTATION_RAY_DIR"
IDLE_S = 60.0  # the local head stops this long after the last central left it
LOOK_S = 2.0  # how often the local head looks for centrals
MAKE_TRIES = 10  # a name can still point at an actor that is dying: ask again (about 7 s in all)
CERT_DAYS = 3650
OBJECT_STORE_BYTES = 512 * 2**20  # the local object store: batches of records and probes pass through it

TLS_FILES = ("RAY_TLS_SERVER_CERT", "RAY_TLS_SERVER_KEY", "RAY_TLS_CA_CERT")
# Ray turns a loopback node address into the machine's own address (so that other nodes could reach
# it) unless clusters are off, as they are by default on macOS and Windows. Off here, the head, its
# workers and the actors all listen on 127.0.0.1 only. Read when ray is imported: set before that.
LOOPBACK_ONLY = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}
QUIET = {"RAY_USAGE_STATS_ENABLED": "0", "RAY_DISABLE_IMPORT_WARNING": "1"}


class RayInsecure(BiostationError):
    """A remote Ray address without TLS or token authentication configured: nothing is sent."""

    def __init__(self, address: str, missing: Sequence[str]) -> None:
        super().__init__("central.ray_insecure", address=address, missing=", ".join(missing))


class RayUnreachable(BiostationError):
    def __init__(self, address: str, problem: str) -> None:
        super().__init__("central.ray_unreachable", address=address, problem=problem)


# -- where the local head keeps its secrets ----------------------------------------------------------
def directory() -> Path:
    """``BIOSTATION_RAY_DIR``, else ``ray`` in the station home (``BIOSTATION_HOME`` or the user's data
    folder, as ``station.settings`` finds it)."""
    if os.environ.get(DIRECTORY_ENV):
        return Path(os.environ[DIRECTORY_ENV]).expanduser()
    if os.environ.get("BIOSTATION_HOME"):
        return Path(os.environ["BIOSTATION_HOME"]).expanduser() / "ray"
    import platformdirs

    return Path(platformdirs.user_data_dir("biostation", appauthor=False)) / "ray"


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock between processes on this machine (released if the holder dies)."""
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _private(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    return folder


def _write_secret(path: Path, data: bytes) -> None:
    fd = os.open(path.with_suffix(path.suffix + ".new"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(path.with_suffix(path.suffix + ".new"), path)


def _make_certificates(folder: Path) -> None:
    """A private CA, and one key and certificate every process of the local Ray presents, as server and
    as client (Ray's TLS is mutual). The CA's key is dropped once it has signed: nothing else can be
    issued under it."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.UTC)
    start, end = now - datetime.timedelta(minutes=5), now + datetime.timedelta(days=CERT_DAYS)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Biostation local Ray CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(start).not_valid_after(end)
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                       crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    node = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Biostation local Ray node")]))
            .issuer_name(ca_name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(start).not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    _write_secret(folder / "node.key", key.private_bytes(serialization.Encoding.PEM,
                                                         serialization.PrivateFormat.PKCS8,
                                                         serialization.NoEncryption()))
    _write_secret(folder / "node.pem", node.public_bytes(serialization.Encoding.PEM))
    _write_secret(folder / "ca.pem", ca.public_bytes(serialization.Encoding.PEM))  # written last: the mark


def local_credentials(folder: Path) -> dict[str, str]:
    """The environment that turns TLS and token authentication on for the local Ray, its secrets made
    once in ``folder`` (0700; files 0600)."""
    _private(folder)
    with _locked(folder / "credentials.lock"):
        if not (folder / "ca.pem").exists():
            _make_certificates(folder)
        if not (folder / "token").exists():
            _write_secret(folder / "token", secrets.token_hex(32).encode())
    return {"RAY_USE_TLS": "1", "RAY_TLS_SERVER_CERT": str(folder / "node.pem"),
            "RAY_TLS_SERVER_KEY": str(folder / "node.key"), "RAY_TLS_CA_CERT": str(folder / "ca.pem"),
            "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN_PATH": str(folder / "token")}


def check_address(address: str, environ: dict[str, str] | None = None) -> None:
    """Refuse a remote cluster unless TLS and token authentication are configured (``RayInsecure``);
    ``auto`` configures its own. ``central serve`` may call this before it listens."""
    if address == "auto":
        return
    env = os.environ if environ is None else environ
    missing = []
    if env.get("RAY_USE_TLS", "").lower() not in ("1", "true"):
        missing.append("RAY_USE_TLS=1")
    for name in TLS_FILES:
        if not env.get(name):
            missing.append(name)
        elif not os.access(env[name], os.R_OK):
            missing.append(f"{name} ({env[name]}: not readable)")
    if env.get("RAY_AUTH_MODE", "").lower() != "token":
        missing.append("RAY_AUTH_MODE=token")
    if not env.get("RAY_AUTH_TOKEN"):
        path = env.get("RAY_AUTH_TOKEN_PATH")
        if not path:
            missing.append("RAY_AUTH_TOKEN or RAY_AUTH_TOKEN_PATH")
        elif not os.access(path, os.R_OK):
            missing.append(f"RAY_AUTH_TOKEN_PATH ({path}: not readable)")
    if missing:
        raise RayInsecure(address, missing)


# -- the local head ----------------------------------------------------------------------------------
def _head_file(folder: Path) -> Path:
    return folder / "head.json"


def _running_head(folder: Path) -> dict | None:
    """The head recorded in ``folder``, if its process still runs (and is one: pids are reused)."""
    try:
        head = json.loads(_head_file(folder).read_text())
        os.kill(int(head["pid"]), 0)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    with contextlib.suppress(OSError):
        if b"central.ray_shards" not in Path(f"/proc/{head['pid']}/cmdline").read_bytes():
            return None
    return head


def _forget_dead_head(folder: Path) -> None:
    """What a head that was killed (it cleans up after itself otherwise) left: its record and its
    session folder."""
    try:
        scratch = Path(json.loads(_head_file(folder).read_text())["scratch"])
    except (OSError, ValueError, KeyError, TypeError):
        scratch = None
    if (scratch is not None and scratch.name.startswith("biostation-ray-") and not scratch.is_symlink()
            and scratch.is_dir() and scratch.stat().st_uid == os.getuid()):
        shutil.rmtree(scratch, ignore_errors=True)
    _head_file(folder).unlink(missing_ok=True)


def _start_head(folder: Path, cpus: int) -> dict:
    _forget_dead_head(folder)
    log_file = open(folder / "head.log", "ab")  # noqa: SIM115 - handed to the child
    try:
        process = subprocess.Popen([sys.executable, "-m", "central.ray_shards", "head", str(folder), str(cpus)],
                                   stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT,
                                   start_new_session=True, close_fds=True)
    finally:
        log_file.close()
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        head = _running_head(folder)
        if head is not None and head["pid"] == process.pid:
            return head
        if process.poll() is not None:
            break
        time.sleep(0.2)
    else:
        process.kill()
        process.wait(10)
    tail = (folder / "head.log").read_bytes()[-600:].decode(errors="replace").strip()
    raise RayUnreachable("auto", f"the local Ray did not start: {tail or 'no output'}")


def local_head(folder: Path | None = None) -> dict | None:
    """The local head running for ``folder`` (default ``directory()``): its ``pid`` (its Ray's processes
    are its descendants: what to add up to measure memory), ``address`` and ``cpus``; None if none runs."""
    return _running_head(folder or directory())


def stop_local(folder: Path, timeout: float = 30.0) -> bool:
    """Stop the local head recorded in ``folder`` (its Ray stops with it); False when none ran."""
    head = _running_head(folder)
    if head is None:
        return False
    pid = head["pid"]
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # this process started it: collect it, or it lingers as a zombie
        try:
            os.kill(pid, 0)
        except OSError:
            return True
        time.sleep(0.1)
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGKILL)
    return True


def _serve_head(folder: Path, cpus: int) -> None:
    """The local head's process: start Ray here (its processes share this one's fate), say where it is,
    and stop when no central has been connected for ``IDLE_S``."""
    os.environ.update(LOOPBACK_ONLY | QUIET | local_credentials(folder))
    os.environ.pop("RAY_AUTH_TOKEN", None)
    import ray

    def stop(_signum, _frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    # Ray's session folder (its sockets, logs and any objects spilled to disk) in a private folder, not
    # the shared /tmp/ray; Ray opens its own folder to everyone, so it goes inside one that is 0700 (and
    # short: the sockets' paths have a limit)
    scratch = tempfile.mkdtemp(prefix="biostation-ray-")
    try:
        ray.init(num_cpus=cpus, include_dashboard=False, _node_ip_address="127.0.0.1", namespace=_namespace(),
                 object_store_memory=OBJECT_STORE_BYTES, _temp_dir=os.path.join(scratch, "r"), log_to_driver=False,
                 logging_level=logging.WARNING)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    try:
        context = ray.get_runtime_context()
        own = context.get_job_id()
        head = {"pid": os.getpid(), "address": context.gcs_address, "cpus": cpus, "scratch": scratch}
        tmp = _head_file(folder).with_suffix(".new")
        tmp.write_text(json.dumps(head))
        os.replace(tmp, _head_file(folder))
        last_seen = time.monotonic()
        while True:
            time.sleep(LOOK_S)
            if _others_connected(own):
                last_seen = time.monotonic()
                continue
            if time.monotonic() - last_seen < IDLE_S:
                continue
            with _locked(folder / "head.lock"):  # a central joining takes this lock until it is connected
                if not _others_connected(own):
                    _head_file(folder).unlink(missing_ok=True)
                    break
            last_seen = time.monotonic()
    finally:
        with contextlib.suppress(OSError, ValueError):
            if json.loads(_head_file(folder).read_text())["pid"] == os.getpid():
                _head_file(folder).unlink()
        ray.shutdown()
        shutil.rmtree(scratch, ignore_errors=True)


def _others_connected(own: str) -> bool:
    from ray._private import state  # the job table: one entry per driver, dead or alive

    try:
        return any(not job["IsDead"] and job["JobID"] != own for job in state.jobs())
    except Exception:
        log.exception("cannot read the local Ray's jobs; it keeps running")
        return True


# -- connecting ---------------------------------------------------------------------------------------
def _namespace() -> str:
    return os.environ.get(NAMESPACE_ENV) or NAMESPACE


def _configure(environment: dict[str, str]) -> None:
    """Put ``environment`` where Ray reads it: this process's environment (its workers inherit it), read
    by Ray's core when ray is imported, so read again when it was imported before."""
    os.environ.update(environment)
    if "ray" in sys.modules:
        from ray._private import ray_constants
        from ray._raylet import Config

        Config.initialize("")
        if environment.get("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER") == "0":
            ray_constants.ENABLE_RAY_CLUSTER = False  # else 127.0.0.1 is taken for the machine's address


def connect(address: str, shards: int) -> None:
    """Connect this process to Ray once: ``auto`` joins the local head (started if none runs), any other
    address is joined only with TLS and token authentication configured."""
    if address != "auto":
        check_address(address)  # before anything else: a process already connected is asked too
    if "ray" in sys.modules and sys.modules["ray"].is_initialized():
        return
    options = {"namespace": _namespace(), "log_to_driver": False, "logging_level": logging.WARNING}
    if address == "auto":
        folder = directory()
        os.environ.pop("RAY_AUTH_TOKEN", None)  # it would take precedence over the local token file
        _configure(LOOPBACK_ONLY | QUIET | local_credentials(folder))
        import ray

        with _locked(folder / "head.lock"):
            head = _running_head(folder) or _start_head(folder, shards)
            if head["cpus"] < shards:
                raise RayUnreachable("auto", f"the local Ray runs {head['cpus']} CPUs for {shards} shards; "
                                             "every central on this machine must use the same --workers")
            try:
                ray.init(address=head["address"], **options)
            except Exception as exc:
                raise RayUnreachable("auto", f"{type(exc).__name__}: {exc}") from exc
        return
    _configure(QUIET)
    import ray

    try:
        ray.init(address=address, **options)
    except Exception as exc:
        raise RayUnreachable(address, f"{type(exc).__name__}: {exc}") from exc


# -- the shards ---------------------------------------------------------------------------------------
class GalleryActor(ShardWork):
    """One shard in a Ray actor: what ``shards._serve_shard`` does in a worker process."""

    def __init__(self, fpir: float) -> None:
        one_core_each()
        super().__init__(fpir)


def shard_name(index: int, shards: int) -> str:
    return f"gallery-shard-{index}-of-{shards}"


class RayShard:
    """A shard held by a named Ray actor; every call bounded. One that failed is killed when closed."""

    def __init__(self, actor, name: str) -> None:
        import ray

        self._ray = ray
        self.actor = actor
        self.name = name
        self.failed = False
        self.pid = self._call(actor.pid, (), START_TIMEOUT_S)

    @property
    def actor_id(self) -> str:
        return self.actor._actor_id.hex()

    def _call(self, method, args: tuple, timeout: float):
        try:
            return self._ray.get(method.remote(*args), timeout=timeout)
        except Exception:
            self.failed = True  # dead, or missed its deadline: ShardedGallery replaces it
            raise

    def add(self, entries: Sequence[Entry]) -> int:
        return self._call(self.actor.add, (list(entries),), ADD_TIMEOUT_S)

    def search(self, probe: Biometrics, excluded: frozenset[str], gallery_size: int,
               other_positions: bool = True) -> tuple[Candidate, ...]:
        return self._call(self.actor.search, (probe, excluded, gallery_size, other_positions), SEARCH_TIMEOUT_S)

    def persons(self) -> int:
        return self._call(self.actor.persons, (), SEARCH_TIMEOUT_S)

    def contents(self) -> tuple[list[str], list[str]]:
        return self._call(self.actor.contents, (), SEARCH_TIMEOUT_S)

    def save(self, path: Path, key: bytes) -> int:
        """On the actor's machine: ``path`` is a directory there (shared storage, or each node's own disk)."""
        return self._call(self.actor.save, (path, key), SNAPSHOT_TIMEOUT_S)

    def load(self, path: Path, key: bytes) -> int:
        return self._call(self.actor.load, (path, key), SNAPSHOT_TIMEOUT_S)

    def close(self) -> None:
        """A healthy actor is left to the other centrals that use it (it dies with the process that made
        it); a failed one is killed, so that the name is free for its replacement."""
        if self.failed:
            with contextlib.suppress(Exception):
                self._ray.kill(self.actor, no_restart=True)


def ray_shard_maker(address: str, shards: int, fpir: float = FPIR,
                    namespace: str | None = None) -> Callable[[int], Shard]:
    """Connect to Ray (``auto`` or a cluster address) and return ``make_shard(index)`` for
    ``ShardedGallery``: the live actor of that shard under its name, made if there is none."""
    connect(address, shards)
    import ray

    space = namespace or _namespace()
    remote = ray.remote(num_cpus=1, max_restarts=0, max_task_retries=0)(GalleryActor)

    def make(index: int) -> RayShard:
        name = shard_name(index, shards)
        problem: Exception | None = None
        for attempt in range(MAKE_TRIES):
            actor = None
            try:
                actor = remote.options(name=name, namespace=space, get_if_exists=True,
                                       scheduling_strategy="SPREAD").remote(fpir)
                return RayShard(actor, name)
            except ray.exceptions.GetTimeoutError as exc:  # never scheduled (too few CPUs), or hung
                with contextlib.suppress(Exception):
                    ray.kill(actor, no_restart=True)
                raise ShardFailed(f"{name} did not start within {START_TIMEOUT_S:.0f} s") from exc
            except (ray.exceptions.RayActorError, ValueError) as exc:  # the name was held by an actor dying
                problem = exc
                time.sleep(min(1.0, 0.2 * (attempt + 1)))
        raise ShardFailed(f"{name} keeps dying: {problem}")

    return make


if __name__ == "__main__":  # python -m central.ray_shards head DIR CPUS: the local head (see _start_head)
    if len(sys.argv) == 4 and sys.argv[1] == "head":
        logging.basicConfig(level=logging.WARNING)
        _serve_head(Path(sys.argv[2]), int(sys.argv[3]))
    else:
        sys.exit("usage: python -m central.ray_shards head DIR CPUS")
