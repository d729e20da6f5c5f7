"""An in-memory resolver: records held in a dict, answered at once.

It is the base of the zone-directory resolver and what the RFC 7208 test
suite runs on. It follows CNAME chains like a recursive resolver would, tells
NXDOMAIN (no such name, nor any name below it) from an empty answer, and can be
told that questions about some names time out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from mailzone.dns.resolver import Answer, RdType, normalize_name
from mailzone.errors import DnsError

# A CNAME chain longer than this is treated as a loop, as recursive servers do.
MAX_CNAME_CHAIN = 8


class MemoryResolver:
    """Answers from ``records``: name -> type -> presentation-form values.

    Names in ``timeouts`` raise ``DnsError`` for every question, like a server
    that never answers.
    """

    def __init__(
        self,
        records: Mapping[str, Mapping[RdType, Iterable[str]]] | None = None,
        timeouts: Iterable[str] = (),
    ) -> None:
        self._records: dict[str, dict[RdType, tuple[str, ...]]] = {}
        self._existing: set[str] = set()
        self._timeouts = {normalize_name(name) for name in timeouts}
        # Answers are immutable: each question is worked out once (the cache is
        # dropped whenever a record is added).
        self._answers: dict[tuple[str, RdType], Answer] = {}
        for name, by_type in (records or {}).items():
            for rdtype, values in by_type.items():
                self.add(name, rdtype, values)

    def add(self, name: str, rdtype: RdType, values: Iterable[str]) -> None:
        """Add values to the record set ``rdtype`` at ``name``."""
        name = normalize_name(name)
        self._answers.clear()
        current = self._records.setdefault(name, {}).get(rdtype, ())
        self._records[name][rdtype] = current + tuple(values)
        self.add_name(name)

    def add_name(self, name: str) -> None:
        """Make ``name`` exist (an empty answer, not NXDOMAIN) even without records.

        A name exists if it or any name below it has records (empty non-terminals),
        so its parents exist too.
        """
        self._answers.clear()
        labels = normalize_name(name).split(".")
        for i in range(len(labels)):
            self._existing.add(".".join(labels[i:]))

    async def resolve(self, name: str, rdtype: RdType) -> Answer:
        return self.answer(name, rdtype)

    def answer(self, name: str, rdtype: RdType) -> Answer:
        """The synchronous face of ``resolve``."""
        # The name as asked first, with no normalising: the SPF engine asks the same few
        # names thousands of times (normalising each time was a fifth of an evaluation),
        # and a subscript costs less than ``get`` and a test of its result.
        try:
            return self._answers[(name, rdtype)]
        except KeyError:
            pass
        asked = normalize_name(name)
        key = (asked, rdtype)
        answer = self._answers.get(key)
        if answer is None:
            answer = self._answer(asked, rdtype)
            self._answers[key] = answer
        self._answers[(name, rdtype)] = answer
        return answer

    def _answer(self, asked: str, rdtype: RdType) -> Answer:
        current = asked
        for _ in range(MAX_CNAME_CHAIN):
            if current in self._timeouts:
                raise DnsError(asked, rdtype, "timed out")
            by_type = self._records.get(current, {})
            if rdtype in by_type:
                return Answer(asked, rdtype, by_type[rdtype])
            cname = by_type.get(RdType.CNAME)
            if cname and rdtype is not RdType.CNAME:
                current = normalize_name(cname[0])
                continue
            return Answer(asked, rdtype, (), nxdomain=current not in self._existing)
        raise DnsError(asked, rdtype, "CNAME chain too long (a loop?)")

    @property
    def names(self) -> list[str]:
        return sorted(self._records)
