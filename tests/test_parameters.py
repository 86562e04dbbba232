"""Each core's tuned constants live in its ``parameters`` module, and the stage modules use those.

The stage modules keep the names callers import (``matcher.N_REL``, ``compare.THRESHOLD`` ...):
those must be the parameters' own objects, not copies that could drift apart. And no stage module
may define a number of its own at module level beyond the format constants listed here, so a new
tuned constant lands in ``parameters`` with its reason.
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

from matching.face import parameters as face_parameters
from matching.fingerprint import parameters as fingerprint_parameters

ROOT = Path(__file__).resolve().parents[1]

# (module, the name it is known by there, the name in parameters)
RE_EXPORTED = [
    ("matching.fingerprint.segmentation", "SEGMENTATION_LEVEL", "SEGMENTATION_LEVEL"),
    ("matching.fingerprint.frequency", "BLOCK", "FREQUENCY_BLOCK"),
    ("matching.fingerprint.frequency", "MIN_PERIOD", "MIN_PERIOD"),
    ("matching.fingerprint.enhancement", "PERIOD_STEP", "PERIOD_STEP"),
    ("matching.fingerprint.enhancement", "N_ORIENTATIONS", "GABOR_ORIENTATIONS"),
    ("matching.fingerprint.minutia_region", "BLUR", "REGION_BLUR"),
    ("matching.fingerprint.minutia_region", "RAW_COHERENCE", "RAW_COHERENCE"),
    ("matching.fingerprint.minutiae", "CLOUD_RADIUS", "CLOUD_RADIUS"),
    ("matching.fingerprint.cylinder", "RADIUS", "RADIUS"),
    ("matching.fingerprint.cylinder", "SIGMA_S", "SIGMA_S"),
    ("matching.fingerprint.cylinder", "NS", "NS"),
    ("matching.fingerprint.matcher", "MIN_COMMON_CELLS", "MIN_COMMON_CELLS"),
    ("matching.fingerprint.matcher", "SUPPORT_PAIRS", "SUPPORT_PAIRS"),
    ("matching.fingerprint.matcher", "N_REL", "N_REL"),
    ("matching.fingerprint.matcher", "W_ALIGNMENT", "W_ALIGNMENT"),
    ("matching.fingerprint.alignment", "RADIUS", "ALIGNMENT_RADIUS"),
    ("matching.fingerprint.alignment", "MIN_COUNT", "ALIGNMENT_MIN_COUNT"),
    ("matching.fingerprint.ridge_flow", "POWER", "FLOW_POWER"),
    ("matching.fingerprint.ridge_flow", "REACH", "FLOW_REACH"),
    ("matching.fingerprint.quality", "WEIGHTS", "QUALITY_WEIGHTS"),
    ("matching.fingerprint.search", "TOP_LOCAL", "TOP_LOCAL"),
    ("matching.face.compare", "THRESHOLD", "MATCH_THRESHOLD"),
    ("matching.face.embedding", "CHIP_PADDINGS", "CHIP_PADDINGS"),
    ("matching.face.icao", "IcaoLimits", "IcaoLimits"),
    ("matching.face.liveness", "LivenessRules", "LivenessRules"),
]


@pytest.mark.parametrize(("module", "name", "parameter"), RE_EXPORTED)
def test_a_stage_module_s_constant_is_the_parameters_own(module, name, parameter):
    core = face_parameters if module.startswith("matching.face") else fingerprint_parameters
    assert getattr(importlib.import_module(module), name) is getattr(core, parameter)


# Module-level numbers that are formats or layouts, not tuning: they stay beside their code.
FORMAT_CONSTANTS = {
    "matching/fingerprint/ridge_flow.py": {"STEP", "OUTSIDE"},  # the ISO record's flow grid
    "matching/fingerprint/minutiae.py": {"ENDING", "BIFURCATION", "_OFFSETS"},  # kinds; Zhang–Suen's neighbour order
    "matching/fingerprint/search.py": {"POOLED"},  # the 16×16 grid pooled 2×2
    "matching/face/embedding.py": {"CHIP_SIZE"},  # dlib's ResNet input
}
STAGE_MODULES = [
    "matching/fingerprint/segmentation.py", "matching/fingerprint/orientation.py",
    "matching/fingerprint/frequency.py", "matching/fingerprint/enhancement.py",
    "matching/fingerprint/minutia_region.py", "matching/fingerprint/minutiae.py",
    "matching/fingerprint/extractor.py", "matching/fingerprint/cylinder.py",
    "matching/fingerprint/matcher.py", "matching/fingerprint/alignment.py",
    "matching/fingerprint/ridge_flow.py", "matching/fingerprint/quality.py",
    "matching/fingerprint/search.py",
    "matching/face/compare.py", "matching/face/embedding.py", "matching/face/icao.py",
    "matching/face/liveness.py",
]


def _literal_numbers(node: ast.AST) -> bool:
    """Whether an expression is made of number literals alone (``0.5``, ``(5.0, 15.0)``, ``-8 / 5``)."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, int | float) and not isinstance(node.value, bool)
    if isinstance(node, ast.Tuple | ast.List):
        return all(_literal_numbers(e) for e in node.elts)
    if isinstance(node, ast.UnaryOp):
        return _literal_numbers(node.operand)
    if isinstance(node, ast.BinOp):
        return _literal_numbers(node.left) and _literal_numbers(node.right)
    return False


@pytest.mark.parametrize("path", STAGE_MODULES)
def test_a_stage_module_defines_no_tuned_number_of_its_own(path):
    tree = ast.parse((ROOT / path).read_text("utf-8"))
    own = set()
    for node in tree.body:
        if isinstance(node, ast.Assign) and _literal_numbers(node.value):
            for target in node.targets:
                names = target.elts if isinstance(target, ast.Tuple) else [target]
                own |= {n.id for n in names if isinstance(n, ast.Name) and n.id.isupper()}
    assert own <= FORMAT_CONSTANTS.get(path, set()), f"move {sorted(own)} to parameters.py"


def test_the_glossary_names_what_parameters_defines():
    doc = fingerprint_parameters.__doc__
    glossary = doc[doc.index("Glossary"):]
    named = set(re.findall(r"^ {4}([A-Z_0-9]+(?:, [A-Z_0-9]+)?) ", glossary, re.MULTILINE))
    names = {n for row in named for n in row.split(", ")}
    assert len(names) >= 20
    assert all(hasattr(fingerprint_parameters, n) for n in names), names
