"""Station settings: one TOML file in the station home, overridden by environment variables.

Every piece of state a station keeps (keys, outbox, audit log, logs, calibration
profiles) lives under one folder, ``BIOSTATION_HOME``, so that a station can be
backed up, wiped or run twice side by side (tests do) by pointing at another folder.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path

import platformdirs

from domain.errors import BiostationError

CONFIG_NAME = "station.toml"
ENV_PREFIX = "BIOSTATION_"


class SettingsError(BiostationError):
    """The station configuration cannot be read."""


@dataclass(frozen=True)
class Settings:
    """What a station is configured with. Empty device URLs mean "simulated devices"."""

    home: Path
    language: str = "id"
    camera_url: str = ""
    scanner_url: str = ""
    central_url: str = ""
    # the office this station serves, as the central record names it: its queue is that office's bookings
    office: str = ""
    timezone: str = "Asia/Jakarta"
    log_level: str = "INFO"

    @property
    def config_path(self) -> Path:
        return self.home / CONFIG_NAME

    @property
    def log_dir(self) -> Path:
        return self.home / "logs"


def station_home(environ: dict[str, str] | None = None) -> Path:
    """The station home: ``BIOSTATION_HOME``, else the platform's user data folder."""
    env = os.environ if environ is None else environ
    if env.get("BIOSTATION_HOME"):
        return Path(env["BIOSTATION_HOME"]).expanduser()
    return Path(platformdirs.user_data_dir("biostation", appauthor=False))


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Read ``station.toml`` from the home, then apply ``BIOSTATION_<FIELD>`` overrides.

    Environment wins over the file so that a headless run (CI, a kiosk launcher)
    can change one thing without editing the station's file.
    """
    env = os.environ if environ is None else environ
    home = station_home(env)
    settings = Settings(home=home)
    path = settings.config_path
    values: dict[str, object] = {}
    if path.exists():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise SettingsError("settings.unreadable", path=str(path), reason=str(exc)) from exc
        values.update(data.get("station", data))
    known = {f.name for f in fields(Settings)} - {"home"}
    unknown = sorted(set(values) - known)
    if unknown:
        raise SettingsError("settings.unknown_keys", path=str(path), keys=", ".join(unknown))
    for name in known:
        key = ENV_PREFIX + name.upper()
        if env.get(key):
            values[name] = env[key]
    for name, value in values.items():
        if not isinstance(value, str):
            raise SettingsError("settings.bad_value", path=str(path), key=name)
    if values.get("language", "id") not in ("id", "en"):
        raise SettingsError("settings.bad_language", value=values["language"])
    return replace(settings, **values)  # type: ignore[arg-type]


def ensure_home(settings: Settings) -> Path:
    """Create the station home (private to this user) and return it."""
    settings.home.mkdir(parents=True, exist_ok=True)
    os.chmod(settings.home, 0o700)
    return settings.home


def _toml_string(value: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    import json

    return json.dumps(value, ensure_ascii=False)


def save_settings(settings: Settings, **changes: str) -> Settings:
    """Write ``changes`` into the ``[station]`` table of ``station.toml`` and return the new settings.

    The file is edited line by line, not rewritten from a parsed copy, so the other tables it holds
    (the capture policy) and a technician's comments stay as they were; only the changed keys move.
    """
    known = {f.name for f in fields(Settings)} - {"home"}
    unknown = sorted(set(changes) - known)
    if unknown:
        raise SettingsError("settings.unknown_keys", path=str(settings.config_path), keys=", ".join(unknown))
    ensure_home(settings)
    path = settings.config_path
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    start = next((i for i, line in enumerate(lines) if line.strip() == "[station]"), None)
    if start is None:
        has_tables = any(line.strip().startswith("[") for line in lines)
        top_level = lines and not has_tables  # a file of bare keys is read as the [station] table
        if top_level:
            start, end = -1, len(lines)
        else:
            lines = ["[station]", *([""] if lines else []), *lines]
            start, end = 0, 1
    else:
        end = next((i for i in range(start + 1, len(lines)) if lines[i].strip().startswith("[")), len(lines))
    for key, value in changes.items():
        text = f"{key} = {_toml_string(str(value))}"
        found = next((i for i in range(start + 1, end) if lines[i].split("=", 1)[0].strip() == key), None)
        if found is not None:
            lines[found] = text
        else:
            at = end
            while at > start + 1 and not lines[at - 1].strip():  # after the table's last key, not its blank tail
                at -= 1
            lines.insert(at, text)
            end += 1
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return replace(settings, **changes)  # type: ignore[arg-type]
