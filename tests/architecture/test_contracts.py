"""The architecture's contracts (``[tool.importlinter]`` in pyproject.toml) can fail.

``make test`` runs ``lint-imports`` over the checkout. These tests copy the code
to a scratch directory, put back one of the faults the contracts exist to stop
(an import cycle between sibling modules, a Pulumi import in the core, an
upward import between layers, components and the pack importing each other),
and check that ``lint-imports`` then fails, naming the contract broken.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

CORE = "The core never imports Pulumi, a provider SDK, the components or the pack"
LAYERS = "The core's layers point one way"
INDEPENDENT = "Components and the policy pack never import each other"
ACYCLIC = "No import cycles between the modules of any package"
CONTRACTS = (CORE, LAYERS, INDEPENDENT, ACYCLIC)


def _lint(root: Path) -> dict[str, str]:
    done = subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=root, capture_output=True,
                          text=True, timeout=120)
    verdicts = {}
    for line in done.stdout.splitlines():
        for contract in CONTRACTS:
            if line.startswith(contract + " ") and contract not in verdicts:
                verdicts[contract] = line.rsplit(" ", 1)[-1]
    return verdicts


def _copy(tmp_path: Path) -> Path:
    for part in ("mailzone", "components", "policies"):
        shutil.copytree(ROOT / part, tmp_path / part,
                        ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    return tmp_path


def _append(path: Path, code: str) -> None:
    before = path.read_text() if path.exists() else '"""A module the layers do not know."""'
    path.write_text(before + "\n\n" + code + "\n")


def test_the_checkout_keeps_every_contract() -> None:
    assert _lint(ROOT) == dict.fromkeys(CONTRACTS, "KEPT")


FAULTS = {
    # The two cycles the layout cut, hidden behind function-level imports as they were.
    # An upward import between layers is also a cycle between the two packages.
    "config imports desired": (
        "mailzone/stack/config.py",
        "def _spf(domain):\n    from mailzone.stack.desired import desired_records\n"
        "    return desired_records(domain)",
        {ACYCLIC},
    ),
    "the resolver protocol imports the live resolver": (
        "mailzone/dns/resolver.py",
        "def _open():\n    from mailzone.dns.live import LiveResolver\n    return LiveResolver()",
        {ACYCLIC},
    ),
    "the core imports pulumi": ("mailzone/names.py", "import pulumi", {CORE}),
    "the core imports the pack": (
        "mailzone/cli/main.py", "from policies import resources", {CORE}),
    "a DNS module imports the SPF engine": (
        "mailzone/dns/txt.py", "from mailzone.spf.parser import parse", {LAYERS, ACYCLIC}),
    "the SPF engine imports the rules": (
        "mailzone/spf/lint.py", "from mailzone.rules.records import DnsRecord",
        {LAYERS, ACYCLIC}),
    "the registry imports the SPF engine": (
        "mailzone/registry.py", "from mailzone.spf.parser import parse", {LAYERS, ACYCLIC}),
    "a new module outside every layer": (
        "mailzone/helpers.py", "from mailzone.cli import main", {LAYERS}),
    "components import the pack": (
        "components/records.py", "from policies import resources", {INDEPENDENT}),
}


@pytest.mark.slow
@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_a_fault_breaks_its_contract(fault: str, tmp_path: Path) -> None:
    path, code, broken = FAULTS[fault]
    root = _copy(tmp_path)
    _append(root / path, code)
    verdicts = _lint(root)
    assert {c for c, v in verdicts.items() if v == "BROKEN"} == broken, verdicts
