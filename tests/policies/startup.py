"""Measure the pack's start-up: from process start to the port on stdout (not a test).

    .venv/bin/python -m tests.policies.startup [runs]

Starts the pack exactly as the CLI does (``harness.Pack``) ``runs`` times and
prints each time and the median. Performance goals belong in measurements like
this one, not in timed tests.
"""

from __future__ import annotations

import statistics
import sys

from tests.policies.harness import Pack


def main(argv: list[str]) -> int:
    runs = int(argv[1]) if len(argv) > 1 else 5
    times: list[float] = []
    for _ in range(runs):
        pack = Pack()
        try:
            pack.info()  # the server answers, not only listens
            times.append(pack.startup_seconds)
        finally:
            pack.close()
    print("start-up (process start -> port printed), seconds:",
          ", ".join(f"{t:.3f}" for t in times))
    print(f"median {statistics.median(times):.3f}s, max {max(times):.3f}s over {runs} runs")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
