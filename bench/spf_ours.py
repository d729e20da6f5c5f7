"""Our side of the SPF benchmark: ``check_host()`` over an in-memory resolver (project Python).

    .venv/bin/python bench/spf_ours.py DATA.json OUT.json

Reads the zones' records and the (address, sender) pairs written by
``b_spf.py``, evaluates every pair once to warm up, then once more timed, and
writes the time and each result.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mailzone.dns.memory import MemoryResolver
from mailzone.dns.resolver import RdType
from mailzone.spf.check import check_identity_sync


def main() -> int:
    data = json.loads(Path(sys.argv[1]).read_text())
    resolver = MemoryResolver({name: {RdType(t): values for t, values in by_type.items()}
                               for name, by_type in data["records"].items()})
    helo = data["helo"]
    pairs = [(ip, sender) for ip, sender in data["pairs"]]

    def evaluate() -> list[str]:
        return [check_identity_sync(ip, sender, resolver, helo=helo).result.value
                for ip, sender in pairs]

    evaluate()
    started = time.perf_counter()
    results = evaluate()
    seconds = time.perf_counter() - started
    Path(sys.argv[2]).write_text(json.dumps({"seconds": seconds, "results": results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
