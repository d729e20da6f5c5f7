"""The resolver protocol: one question (name, type), one answer.

Two implementations share it: ``mailzone.dns.zonedir.ZoneDirResolver`` reads a
directory of BIND zone files (the offline default, and the same files the
integration tests serve with NSD), and ``mailzone.dns.live.LiveResolver``
asks DNS servers with dnspython's async resolver.

The protocol is async so that the live resolver can run thousands of questions
concurrently. Engines written against it (``check_host()``, the lookup budget)
run synchronously too: ``run_sync`` drives a coroutine whose resolver never
suspends (a zone directory, an in-memory map) without an event loop, which is
both simpler and much faster than ``asyncio.run`` for offline work.
"""

from __future__ import annotations

from collections.abc import Coroutine
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol, TypeVar, runtime_checkable

T = TypeVar("T")


class RdType(StrEnum):
    A = "A"
    AAAA = "AAAA"
    MX = "MX"
    TXT = "TXT"
    PTR = "PTR"
    CNAME = "CNAME"
    NS = "NS"


@dataclass(frozen=True, slots=True)
class Answer:
    """The answer to one question, after CNAMEs were followed.

    ``records`` are presentation-form texts, normalised so callers need no DNS
    library: TXT is the record's character-strings joined with nothing between
    them (RFC 7208 3.3) and decoded as UTF-8 (invalid bytes become U+FFFD, which
    no SPF parser accepts); A/AAAA are addresses in their compressed form; MX is
    ``"<preference> <exchange>"``; PTR, CNAME and NS are names. Names are lower
    case without the trailing dot.

    An empty ``records`` is a *void* answer (RFC 7208 4.6.4): ``nxdomain`` says
    whether the name does not exist at all, or exists without data of this type.
    Failures (timeout, SERVFAIL, REFUSED) are not answers: the resolver raises
    ``mailzone.errors.DnsError``.
    """

    name: str
    rdtype: RdType
    records: tuple[str, ...] = ()
    nxdomain: bool = False

    @property
    def void(self) -> bool:
        return not self.records

    def mx_hosts(self) -> list[str]:
        """The exchanges of an MX answer, in order of preference."""
        pairs = []
        for record in self.records:
            preference, _, host = record.partition(" ")
            pairs.append((int(preference), host))
        return [host for _, host in sorted(pairs)]


@runtime_checkable
class Resolver(Protocol):
    """Answers DNS questions. Implementations cache per run: each question is asked once."""

    async def resolve(self, name: str, rdtype: RdType) -> Answer:
        """Answer ``rdtype`` at ``name`` (absolute, with or without the trailing dot).

        Raises ``DnsError`` when no answer could be had (timeout, SERVFAIL, ...).
        """
        ...


def normalize_name(name: str) -> str:
    """Lower case, no trailing dot: the form names take throughout the core."""
    return name.rstrip(".").lower()


class NotSynchronous(RuntimeError):
    """``run_sync`` was given a coroutine that really suspends (a live resolver)."""


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine that never suspends, without an event loop.

    Offline resolvers answer at once, so ``check_host()`` over a zone directory
    completes on the first ``send``. A coroutine that awaits real I/O cannot be
    driven this way: use ``asyncio.run`` for it.
    """
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    coroutine.close()
    raise NotSynchronous("this resolver suspends; run the coroutine with asyncio instead")


def open_resolver(
    zones: str | None = None,
    nameserver: str | None = None,
    *,
    timeout: float = 3.0,
    retries: int = 1,
    concurrency: int = 32,
) -> Resolver:
    """The resolver the command line asked for: a zone directory, or live DNS.

    Live DNS asks ``nameserver`` (``HOST[:PORT]``) when given, else the system's
    resolvers. The implementations are imported here, on demand, so that code
    which only parses records never loads dnspython's resolver.
    """
    if zones is not None and nameserver is not None:
        from mailzone.errors import UsageError

        raise UsageError("--zones and --nameserver exclude each other: pick one")
    if zones is not None:
        from pathlib import Path

        from mailzone.dns.zonedir import ZoneDirResolver

        return ZoneDirResolver(Path(zones))
    from mailzone.dns.live import LiveResolver

    return LiveResolver(nameserver=nameserver, timeout=timeout, retries=retries,
                        concurrency=concurrency)
