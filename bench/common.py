"""What every benchmark shares: the run settings, timing of child processes, statistics.

A figure is measured ``runs`` times after ``warmup`` unmeasured runs; it is
reported as the median with the spread (min-max, and max-min over the median).
When two tools are compared, their runs are interleaved (ours, peer, peer,
ours, ...) so that a change in the machine's load hits both, and the ratio is
computed pair by pair, then summarised like any other figure.
"""

from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
PROJECT_PYTHON = Path(sys.executable)
PROJECT_BIN = PROJECT_PYTHON.parent


@dataclass(frozen=True)
class Settings:
    """Sizes and repetitions of one ``bench/run.py`` invocation."""

    work: Path
    peers_python: Path | None
    audit_domains: int = 1000
    spf_pairs: int = 10_000
    spf_domains: int = 1000
    policy_resources: int = 10_000
    plan_domains: int = 1000
    runs: int = 5
    audit_runs: int = 3
    warmup: int = 1
    startup_runs: int = 10
    smoke: bool = False

    def peer_bin(self, name: str) -> Path | None:
        """A console script of the peers' environment, or None without it."""
        if self.peers_python is None:
            return None
        return self.peers_python.parent / name


@dataclass(frozen=True)
class Stat:
    """A figure's runs: median, spread."""

    values: tuple[float, ...]

    @classmethod
    def of(cls, values: Sequence[float]) -> Stat:
        if not values:
            raise ValueError("no runs to summarise")
        return cls(tuple(values))

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def low(self) -> float:
        return min(self.values)

    @property
    def high(self) -> float:
        return max(self.values)

    @property
    def spread(self) -> float:
        """(max - min) / median: 0.1 means the runs lie within 10 % of the median."""
        median = self.median
        return (self.high - self.low) / median if median else 0.0

    def show(self, unit: str = "", digits: int = 3) -> str:
        def fmt(value: float) -> str:
            return _fmt(value, digits)

        if len(self.values) == 1:
            return f"{fmt(self.median)}{unit} (1 run)"
        return f"{fmt(self.median)}{unit} ({fmt(self.low)}-{fmt(self.high)}, n={len(self.values)})"


def _fmt(value: float, digits: int) -> str:
    if value == 0:
        return "0"
    magnitude = abs(value)
    if magnitude >= 1000:
        return f"{value:,.0f}"
    if magnitude >= 100:
        return f"{value:.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    if magnitude >= 1:
        return f"{value:.2f}"
    return f"{value:.{digits}f}"


@dataclass
class Row:
    """One line of the results table."""

    benchmark: str
    measure: str
    ours: str
    peer: str = ""
    ratio: str = ""
    target: str = ""
    status: str = ""  # "met", "MISSED", "" (no target), "n/a"


@dataclass
class Section:
    """A benchmark's rows, the details under the table, and raw numbers for JSON."""

    name: str
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Child:
    """A finished child process: wall time, peak resident memory, exit status."""

    seconds: float
    max_rss_kib: int
    returncode: int


def run_child(argv: Sequence[str | Path], *, stdout: Path | None = None,
              stderr: Path | None = None, cwd: Path | None = None,
              env: dict[str, str] | None = None, ok: Sequence[int] = (0,),
              timeout: float = 1800.0) -> Child:
    """Run ``argv`` through ``launch.py``: its wall time and peak RSS, of it alone.

    ``ok`` lists the exit statuses that mean the command did its work (``mailzone
    check`` exits 1 when it found errors, ``mailzone plan`` 2 when it has changes).
    """
    result = Path(tempfile.mkstemp(prefix="bench-child-", suffix=".json")[1])
    out = stdout.open("wb") if stdout is not None else subprocess.DEVNULL
    err = stderr.open("wb") if stderr is not None else subprocess.DEVNULL
    command = " ".join(map(str, argv))
    try:
        process = subprocess.Popen(
            [str(PROJECT_PYTHON), "-S", "-I", str(BENCH / "launch.py"), str(result),
             *map(str, argv)],
            stdout=out, stderr=err, stdin=subprocess.DEVNULL, cwd=cwd, env=env,
            start_new_session=True)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            raise BenchError(f"{command}: no end after {timeout:g} s") from None
        measured = json.loads(result.read_text() or "null")
    finally:
        result.unlink(missing_ok=True)
        for stream in (out, err):
            if not isinstance(stream, int):
                stream.close()
    if process.returncode != 0 or not measured:
        raise BenchError(f"{command}: the launcher failed ({process.returncode})")
    child = Child(float(measured["seconds"]), int(measured["max_rss_kib"]),
                  int(measured["returncode"]))
    if child.returncode not in ok:
        detail = stderr.read_text(errors="replace")[-3000:] if stderr is not None else ""
        raise BenchError(f"{command} exited {child.returncode}\n{detail}")
    return child


class BenchError(RuntimeError):
    """A benchmark could not run (a tool failed, a result is not what was expected)."""


def interleaved(runs: int, ours: Callable[[], float], peer: Callable[[], float] | None
                ) -> tuple[list[float], list[float]]:
    """``runs`` measurements of each, alternating which goes first in each pair."""
    mine: list[float] = []
    theirs: list[float] = []
    for index in range(runs):
        order: list[tuple[Callable[[], float], list[float]]] = [(ours, mine)]
        if peer is not None:
            order.append((peer, theirs))
        if index % 2:
            order.reverse()
        for measure, into in order:
            into.append(measure())
    return mine, theirs


def pairwise(numerators: Sequence[float], denominators: Sequence[float]) -> Stat:
    """Ratios of the i-th run of one to the i-th run of the other."""
    return Stat.of([n / d for n, d in zip(numerators, denominators, strict=True)])


def verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def child_env(**extra: str) -> dict[str, str]:
    """The environment for tools under measurement: no colours, no terminal tricks."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTHONPATH", "COLUMNS", "FORCE_COLOR"))}
    env.update({"NO_COLOR": "1", "TERM": "dumb", **extra})
    return env


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)
