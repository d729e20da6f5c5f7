"""``check_host()``: evaluate SPF for a client address, exactly as RFC 7208 says.

The evaluation is written once, as an engine that yields its DNS questions and
is sent their answers (``mailzone.dns.exchange``): ``check_host_sync`` runs it
through an offline resolver (memory, zone files) with no event loop,
``check_host`` through any resolver under asyncio. Limits of section 4.6.4 are
shared by the whole evaluation, includes and redirects included.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache

from mailzone.dns.exchange import Exchange, ask, run, run_async
from mailzone.dns.resolver import Answer, RdType, Resolver, SyncResolver, normalize_name
from mailzone.errors import DnsError, SpfSyntaxError
from mailzone.spf.macro import MacroContext, expand, truncate_domain
from mailzone.spf.parser import is_spf, parse, parse_explanation
from mailzone.spf.terms import IPAddress, Kind, Mechanism, Modifier, Qualifier, Record


class Result(StrEnum):
    NONE = "none"
    NEUTRAL = "neutral"
    PASS = "pass"
    FAIL = "fail"
    SOFTFAIL = "softfail"
    TEMPERROR = "temperror"
    PERMERROR = "permerror"


_QUALIFIER_RESULT = {
    Qualifier.PASS: Result.PASS,
    Qualifier.FAIL: Result.FAIL,
    Qualifier.SOFTFAIL: Result.SOFTFAIL,
    Qualifier.NEUTRAL: Result.NEUTRAL,
}


@dataclass(frozen=True, slots=True)
class Limits:
    """Section 4.6.4. The defaults are the RFC's; receivers may not raise them."""

    lookups: int = 10
    void_lookups: int = 2
    mx_names: int = 10
    ptr_names: int = 10


RFC_LIMITS = Limits()


@dataclass(frozen=True, slots=True)
class SpfResult:
    """The outcome of ``check_host()``.

    ``reason`` says in words why (which term matched, or what went wrong);
    ``mechanism`` is the matching term and ``domain`` the record it was in.
    """

    result: Result
    domain: str
    reason: str
    explanation: str | None = None
    mechanism: str | None = None
    lookups: int = 0
    void_lookups: int = 0


class _Abort(Exception):
    """Ends the evaluation with temperror or permerror."""

    def __init__(self, result: Result, reason: str) -> None:
        super().__init__(reason)
        self.result = result
        self.reason = reason


@dataclass(slots=True)
class _Evaluation:
    """The state one ``check_host()`` shares with its includes and redirects."""

    ip: IPAddress
    sender: str
    helo: str
    receiver: str
    limits: Limits
    ip_bits: int = 0  # the client address as an integer
    # The synchronous face of the resolver, when the caller has one (check_host_sync):
    # asked directly, a question costs a call instead of a trip up the engine's chain of
    # generators to the driver and back. Either way the engine is the same.
    answer_now: Callable[[str, RdType], Answer] | None = None
    lookups: int = 0
    void_lookups: int = 0
    validated_names: dict[str, str] = field(default_factory=dict)

    # -- DNS, with the limits ------------------------------------------------

    def count_term(self, term: object) -> None:
        self.lookups += 1
        if self.lookups > self.limits.lookups:
            raise _Abort(
                Result.PERMERROR,
                f"more than {self.limits.lookups} DNS-querying terms (at '{term}'): "
                "RFC 7208 4.6.4",
            )

    def query(self, name: str, rdtype: RdType) -> Exchange[Answer]:
        if not valid_domain(name):
            # A target no DNS query can be composed from (an empty or over-long label,
            # perhaps from a macro) is treated as non-existent: RFC 7208 4.3, 4.8.
            return Answer(name, rdtype, (), nxdomain=True)
        if self.answer_now is not None:
            try:
                return self.answer_now(name, rdtype)
            except DnsError as exc:
                raise _Abort(Result.TEMPERROR, f"DNS error: {exc}") from None
        (outcome,) = yield ((name, rdtype),)
        if isinstance(outcome, DnsError):
            raise _Abort(Result.TEMPERROR, f"DNS error: {outcome}")
        return outcome

    def query_counting_void(self, name: str, rdtype: RdType) -> Exchange[Answer]:
        answer = yield from self.query(name, rdtype)
        if answer.void:
            self.count_void(name, rdtype)
        return answer

    def count_void(self, name: str, rdtype: RdType) -> None:
        self.void_lookups += 1
        if self.void_lookups > self.limits.void_lookups:
            raise _Abort(
                Result.PERMERROR,
                f"more than {self.limits.void_lookups} void lookups (the last: {name} "
                f"{rdtype}): RFC 7208 4.6.4",
            )

    def addresses(self, name: str, *, count_void: bool) -> Exchange[list[IPAddress]]:
        rdtype = RdType.A if self.ip.version == 4 else RdType.AAAA
        if count_void:
            answer = yield from self.query_counting_void(name, rdtype)
        else:
            answer = yield from self.query(name, rdtype)
        return [address for address in map(_address, answer.records) if address is not None]

    # -- the algorithm -------------------------------------------------------

    def check_host(
        self, domain: str, *, top: bool
    ) -> Exchange[tuple[Result, str, str | None, str | None]]:
        """Returns (result, reason, matching mechanism, explanation)."""
        domain = normalize_name(domain)
        if not valid_domain(domain):
            return Result.NONE, f"{domain!r} is not a valid multi-label domain name", None, None
        answer = yield from self.query(domain, RdType.TXT)
        records = _spf_records(answer.records)
        if not records:
            where = "does not exist" if answer.nxdomain else "has no SPF record"
            return Result.NONE, f"{domain} {where}", None, None
        if len(records) > 1:
            return (Result.PERMERROR,
                    f"{domain} publishes {len(records)} SPF records; exactly one is allowed (4.5)",
                    None, None)
        try:
            program = _compile(records[0])
        except SpfSyntaxError as exc:
            return Result.PERMERROR, f"{domain}: {exc}", None, None
        context = MacroContext(self.sender, domain, self.ip, self.helo, self.receiver)

        version, bits = self.ip.version, self.ip_bits
        for step in program.steps:
            if step.version:  # ip4/ip6: no DNS, compared as integers
                matched = step.version == version and bits >> step.shift == step.network
            else:
                matched = step.kind is Kind.ALL or (yield from self.matches(step, context))
            if matched:
                explanation = None
                if step.result is Result.FAIL and top:
                    explanation = yield from self.explain(program.record, context)
                return step.result, f"matched '{step.text}' in {domain}", step.text, explanation

        redirect = program.redirect
        if redirect is not None:
            self.count_term(redirect)
            target = truncate_domain(
                (yield from expand(redirect.value, context, self.ptr_name(context))))
            result, reason, mech, explanation = yield from self.check_host(target, top=top)
            if result is Result.NONE:
                return Result.PERMERROR, f"redirect={target}: {reason}", None, None
            return result, reason, mech, explanation
        return Result.NEUTRAL, f"no mechanism matched in {domain}", None, None

    def matches(self, step: _Step, context: MacroContext) -> Exchange[bool]:
        """Whether a DNS-querying mechanism matches (all, ip4 and ip6 are done inline)."""
        mechanism, kind = step.mechanism, step.kind
        self.count_term(step.text)
        if step.target is not None:
            target = step.target
        elif mechanism.domain is not None:
            target = truncate_domain(
                (yield from expand(mechanism.domain, context, self.ptr_name(context)))
            )
        else:
            target = context.domain
        if kind is Kind.INCLUDE:
            result, reason, _, _ = yield from self.check_host(target, top=False)
            if result is Result.PASS:
                return True
            if result is Result.TEMPERROR:
                raise _Abort(Result.TEMPERROR, f"include:{target}: {reason}")
            if result in (Result.PERMERROR, Result.NONE):
                raise _Abort(Result.PERMERROR, f"include:{target}: {reason}")
            return False
        if kind is Kind.A:
            addresses = yield from self.addresses(target, count_void=True)
            return self.in_networks(addresses, mechanism)
        if kind is Kind.MX:
            answer = yield from self.query_counting_void(target, RdType.MX)
            hosts = answer.mx_hosts()
            if len(hosts) > self.limits.mx_names:
                raise _Abort(
                    Result.PERMERROR,
                    f"mx:{target} has {len(hosts)} MX names; at most "
                    f"{self.limits.mx_names} may be looked up (4.6.4)",
                )
            for host in hosts:
                addresses = yield from self.addresses(host, count_void=False)
                if self.in_networks(addresses, mechanism):
                    return True
            return False
        if kind is Kind.EXISTS:
            # exists always asks for A records, whatever the client's address family (5.7).
            answer = yield from self.query_counting_void(target, RdType.A)
            return not answer.void
        # ptr (5.5): the validated names of the client, then a suffix match.
        target = normalize_name(target)
        return any(
            name == target or name.endswith("." + target)
            for name in (yield from self.validated(context, target, count_void=True))
        )

    def in_networks(self, addresses: list[IPAddress], mechanism: Mechanism) -> bool:
        """Whether any address shares the client's first ``cidr`` bits (5.3, 5.4)."""
        if self.ip.version == 4:
            bits, prefix = 32, 32 if mechanism.ip4_cidr is None else mechanism.ip4_cidr
        else:
            bits, prefix = 128, 128 if mechanism.ip6_cidr is None else mechanism.ip6_cidr
        shift = bits - prefix
        client = int(self.ip) >> shift
        return any(address.version == self.ip.version and int(address) >> shift == client
                   for address in addresses)

    def validated(
        self, context: MacroContext, target: str | None, *, count_void: bool = False
    ) -> Exchange[list[str]]:
        """The client's validated domain names (5.5), preferring those under ``target``.

        ``count_void``: the lookup is a ``ptr`` term's, so an empty answer is one of the
        void lookups of 4.6.4 (the ``%{p}`` macro's lookup is not a term's).
        """
        reverse = ipaddress.ip_address(self.ip).reverse_pointer
        try:
            answer = yield from ask(reverse, RdType.PTR)
        except DnsError:
            return []  # a DNS error during the PTR lookup: the mechanism does not match
        if count_void and answer.void:
            self.count_void(reverse, RdType.PTR)
        names = [normalize_name(name) for name in answer.records]
        if target is not None:
            # Check names under the target first so the 10-name cap drops others (4.6.4).
            names.sort(key=lambda n: not (n == target or n.endswith("." + target)))
        out: list[str] = []
        for name in names[: self.limits.ptr_names]:
            try:
                addresses = yield from self.addresses(name, count_void=False)
            except _Abort:
                continue  # an error looking up one name: skip it
            if self.ip in addresses:
                out.append(name)
        return out

    def ptr_name(self, context: MacroContext) -> _PtrMacro:
        return _PtrMacro(self, context)

    def explain(self, record: Record, context: MacroContext) -> Exchange[str | None]:
        """The exp= explanation (6.2), or None when there is none or it is unusable."""
        exp = record.exp
        if exp is None:
            return None
        try:
            name = truncate_domain(
                (yield from expand(exp.value, context, self.ptr_name(context))))
            if not valid_domain(name):
                return None
            answer = yield from ask(name, RdType.TXT)
        except (DnsError, _Abort):
            return None
        if len(answer.records) != 1:
            return None
        text = answer.records[0]
        if not text.isascii():
            return None
        try:
            return (yield from expand(parse_explanation(text), context, self.ptr_name(context)))
        except SpfSyntaxError:
            return None


@dataclass(frozen=True, slots=True)
class _Step:
    """A mechanism made ready to evaluate: its text, its result, and for ip4/ip6
    the network as an integer (the address shifted right by ``shift`` bits)."""

    mechanism: Mechanism
    kind: Kind
    text: str
    result: Result
    target: str | None = None  # a domain-spec without macros, normalised
    version: int = 0  # 4 or 6 for ip4/ip6 terms, else 0
    network: int = 0
    shift: int = 0


@dataclass(frozen=True, slots=True)
class _Program:
    record: Record
    steps: tuple[_Step, ...]
    redirect: Modifier | None  # only when there is no "all": else it is never used


@lru_cache(maxsize=8192)
def _compile(text: str) -> _Program:
    """Parse a record and prepare it for evaluation, once per distinct text."""
    record = parse(text)
    steps = []
    for mechanism in record.mechanisms:
        result = _QUALIFIER_RESULT[mechanism.qualifier]
        if mechanism.kind in (Kind.IP4, Kind.IP6):
            network = mechanism.network()
            shift = network.max_prefixlen - network.prefixlen
            steps.append(_Step(mechanism, mechanism.kind, str(mechanism), result,
                               version=network.version,
                               network=int(network.network_address) >> shift, shift=shift))
        else:
            literal = mechanism.domain.literal() if mechanism.domain is not None else None
            target = truncate_domain(literal) if literal is not None else None
            steps.append(_Step(mechanism, mechanism.kind, str(mechanism), result, target))
    redirect = record.redirect if record.all is None else None
    return _Program(record, tuple(steps), redirect)


class _PtrMacro:
    """Answers ``%{p}``: a validated name of the client, or ``unknown`` (7.3)."""

    def __init__(self, evaluation: _Evaluation, context: MacroContext) -> None:
        self.evaluation = evaluation
        self.context = context

    def __call__(self) -> Exchange[str]:
        domain = self.context.domain
        cached = self.evaluation.validated_names.get(domain)
        if cached is not None:
            return cached
        names = yield from self.evaluation.validated(self.context, domain)
        best = next((n for n in names if n == domain), None) or next(
            (n for n in names if n.endswith("." + domain)), None) or (names[0] if names else None)
        value = best or "unknown"
        self.evaluation.validated_names[domain] = value
        return value


@lru_cache(maxsize=8192)
def _address(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


@lru_cache(maxsize=8192)
def valid_domain(name: str) -> bool:
    """A multi-label name whose labels are 1-63 octets (4.3): others give none.

    Any octets are a DNS name: a macro that expands ``%{h}`` to an address literal
    (``[192.0.2.1].example.net``) gives a name that is queried like any other. Only the
    identity itself (a HELO that is an address literal) is not a domain: see ``evaluate``.
    """
    if name.endswith("."):
        name = name[:-1]
    if not name or len(name) > 253:
        return False
    labels = name.split(".")
    return len(labels) >= 2 and all(0 < len(label) <= 63 for label in labels)


@lru_cache(maxsize=4096)
def _spf_records(values: tuple[str, ...]) -> tuple[str, ...]:
    """The SPF records among a name's TXT values (4.5); providers' answers recur."""
    return tuple(text for text in values if is_spf(text))


def parse_ip(ip: str | IPAddress) -> IPAddress:
    """The client address; IPv4-mapped IPv6 addresses are treated as IPv4."""
    address: IPAddress
    if isinstance(ip, str):
        try:  # the common case, ten times faster than ipaddress's own parser
            address = ipaddress.IPv4Address(socket.inet_pton(socket.AF_INET, ip))
        except OSError:
            address = ipaddress.ip_address(ip)
    else:
        address = ip
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def evaluate(
    ip: str | IPAddress,
    domain: str,
    sender: str,
    *,
    helo: str = "unknown",
    receiver: str = "unknown",
    limits: Limits = RFC_LIMITS,
    answer_now: Callable[[str, RdType], Answer] | None = None,
) -> Exchange[SpfResult]:
    """RFC 7208 section 4, as an engine: the SPF result for mail from ``sender`` at ``ip``.

    ``domain`` is the domain whose record is checked: the sender's domain for
    the MAIL FROM identity, the HELO name for the HELO identity. A sender
    without a local-part is treated as ``postmaster@<domain>``. Run it with
    ``check_host``/``check_host_sync``, or inside another engine (``yield from``).
    ``answer_now``: a synchronous resolver's ``answer``, asked directly (the
    engine then yields only the questions it cannot answer that way).
    """
    address = parse_ip(ip)
    local, at, sender_domain = sender.rpartition("@")
    if not at:
        local, sender_domain = "", sender
    sender = f"{local or 'postmaster'}@{sender_domain}"
    evaluation = _Evaluation(address, sender, helo, receiver, limits, int(address), answer_now)
    domain = normalize_name(domain)
    try:
        if domain.startswith("["):
            # A HELO of an address literal names no domain to check (RFC 7208 2.3, 4.3).
            result, reason, mechanism, explanation = (
                Result.NONE, f"{domain} is an address literal, not a domain", None, None)
        else:
            result, reason, mechanism, explanation = yield from evaluation.check_host(
                domain, top=True)
    except _Abort as abort:
        result, reason, mechanism, explanation = abort.result, abort.reason, None, None
    return SpfResult(
        result=result,
        domain=domain,
        reason=reason,
        explanation=explanation,
        mechanism=mechanism,
        lookups=evaluation.lookups,
        void_lookups=evaluation.void_lookups,
    )


def identity_of(sender: str, helo: str) -> tuple[str, str]:
    """Section 2.3/2.4: (domain, sender) to check: MAIL FROM, or HELO when it is empty."""
    if sender:
        return sender.rpartition("@")[2], sender
    return helo, f"postmaster@{helo}"


async def check_host(
    ip: str | IPAddress,
    domain: str,
    sender: str,
    resolver: Resolver,
    *,
    helo: str = "unknown",
    receiver: str = "unknown",
    limits: Limits = RFC_LIMITS,
) -> SpfResult:
    """``evaluate`` through any resolver, under asyncio."""
    return await run_async(evaluate(ip, domain, sender, helo=helo, receiver=receiver,
                                    limits=limits), resolver)


def check_host_sync(
    ip: str | IPAddress,
    domain: str,
    sender: str,
    resolver: SyncResolver,
    *,
    helo: str = "unknown",
    receiver: str = "unknown",
    limits: Limits = RFC_LIMITS,
) -> SpfResult:
    """``evaluate`` through a resolver that answers at once (memory, zone files)."""
    return run(evaluate(ip, domain, sender, helo=helo, receiver=receiver, limits=limits,
                        answer_now=resolver.answer), resolver)


async def check_identity(
    ip: str | IPAddress,
    sender: str,
    resolver: Resolver,
    *,
    helo: str = "unknown",
    receiver: str = "unknown",
    limits: Limits = RFC_LIMITS,
) -> SpfResult:
    """Section 2.3/2.4: check MAIL FROM, or HELO when the reverse-path is empty."""
    domain, sender = identity_of(sender, helo)
    return await check_host(ip, domain, sender, resolver, helo=helo, receiver=receiver,
                            limits=limits)


def check_identity_sync(
    ip: str | IPAddress,
    sender: str,
    resolver: SyncResolver,
    *,
    helo: str = "unknown",
    receiver: str = "unknown",
    limits: Limits = RFC_LIMITS,
) -> SpfResult:
    """``check_identity`` through a resolver that answers at once."""
    domain, sender = identity_of(sender, helo)
    return check_host_sync(ip, domain, sender, resolver, helo=helo, receiver=receiver,
                           limits=limits)
