"""The import contracts in pyproject.toml (DESIGN.md's arrows) catch an arrow that points the wrong way.

Each case copies the packages and pyproject.toml into a temporary folder, plants one import
there and runs ``lint-imports`` on the copy. It runs without ``site`` (``python -S``), the
virtualenv's packages put on the path by hand: the editable install of this project is a
``.pth`` finder that would add the real folders to every namespace package (``gui`` has no
``__init__.py``), and grimp would then read the real file or the planted copy at random.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["importlinter"]
SITE_PACKAGES = list(dict.fromkeys(sysconfig.get_paths()[key] for key in ("purelib", "platlib")))
LINT_IMPORTS = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"


def _contract_name(contract_id: str) -> str:
    return next(c["name"] for c in CONFIG["contracts"] if c["id"] == contract_id)


def _copy(tmp_path: Path) -> Path:
    copy = tmp_path / "project"
    copy.mkdir()
    for package in CONFIG["root_packages"]:
        shutil.copytree(ROOT / package, copy / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(ROOT / "pyproject.toml", copy / "pyproject.toml")
    return copy


def _run(copy: Path, code: str, *args: str) -> subprocess.CompletedProcess:
    """``python -S -c code`` in the copy, with only the copy and the virtualenv's packages on the path."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(copy), *SITE_PACKAGES]), "COLUMNS": "400"}
    return subprocess.run([sys.executable, "-S", "-c", code, *args], cwd=copy, env=env, capture_output=True,
                          text=True, timeout=120)


def _lint(copy: Path) -> tuple[int, str]:
    run = _run(copy, LINT_IMPORTS, "--no-cache")
    return run.returncode, " ".join((run.stdout + run.stderr).split())  # unwrapped: names may span lines


def test_the_copy_is_what_grimp_reads(tmp_path):
    copy = _copy(tmp_path)
    run = _run(copy, "import sys, importlib.util\n"
                     "for name in sys.argv[1:]:\n"
                     "    print(*importlib.util.find_spec(name).submodule_search_locations, sep='\\n')",
               *CONFIG["root_packages"])
    assert run.returncode == 0, run.stderr
    folders = {(copy / line).resolve() for line in run.stdout.splitlines()}  # the namespace gui: cwd and path
    assert folders == {(copy / package).resolve() for package in CONFIG["root_packages"]}


def test_the_project_keeps_every_contract(tmp_path):
    code, output = _lint(_copy(tmp_path))
    assert code == 0, output
    for contract in CONFIG["contracts"]:
        assert f"{contract['name']} KEPT" in output


@pytest.mark.parametrize(("module", "planted", "contract_id", "reported"), [
    ("enrollment/record.py", "import gui.widgets", "layers", "enrollment.record -> gui.widgets"),
    ("central/db.py", "from station import settings", "central", "central.db -> station.settings"),
    ("matching/workers.py", "import PySide6", "qt", "matching.workers -> PySide6"),
    ("matching/workers.py", "import central.wire", "matching", "matching.workers -> central.wire"),
    ("domain/errors.py", "import enrollment.policy", "domain", "domain.errors -> enrollment.policy"),
    ("gui/widgets.py", "import central.store", "gui-not-central", "gui.widgets -> central.store"),
])
def test_a_planted_upward_import_breaks_its_contract(tmp_path, module, planted, contract_id, reported):
    copy = _copy(tmp_path)
    target = copy / module
    target.write_text(target.read_text("utf-8") + f"\n{planted}  # planted\n", "utf-8")
    code, output = _lint(copy)
    assert code != 0, output
    assert f"{_contract_name(contract_id)} BROKEN" in output, output
    assert reported in output, output  # the copy's planted line, so grimp read the copy
