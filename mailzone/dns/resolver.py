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

from collections.abc import Callable, Coroutine
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


@runtime_checkable
class SyncResolver(Protocol):
    """The synchronous face of a resolver that answers at once (memory, zone files).

    Offline resolvers offer both faces; engines that run under ``run_sync`` ask
    this one directly and save a coroutine per question (see ``sync_face``).
    """

    def answer(self, name: str, rdtype: RdType) -> Answer:
        """Answer ``rdtype`` at ``name`` now. Raises ``DnsError`` like ``resolve``."""
        ...


def sync_face(resolver: Resolver) -> Callable[[str, RdType], Answer] | None:
    """``resolver.answer`` when the resolver answers at once, else None."""
    return resolver.answer if isinstance(resolver, SyncResolver) else None


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
