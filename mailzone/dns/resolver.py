"""The resolver protocol: one question (name, type), one answer.

Two implementations share it: ``mailzone.dns.zonedir.ZoneDirResolver`` reads a
directory of BIND zone files (the offline default, and the same files the
integration tests serve with NSD), and ``mailzone.dns.live.LiveResolver``
asks DNS servers (``mailzone.dns.wire`` on the wire).

Three faces: ``Resolver`` is async, so the live resolver can run thousands of
questions concurrently; ``SyncResolver`` answers at once (a zone directory, an
in-memory map); ``CallbackResolver`` takes a question and a function to call with
its answer, which costs no coroutine or future per question (the live resolver
has it; ``mailzone.dns.exchange.callback_face`` gives it to any resolver).
Engines (``check_host()``, the lookup budget, a plan) are written once against
none of them: they yield their questions (``mailzone.dns.exchange``) and a driver
answers them through whichever face the resolver has.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, runtime_checkable

from mailzone.errors import DnsError

# One wait per DNS query and one resend for every command (check, plan --live, spf):
# 2 s is four times a slow transatlantic round trip, and a lost datagram costs one
# resend rather than a failed question.
DEFAULT_TIMEOUT = 2.0
DEFAULT_RETRIES = 1


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

    Offline resolvers offer both faces: ``mailzone.dns.exchange.run`` drives an
    engine through this one, with no event loop and no coroutine per question.
    """

    def answer(self, name: str, rdtype: RdType) -> Answer:
        """Answer ``rdtype`` at ``name`` now. Raises ``DnsError`` like ``resolve``."""
        ...


@runtime_checkable
class CallbackResolver(Protocol):
    """The callback face: a question in, its outcome handed to a function.

    The outcome is an ``Answer`` or the ``DnsError`` that stands for one; a resolver
    that breaks (a bug, not a DNS fault) hands over the exception it raised.
    """

    def submit(self, name: str, rdtype: RdType,
               done: Callable[[Answer | Exception], None]) -> Answer | DnsError | None:
        """The outcome now when it is known; else None, and ``done`` is called with it
        later from the event loop, never from inside this call."""
        ...


def normalize_name(name: str) -> str:
    """Lower case, no trailing dot: the form names take throughout the core."""
    return name.rstrip(".").lower()
