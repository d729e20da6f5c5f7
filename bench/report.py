"""``bench/RESULTS.md``: the machine, the date, the commit, the table, the notes."""

from __future__ import annotations

import os
import platform
import subprocess
import time
from pathlib import Path
from typing import Any

from bench.common import ROOT, Section, Settings

PEERS = ("checkdmarc", "pyspf", "octodns")


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,
                              check=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return ""


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.0f} GiB"
    except OSError:
        pass
    return "unknown"


def _nsd() -> str:
    try:
        result = subprocess.run(["/usr/sbin/nsd", "-v"], capture_output=True, text=True,
                                timeout=10, check=False)
    except OSError:
        return "not found"
    first = (result.stderr or result.stdout).strip().splitlines()
    return first[0] if first else "unknown"


def _peer_versions() -> str:
    pins = []
    requirements = ROOT / "bench" / "requirements.txt"
    for line in requirements.read_text().splitlines():
        name, _, version = line.partition("==")
        if name.strip().lower() in PEERS:
            pins.append(f"{name.strip()} {version.strip()}")
    return ", ".join(pins)


def machine() -> dict[str, Any]:
    commit = _git("rev-parse", "--short=12", "HEAD").strip()
    # Porcelain lines are "XY PATH": two status letters (or spaces), a space, the path.
    changed = [line[3:] for line in _git("status", "--porcelain", "--untracked-files=no",
                                         "--", ".", ":!bench/RESULTS.md").splitlines()
               if len(line) > 3]
    return {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "commit": commit or "unknown",
        "subject": _git("log", "-1", "--format=%s").strip(),
        "uncommitted": changed,
        "cpu": _cpu(),
        "cores": os.cpu_count() or 0,
        "memory": _memory(),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "nsd": _nsd(),
        "peers": _peer_versions(),
        "load_before": load_average(),
    }


def _cell(text: str) -> str:
    return text.replace("|", "\\|") if text else "-"


def table(sections: list[Section]) -> str:
    lines = [
        "| benchmark | measure | mailzone | peer | ratio (pair by pair) | target | status |",
        "|---|---|---|---|---|---|---|",
    ]
    for section in sections:
        for row in section.rows:
            status = {"met": "met", "MISSED": "**missed**"}.get(row.status, row.status)
            lines.append("| " + " | ".join(_cell(x) for x in (
                row.benchmark, row.measure, row.ours, row.peer, row.ratio, row.target,
                status)) + " |")
    return "\n".join(lines)


def markdown(sections: list[Section], settings: Settings, info: dict[str, Any],
             elapsed: float) -> str:
    uncommitted = info["uncommitted"]
    dirty = (f" (+ uncommitted changes in {len(uncommitted)} file"
             f"{'s' if len(uncommitted) != 1 else ''}: {', '.join(uncommitted[:6])}"
             f"{', ...' if len(uncommitted) > 6 else ''})") if uncommitted else ""
    title = "# Benchmark results" + (" (smoke run: tiny sizes, not figures)"
                                     if settings.smoke else "")
    runs = (f"{settings.warmup} warm-up run then {settings.runs} measured runs per figure "
            f"({settings.audit_runs} for the live audit, {settings.startup_runs} for "
            "start-up)")
    parts = [
        title,
        "",
        "Written by `make bench` (`bench/run.py`); how each figure is made: "
        "[bench/README.md](README.md).",
        "",
        f"- Date: {info['date']}; the whole run took {elapsed / 60:.1f} min",
        f"- Commit: `{info['commit']}` {info['subject']}{dirty}",
        f"- Machine: {info['cpu']}, {info['cores']} cores, {info['memory']}; {info['os']}; "
        f"Python {info['python']}; {info['nsd']}",
        f"- Load average (1, 5, 15 min) before: {info['load_before']}, after: "
        f"{info.get('load_after', '?')} (the machine is shared: figures are noisy)",
        f"- Peers: {info['peers']} (bench/requirements.txt, in bench/.venv)"
        if settings.peers_python is not None else "- Peers: not measured (--no-peers)",
        f"- Runs: {runs}. Each cell: median (min-max, n). Ratios are mailzone's speed over "
        "the peer's, computed for each interleaved pair of runs, then summarised.",
        "",
        table(sections),
        "",
        "## Notes",
        "",
    ]
    for section in sections:
        parts += [f"- {note}" for note in section.notes]
    return "\n".join(parts) + "\n"
