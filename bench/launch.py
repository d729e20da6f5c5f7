"""Run one command and measure it alone: wall time, peak memory, exit status.

    python -S -I bench/launch.py RESULT.json COMMAND [ARG...]

``wait4`` reports a child's peak resident memory, but a child forked from a
large process (the benchmark's own Python, with the zones and the gRPC stack
loaded) starts with that process's memory counted, and Linux keeps the peak
across ``exec``. This launcher is a bare Python (``-S -I``: about 8 MiB): it
forks the command, waits for it, and writes what ``wait4`` saw. Standard
streams are inherited.
"""

import json
import os
import sys
import time


def main() -> int:
    result, argv = sys.argv[1], sys.argv[2:]
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        try:
            os.execvp(argv[0], argv)
        finally:
            os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    seconds = time.perf_counter() - started
    with open(result, "w", encoding="utf-8") as handle:
        json.dump({"seconds": seconds, "max_rss_kib": usage.ru_maxrss,
                   "returncode": os.waitstatus_to_exitcode(status)}, handle)
    return 0


if __name__ == "__main__":
    sys.exit(main())
