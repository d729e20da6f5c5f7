"""``check_host()``: evaluate SPF for a client address, exactly as RFC 7208 says.

The evaluation is written once, as plain functions over DNS answers (``_Evaluation``),
and does no I/O. Each question is asked of one function, ``answer_now``: a synchronous
resolver's ``answer`` when the caller has one (``check_host_sync``: memory, zone files),
or a lookup in the answers fetched so far (``_Known``), where a question not answered yet
stops the evaluation (``_Missing``). ``evaluate`` is the engine face (``mailzone.dns.exchange``):
it yields that question, is sent its outcome, and runs the evaluation again from the
start with one more answer known, until it ends. The same answers give the same steps,
so a replay repeats the work already done in microseconds, against the milliseconds of
the DNS round trip it waited for; and the path that must be fast, an offline resolver,
runs once, straight through, without a generator, a coroutine or an exception per
question (the chain of generators this replaced made one per record, per term and per
question, even when an offline resolver answered at once).

Limits of section 4.6.4 are shared by the whole evaluation, includes and redirects
included.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import NamedTuple

from mailzone.dns.exchange import Exchange, Outcome, Question, run_async
from mailzone.dns.resolver import Answer, RdType, Resolver, SyncResolver, normalize_name
from mailzone.errors import DnsError, SpfSyntaxError
from mailzone.spf.macro import MacroContext, expand, truncate_domain
from mailzone.spf.parser import is_spf, parse, parse_explanation
from mailzone.spf.terms import IPAddress, Kind, Mechanism, Modifier, Qualifier


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

# A member read through its enum class costs a call of the metaclass's lookup (EnumType
# has a ``__getattr__``: 60 ns on Python 3.11, ten times a global's), so the evaluation
# reads the members it needs as module constants.
_NONE, _NEUTRAL, _PASS, _FAIL = Result.NONE, Result.NEUTRAL, Result.PASS, Result.FAIL
_SOFTFAIL, _TEMPERROR, _PERMERROR = Result.SOFTFAIL, Result.TEMPERROR, Result.PERMERROR
_A, _AAAA, _MX, _PTR, _TXT = RdType.A, RdType.AAAA, RdType.MX, RdType.PTR, RdType.TXT
_KIND_INCLUDE, _KIND_A, _KIND_MX, _KIND_EXISTS = Kind.INCLUDE, Kind.A, Kind.MX, Kind.EXISTS


class SpfResult(NamedTuple):
    """The outcome of ``check_host()``.

    ``reason`` says in words why (which term matched, or what went wrong);
    ``mechanism`` is the matching term and ``domain`` the record it was in. A named
    tuple: one is made per evaluation, and a frozen dataclass cost four times as much
    to build (0.8 µs, a twentieth of an evaluation).
    """

    result: Result
    domain: str
    reason: str
    explanation: str | None = None
    mechanism: str | None = None
    lookups: int = 0
    void_lookups: int = 0


#: ``_tuple_new(SpfResult, fields)`` is ``SpfResult(*fields)`` without the Python-level
#: ``__new__`` a named tuple is given (a quarter of a microsecond, once per evaluation).
_tuple_new = tuple.__new__


class _Abort(Exception):
    """Ends the evaluation with temperror or permerror: ``_Abort(result, reason)``.

    The two are its ``args``: an ``__init__`` of its own (a Python-level call) made
    raising one cost twice as much, and the permerrors of a long include chain are
    common.
    """

    args: tuple[Result, str]


class _Missing(Exception):
    """The evaluation needs the answer to ``question``, and it has not been fetched yet."""

    def __init__(self, question: Question) -> None:
        super().__init__(question)
        self.question = question


#: The client: (address, its family (4 or 6), its bits as an integer), what matching
#: compares. A plain tuple: unpacking a named tuple does not specialise.
_Client = tuple[IPAddress, int, int]


#: How the evaluation asks a question: a synchronous resolver's ``answer``, or the engine
#: face's lookup in the answers fetched so far (``_Known``). Either raises ``DnsError``.
AnswerNow = Callable[[str, RdType], Answer]

#: (result, reason, matching mechanism, the exp= of the record it matched in, the domain
#: of that record) of one record's evaluation. The reason is None where a mechanism
#: matched: it is then ``matched '<mechanism>' in <domain>``, written once at the end (an
#: include's verdict is read and dropped, so most would be written for nothing); so is
#: the explanation, which only the verdict of the whole evaluation can need (6.2).
_Verdict = tuple[Result, str | None, str | None, Modifier | None, str]


class _Known:
    """The engine face's answers: those fetched so far; a question not among them stops
    the evaluation (``_Missing``), to be run again once it is answered."""

    __slots__ = ("outcomes",)

    def __init__(self) -> None:
        self.outcomes: dict[Question, Outcome] = {}

    def answer(self, name: str, rdtype: RdType) -> Answer:
        try:
            outcome = self.outcomes[(name, rdtype)]
        except KeyError:
            raise _Missing((name, rdtype)) from None
        if isinstance(outcome, DnsError):
            # Raised again at every replay: without its last traceback, which would
            # otherwise grow by the frames of each one.
            raise outcome.with_traceback(None)
        return outcome


class _Evaluation:
    """The state one ``check_host()`` shares with its includes and redirects."""

    __slots__ = ("answer_now", "bits", "helo", "ip", "limits", "lookups", "max_lookups",
                 "receiver", "sender", "validated_names", "version", "void_lookups")

    def __init__(self, client: _Client, sender: str, helo: str, receiver: str,
                 limits: Limits, answer_now: AnswerNow) -> None:
        self.ip, self.version, self.bits = client
        self.sender = sender
        self.helo = helo
        self.receiver = receiver
        self.limits = limits
        self.max_lookups = limits.lookups  # read for every DNS-querying term
        self.answer_now = answer_now
        self.lookups = 0
        self.void_lookups = 0
        self.validated_names: dict[str, str] | None = None  # made by the first %{p}

    # -- DNS, with the limits ------------------------------------------------

    def outcome(self, name: str, rdtype: RdType) -> Outcome:
        """The answer or the error for a question; ``_Missing`` when not fetched yet."""
        try:
            return self.answer_now(name, rdtype)
        except DnsError as exc:
            return exc

    def count_term(self, term: object) -> None:
        """Counts a DNS-querying term; past the limit, the evaluation ends (permerror)."""
        self.lookups += 1
        if self.lookups > self.max_lookups:
            raise self.too_many_terms(term)

    def too_many_terms(self, term: object) -> _Abort:
        return _Abort(
            _PERMERROR,
            f"more than {self.limits.lookups} DNS-querying terms (at '{term}'): RFC 7208 4.6.4",
        )

    def query(self, name: str, rdtype: RdType) -> Answer:
        if not valid_domain(name):
            # A target no DNS query can be composed from (an empty or over-long label,
            # perhaps from a macro) is treated as non-existent: RFC 7208 4.3, 4.8.
            return Answer(name, rdtype, (), nxdomain=True)
        try:
            return self.answer_now(name, rdtype)
        except DnsError as exc:
            raise _Abort(_TEMPERROR, f"DNS error: {exc}") from None

    def query_counting_void(self, name: str, rdtype: RdType) -> Answer:
        answer = self.query(name, rdtype)
        if not answer.records:
            self.count_void(name, rdtype)
        return answer

    def count_void(self, name: str, rdtype: RdType) -> None:
        self.void_lookups += 1
        if self.void_lookups > self.limits.void_lookups:
            raise _Abort(
                _PERMERROR,
                f"more than {self.limits.void_lookups} void lookups (the last: {name} "
                f"{rdtype}): RFC 7208 4.6.4",
            )

    def addresses(self, name: str, *, count_void: bool) -> list[tuple[int, int]]:
        """The (family, bits) of the addresses of ``name`` in the client's family."""
        rdtype = _A if self.version == 4 else _AAAA
        records = self.query(name, rdtype).records
        if not records:
            if count_void:
                self.count_void(name, rdtype)
            return []
        return [bits for bits in map(_address_bits, records) if bits is not None]

    def context(self, domain: str) -> MacroContext:
        """What the macros of the record at ``domain`` expand to (only built for them)."""
        return MacroContext(self.sender, domain, self.ip, self.helo, self.receiver)

    # -- the algorithm -------------------------------------------------------

    def check_host(self, domain: str) -> _Verdict:
        """The record at ``domain`` (normalised: ``normalize_name``) for the client."""
        return self.record(domain) if valid_domain(domain) else _not_a_domain(domain)

    def record(self, domain: str) -> _Verdict:
        """``check_host`` for a ``domain`` known to be valid (a compiled include's)."""
        answer_now = self.answer_now  # a local: a method call on a slot does not specialise
        try:
            answer = answer_now(domain, _TXT)
        except DnsError as exc:
            raise _Abort(_TEMPERROR, f"DNS error: {exc}") from None
        try:
            program = _PUBLISHED[answer.records]
        except KeyError:
            program = _publish(answer.records)
        if program.refusal is not None:
            return program.refusal.verdict(domain, nxdomain=answer.nxdomain)

        # The loop every record runs: ip4/ip6, literal includes and all are done here,
        # with no call but the include's own record; the other terms in ``matches``.
        version, bits = self.version, self.bits
        for step in program.steps:
            op = step.op
            if op == version:  # ip4/ip6 of the client's family: compared as integers
                if bits >> step.shift != step.network:
                    continue
            elif op == _INCLUDE:
                self.lookups += 1  # count_term, inline
                if self.lookups > self.max_lookups:
                    raise self.too_many_terms(step.text)
                verdict = self.record(step.name)
                result = verdict[0]
                if result is not _PASS:
                    if result in _NO_MATCH:
                        continue
                    assert step.target is not None  # an _INCLUDE step's is a literal
                    raise _include_error(step.target, verdict)
            elif op == _QUERY:
                if not self.matches(step, domain):
                    continue
            elif op != _MATCH:  # ip4/ip6 of the other family
                continue
            return step.result, None, step.text, program.exp, domain

        redirect = program.redirect
        if redirect is not None:
            self.count_term(redirect)
            context = self.context(domain)
            target = truncate_domain(expand(redirect.value, context, self.ptr_name(context)))
            verdict = self.check_host(normalize_name(target))
            if verdict[0] is _NONE:
                return _PERMERROR, f"redirect={target}: {verdict[1]}", None, None, domain
            return verdict
        return _NEUTRAL, f"no mechanism matched in {domain}", None, None, domain

    def matches(self, step: _Step, domain: str) -> bool:
        """Whether a DNS-querying mechanism matches, other than a literal include."""
        mechanism, kind = step.mechanism, step.kind
        self.lookups += 1  # count_term, inline
        if self.lookups > self.max_lookups:
            raise self.too_many_terms(step.text)
        if step.target is not None:
            target, name = step.target, step.name
        elif mechanism.domain is not None:
            context = self.context(domain)
            target = truncate_domain(expand(mechanism.domain, context, self.ptr_name(context)))
            name = normalize_name(target)
        else:
            target = name = domain
        if kind is _KIND_INCLUDE:
            verdict = self.check_host(name)
            if verdict[0] is _PASS:
                return True
            if verdict[0] in _NO_MATCH:
                return False
            raise _include_error(target, verdict)
        if kind is _KIND_A:
            return self.in_networks(self.addresses(target, count_void=True), step)
        if kind is _KIND_MX:
            hosts = self.query_counting_void(target, _MX).mx_hosts()
            if len(hosts) > self.limits.mx_names:
                raise _Abort(
                    _PERMERROR,
                    f"mx:{target} has {len(hosts)} MX names; at most "
                    f"{self.limits.mx_names} may be looked up (4.6.4)",
                )
            return any(self.in_networks(self.addresses(host, count_void=False), step)
                       for host in hosts)
        if kind is _KIND_EXISTS:
            # exists always asks for A records, whatever the client's address family (5.7).
            return bool(self.query_counting_void(target, _A).records)
        # ptr (5.5): the validated names of the client, then a suffix match.
        target = normalize_name(target)
        return any(name == target or name.endswith("." + target)
                   for name in self.validated(target, count_void=True))

    def in_networks(self, addresses: list[tuple[int, int]], step: _Step) -> bool:
        """Whether any address shares the client's first ``cidr`` bits (5.3, 5.4)."""
        shift = step.shift4 if self.version == 4 else step.shift6
        family, network = self.version, self.bits >> shift
        return any(version == family and bits >> shift == network for version, bits in addresses)

    def validated(self, target: str | None, *, count_void: bool = False) -> list[str]:
        """The client's validated domain names (5.5), preferring those under ``target``.

        ``count_void``: the lookup is a ``ptr`` term's, so an empty answer is one of the
        void lookups of 4.6.4 (the ``%{p}`` macro's lookup is not a term's).
        """
        reverse = self.ip.reverse_pointer
        answer = self.outcome(reverse, _PTR)
        if isinstance(answer, DnsError):
            return []  # a DNS error during the PTR lookup: the mechanism does not match
        if count_void and not answer.records:
            self.count_void(reverse, _PTR)
        names = [normalize_name(name) for name in answer.records]
        if target is not None:
            # Check names under the target first so the 10-name cap drops others (4.6.4).
            names.sort(key=lambda n: not (n == target or n.endswith("." + target)))
        client = (self.version, self.bits)
        out: list[str] = []
        for name in names[: self.limits.ptr_names]:
            try:
                addresses = self.addresses(name, count_void=False)
            except _Abort:
                continue  # an error looking up one name: skip it
            if client in addresses:
                out.append(name)
        return out

    def ptr_name(self, context: MacroContext) -> Callable[[], str]:
        """What answers ``%{p}`` in ``context``: a validated name of the client, or
        ``unknown`` (7.3), looked up only if a macro asks for it."""

        def validated_name() -> str:
            domain = context.domain
            if self.validated_names is None:
                self.validated_names = {}
            cached = self.validated_names.get(domain)
            if cached is not None:
                return cached
            names = self.validated(domain)
            best = next((n for n in names if n == domain), None) or next(
                (n for n in names if n.endswith("." + domain)), None) or (
                names[0] if names else None)
            value = best or "unknown"
            self.validated_names[domain] = value
            return value

        return validated_name

    def explain(self, exp: Modifier, context: MacroContext) -> str | None:
        """The exp= explanation (6.2), or None when there is none or it is unusable."""
        try:
            name = truncate_domain(expand(exp.value, context, self.ptr_name(context)))
        except _Abort:
            return None
        if not valid_domain(name):
            return None
        answer = self.outcome(name, _TXT)
        if isinstance(answer, DnsError) or len(answer.records) != 1:
            return None
        text = answer.records[0]
        if not text.isascii():
            return None
        try:
            return expand(parse_explanation(text), context, self.ptr_name(context))
        except SpfSyntaxError:
            return None


def _not_a_domain(domain: str) -> _Verdict:
    """The verdict of a name no DNS query can be composed from (4.3): none."""
    return (_NONE, f"{domain!r} is not a valid multi-label domain name", None, None,
            domain)


#: An include's results that are no match (5.2); pass matches, the others are errors.
_NO_MATCH = frozenset({_FAIL, _SOFTFAIL, _NEUTRAL})


def _include_error(target: str, verdict: _Verdict) -> _Abort:
    """An include whose record gave temperror, permerror or none (5.2): the error it is."""
    result = _TEMPERROR if verdict[0] is _TEMPERROR else _PERMERROR
    return _Abort(result, f"include:{target}: {verdict[1]}")


#: What a step does (``_Step.op``): ip4 and ip6 are their address family, so the loop
#: compares it with the client's; the others are distinct from both.
_IP4, _IP6, _MATCH, _INCLUDE, _QUERY = 4, 6, 0, 1, 2


@dataclass(frozen=True, slots=True)
class _Step:
    """A mechanism made ready to evaluate: what it does (``op``), its text, its result,
    and for ip4/ip6 the network as an integer (the address shifted right by ``shift``
    bits); for a and mx, the shifts of their CIDR lengths."""

    mechanism: Mechanism
    kind: Kind
    op: int
    text: str
    result: Result
    target: str | None = None  # a domain-spec without macros, truncated (7.3)
    name: str = ""  # the target as asked: normalised
    network: int = 0
    shift: int = 0
    shift4: int = 0  # a and mx: 32 - the IPv4 CIDR length
    shift6: int = 0  # a and mx: 128 - the IPv6 CIDR length


class _Refusal(NamedTuple):
    """Why a name's TXT values give no record to evaluate (4.5): how many SPF records
    there are (none, or several), or the error of the one that does not parse."""

    records: int
    error: str | None = None

    def verdict(self, domain: str, *, nxdomain: bool) -> _Verdict:
        if self.records == 0:
            where = "does not exist" if nxdomain else "has no SPF record"
            return _NONE, f"{domain} {where}", None, None, domain
        if self.records > 1:
            return (_PERMERROR, f"{domain} publishes {self.records} SPF records; "
                    "exactly one is allowed (4.5)", None, None, domain)
        return _PERMERROR, f"{domain}: {self.error}", None, None, domain


@dataclass(frozen=True, slots=True)
class _Program:
    """What a name's TXT values publish for SPF, ready to evaluate: the steps of its one
    record, or the ``refusal`` that stands for it (then there are no steps)."""

    steps: tuple[_Step, ...]
    redirect: Modifier | None  # only when there is no "all": else it is never used
    exp: Modifier | None
    refusal: _Refusal | None = None


#: TXT values -> what they publish; providers' answers recur. A plain dict read by
#: subscript (cheaper than an ``lru_cache`` call, once per record visited), emptied when
#: it grows past ``_PUBLISHED_MAX`` texts.
_PUBLISHED: dict[tuple[str, ...], _Program] = {}
_PUBLISHED_MAX = 8192


def _publish(values: tuple[str, ...]) -> _Program:
    """The SPF record among a name's TXT values (4.5), compiled, and kept."""
    records = [text for text in values if is_spf(text)]
    if len(records) != 1:
        program = _Program((), None, None, _Refusal(len(records)))
    else:
        try:
            program = _compile(records[0])
        except SpfSyntaxError as exc:
            program = _Program((), None, None, _Refusal(1, str(exc)))
    if len(_PUBLISHED) >= _PUBLISHED_MAX:
        _PUBLISHED.clear()
    _PUBLISHED[values] = program
    return program


@lru_cache(maxsize=8192)
def _compile(text: str) -> _Program:
    """Parse a record and prepare it for evaluation, once per distinct text."""
    record = parse(text)
    steps = []
    for mechanism in record.mechanisms:
        result = _QUALIFIER_RESULT[mechanism.qualifier]
        kind = mechanism.kind
        if kind in (Kind.IP4, Kind.IP6):
            network = mechanism.network()
            shift = network.max_prefixlen - network.prefixlen
            op = _IP4 if network.version == 4 else _IP6
            steps.append(_Step(mechanism, kind, op, str(mechanism), result,
                               network=int(network.network_address) >> shift, shift=shift))
            continue
        literal = mechanism.domain.literal() if mechanism.domain is not None else None
        target = truncate_domain(literal) if literal is not None else None
        name = normalize_name(target) if target is not None else ""
        if kind is Kind.ALL:
            op = _MATCH
        elif kind is Kind.INCLUDE and target is not None and valid_domain(name):
            op = _INCLUDE  # checked once here, not at every visit
        else:
            op = _QUERY
        shift4 = 32 - (32 if mechanism.ip4_cidr is None else mechanism.ip4_cidr)
        shift6 = 128 - (128 if mechanism.ip6_cidr is None else mechanism.ip6_cidr)
        steps.append(_Step(mechanism, kind, op, str(mechanism), result, target, name,
                           shift4=shift4, shift6=shift6))
    redirect = record.redirect if record.all is None else None
    return _Program(tuple(steps), redirect, record.exp)


@lru_cache(maxsize=8192)
def _address_bits(text: str) -> tuple[int, int] | None:
    """An A/AAAA record's (family, address as an integer); None if it is no address."""
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    return address.version, int(address)


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


def parse_ip(ip: str | IPAddress) -> IPAddress:
    """The client address; IPv4-mapped IPv6 addresses are treated as IPv4."""
    address = _parse_ip_text(ip) if isinstance(ip, str) else ip
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


@lru_cache(maxsize=4096)
def _parse_ip_text(text: str) -> IPAddress:
    # Cached: a receiver sees the same clients again and again, and parsing an IPv6
    # address costs more than a whole evaluation against a provider's record.
    try:  # the common case, ten times faster than ipaddress's own parser
        return ipaddress.IPv4Address(socket.inet_pton(socket.AF_INET, text))
    except OSError:
        return ipaddress.ip_address(text)


@lru_cache(maxsize=4096)
def _client(ip: str | IPAddress) -> _Client:
    address = parse_ip(ip)
    return address, address.version, int(address)


def _evaluate(client: _Client, domain: str, sender: str, helo: str, receiver: str,
              limits: Limits, answer_now: AnswerNow) -> SpfResult:
    """One run of the evaluation over the answers ``answer_now`` has (see the module's
    docstring); raises ``_Missing`` for the first question it cannot answer."""
    evaluation = _Evaluation(client, sender, helo, receiver, limits, answer_now)
    verdict: _Verdict
    explanation = None
    try:
        if domain.startswith("["):
            # A HELO of an address literal names no domain to check (RFC 7208 2.3, 4.3).
            verdict = (_NONE, f"{domain} is an address literal, not a domain", None,
                       None, domain)
        else:  # check_host(), its call saved: once per evaluation
            verdict = evaluation.record(domain) if valid_domain(domain) else _not_a_domain(
                domain)
            exp = verdict[3]
            if exp is not None and verdict[0] is _FAIL:
                explanation = evaluation.explain(exp, evaluation.context(verdict[4]))
    except _Abort as abort:
        verdict = *abort.args, None, None, domain
    result, reason, mechanism, _, where = verdict
    return _tuple_new(SpfResult, (result, domain, reason or f"matched '{mechanism}' in {where}",
                                  explanation, mechanism, evaluation.lookups,
                                  evaluation.void_lookups))


def _with_local_part(sender: str) -> str:
    """A sender without a local-part is treated as ``postmaster@<domain>`` (4.3)."""
    local, at, sender_domain = sender.rpartition("@")
    if not at:
        return f"postmaster@{sender}"
    return sender if local else f"postmaster@{sender_domain}"


def identity_of(sender: str, helo: str) -> tuple[str, str]:
    """Section 2.3/2.4: (domain, sender) to check: MAIL FROM, or HELO when it is empty;
    the domain normalised, the sender with ``postmaster`` for a missing local-part."""
    if not sender:
        return normalize_name(helo), f"postmaster@{helo}"
    local, _, domain = sender.rpartition("@")
    return normalize_name(domain), sender if local else f"postmaster@{domain}"


def evaluate(
    ip: str | IPAddress,
    domain: str,
    sender: str,
    *,
    helo: str = "unknown",
    receiver: str = "unknown",
    limits: Limits = RFC_LIMITS,
    answer_now: AnswerNow | None = None,
) -> Exchange[SpfResult]:
    """RFC 7208 section 4, as an engine: the SPF result for mail from ``sender`` at ``ip``.

    ``domain`` is the domain whose record is checked: the sender's domain for
    the MAIL FROM identity, the HELO name for the HELO identity. A sender
    without a local-part is treated as ``postmaster@<domain>``. Run it with
    ``check_host``/``check_host_sync``, or inside another engine (``yield from``).
    ``answer_now``: a synchronous resolver's ``answer``, asked directly (the
    engine then yields no question).
    """
    client, domain, sender = _client(ip), normalize_name(domain), _with_local_part(sender)
    if answer_now is not None:
        return _evaluate(client, domain, sender, helo, receiver, limits, answer_now)
    known = _Known()
    while True:
        try:
            return _evaluate(client, domain, sender, helo, receiver, limits, known.answer)
        except _Missing as missing:
            (outcome,) = yield (missing.question,)
            known.outcomes[missing.question] = outcome


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
    """``evaluate`` through a resolver that answers at once (memory, zone files): one run,
    every question asked of the resolver directly."""
    return _evaluate(_client(ip), normalize_name(domain), _with_local_part(sender), helo,
                     receiver, limits, resolver.answer)


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
    return _evaluate(_client(ip), domain, sender, helo, receiver, limits, resolver.answer)
