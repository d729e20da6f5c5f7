"""The MX area of a check: fetch the exchanges and their addresses, then judge.

``mx_area`` is the engine: it asks the MX records, then in one batch the A records
of every exchange (at most ten, as senders try), then AAAA for those without an
A record. ``judge_mx`` and ``judge_hosts`` are functions of the answers alone (no
I/O): they fill the area's facts and return the findings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from mailzone.audit.faults import dns_finding
from mailzone.audit.model import MxFacts, MxStatus
from mailzone.dns.exchange import Exchange, Outcome, ask, ask_all
from mailzone.dns.resolver import Answer, RdType
from mailzone.errors import DnsError
from mailzone.findings import Finding
from mailzone.names import parse_address
from mailzone.registry import (
    CHECK_DNS_ERROR,
    MX_HOST_VOID,
    MX_IP_LITERAL,
    MX_MAIL_FROM_MISSING,
    MX_MAIL_FROM_NULL,
)
from mailzone.rules.parked import check_null_mx, is_null_mx

MAX_MX_HOSTS = 10


def is_address(host: str) -> bool:
    return parse_address(host.strip("[]")) is not None


def judge_mx(facts: MxFacts, answer: Answer, *, mail_from: bool) -> list[Finding]:
    """The MX answer at ``facts.name``: missing, null, or the exchanges to look up."""
    name = facts.name
    if answer.void:
        facts.status = MxStatus.MISSING
        if not mail_from:
            return []  # the domain's own missing MX is judged with its SPF: see cross
        return [MX_MAIL_FROM_MISSING.error(
            f"the MAIL FROM domain {name} has no MX: bounces and complaints sent to it "
            "cannot be delivered (SES then falls back to its own MAIL FROM domain and "
            "SPF no longer aligns). Publish the MX your sending service documents",
            name,
        )]
    findings: list[Finding] = []
    if any(is_null_mx(record) for record in answer.records):
        facts.status = MxStatus.NULL
        # What a null MX wrongly stands beside (mx-null-mixed): not a parked domain.
        facts.hosts = [record.partition(" ")[2] for record in answer.records
                       if not is_null_mx(record) and record.partition(" ")[2]]
        findings += check_null_mx(name, answer.records, [])
        if mail_from:
            findings.append(MX_MAIL_FROM_NULL.error(
                f"the MAIL FROM domain {name} has a null MX: bounces sent to it are "
                "refused. Publish the MX your sending service documents",
                name,
            ))
        return findings
    facts.status = MxStatus.OK
    hosts = answer.mx_hosts()
    facts.hosts = [host for host in hosts if host]
    if len(facts.hosts) < len(hosts):
        findings.append(MX_HOST_VOID.error(
            f"{name} has an MX that names the root ('.') with a preference other than 0: a "
            "null MX (RFC 7505) is '0 .', alone. This one names no host, so mail to it "
            "cannot be delivered", name))
    return findings


def judge_hosts(facts: MxFacts, addresses: Mapping[str, Outcome | list[str]]) -> list[Finding]:
    """Each exchange: an address where a name belongs, no address, or a failed lookup.

    ``addresses`` maps each exchange looked up to its addresses or the lookup's error.
    """
    name = facts.name
    findings: list[Finding] = []
    for host in facts.hosts[:MAX_MX_HOSTS]:
        if is_address(host):
            findings.append(MX_IP_LITERAL.error(
                f"the MX exchange {host!r} of {name} is an address: MX names a host, and "
                "senders look {host!r} up as a name. Publish an A record for a name and "
                "point the MX at it",
                name,
            ))
            continue
        found = addresses[host]
        if isinstance(found, DnsError):
            findings.append(dns_finding(CHECK_DNS_ERROR, found, name,
                                        f"whether MX host {host} can take mail is unknown"))
            continue
        assert isinstance(found, list)
        facts.addresses[host] = found
        if not found:
            findings.append(MX_HOST_VOID.error(
                f"the MX exchange {host} of {name} has no A or AAAA record: mail to "
                f"{name} through it cannot be delivered. Fix the exchange's name or "
                "publish its address",
                name,
            ))
    return findings


def _addresses(hosts: Sequence[str]) -> Exchange[dict[str, Outcome | list[str]]]:
    """A records of every host at once, then AAAA for those without one."""
    found: dict[str, Outcome | list[str]] = {}
    outcomes = yield from ask_all([(host, RdType.A) for host in hosts])
    for host, outcome in zip(hosts, outcomes, strict=True):
        found[host] = outcome if isinstance(outcome, DnsError) else list(outcome.records)
    bare = [host for host in hosts if found[host] == []]
    outcomes = yield from ask_all([(host, RdType.AAAA) for host in bare])
    for host, outcome in zip(bare, outcomes, strict=True):
        found[host] = outcome if isinstance(outcome, DnsError) else list(outcome.records)
    return found


def mx_area(facts: MxFacts, findings: list[Finding], *, mail_from: bool) -> Exchange[None]:
    """Fetch and judge where mail to ``facts.name`` goes."""
    try:
        answer = yield from ask(facts.name, RdType.MX)
    except DnsError as exc:
        facts.status = MxStatus.DNS_ERROR
        findings.append(dns_finding(CHECK_DNS_ERROR, exc, facts.name,
                                    "where mail to it goes is unknown"))
        return
    findings.extend(judge_mx(facts, answer, mail_from=mail_from))
    if facts.status is not MxStatus.OK:
        return
    hosts = list(dict.fromkeys(h for h in facts.hosts[:MAX_MX_HOSTS] if not is_address(h)))
    addresses = yield from _addresses(hosts)
    findings.extend(judge_hosts(facts, addresses))
