"""The station's keys: its Ed25519 signing key, its storage key, and the pinned central key.

Keys live in the OS keyring where one is installed and usable, else in 0600 files under
``keys/`` in the station home. The central record's public key is pinned when the station
registers and never taken from the network again: a man in the middle cannot swap it.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

from central.wire import private_bytes, public_bytes
from domain.errors import BiostationError


class RegistrationError(BiostationError):
    """The station is not registered, or with another central record."""


def _keyring():
    try:
        import keyring
        from keyring.backends import fail

        if isinstance(keyring.get_keyring(), fail.Keyring):
            return None
        return keyring
    except Exception:  # no keyring package, or no backend on a headless machine
        return None


class SecretStore:
    """Small secrets by name: the OS keyring when there is one, else private files."""

    def __init__(self, home: Path) -> None:
        self.folder = home / "keys"
        self.service = f"biostation:{home.resolve()}"
        self.keyring = _keyring()

    def get(self, name: str) -> bytes | None:
        if self.keyring is not None:
            value = self.keyring.get_password(self.service, name)
            return bytes.fromhex(value) if value else None
        path = self.folder / name
        return path.read_bytes() if path.exists() else None

    def put(self, name: str, value: bytes) -> None:
        if self.keyring is not None:
            self.keyring.set_password(self.service, name, value.hex())
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        os.chmod(self.folder, 0o700)
        path = self.folder / name
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(value)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)

    def get_or_create(self, name: str, make) -> bytes:
        value = self.get(name)
        if value is None:
            value = make()
            self.put(name, value)
        return value


def signing_key(home: Path) -> Ed25519PrivateKey:
    raw = SecretStore(home).get_or_create("station-signing", lambda: private_bytes(Ed25519PrivateKey.generate()))
    return Ed25519PrivateKey.from_private_bytes(raw)


def storage_key(home: Path) -> bytes:
    """The AES-256 key the station encrypts its state with (outbox, cache, drafts)."""
    return SecretStore(home).get_or_create("storage", lambda: secrets.token_bytes(32))


def public_key_hex(home: Path) -> str:
    return public_bytes(signing_key(home).public_key()).hex()


@dataclass(frozen=True)
class Registration:
    """What registration left behind: who we are to the central record, and its pinned key."""

    central_url: str
    station_id: str
    name: str
    central_key: X25519PublicKey
    production: bool


def save_registration(home: Path, central_url: str, answer: dict) -> Registration:
    data = {"central_url": central_url.rstrip("/"), "station_id": answer["station_id"], "name": answer["name"],
            "central_public_key": answer["central_public_key"], "production": bool(answer.get("production"))}
    path = home / "registration.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1))
    os.replace(tmp, path)
    return load_registration(home)


def load_registration(home: Path) -> Registration:
    path = home / "registration.json"
    if not path.exists():
        raise RegistrationError("station.not_registered")
    data = json.loads(path.read_text())
    return Registration(data["central_url"], data["station_id"], data["name"],
                        X25519PublicKey.from_public_bytes(bytes.fromhex(data["central_public_key"])),
                        data["production"])
