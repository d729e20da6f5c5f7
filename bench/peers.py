"""The peers' own environment: ``bench/.venv``, built from ``bench/requirements.txt``.

The peers (checkdmarc, pyspf, octoDNS) never enter the project's environment:
they are installed with pip into a virtual environment of their own, once, and
reused while ``requirements.txt`` is unchanged (a hash of it is kept inside the
environment). ``make bench`` on a clean clone therefore installs them on its
first run.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

from bench.common import BENCH, BenchError, log

REQUIREMENTS = BENCH / "requirements.txt"
DEFAULT_VENV = BENCH / ".venv"
STAMP = ".bench-requirements.sha256"


def _digest() -> str:
    return hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()


def _python(venv: Path) -> Path:
    return venv / "bin" / "python"


def is_ready(venv: Path = DEFAULT_VENV) -> bool:
    stamp = venv / STAMP
    return (_python(venv).exists() and stamp.exists()
            and stamp.read_text().strip() == _digest())


def ensure(venv: Path = DEFAULT_VENV) -> Path:
    """The peers' Python, installing them first when needed."""
    if is_ready(venv):
        return _python(venv)
    log(f"installing the peers into {venv} (bench/requirements.txt)")
    if venv.exists():
        shutil.rmtree(venv)
    # The base interpreter, not the project's venv: a venv made from a venv is fine, but
    # this keeps the peers' environment free of the project's packages either way.
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", str(venv)], check=True)
    result = subprocess.run(
        [str(_python(venv)), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "-r", str(REQUIREMENTS)],
        capture_output=True, text=True, check=False,
    )
    if result.returncode != 0:
        raise BenchError(f"installing the peers failed:\n{result.stdout}{result.stderr}")
    (venv / STAMP).write_text(_digest() + "\n")
    return _python(venv)
