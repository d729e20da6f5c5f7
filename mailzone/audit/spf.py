"""The SPF area of a check: fetch the TXT answer and the include tree, then judge.

``spf_area`` is the engine (``mailzone.dns.exchange``): it asks for the TXT values
at the name, judges them (``judge_answer``), walks the include tree of the one
record (``mailzone.spf.budget.trace``) and judges the tree (``judge_tree``). The
judges are functions of what was fetched alone (no I/O), so the same ones serve zone files
and live answers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from mailzone.audit.faults import dns_finding
from mailzone.audit.model import DomainReport, IpResult, SpfFacts, SpfStatus
from mailzone.dns.exchange import Exchange, ask
from mailzone.dns.resolver import Answer, RdType
from mailzone.dns.txt import MAX_STRING, octets
from mailzone.errors import DnsError, SpfSyntaxError
from mailzone.findings import Finding, Severity
from mailzone.registry import (
    CHECK_IP_RESULT,
    CHECK_TXT_ANSWER_SIZE,
    SPF_DNS_ERROR,
    SPF_MISSING,
)
from mailzone.spf.budget import Budget, Node, NodeStatus, trace
from mailzone.spf.check import Result, evaluate
from mailzone.spf.lint import UDP_SIZE, lint_txt_values
from mailzone.spf.parser import is_spf

#: The largest DNS message: its length travels in two octets over TCP (RFC 1035 4.2.2).
MAX_MESSAGE = 65535


def txt_answer_octets(name: str, values: Iterable[str]) -> int:
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


@dataclass(frozen=True, slots=True)
class AnswerVerdict:
    """What the TXT answer at a name says before any include is followed."""

    values: list[str]
    txt_answer_octets: int
    status: SpfStatus | None  # None: one record, walk its tree
    reason: str
    findings: list[Finding]


def judge_answer(name: str, answer: Answer, *, mail_from: bool) -> AnswerVerdict:
    """The SPF records among the TXT values at ``name``, their lint, the answer's size."""
    values = [value for value in answer.records if is_spf(value)]
    size = txt_answer_octets(name, answer.records)
    role = "the MAIL FROM domain " if mail_from else ""
    if not values:
        reason = f"{name} " + ("does not exist" if answer.nxdomain else
                               "publishes no v=spf1 record")
        return AnswerVerdict(values, size, SpfStatus.NONE, reason, [SPF_MISSING.error(
            f"{role}{reason}: receivers get SPF none and cannot tell your mail from "
            "forgeries. Publish 'v=spf1 include:<your sender> -all', or 'v=spf1 -all' if "
            "no mail is sent from it",
            name,
        )])
    lint = lint_txt_values(values, domain=name)
    if len(values) > 1:
        return AnswerVerdict(values, size, SpfStatus.PERMERROR,
                             f"{len(values)} v=spf1 records at {name} (RFC 7208 4.5)", lint)
    findings: list[Finding] = []
    if size > MAX_MESSAGE:
        findings.append(CHECK_TXT_ANSWER_SIZE.error(
            f"the TXT answer at {name} is about {size} octets with all {len(answer.records)} "
            f"values: over {MAX_MESSAGE}, more than a DNS message can carry even over TCP, "
            "so receivers get a server failure or a cut answer and SPF temperror. Remove "
            "TXT values no longer needed",
            name,
        ))
    elif size > UDP_SIZE and octets(values[0]) <= UDP_SIZE:
        findings.append(CHECK_TXT_ANSWER_SIZE.warning(
            f"the TXT answer at {name} is about {size} octets with all "
            f"{len(answer.records)} values: over {UDP_SIZE} receivers without EDNS get it "
            "truncated and must ask again over TCP. Remove TXT values no longer needed",
            name,
        ))
    # The text's findings; the tree's budget counts the lookups and repeated includes.
    return AnswerVerdict(values, size, None, "", [*findings, *lint])


def judge_tree(name: str, budget: Budget) -> tuple[SpfStatus, str, list[Finding]]:
    """The include tree's findings and what a receiver gets from it."""
    findings = budget.findings()
    status, reason = tree_status(budget)
    return status, reason, findings


def tree_status(budget: Budget) -> tuple[SpfStatus, str]:
    """What a receiver gets from the tree, whatever the client (RFC 7208 4.6.4, 2.6)."""
    root = budget.root
    if root.status is NodeStatus.DNS_ERROR:
        return SpfStatus.TEMPERROR, f"DNS lookup failed: {root.detail}"
    if root.status in (NodeStatus.SYNTAX, NodeStatus.MULTIPLE):
        return SpfStatus.PERMERROR, root.detail
    if budget.total > budget.limit or budget.capped:
        return SpfStatus.PERMERROR, (f"{budget.total} DNS-querying terms in the tree; "
                                     f"receivers stop at {budget.limit}")
    if len(budget.void_lookups) > budget.void_limit:
        return SpfStatus.PERMERROR, (f"{len(budget.void_lookups)} void lookups; receivers "
                                     f"allow {budget.void_limit}")
    if budget.loops:
        return SpfStatus.PERMERROR, f"include loop: {budget.loops[0]}"
    if budget.missing:
        return SpfStatus.PERMERROR, f"{budget.missing[0]} publishes no SPF record"
    if budget.mx_over_limit:
        return SpfStatus.PERMERROR, f"{budget.mx_over_limit[0]} has more than 10 MX names"
    bad = _bad_node(budget.root)
    if bad is not None:
        return SpfStatus.PERMERROR, bad
    if budget.dns_errors:
        return SpfStatus.TEMPERROR, f"DNS lookup failed: {budget.dns_errors[0]}"
    return SpfStatus.OK, f"{budget.total} of {budget.limit} lookups"


def _bad_node(node: Node) -> str | None:
    """A record in the tree that is a permerror by itself (syntax, several records)."""
    for child in node.children:
        if child.status in (NodeStatus.SYNTAX, NodeStatus.MULTIPLE):
            return f"{child.domain}: {child.detail}"
        found = _bad_node(child)
        if found is not None:
            return found
    return None


def spf_area(
    facts: SpfFacts, findings: list[Finding], *, mail_from: bool
) -> Exchange[None]:
    """Fetch and judge the SPF record at ``facts.name``, filling ``facts`` and ``findings``
    as each part is known (so a time bound that stops the walk keeps what came before)."""
    name = facts.name
    try:
        answer = yield from ask(name, RdType.TXT)
    except DnsError as exc:
        facts.status, facts.reason = SpfStatus.TEMPERROR, f"DNS lookup failed: {exc}"
        findings.append(dns_finding(SPF_DNS_ERROR, exc, name, "SPF: temperror"))
        return
    verdict = judge_answer(name, answer, mail_from=mail_from)
    facts.values, facts.txt_answer_octets = verdict.values, verdict.txt_answer_octets
    findings.extend(verdict.findings)
    if verdict.status is not None:
        facts.status, facts.reason = verdict.status, verdict.reason
        if len(verdict.values) > 1:
            # Receivers stop at the two records (permerror); whoever merges them needs
            # what each costs, as the pack and the plan say of each record declared.
            for value in verdict.values:
                try:
                    budget = yield from trace(domain=name, record=value)
                except SpfSyntaxError:
                    continue  # the lint said so
                findings.extend(budget.findings())
        return
    budget = yield from trace(domain=name)
    facts.budget = budget
    status, reason, tree_findings = judge_tree(name, budget)
    findings.extend(tree_findings)
    facts.status, facts.reason = status, reason


def ip_area(report: DomainReport, findings: list[Finding]) -> Exchange[None]:
    """``check_host()`` for mail from ``report.ip``: with the MAIL FROM domain when
    known, and with the domain itself (what receivers check for bounces and HELO)."""
    ip = report.ip
    assert ip is not None
    identities = list(dict.fromkeys(filter(None, (report.mail_from, report.domain))))
    for identity in identities:
        outcome = yield from evaluate(ip, identity, f"postmaster@{identity}")
        report.ip_results.append(IpResult(
            identity=identity, result=outcome.result.value, reason=outcome.reason,
            mechanism=outcome.mechanism, lookups=outcome.lookups,
            void_lookups=outcome.void_lookups,
        ))
        if outcome.result is not Result.PASS:
            # Receivers check the MAIL FROM domain; the domain's own record is what
            # they check for bounces (empty MAIL FROM) and HELO, a lesser worry.
            primary = identity == identities[0]
            role = "MAIL FROM" if identity == report.mail_from else "domain"
            findings.append(CHECK_IP_RESULT.finding(
                Severity.ERROR if primary else Severity.WARNING,
                f"mail from {ip} with {role} {identity} gets SPF {outcome.result.value}: "
                f"{outcome.reason}",
                identity,
            ))
