"""The RFC 7208 test suite (openspf.org, release 2014.04), fetched from PyPI.

The suite ships as ``test/rfc7208-tests.yml`` in pyspf 2.0.14's source
distribution. It is fetched at test time with pip (so the registry settings of
the machine apply), checked against a pinned SHA-256, and cached under
``.cache/``; it is not committed.
"""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from mailzone.dns.memory import MemoryResolver
from mailzone.dns.resolver import Answer, RdType, normalize_name
from mailzone.errors import DnsError

PYSPF = "pyspf==2.0.14"
SDIST = "pyspf-2.0.14.tar.gz"
SDIST_SHA256 = "57a7ef01bda090173aafb6af0106251686ed73f03db4e911fcd34c57fc347186"
MEMBER = "pyspf-2.0.14/test/rfc7208-tests.yml"
CACHE = Path(__file__).resolve().parent.parent / ".cache" / "rfc7208"


def suite_text() -> str:
    """The YAML text of the suite, fetched once and verified by hash."""
    cached = CACHE / "rfc7208-tests.yml"
    if cached.exists():
        return cached.read_text(encoding="utf-8")
    CACHE.mkdir(parents=True, exist_ok=True)
    sdist = CACHE / SDIST
    if not sdist.exists():
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
             "--no-binary", ":all:", "--dest", str(CACHE), PYSPF],
            check=True,
        )
    data = sdist.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != SDIST_SHA256:
        sdist.unlink()
        raise RuntimeError(f"{SDIST}: SHA-256 {digest}, expected {SDIST_SHA256}")
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        member = tar.extractfile(MEMBER)
        assert member is not None, f"{MEMBER} missing from {SDIST}"
        text = member.read().decode("utf-8")
    cached.write_text(text, encoding="utf-8")
    return text


@dataclass
class Case:
    scenario: str
    name: str
    helo: str
    host: str
    mailfrom: str
    results: tuple[str, ...]
    explanation: str | None
    spec: str
    resolver_data: dict[str, list[Any]] = field(repr=False, default_factory=dict)


def cases() -> Iterator[Case]:
    for scenario in yaml.safe_load_all(suite_text()):
        zonedata = scenario.get("zonedata") or {}
        for name, test in scenario["tests"].items():
            result = test["result"]
            yield Case(
                scenario=scenario["description"],
                name=name,
                helo=str(test.get("helo", "")),
                host=str(test["host"]),
                mailfrom=str(test.get("mailfrom", "")),
                results=tuple(result) if isinstance(result, list) else (result,),
                explanation=test.get("explanation"),
                spec=str(test.get("spec", "")),
                resolver_data=zonedata,
            )


class SuiteResolver(MemoryResolver):
    """A scenario's zonedata as a resolver, with the suite's TIMEOUT semantics.

    As the suite's own driver does: a bare ``TIMEOUT`` in a name's list makes
    every type not listed before it time out; ``{TYPE: TIMEOUT}`` makes that type
    time out; ``SPF`` (type 99) entries are ignored (RFC 7208 queries TXT only),
    except that they stand in for TXT where a name has no TXT entry at all, as
    the suite intends (its header says so); ``TXT: NONE`` means no TXT record.
    """

    def __init__(self, zonedata: dict[str, list[Any]]) -> None:
        super().__init__()
        self._timeout_types: dict[str, set[RdType] | None] = {}
        for raw_name, entries in zonedata.items():
            name = normalize_name(raw_name)
            seen: set[RdType] = set()
            has_txt = any(isinstance(e, dict) and "TXT" in e for e in entries)
            self.add_name(name)
            for entry in entries:
                if entry == "TIMEOUT":
                    # Every type not answered before this entry times out.
                    self._timeout_types[name] = {t for t in RdType if t not in seen}
                    break
                for rdtype_text, value in entry.items():
                    if rdtype_text == "SPF":
                        if has_txt:
                            continue
                        rdtype_text = "TXT"
                    rdtype = RdType(rdtype_text)
                    if rdtype is RdType.TXT and value == "NONE":
                        continue  # no record, and not "answered" for a later TIMEOUT
                    seen.add(rdtype)
                    if value == "TIMEOUT":
                        self._timeout_types.setdefault(name, set())
                        timeouts = self._timeout_types[name]
                        assert timeouts is not None
                        timeouts.add(rdtype)
                        continue
                    self.add(name, rdtype, [_presentation(rdtype, value)])

    def answer(self, name: str, rdtype: RdType) -> Answer:
        asked = normalize_name(name)
        timeouts = self._timeout_types.get(asked)
        if timeouts and rdtype in timeouts:
            raise DnsError(asked, rdtype, "timed out (suite TIMEOUT)")
        return super().answer(name, rdtype)


def _presentation(rdtype: RdType, value: Any) -> str:
    if rdtype is RdType.TXT:
        return "".join(value) if isinstance(value, list) else str(value)
    if rdtype is RdType.MX:
        preference, host = value
        return f"{preference} {normalize_name(str(host))}"
    if rdtype in (RdType.PTR, RdType.CNAME, RdType.NS):
        return normalize_name(str(value))
    return str(value)
