"""Backup and restore of the central record with its keys (issue 27, item 14).

A record filled by real intake (a station's key, sealed packets), backed up into one
passphrase-encrypted file, restored on a fresh database and a fresh key directory (a new machine):
every record decrypts at rest and every packet the stations sealed still opens and verifies. A wrong
passphrase, an altered or cut file, a database that is not empty: a clear error, nothing written.
SQLite always; PostgreSQL too with BIOSTATION_TEST_PG, and SQLite → PostgreSQL.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from central import backup as central_backup
from central import db, keys, staff, store
from central.db import scratch_database
from central.wire import PacketContent, new_packet_id, open_sealed, private_bytes, public_bytes, seal
from enrollment.packet import packet_layout
from enrollment.synthetic import sample_record
from tests.conftest import run_cli

PASSPHRASE = "lima kucing makan nasi goreng pedas"
FAST_KDF = {"name": "argon2id", "time_cost": 1, "memory_cost": 8 * 1024, "parallelism": 1}  # tests only


@contextlib.contextmanager
def _fresh(kind: str, tmp_path: Path, name: str):
    """(URL, key directory) of an empty database of ``kind`` and an empty key directory: another machine."""
    folder = tmp_path / f"{name}-keys"
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / (name + '.db')}", folder
        return
    with scratch_database(os.environ["BIOSTATION_TEST_PG"]) as url:
        yield url, folder


def _fill(engine, fingers: Path) -> tuple[list[bytes], dict[str, dict[str, bytes]]]:
    """Two stations, three applications, one re-enrolled, a staff account: (the sealed packets as the stations
    sent them, each stored record's clear files)."""
    wires, clear = [], {}
    stations = []
    for name in ("counter-1", "counter-2"):
        key = Ed25519PrivateKey.generate()
        station_id, _ = store.register_station(engine, store.issue_token(engine, name), public_bytes(key.public_key()))
        stations.append((station_id, key))
    numbers = [store.add_application(engine, given, "Rahayu", "1990-04-01", "passport")
               for given in ("Siti", "Dewi", "Ayu")]
    for i, number in enumerate(numbers + numbers[:1]):  # the first applicant comes back: a second version
        station_id, key = stations[i % 2]
        record = sample_record(store.get_application(engine, number), station_id, fingers, seed=i if i < 3 else 0)
        pid = new_packet_id()
        manifest, files = packet_layout(record, pid, "0" * 64)
        wire = seal(PacketContent(manifest, files), pid, station_id, key, store.central_key(engine).public_key())
        opened = open_sealed(wire, store.central_key(engine), store.station_keys(engine).get)
        assert store.intake(engine, opened).status == "stored"
        wires.append(wire)
        clear[pid] = files
    staff.add_staff(engine, "Adi Nugroho", "adjudicator", "correct horse battery staple")
    return wires, clear


def _backup(engine, out: Path, passphrase: str = PASSPHRASE):
    return central_backup.backup(engine, out, passphrase, kdf=FAST_KDF)


def _restore_backends() -> list[tuple[str, str]]:
    pairs = [("sqlite", "sqlite")]
    if os.environ.get("BIOSTATION_TEST_PG"):
        pairs += [("postgresql", "postgresql"), ("sqlite", "postgresql"), ("postgresql", "sqlite")]
    return pairs


@pytest.mark.parametrize(("source", "target"), _restore_backends())
def test_a_backup_restored_on_a_fresh_machine_reads_every_record(source, target, tmp_path, synthetic_fingers):
    with _fresh(source, tmp_path, "source") as (url, folder):
        engine = db.connect(url, keys=folder)
        wires, clear = _fill(engine, synthetic_fingers)
        listed = store.list_records(engine)
        audit_before = len(staff_audit(engine))
        summary = _backup(engine, tmp_path / "central.backup")
        secrets_on_disk = [(folder / name).read_bytes() for name in (keys.TRANSPORT_FILE, keys.KEK_FILE)]
        engine.dispose()
    blob = (tmp_path / "central.backup").read_bytes()
    assert summary.rows["records"] == 4 and summary.rows["record_files"] > 4
    assert summary.keys == sorted([keys.KEK_FILE, keys.TRANSPORT_FILE])
    # nothing of it in clear: not the keys, not a name, not an image or template file (each file's first
    # 64 bytes: a JPEG's or WSQ's 3-4 magic bytes alone turn up in a megabyte of ciphertext by chance)
    for secret in secrets_on_disk:
        assert secret not in blob
    for clear_text in (b"Rahayu", b"transport"):
        assert clear_text not in blob
    heads = [data[:64] for files in clear.values() for data in files.values() if len(data) >= 64]
    assert heads and not any(head in blob for head in heads)
    assert (tmp_path / "central.backup").stat().st_mode & 0o077 == 0

    with _fresh(target, tmp_path, "target") as (url, folder):
        restored = db.connect(url, keys=folder)
        result = central_backup.restore(restored, tmp_path / "central.backup", PASSPHRASE)
        assert result.rows == summary.rows
        assert sorted(p.name for p in folder.iterdir()) == sorted([keys.KEK_FILE, keys.TRANSPORT_FILE])
        assert [(folder / n).read_bytes() for n in (keys.TRANSPORT_FILE, keys.KEK_FILE)] == secrets_on_disk
        assert store.list_records(restored) == listed
        for pid, files in clear.items():  # every record decrypts at rest under the restored KEK
            assert store.record_files(restored, pid) == files
        # every packet the stations sealed (one still in an outbox, say) opens with the restored transport key
        # and its station's signature verifies under the restored station keys, with the digest stored
        digests = {r["packet_id"]: r for r in listed}
        for wire in wires:
            opened = open_sealed(wire, store.central_key(restored), store.station_keys(restored).get)
            assert opened.header.packet_id in digests
            assert store.intake(restored, opened).status == "already_received"
        # the restored record goes on: a new staff account's audit entry takes the next id (PostgreSQL's
        # sequences moved past the restored rows)
        staff.add_staff(restored, "Rina Wijaya", "admin", "another long passphrase here")
        assert len(staff_audit(restored)) == audit_before + 1
        restored.dispose()


def staff_audit(engine) -> list:
    from central.adjudication import audit_entries

    return audit_entries(engine)


def _state(url: str, folder: Path) -> tuple[int, list[str]]:
    engine = db.connect(url, keys=folder)
    try:
        return store.record_count(engine), sorted(p.name for p in folder.iterdir()) if folder.exists() else []
    finally:
        engine.dispose()


@pytest.fixture
def made(central_db, tmp_path, synthetic_fingers) -> Path:
    """A backup of a filled central record (on the fixture's database kind)."""
    engine = db.connect(central_db, keys=tmp_path / "source-keys")
    _fill(engine, synthetic_fingers)
    out = tmp_path / "made.backup"
    _backup(engine, out)
    engine.dispose()
    return out


def _refused(made: Path, tmp_path: Path, kind: str, passphrase: str, message_id: str, path: Path | None = None):
    with _fresh(kind, tmp_path, "refused") as (url, folder):
        engine = db.connect(url, keys=folder)
        with pytest.raises(central_backup.BackupError) as caught:
            central_backup.restore(engine, path or made, passphrase)
        engine.dispose()
        assert caught.value.message_id == message_id
        assert _state(url, folder) == (0, [])  # nothing written: no row, no key


def _kind(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql"


def test_a_wrong_passphrase_is_named_and_nothing_is_written(made, central_db, tmp_path):
    _refused(made, tmp_path, _kind(central_db), "not the passphrase at all", "central.backup_wrong_passphrase")


@pytest.mark.parametrize("damage", ["flip", "cut", "header", "swap"])
def test_an_altered_backup_is_refused_and_nothing_is_written(made, central_db, tmp_path, damage):
    data = bytearray(made.read_bytes())
    magic = len(central_backup.MAGIC)
    start = magic + 4 + int.from_bytes(data[magic:magic + 4])
    if damage == "flip":
        data[len(data) // 2] ^= 0x01
    elif damage == "cut":
        data = data[:-100]
    elif damage == "header":  # the header is authenticated with every chunk: a changed chunk size is damage
        header = json.loads(bytes(data[magic + 4:start]))
        altered = json.dumps(dict(header, chunk=header["chunk"] // 2), sort_keys=True).encode()
        assert len(altered) == start - magic - 4 - 1
        data[magic + 4:start] = altered + b" "
    else:  # two bytes of the ciphertext swapped
        data[start + 10], data[start + 11] = data[start + 11], data[start + 10]
    altered_file = tmp_path / "altered.backup"
    altered_file.write_bytes(bytes(data))
    _refused(made, tmp_path, _kind(central_db), PASSPHRASE, "central.backup_damaged", altered_file)


def test_a_restore_into_a_database_that_holds_anything_is_refused(made, central_db, tmp_path):
    with _fresh(_kind(central_db), tmp_path, "busy") as (url, folder):
        engine = db.connect(url, keys=folder)
        store.add_application(engine, "Budi", "Santoso", "1985-02-03", "passport")
        with pytest.raises(central_backup.BackupError) as caught:
            central_backup.restore(engine, made, PASSPHRASE)
        assert caught.value.message_id == "central.restore_not_empty"
        assert not folder.exists() or not any(folder.iterdir())
        engine.dispose()


def test_a_key_directory_holding_other_keys_is_refused(made, central_db, tmp_path):
    with _fresh(_kind(central_db), tmp_path, "other") as (url, folder):
        engine = db.connect(url, keys=folder)
        other = keys.KeyDir(folder)
        other.create(keys.TRANSPORT_FILE, private_bytes(Ed25519PrivateKey.generate()))
        with pytest.raises(central_backup.BackupError) as caught:
            central_backup.restore(engine, made, PASSPHRASE)
        assert caught.value.message_id == "central.restore_keys_differ"
        assert store.record_count(engine) == 0
        engine.dispose()


def test_a_short_passphrase_and_an_existing_file_are_refused(central_db, tmp_path):
    engine = db.connect(central_db, keys=tmp_path / "keys")
    with pytest.raises(central_backup.BackupError) as caught:
        central_backup.backup(engine, tmp_path / "short.backup", "too short")
    assert caught.value.message_id == "central.backup_passphrase_short"
    assert not (tmp_path / "short.backup").exists()
    (tmp_path / "there.backup").write_bytes(b"an older backup")
    with pytest.raises(central_backup.BackupError) as caught:
        _backup(engine, tmp_path / "there.backup")
    assert caught.value.message_id == "central.backup_exists"
    assert (tmp_path / "there.backup").read_bytes() == b"an older backup"
    engine.dispose()


def test_the_commands_back_up_and_restore(tmp_path, synthetic_fingers):
    """``biostation central backup`` and ``restore`` as an administrator runs them (SQLite, default KDF cost)."""
    source, target = tmp_path / "central.db", tmp_path / "new" / "central.db"
    engine = db.connect(f"sqlite:///{source}")
    _, clear = _fill(engine, synthetic_fingers)
    engine.dispose()
    out = tmp_path / "office.backup"
    made = run_cli("central", "backup", "--db", f"sqlite:///{source}", "--out", str(out), "--passphrase-stdin",
                   stdin=PASSPHRASE + "\n")
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout)["rows"]["records"] == 4
    target.parent.mkdir()
    wrong = run_cli("central", "restore", str(out), "--db", f"sqlite:///{target}", "--passphrase-stdin",
                    stdin="the wrong passphrase entirely\n")
    assert wrong.returncode != 0 and "passphrase" in wrong.stderr.lower()
    done = run_cli("central", "restore", str(out), "--db", f"sqlite:///{target}", "--keys", str(tmp_path / "k"),
                   "--passphrase-stdin", stdin=PASSPHRASE + "\n")
    assert done.returncode == 0, done.stderr
    restored = db.connect(f"sqlite:///{target}", keys=tmp_path / "k")
    for pid, files in clear.items():
        assert store.record_files(restored, pid) == files
    restored.dispose()
