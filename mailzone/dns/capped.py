"""A resolver that asks at most so many distinct questions: where a lookup bomb stops.

RFC 7208 allows 10 DNS-querying terms in an evaluation; an include tree built to
explode (a "lookup bomb") makes a walker that reports the whole tree ask thousands.
Every command that walks a tree goes through one of these: past ``cap`` distinct
questions, the next one raises ``QueryCapReached`` (a ``DnsError``), which the walk
records and the judge reports (``check-query-cap``). Questions already asked are
answered again as often as needed.
"""

from __future__ import annotations

from typing import Final

from mailzone.dns.resolver import Answer, RdType, Resolver, normalize_name
from mailzone.errors import QueryCapReached

#: Distinct questions one walk may ask: ten times what RFC 7208 lets a receiver ask,
#: so a tree over the limit is still reported in full.
DEFAULT_QUERY_CAP: Final = 100


class CappedResolver:
    """``inner``, for at most ``cap`` distinct (name, type) questions."""

    def __init__(self, inner: Resolver, cap: int = DEFAULT_QUERY_CAP) -> None:
        if cap < 1:
            raise ValueError("the question cap must be 1 or more")
        self.inner = inner
        self.cap = cap
        self.keys: set[tuple[str, RdType]] = set()

    async def resolve(self, name: str, rdtype: RdType) -> Answer:
        key = (normalize_name(name), RdType(rdtype))
        if key not in self.keys:
            if len(self.keys) >= self.cap:
                raise QueryCapReached(key[0], key[1].value, self.cap)
            self.keys.add(key)
        return await self.inner.resolve(*key)
