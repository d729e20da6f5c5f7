"""5. Start-up: ``mailzone --help`` and ``mailzone spf lint`` on one record.

Each command runs as a child process of its own, as a user runs it (the
console script of the project's environment); the wall time is from spawn to
exit, and the peak memory is the child's maximum resident set (``wait4``).
For context, the peers' own ``--help`` is measured the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from bench.common import (
    PROJECT_BIN,
    Row,
    Section,
    Settings,
    Stat,
    child_env,
    log,
    run_child,
    verdict,
)

TARGET_HELP_S = 0.3
RECORD = "v=spf1 include:amazonses.com include:_spf.google.com -all"


def _measure(argv: Sequence[str | Path], settings: Settings) -> tuple[Stat, Stat]:
    env = child_env()
    for _ in range(settings.warmup):
        run_child(argv, env=env)
    children = [run_child(argv, env=env) for _ in range(settings.startup_runs)]
    return (Stat.of([c.seconds for c in children]),
            Stat.of([c.max_rss_kib / 1024 for c in children]))


def run(settings: Settings) -> Section:
    section = Section("Start-up")
    log(f"startup: {settings.startup_runs} runs of each command")
    mailzone = PROJECT_BIN / "mailzone"
    cases: list[tuple[str, list[str | Path], bool]] = [
        ("`mailzone --help`", [mailzone, "--help"], True),
        ("`mailzone spf lint` on one record", [mailzone, "spf", "lint", RECORD], False),
    ]
    peers: list[tuple[str, list[str | Path]]] = []
    for name in ("checkdmarc", "octodns-sync"):
        binary = settings.peer_bin(name)
        if binary is not None:
            peers.append((f"`{name} --help`", [binary, "--help"]))
    for label, argv, targeted in cases:
        wall, memory = _measure(argv, settings)
        section.rows.append(Row(
            "5. Start-up", f"{label}: wall time", wall.show(" s"),
            target=f"< {TARGET_HELP_S:g} s" if targeted else "",
            status=verdict(wall.median < TARGET_HELP_S) if targeted else ""))
        section.rows.append(Row("5. Start-up", f"{label}: peak memory", memory.show(" MiB")))
        section.raw[label] = {"seconds": list(wall.values), "max_rss_mib": list(memory.values)}
    for label, argv in peers:
        wall, memory = _measure(argv, settings)
        section.rows.append(Row("5. Start-up", f"peer {label}: wall time, peak memory", "",
                                peer=f"{wall.show(' s')}; {memory.median:.0f} MiB"))
        section.raw[label] = {"seconds": list(wall.values), "max_rss_mib": list(memory.values)}
    return section
