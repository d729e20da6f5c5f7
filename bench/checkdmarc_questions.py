"""Run checkdmarc's command line and record every DNS query it sends (peers' Python).

    bench/.venv/bin/python bench/checkdmarc_questions.py OUT.json CHECKDMARC-ARGS...

dnspython sends every query of checkdmarc (its resolver, and its DNSSEC checks)
through ``dns.query.udp`` and ``dns.query.tcp``; both are wrapped here to count
the queries and the distinct (name, type) questions among them. The run is for
counting only: it is never the one timed.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from typing import Any

import dns.query

questions: Counter[tuple[str, str]] = Counter()
transports: Counter[str] = Counter()


def _wrap(name: str) -> None:
    original = getattr(dns.query, name)

    def counted(q: Any, *args: Any, **kwargs: Any) -> Any:
        for rrset in q.question:
            questions[(rrset.name.to_text().lower(), dns.rdatatype.to_text(rrset.rdtype))] += 1
        transports[name] += 1
        return original(q, *args, **kwargs)

    setattr(dns.query, name, counted)


def main() -> int:
    out = sys.argv[1]
    for name in ("udp", "tcp"):
        _wrap(name)
    from checkdmarc._cli import _main  # type: ignore[import-not-found]

    sys.argv = ["checkdmarc", *sys.argv[2:]]
    try:
        _main()
    finally:
        with open(out, "w", encoding="utf-8") as handle:
            json.dump({"queries": sum(questions.values()), "distinct": len(questions),
                       "by_transport": dict(transports),
                       "repeated": sum(1 for n in questions.values() if n > 1)}, handle)
    return 0


if __name__ == "__main__":
    sys.exit(main())
