"""The question cap: distinct questions past the cap are not asked."""

from __future__ import annotations

import asyncio

import pytest

from mailzone.dns.capped import CappedResolver
from mailzone.dns.memory import MemoryResolver
from mailzone.dns.resolver import RdType
from mailzone.errors import DnsError, QueryCapReached


def test_distinct_questions_past_the_cap_raise_and_repeats_are_answered() -> None:
    inner = MemoryResolver({"a.example": {RdType.TXT: ["x"]}, "b.example": {RdType.TXT: ["y"]}})
    capped = CappedResolver(inner, cap=2)

    async def go() -> None:
        assert (await capped.resolve("a.example", RdType.TXT)).records == ("x",)
        assert (await capped.resolve("A.EXAMPLE.", RdType.TXT)).records == ("x",)  # the same
        await capped.resolve("b.example", RdType.TXT)
        with pytest.raises(QueryCapReached) as stopped:
            await capped.resolve("c.example", RdType.TXT)
        assert isinstance(stopped.value, DnsError) and stopped.value.cap == 2
        assert (await capped.resolve("b.example", RdType.TXT)).records == ("y",)

    asyncio.run(go())
    with pytest.raises(ValueError):
        CappedResolver(inner, cap=0)
