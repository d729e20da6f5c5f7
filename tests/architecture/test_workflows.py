"""The GitHub workflows hold to GitHub's schema (check-jsonschema's vendored copy, offline).

``make test`` validates ``.github/workflows/*.yml``; these tests show the check can
fail: a workflow with a mistake GitHub would refuse is caught.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHECK = Path(sys.executable).with_name("check-jsonschema")
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


def validate(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(CHECK), "--builtin-schema", "vendor.github-workflows",
                           str(path)], capture_output=True, text=True, timeout=60)


def test_the_workflows_are_valid() -> None:
    assert WORKFLOWS
    for path in WORKFLOWS:
        done = validate(path)
        assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize(("mistake", "replace", "by"), [
    ("a job without runs-on", "    runs-on: ubuntu-latest\n", ""),
    ("a misspelt key", "    steps:\n", "    stepz:\n"),
    ("an unknown event", "  pull_request:\n", "  pull_requests:\n"),
])
def test_a_workflow_github_would_refuse_is_caught(
        mistake: str, replace: str, by: str, tmp_path: Path) -> None:
    text = WORKFLOWS[0].read_text()
    assert replace in text, mistake
    broken = tmp_path / "broken.yml"
    broken.write_text(text.replace(replace, by, 1))
    assert validate(broken).returncode != 0, mistake
