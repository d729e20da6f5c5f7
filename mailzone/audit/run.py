"""The live audit behind ``mailzone check``: what the world sees of a mail domain.

``Audit`` checks domains through one shared ``Resolver`` (normally a
``LiveResolver``, whose cache makes each (name, type) a single query per run
whatever the number of domains sharing it). Per domain it looks at:

- SPF: the TXT values at the domain, exactly one ``v=spf1`` record, the lint
  findings of ``mailzone.spf.lint``, the lookup budget of the whole live
  include tree (``mailzone.spf.budget.walk``: lookups, void lookups, loops,
  missing includes, IP literals in the domain's own records versus inside
  third parties' includes), the record's size against 450/512 octets and the
  size of the whole TXT answer. ``status`` says what a receiver gets from the
  record whatever the client: ``none``, ``ok``, ``permerror`` or ``temperror``.
- DMARC: the record at ``_dmarc.<domain>`` (or, when there is none, at the
  organisational domain, ``mailzone.mail.dmarc.organisational_domain``), its syntax and
  policy (``mailzone.mail.dmarc``), report destinations outside the domain and
  whether each authorises them at ``<domain>._report._dmarc.<dest>``, and
  SPF alignment of the MAIL FROM domain.
- MX: the exchanges and their addresses, or a null MX (``0 .``, RFC 7505) for
  a domain that takes no mail, which must come with ``v=spf1 -all``.
- The MAIL FROM domain, when known (``Target.mail_from``): its MX (bounces
  come back there) and its SPF, checked as the domain's own.
- DKIM: the key record of each selector in ``Target.dkim_selectors``.
- With ``AuditOptions.ip``: the ``check_host()`` result for mail from that
  address, for the MAIL FROM domain when known and for the domain itself.

Faults are answers. Every DNS failure becomes a finding (SPF: temperror);
``AuditOptions.domain_timeout`` bounds each domain's checks, after which the
unfinished parts are reported as such; ``AuditOptions.query_cap`` bounds the
distinct questions one domain may ask (an include tree built to explode, a
"lookup bomb", stops there with a finding). A domain's failure never touches
another's: each domain's questions go through its own view of the shared
resolver, shielded so that cancelling one domain never cancels a query another
domain waits for.

This module is the core: no output, no rich, no argument parsing.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import ipaddress
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from mailzone.dns.resolver import Answer, RdType, Resolver, normalize_name
from mailzone.dns.txt import MAX_STRING, octets
from mailzone.errors import DnsError, QueryCapReached, SpfSyntaxError
from mailzone.findings import Finding, Severity, has_errors, unique
from mailzone.mail.dkim import dkim_name, parse_dkim_tags, rsa_key_bits
from mailzone.mail.dmarc import (
    Alignment,
    DmarcSyntaxError,
    authorisation_name,
    external_destinations,
    is_dmarc_record,
    organisational_domain,
    parse_dmarc,
    record_name,
    validate_dmarc,
)
from mailzone.registry import (
    CHECK_DNS_ERROR,
    CHECK_INTERNAL_ERROR,
    CHECK_IP_RESULT,
    CHECK_QUERY_CAP,
    CHECK_TIMEOUT,
    CHECK_TXT_ANSWER_SIZE,
    DKIM_KEY_TYPE,
    DKIM_MISSING,
    DKIM_MULTIPLE,
    DKIM_NOT_CHECKED,
    DKIM_REVOKED,
    DKIM_SHA1,
    DKIM_SYNTAX,
    DKIM_TESTING,
    DKIM_WEAK_KEY,
    DMARC_MISSING,
    DMARC_MULTIPLE,
    DMARC_RUA_UNAUTHORISED,
    DMARC_SPF_UNALIGNED,
    MX_HOST_VOID,
    MX_IP_LITERAL,
    MX_MAIL_FROM_MISSING,
    MX_MAIL_FROM_NULL,
    MX_MISSING,
    MX_NULL_MIXED,
    MX_NULL_SPF,
    REGISTRY,
    SPF_DNS_ERROR,
    SPF_IP_LITERAL,
    SPF_MISSING,
    Face,
    Rule,
)
from mailzone.spf.budget import Budget, walk
from mailzone.spf.check import check_host
from mailzone.spf.lint import UDP_SIZE, lint_txt_values
from mailzone.spf.parser import is_spf, parse
from mailzone.spf.terms import Kind, Qualifier

DEFAULT_DOMAIN_TIMEOUT = 30.0
#: Distinct questions one area of one domain may ask. RFC 7208 allows 10 lookups; a tree
#: ten times larger is still reported in full, beyond that it is a lookup bomb.
DEFAULT_QUERY_CAP = 100
MAX_MX_HOSTS = 10



# -- what a run is given -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Target:
    """One domain to check, with what is known about it beyond its name.

    ``mail_from``: the MAIL FROM (envelope sender) domain its mail uses, when
    known. ``dkim_selectors``: the selectors whose keys to check.
    ``ses_identity``: an SES identity signs for it with Easy DKIM (from a
    stack); without selectors that is said in a ``dkim-not-checked`` warning.
    ``origin``: where the target came from (``domains.txt:12``), for messages.
    """

    domain: str
    mail_from: str | None = None
    dkim_selectors: tuple[str, ...] = ()
    ses_identity: bool = False
    origin: str = ""


@dataclass(frozen=True, slots=True)
class AuditOptions:
    ip: str | None = None
    domain_timeout: float = DEFAULT_DOMAIN_TIMEOUT
    query_cap: int = DEFAULT_QUERY_CAP


# -- what a run finds -----------------------------------------------------------------


@dataclass(slots=True)
class SpfFacts:
    """The SPF record at one name (the domain, or its MAIL FROM domain)."""

    name: str
    status: str = "unchecked"  # none, ok, permerror, temperror, unchecked
    reason: str = ""
    values: list[str] = field(default_factory=list)
    txt_answer_octets: int | None = None
    budget: Budget | None = None

    @property
    def record(self) -> str | None:
        return self.values[0] if len(self.values) == 1 else None

    def to_json(self) -> dict[str, Any]:
        budget = self.budget
        return {
            "name": self.name,
            "status": self.status,
            "reason": self.reason,
            "values": self.values,
            "record": self.record,
            "size": octets(self.record) if self.record is not None else None,
            "txt_answer_octets": self.txt_answer_octets,
            "lookups": budget.total if budget is not None else None,
            "void_lookups": budget.void_lookups if budget is not None else [],
            "loops": budget.loops if budget is not None else [],
            "ip_literals": {
                "own": [ip.term for ip in budget.ip_literals if ip.own] if budget else [],
                "third_party": [
                    {"domain": ip.domain, "term": ip.term}
                    for ip in budget.ip_literals if not ip.own
                ] if budget else [],
            },
            "budget": _budget_json(budget) if budget is not None else None,
        }


def _budget_json(budget: Budget) -> dict[str, Any]:
    """The lookup budget as ``mailzone spf tree --json`` gives it, less the flat term list
    (the tree holds the same terms, in order, with their running totals)."""
    data = budget.to_json()
    data.pop("terms", None)
    return data


@dataclass(slots=True)
class DmarcFacts:
    name: str
    status: str = "unchecked"  # ok, missing, multiple, syntax, dns-error, timeout, unchecked
    record: str | None = None
    source: str | None = None  # the name the record was found at
    policy: str | None = None
    subdomain_policy: str | None = None
    pct: int | None = None
    destinations: dict[str, bool | None] = field(default_factory=dict)  # dest -> authorised

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "record": self.record,
            "source": self.source,
            "policy": self.policy,
            "subdomain_policy": self.subdomain_policy,
            "pct": self.pct,
            "external_destinations": [
                {"domain": dest, "authorised": ok} for dest, ok in self.destinations.items()
            ],
        }


@dataclass(slots=True)
class MxFacts:
    name: str
    status: str = "unchecked"  # ok, null, missing, dns-error, timeout, unchecked
    hosts: list[str] = field(default_factory=list)
    addresses: dict[str, list[str]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "status": self.status, "hosts": self.hosts,
                "addresses": self.addresses}


@dataclass(slots=True)
class DkimFacts:
    selector: str
    name: str
    # ok, missing, multiple, syntax, revoked, dns-error, timeout, unchecked
    status: str = "unchecked"
    key_type: str | None = None
    key_bits: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"selector": self.selector, "name": self.name, "status": self.status,
                "key_type": self.key_type, "key_bits": self.key_bits}


@dataclass(frozen=True, slots=True)
class IpResult:
    identity: str  # the domain whose record was evaluated
    result: str
    reason: str
    mechanism: str | None
    lookups: int
    void_lookups: int

    def to_json(self) -> dict[str, Any]:
        return {"identity": self.identity, "result": self.result, "reason": self.reason,
                "mechanism": self.mechanism, "lookups": self.lookups,
                "void_lookups": self.void_lookups}


@dataclass(slots=True)
class DomainReport:
    """Everything found about one domain: facts per area and every finding."""

    domain: str
    index: int = 0
    origin: str = ""
    spf: SpfFacts = field(init=False)
    dmarc: DmarcFacts = field(init=False)
    mx: MxFacts = field(init=False)
    mail_from: str | None = None
    mail_from_spf: SpfFacts | None = None
    mail_from_mx: MxFacts | None = None
    dkim: list[DkimFacts] = field(default_factory=list)
    ip: str | None = None
    ip_results: list[IpResult] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    questions: int = 0  # distinct (name, type) questions this domain's checks asked
    elapsed: float = 0.0
    timed_out: bool = False

    def __post_init__(self) -> None:
        self.spf = SpfFacts(self.domain)
        self.dmarc = DmarcFacts(record_name(self.domain))
        self.mx = MxFacts(self.domain)

    @property
    def has_errors(self) -> bool:
        return has_errors(self.findings)

    @property
    def status(self) -> str:
        if self.has_errors:
            return "error"
        return "warning" if self.findings else "ok"

    def to_json(self) -> dict[str, Any]:
        mail_from: dict[str, Any] | None = None
        if self.mail_from is not None:
            mail_from = {
                "domain": self.mail_from,
                "spf": self.mail_from_spf.to_json() if self.mail_from_spf else None,
                "mx": self.mail_from_mx.to_json() if self.mail_from_mx else None,
            }
        return {
            "domain": self.domain,
            "status": self.status,
            "errors": sum(1 for f in self.findings if f.is_error),
            "warnings": sum(1 for f in self.findings if not f.is_error),
            "elapsed_s": round(self.elapsed, 3),
            "timed_out": self.timed_out,
            "questions": self.questions,
            "spf": self.spf.to_json(),
            "dmarc": self.dmarc.to_json(),
            "mx": self.mx.to_json(),
            "mail_from": mail_from,
            "dkim": [d.to_json() for d in self.dkim],
            "ip": None if self.ip is None else {
                "address": self.ip, "results": [r.to_json() for r in self.ip_results]},
            "findings": [f.to_json() for f in self.findings],
        }


# -- one domain's view of the shared resolver -------------------------------------------


class _DomainResolver:
    """The shared resolver as one domain sees it: memoised, counted and shielded.

    The shield matters: when a domain runs out of time its tasks are cancelled,
    and a query in flight that other domains also wait for must go on.
    """

    def __init__(self, shared: Resolver, seen: set[tuple[str, RdType]]) -> None:
        self.shared = shared
        self.seen = seen  # the run's distinct questions
        self.asked: dict[tuple[str, RdType], asyncio.Future[Answer]] = {}

    async def ask(self, key: tuple[str, RdType]) -> Answer:
        future = self.asked.get(key)
        if future is None:
            self.seen.add(key)
            future = asyncio.ensure_future(self.shared.resolve(*key))
            future.add_done_callback(_retrieve)
            self.asked[key] = future
        return await asyncio.shield(future)

    def capped(self, cap: int) -> _Capped:
        return _Capped(self, cap)


class _Capped:
    """One check's questions, at most ``cap`` distinct ones (a lookup bomb stops here).

    Each area of a domain has its own cap, so an exploding SPF tree never takes
    the questions of the DMARC or MX checks running beside it.
    """

    def __init__(self, domain: _DomainResolver, cap: int) -> None:
        self.domain = domain
        self.cap = cap
        self.keys: set[tuple[str, RdType]] = set()

    async def resolve(self, name: str, rdtype: RdType) -> Answer:
        key = (normalize_name(name), RdType(rdtype))
        if key not in self.keys:
            if len(self.keys) >= self.cap:
                raise QueryCapReached(key[0], key[1].value, self.cap)
            self.keys.add(key)
        return await self.domain.ask(key)


def _retrieve(future: asyncio.Future[Answer]) -> None:
    if not future.cancelled():
        future.exception()


# -- the checks ------------------------------------------------------------------------


def _txt_answer_octets(name: str, values: Iterable[str]) -> int:
    """The size of a DNS response carrying these TXT values (no EDNS, name compression).

    Header 12, question ``len(name)+2`` plus type and class, then per record a
    compressed owner (2), type, class, TTL and length (10) and the value's
    character-strings (each one length octet and up to 255 octets).
    """
    size = 12 + len(name) + 2 + 4
    for value in values:
        data = len(value.encode("utf-8"))
        strings = max(1, -(-data // MAX_STRING))
        size += 12 + data + strings
    return size


async def _check_spf(
    resolver: _Capped, facts: SpfFacts, findings: list[Finding], *, mail_from: bool
) -> None:
    name = facts.name
    try:
        answer = await resolver.resolve(name, RdType.TXT)
    except DnsError as exc:
        facts.status, facts.reason = "temperror", f"DNS lookup failed: {exc}"
        findings.append(_dns_finding(SPF_DNS_ERROR, exc, name, "SPF: temperror"))
        return
    facts.values = [value for value in answer.records if is_spf(value)]
    facts.txt_answer_octets = _txt_answer_octets(name, answer.records)
    role = "the MAIL FROM domain " if mail_from else ""
    if not facts.values:
        facts.status = "none"
        facts.reason = f"{name} " + ("does not exist" if answer.nxdomain else
                                     "publishes no v=spf1 record")
        findings.append(SPF_MISSING.error(
            f"{role}{facts.reason}: receivers get SPF none and cannot tell your mail from "
            "forgeries. Publish 'v=spf1 include:<your sender> -all', or 'v=spf1 -all' if "
            "no mail is sent from it",
            name,
        ))
        return
    lint = lint_txt_values(facts.values, domain=name)
    if len(facts.values) > 1:
        facts.status = "permerror"
        facts.reason = f"{len(facts.values)} v=spf1 records at {name} (RFC 7208 4.5)"
        findings.extend(lint)
        return
    if (facts.txt_answer_octets > UDP_SIZE and octets(facts.values[0]) <= UDP_SIZE):
        findings.append(CHECK_TXT_ANSWER_SIZE.warning(
            f"the TXT answer at {name} is about {facts.txt_answer_octets} octets with all "
            f"{len(answer.records)} values: over {UDP_SIZE} receivers without EDNS get it "
            "truncated and must ask again over TCP. Remove TXT values no longer needed",
            name,
        ))
    budget = await walk(resolver, domain=name)
    facts.budget = budget
    # The text's findings; the tree's budget counts the lookups and repeated includes.
    findings.extend(lint)
    capped = budget.capped
    findings.extend(budget.findings())
    for ip in budget.ip_literals:
        if ip.own and ip.domain != name:
            findings.append(SPF_IP_LITERAL.error(
                f"'{ip.term}' in {ip.domain}, a record of your own included by {name}, "
                "hard-codes a mail server address: authorise senders with include:",
                ip.domain,
            ))
    if capped:
        findings.append(CHECK_QUERY_CAP.error(
            f"the include tree of {name} needed more than {resolver.cap} DNS questions, "
            "so the walk stopped there (the lookup count is what it reached). A tree that "
            "large is a lookup bomb: receivers stop after 10 lookups with permerror",
            name,
        ))
    facts.status, facts.reason = _spf_status(budget, capped)


def _spf_status(budget: Budget, capped: list[str]) -> tuple[str, str]:
    """What a receiver gets from the tree, whatever the client (RFC 7208 4.6.4, 2.6)."""
    root = budget.root
    dns_errors = budget.dns_errors
    if root.status == "dns-error":
        return "temperror", f"DNS lookup failed: {root.detail}"
    if root.status in ("syntax", "multiple"):
        return "permerror", root.detail
    if budget.total > budget.limit or capped:
        return "permerror", (f"{budget.total} DNS-querying terms in the tree; "
                             f"receivers stop at {budget.limit}")
    if len(budget.void_lookups) > budget.void_limit:
        return "permerror", (f"{len(budget.void_lookups)} void lookups; receivers allow "
                             f"{budget.void_limit}")
    if budget.loops:
        return "permerror", f"include loop: {budget.loops[0]}"
    if budget.missing:
        return "permerror", f"{budget.missing[0]} publishes no SPF record"
    if budget.mx_over_limit:
        return "permerror", f"{budget.mx_over_limit[0]} has more than 10 MX names"
    bad = _bad_node(root)
    if bad is not None:
        return "permerror", bad
    if dns_errors:
        return "temperror", f"DNS lookup failed: {dns_errors[0]}"
    return "ok", f"{budget.total} of {budget.limit} lookups"


def _bad_node(node: Any) -> str | None:
    """A record in the tree that is a permerror by itself (syntax, several records)."""
    for child in node.children:
        if child.status in ("syntax", "multiple"):
            return f"{child.domain}: {child.detail}"
        found = _bad_node(child)
        if found is not None:
            return found
    return None


def _dns_finding(rule: Rule, exc: DnsError, where: str, consequence: str) -> Finding:
    if isinstance(exc, QueryCapReached):
        return CHECK_QUERY_CAP.error(f"{exc.name} {exc.rdtype}: {exc.reason}", where)
    return rule.error(f"{exc.name} {exc.rdtype}: {exc.reason} ({consequence})", where)


async def _check_dmarc(
    resolver: _Capped, report: DomainReport, findings: list[Finding]
) -> None:
    domain = report.domain
    facts = report.dmarc
    source = domain
    try:
        records = await _dmarc_records(resolver, domain)
        if not records and organisational_domain(domain) != domain:
            source = organisational_domain(domain)
            records = await _dmarc_records(resolver, source)
    except DnsError as exc:
        facts.status = "dns-error"
        findings.append(_dns_finding(CHECK_DNS_ERROR, exc, facts.name,
                                     "the DMARC policy is unknown"))
        return
    if not records:
        facts.status = "missing"
        findings.append(DMARC_MISSING.error(
            f"no DMARC record at {facts.name}"
            + (f" nor at {record_name(source)}" if source != domain else "")
            + ": receivers apply no policy to mail that fails SPF and DKIM, and you get no "
            "reports. Publish 'v=DMARC1; p=none; rua=mailto:<a mailbox you read>' to start",
            facts.name,
        ))
        return
    if len(records) > 1:
        facts.status = "multiple"
        findings.append(DMARC_MULTIPLE.error(
            f"{len(records)} DMARC records at {record_name(source)}: receivers apply none of "
            "them (RFC 7489 6.6.3). Keep one",
            record_name(source),
        ))
        return
    text = records[0]
    facts.record, facts.source = text, record_name(source)
    # A subdomain without a record of its own gets the organisational domain's sp=.
    judged = validate_dmarc(text, source, inherited=source != domain)
    try:
        parsed = parse_dmarc(text)
    except DmarcSyntaxError:
        facts.status = "syntax"
        findings.extend(judged)
        return
    facts.status = "ok"
    facts.policy = parsed.policy.value if parsed.policy else None
    facts.subdomain_policy = parsed.subdomain_policy.value if parsed.subdomain_policy else None
    facts.pct = parsed.pct
    # Whether outside destinations authorise reports is known live (dmarc-rua-unauthorised,
    # below), so check runs its own set of the record's rules.
    findings.extend(REGISTRY.select(judged, face=Face.CHECK))
    for dest in external_destinations(parsed, source):
        name = authorisation_name(source, dest)
        try:
            answer = await resolver.resolve(name, RdType.TXT)
        except DnsError as exc:
            facts.destinations[dest] = None
            findings.append(_dns_finding(CHECK_DNS_ERROR, exc, facts.name,
                                         f"whether {dest} takes reports is unknown"))
            continue
        authorised = any(is_dmarc_record(value) for value in answer.records)
        facts.destinations[dest] = authorised
        if not authorised:
            findings.append(DMARC_RUA_UNAUTHORISED.error(
                f"reports go to {dest}, outside {source}, but {name} publishes no "
                "'v=DMARC1' record: receivers send that destination nothing (RFC 7489 7.1). "
                f"Ask {dest} to publish it, or send reports to a mailbox in {source}",
                facts.name,
            ))
    mail_from = report.mail_from
    if mail_from is not None:
        strict = parsed.aspf is Alignment.STRICT
        same_org = organisational_domain(mail_from) == organisational_domain(domain)
        if not same_org or (strict and normalize_name(mail_from) != domain):
            why = ("aspf=s needs the MAIL FROM domain to equal the From domain"
                   if same_org else "it is in another organisational domain")
            findings.append(DMARC_SPF_UNALIGNED.warning(
                f"mail with MAIL FROM {mail_from} never aligns with {domain} for SPF ({why}): "
                "DMARC then rests on DKIM alone. Use a MAIL FROM subdomain of the domain "
                "and aspf=r",
                facts.name,
            ))


async def _dmarc_records(resolver: _Capped, domain: str) -> list[str]:
    answer = await resolver.resolve(record_name(domain), RdType.TXT)
    return [value for value in answer.records if is_dmarc_record(value)]


def _is_null_mx(record: str) -> bool:
    _, _, host = record.partition(" ")
    return host.strip() in ("", ".")


async def _check_mx(
    resolver: _Capped, facts: MxFacts, findings: list[Finding], *, mail_from: bool
) -> None:
    name = facts.name
    try:
        answer = await resolver.resolve(name, RdType.MX)
    except DnsError as exc:
        facts.status = "dns-error"
        findings.append(_dns_finding(CHECK_DNS_ERROR, exc, name,
                                     "where mail to it goes is unknown"))
        return
    if answer.void:
        facts.status = "missing"
        if mail_from:
            findings.append(MX_MAIL_FROM_MISSING.error(
                f"the MAIL FROM domain {name} has no MX: bounces and complaints sent to it "
                "cannot be delivered (SES then falls back to its own MAIL FROM domain and "
                "SPF no longer aligns). Publish the MX your sending service documents",
                name,
            ))
        # The domain's own missing MX is judged with its SPF record: see _cross_checks.
        return
    nulls = [record for record in answer.records if _is_null_mx(record)]
    if nulls:
        facts.status = "null"
        if len(answer.records) > 1:
            findings.append(MX_NULL_MIXED.error(
                f"{name} has a null MX ('0 .') beside {len(answer.records) - 1} other MX "
                "records: RFC 7505 says a null MX must be the only one. Remove one or the "
                "other",
                name,
            ))
        if mail_from:
            findings.append(MX_MAIL_FROM_NULL.error(
                f"the MAIL FROM domain {name} has a null MX: bounces sent to it are "
                "refused. Publish the MX your sending service documents",
                name,
            ))
        return
    facts.status = "ok"
    facts.hosts = answer.mx_hosts()
    for host in facts.hosts[:MAX_MX_HOSTS]:
        if _is_address(host):
            findings.append(MX_IP_LITERAL.error(
                f"the MX exchange {host!r} of {name} is an address: MX names a host, and "
                "senders look {host!r} up as a name. Publish an A record for a name and "
                "point the MX at it",
                name,
            ))
            continue
        await _mx_host(resolver, host, facts, findings)


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


async def _mx_host(
    resolver: _Capped, host: str, facts: MxFacts, findings: list[Finding]
) -> None:
    addresses: list[str] = []
    try:
        for rdtype in (RdType.A, RdType.AAAA):
            answer = await resolver.resolve(host, rdtype)
            addresses.extend(answer.records)
            if addresses:
                break
    except DnsError as exc:
        findings.append(_dns_finding(CHECK_DNS_ERROR, exc, facts.name,
                                     f"whether MX host {host} can take mail is unknown"))
        return
    facts.addresses[host] = addresses
    if not addresses:
        findings.append(MX_HOST_VOID.error(
            f"the MX exchange {host} of {facts.name} has no A or AAAA record: mail to "
            f"{facts.name} through it cannot be delivered. Fix the exchange's name or "
            "publish its address",
            facts.name,
        ))


# -- DKIM ------------------------------------------------------------------------------


async def _check_dkim(
    resolver: _Capped, facts: DkimFacts, findings: list[Finding]
) -> None:
    name = facts.name
    try:
        answer = await resolver.resolve(name, RdType.TXT)
    except DnsError as exc:
        facts.status = "dns-error"
        findings.append(_dns_finding(CHECK_DNS_ERROR, exc, name,
                                     "verifiers cannot check signatures: temperror"))
        return
    if answer.void:
        facts.status = "missing"
        findings.append(DKIM_MISSING.error(
            f"no DKIM key at {name}" + (" (no such name)" if answer.nxdomain else "")
            + f": mail signed with selector {facts.selector!r} fails DKIM. Publish the key "
            "your sending service gives (a TXT record, or the CNAME it documents)",
            name,
        ))
        return
    if len(answer.records) > 1:
        facts.status = "multiple"
        findings.append(DKIM_MULTIPLE.error(
            f"{len(answer.records)} TXT records at {name}: verifiers may pick any of them. "
            "Keep the one key record",
            name,
        ))
        return
    text = answer.records[0]
    try:
        tags = parse_dkim_tags(text)
        if "v" in tags and (tags["v"] != "DKIM1" or next(iter(tags)) != "v"):
            raise ValueError("v= must come first and be DKIM1")
        if "p" not in tags:
            raise ValueError("no p= tag (the public key)")
    except ValueError as exc:
        facts.status = "syntax"
        findings.append(DKIM_SYNTAX.error(f"{name}: {exc} (RFC 6376 3.6.1)", name))
        return
    key_type = tags.get("k", "rsa").lower()
    facts.key_type = key_type
    key_text = re.sub(r"\s+", "", tags["p"])
    if not key_text:
        facts.status = "revoked"
        findings.append(DKIM_REVOKED.error(
            f"{name} has an empty p=: the key is revoked and signatures with selector "
            f"{facts.selector!r} fail. Publish the current key or stop signing with it",
            name,
        ))
        return
    try:
        key = base64.b64decode(key_text, validate=True)
    except (binascii.Error, ValueError):
        facts.status = "syntax"
        findings.append(DKIM_SYNTAX.error(f"{name}: p= is not base64", name))
        return
    facts.status = "ok"
    if key_type == "rsa":
        try:
            facts.key_bits = rsa_key_bits(key)
        except ValueError as exc:
            facts.status = "syntax"
            findings.append(DKIM_SYNTAX.error(f"{name}: p= is not an RSA public key "
                                  f"({exc})", name))
            return
        if facts.key_bits < 1024:
            findings.append(DKIM_WEAK_KEY.error(
                f"{name} holds a {facts.key_bits}-bit RSA key: verifiers reject keys under "
                "1024 bits (RFC 8301). Rotate to a 2048-bit key",
                name,
            ))
        elif facts.key_bits < 2048:
            findings.append(DKIM_WEAK_KEY.warning(
                f"{name} holds a {facts.key_bits}-bit RSA key: RFC 8301 asks for 2048 "
                "bits. Rotate to a 2048-bit key",
                name,
            ))
    elif key_type == "ed25519":
        facts.key_bits = 256
        if len(key) != 32:
            facts.status = "syntax"
            findings.append(DKIM_SYNTAX.error(f"{name}: an ed25519 key is 32 octets, "
                                  f"not {len(key)}", name))
            return
    else:
        facts.status = "syntax"
        findings.append(DKIM_KEY_TYPE.error(
            f"{name} has k={key_type}: verifiers know rsa and ed25519 only",
            name,
        ))
        return
    flags = [flag.strip() for flag in tags.get("t", "").split(":")]
    if "y" in flags:
        findings.append(DKIM_TESTING.warning(
            f"{name} has t=y: verifiers treat its signatures as a test. Remove t=y once "
            "signing works",
            name,
        ))
    hashes = [h.strip().lower() for h in tags["h"].split(":")] if "h" in tags else []
    if hashes and "sha256" not in hashes:
        findings.append(DKIM_SHA1.error(
            f"{name} has h={tags['h']}: verifiers reject sha1 signatures (RFC 8301). "
            "Allow sha256",
            name,
        ))


# -- judgements that need several areas ---------------------------------------------------


def _spf_sends(record: str | None) -> bool | None:
    """Whether a record authorises any sender (None: the record does not parse)."""
    if record is None:
        return None
    try:
        parsed = parse(record)
    except SpfSyntaxError:
        return None
    if parsed.redirect is not None and parsed.all is None:
        return True
    return any(
        m.kind is not Kind.ALL or m.qualifier is Qualifier.PASS for m in parsed.mechanisms
    )


def _cross_checks(report: DomainReport, findings: list[Finding]) -> None:
    spf = report.spf
    mx = report.mx
    sends = _spf_sends(spf.record)
    if mx.status == "null" and sends:
        findings.append(MX_NULL_SPF.error(
            f"{report.domain} has a null MX (it takes no mail, so bounces and replies "
            f"cannot come back) but its SPF record authorises senders: '{spf.record}'. "
            "Publish 'v=spf1 -all' if it sends no mail, or real MX hosts if it does",
            report.domain,
        ))
    if mx.status == "missing":
        if sends:
            findings.append(MX_MISSING.error(
                f"{report.domain} sends mail (its SPF authorises senders) but has no MX: "
                "replies go to its address records, if any. Publish MX hosts that take mail",
                report.domain,
            ))
        else:
            findings.append(MX_MISSING.warning(
                f"{report.domain} has no MX: senders try its address records. If it takes "
                "no mail, publish a null MX ('MX 0 .') with 'v=spf1 -all'",
                report.domain,
            ))


# -- the run ---------------------------------------------------------------------------


Section = Callable[[], Awaitable[None]]


class Audit:
    """Checks domains through one shared resolver; counts the run's distinct questions."""

    def __init__(self, resolver: Resolver, options: AuditOptions | None = None) -> None:
        self.resolver = resolver
        self.options = options or AuditOptions()
        self.questions: set[tuple[str, RdType]] = set()
        self.asked = 0  # questions asked by all domains, each domain's repeats not counted

    async def check(self, target: Target) -> DomainReport:
        """Every check of one domain, within the time bound; never raises a DNS fault."""
        options = self.options
        started = time.perf_counter()
        domain = normalize_name(target.domain)
        report = DomainReport(domain, origin=target.origin)
        report.mail_from = normalize_name(target.mail_from) if target.mail_from else None
        report.ip = options.ip
        shared = _DomainResolver(self.resolver, self.questions)
        cap = options.query_cap

        def resolver() -> _Capped:
            return shared.capped(cap)

        # Each area writes its findings to its own list, so that a timeout keeps them.
        parts: dict[str, list[Finding]] = {}

        def section(name: str, work: Callable[[list[Finding]], Awaitable[None]]) -> Section:
            found = parts.setdefault(name, [])

            async def run() -> None:
                try:
                    await work(found)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # a bug must not take the run down
                    found.append(CHECK_INTERNAL_ERROR.error(
                        f"the {name} check failed unexpectedly: {type(exc).__name__}: {exc}. "
                        "Please report this; the other checks ran",
                        domain,
                    ))
            return run

        sections: dict[str, Section] = {
            "spf": section("spf", lambda f: _check_spf(resolver(), report.spf, f,
                                                       mail_from=False)),
            "dmarc": section("dmarc", lambda f: _check_dmarc(resolver(), report, f)),
            "mx": section("mx", lambda f: _check_mx(resolver(), report.mx, f, mail_from=False)),
        }
        if report.mail_from is not None:
            report.mail_from_spf = SpfFacts(report.mail_from)
            report.mail_from_mx = MxFacts(report.mail_from)
            mf_spf, mf_mx = report.mail_from_spf, report.mail_from_mx
            sections["mail-from spf"] = section(
                "mail-from spf", lambda f: _check_spf(resolver(), mf_spf, f, mail_from=True))
            sections["mail-from mx"] = section(
                "mail-from mx", lambda f: _check_mx(resolver(), mf_mx, f, mail_from=True))
        for selector in target.dkim_selectors:
            facts = DkimFacts(selector, dkim_name(selector, domain))
            report.dkim.append(facts)
            sections[f"dkim {selector}"] = section(f"dkim {selector}",
                                                   _dkim_work(resolver(), facts))
        if options.ip is not None:
            sections["ip"] = section("ip", lambda f: self._check_ip(resolver(), report, f))

        tasks = {name: asyncio.ensure_future(run()) for name, run in sections.items()}
        _, pending = await asyncio.wait(tasks.values(), timeout=options.domain_timeout)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
        unfinished = [name for name, task in tasks.items() if task in pending]
        findings: list[Finding] = []
        for name in sections:
            findings.extend(parts.get(name, []))
        if not target.dkim_selectors and target.ses_identity:
            findings.append(DKIM_NOT_CHECKED.warning(
                f"{domain} signs with SES Easy DKIM, whose three tokens are stack outputs "
                "that only the Pulumi CLI can read: DKIM was not checked. Pass them with "
                "--dkim-selector TOKEN (see 'pulumi stack output')",
                domain,
            ))
        if unfinished:
            report.timed_out = True
            self._unfinished(report, unfinished, findings)
        else:
            _cross_checks(report, findings)
        report.findings = unique(findings)
        report.questions = len(shared.asked)
        self.asked += len(shared.asked)
        report.elapsed = time.perf_counter() - started
        return report

    def _unfinished(
        self, report: DomainReport, unfinished: list[str], findings: list[Finding]
    ) -> None:
        bound = self.options.domain_timeout
        findings.append(CHECK_TIMEOUT.error(
            f"the checks of {report.domain} did not finish within {bound:g} s "
            f"(unfinished: {', '.join(unfinished)}); their results are unknown, as a receiver "
            "would find them: temperror. Check the name servers, or raise --domain-timeout",
            report.domain,
        ))
        late = f"not finished within {bound:g} s"
        if "spf" in unfinished:
            report.spf.status, report.spf.reason = "temperror", late
        if report.mail_from_spf is not None and "mail-from spf" in unfinished:
            report.mail_from_spf.status, report.mail_from_spf.reason = "temperror", late
        if "dmarc" in unfinished:
            report.dmarc.status = "timeout"
        if "mx" in unfinished:
            report.mx.status = "timeout"
        if report.mail_from_mx is not None and "mail-from mx" in unfinished:
            report.mail_from_mx.status = "timeout"
        for dkim in report.dkim:
            if f"dkim {dkim.selector}" in unfinished:
                dkim.status = "timeout"
        if "ip" in unfinished and report.ip is not None:
            done = {result.identity for result in report.ip_results}
            for identity in dict.fromkeys(filter(None, (report.mail_from, report.domain))):
                if identity not in done:
                    report.ip_results.append(IpResult(
                        identity=identity, result="temperror", reason=late, mechanism=None,
                        lookups=0, void_lookups=0))

    async def _check_ip(
        self, resolver: _Capped, report: DomainReport, findings: list[Finding]
    ) -> None:
        ip = report.ip
        assert ip is not None
        identities = list(dict.fromkeys(filter(None, (report.mail_from, report.domain))))
        for identity in identities:
            outcome = await check_host(ip, identity, f"postmaster@{identity}", resolver)
            report.ip_results.append(IpResult(
                identity=identity, result=outcome.result.value, reason=outcome.reason,
                mechanism=outcome.mechanism, lookups=outcome.lookups,
                void_lookups=outcome.void_lookups,
            ))
            if outcome.result.value != "pass":
                # Receivers check the MAIL FROM domain; the domain's own record is what
                # they check for bounces (empty MAIL FROM) and HELO, a lesser worry.
                primary = identity == identities[0]
                role = "MAIL FROM" if identity == report.mail_from else "domain"
                severity = Severity.ERROR if primary else Severity.WARNING
                findings.append(CHECK_IP_RESULT.finding(
                    severity,
                    f"mail from {ip} with {role} {identity} gets SPF {outcome.result.value}: "
                    f"{outcome.reason}",
                    identity,
                ))

    async def run(
        self, targets: Iterable[Target], *, concurrency: int = 32
    ) -> AsyncIterator[DomainReport]:
        """Check every target, at most ``concurrency`` at once; yield each as it finishes.

        ``DomainReport.index`` is the target's position, for callers that want
        the input order back.
        """
        if concurrency < 1:
            raise ValueError("concurrency must be 1 or more")
        queue: asyncio.Queue[DomainReport | None] = asyncio.Queue()
        items = enumerate(targets)

        async def worker() -> None:
            try:
                for index, target in items:
                    report = await self.check(target)
                    report.index = index
                    await queue.put(report)
            finally:
                await queue.put(None)

        workers = [asyncio.ensure_future(worker()) for _ in range(concurrency)]
        running = len(workers)
        try:
            while running:
                item = await queue.get()
                if item is None:
                    running -= 1
                    continue
                yield item
            for task in workers:
                task.result()  # surface a bug in a worker
        finally:
            for task in workers:
                task.cancel()
            await asyncio.gather(*workers, return_exceptions=True)


def _dkim_work(
    resolver: _Capped, facts: DkimFacts
) -> Callable[[list[Finding]], Awaitable[None]]:
    async def work(found: list[Finding]) -> None:
        await _check_dkim(resolver, facts, found)
    return work


async def audit(
    targets: Iterable[Target],
    resolver: Resolver,
    options: AuditOptions | None = None,
    *,
    concurrency: int = 32,
) -> list[DomainReport]:
    """Check every target; the reports in the targets' order."""
    run = Audit(resolver, options)
    reports = [report async for report in run.run(targets, concurrency=concurrency)]
    return sorted(reports, key=lambda r: r.index)
