"""pyspf's side of the SPF benchmark (peers' Python): the same pairs over the same records.

    bench/.venv/bin/python bench/spf_pyspf.py DATA.json OUT.json

pyspf asks DNS through its module-level ``spf.DNSLookup(name, qtype, strict,
timeout)``; its own test driver replaces that function with one answering from
memory, and so does this. Answers take the shape ``DNSLookup_dnspython`` gives
them (TXT as the record's character-strings in bytes, MX as (preference,
exchange), CNAMEs followed) and are built before the clock starts, so a lookup
costs a dictionary access, as in ``MemoryResolver`` on our side.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import spf  # type: ignore[import-not-found]  # the peers' environment


def _strings(text: str) -> tuple[bytes, ...]:
    data = text.encode("utf-8")
    return tuple(data[i:i + 255] for i in range(0, len(data), 255)) or (b"",)


def _value(rdtype: str, text: str) -> Any:
    if rdtype == "TXT":
        return _strings(text)
    if rdtype == "MX":
        preference, _, exchange = text.partition(" ")
        return (int(preference), exchange)
    return text


def main() -> int:
    data = json.loads(Path(sys.argv[1]).read_text())
    records: dict[str, dict[str, list[str]]] = data["records"]
    answers: dict[tuple[str, str], list[tuple[tuple[str, str], Any]]] = {}
    for name, by_type in records.items():
        for rdtype, values in by_type.items():
            answers[(name, rdtype)] = [((name, rdtype), _value(rdtype, v)) for v in values]

    def lookup(name: str, qtype: str, strict: Any = True, timeout: Any = None) -> list[Any]:
        key = name.rstrip(".").lower()
        for _ in range(8):
            found = answers.get((key, qtype))
            if found is not None:
                if key == name:
                    return found
                return [((name, qtype), value) for _, value in found]
            cname = answers.get((key, "CNAME"))
            if cname is None or qtype == "CNAME":
                return []
            key = cname[0][1]
        raise spf.TempError("CNAME chain too long")

    spf.DNSLookup = lookup
    helo = data["helo"]
    pairs = [(ip, sender) for ip, sender in data["pairs"]]

    def evaluate() -> list[str]:
        return [spf.query(i=ip, s=sender, h=helo).check()[0] for ip, sender in pairs]

    evaluate()
    started = time.perf_counter()
    results = evaluate()
    seconds = time.perf_counter() - started
    Path(sys.argv[2]).write_text(json.dumps({"seconds": seconds, "results": results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
