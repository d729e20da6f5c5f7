"""The DMARC area of a check: fetch the policy record and the report authorisations, judge.

``dmarc_area`` is the engine: it asks ``_dmarc.<domain>`` (then the
organisational domain's record when the domain has none), then, in one batch,
``<domain>._report._dmarc.<dest>`` for every report destination outside the
domain. The judges are functions of those answers alone (no I/O): they fill the
area's facts and return the findings.
"""

from __future__ import annotations

from collections.abc import Sequence

from mailzone.audit.faults import dns_finding
from mailzone.audit.model import DmarcFacts, DmarcStatus
from mailzone.dns.exchange import Exchange, Outcome, ask, ask_all
from mailzone.dns.resolver import RdType, normalize_name
from mailzone.errors import DmarcSyntaxError, DnsError
from mailzone.findings import Finding
from mailzone.mail.dmarc import (
    Alignment,
    DmarcRecord,
    authorisation_name,
    external_destinations,
    is_dmarc_record,
    multiple_records,
    organisational_domain,
    parse_dmarc,
    published_records,
    record_name,
    validate_dmarc,
)
from mailzone.registry import (
    CHECK_DNS_ERROR,
    DMARC_MISSING,
    DMARC_RUA_UNAUTHORISED,
    DMARC_SPF_UNALIGNED,
    REGISTRY,
    Face,
)


def _records(domain: str) -> Exchange[tuple[list[str], list[Finding]]]:
    answer = yield from ask(record_name(domain), RdType.TXT)
    return published_records(answer.records, domain)


def judge_records(
    facts: DmarcFacts, domain: str, source: str, records: Sequence[str]
) -> tuple[DmarcRecord | None, list[Finding]]:
    """The record that applies to ``domain`` (found at ``source``), and what is wrong.

    Sets ``facts``; returns the parsed record when there is exactly one valid record.
    """
    if not records:
        facts.status = DmarcStatus.MISSING
        return None, [DMARC_MISSING.error(
            f"no DMARC record at {facts.name}"
            + (f" nor at {record_name(source)}" if source != domain else "")
            + ": receivers apply no policy to mail that fails SPF and DKIM, and you get no "
            "reports. Publish 'v=DMARC1; p=none; rua=mailto:<a mailbox you read>' to start",
            facts.name,
        )]
    if len(records) > 1:
        facts.status = DmarcStatus.MULTIPLE
        return None, [multiple_records(source, len(records))]
    text = records[0]
    facts.record, facts.source = text, record_name(source)
    # A subdomain without a record of its own gets the organisational domain's sp=.
    judged = validate_dmarc(text, source, inherited=source != domain)
    try:
        parsed = parse_dmarc(text)
    except DmarcSyntaxError:
        facts.status = DmarcStatus.SYNTAX
        return None, judged
    facts.status = DmarcStatus.OK
    facts.policy = parsed.policy.value if parsed.policy else None
    facts.subdomain_policy = parsed.subdomain_policy.value if parsed.subdomain_policy else None
    facts.pct = parsed.pct
    # Whether outside destinations authorise reports is known live (judge_authorisations),
    # so check runs its own set of the record's rules.
    return parsed, REGISTRY.select(judged, face=Face.CHECK)


def judge_authorisations(
    facts: DmarcFacts, source: str, destinations: Sequence[str], outcomes: Sequence[Outcome]
) -> list[Finding]:
    """Whether each outside destination publishes the record that lets it take reports."""
    findings: list[Finding] = []
    for dest, outcome in zip(destinations, outcomes, strict=True):
        name = authorisation_name(source, dest)
        if isinstance(outcome, DnsError):
            facts.destinations[dest] = None
            findings.append(dns_finding(CHECK_DNS_ERROR, outcome, facts.name,
                                        f"whether {dest} takes reports is unknown"))
            continue
        authorised = any(is_dmarc_record(value) for value in outcome.records)
        facts.destinations[dest] = authorised
        if not authorised:
            findings.append(DMARC_RUA_UNAUTHORISED.error(
                f"reports go to {dest}, outside {source}, but {name} publishes no "
                "'v=DMARC1' record: receivers send that destination nothing (RFC 7489 7.1). "
                f"Ask {dest} to publish it, or send reports to a mailbox in {source}",
                facts.name,
            ))
    return findings


def judge_alignment(
    facts: DmarcFacts, record: DmarcRecord, domain: str, mail_from: str
) -> list[Finding]:
    """Whether mail with this MAIL FROM domain can ever align with ``domain`` for SPF."""
    strict = record.aspf is Alignment.STRICT
    same_org = organisational_domain(mail_from) == organisational_domain(domain)
    if same_org and not (strict and normalize_name(mail_from) != domain):
        return []
    why = ("aspf=s needs the MAIL FROM domain to equal the From domain"
           if same_org else "it is in another organisational domain")
    return [DMARC_SPF_UNALIGNED.warning(
        f"mail with MAIL FROM {mail_from} never aligns with {domain} for SPF ({why}): "
        "DMARC then rests on DKIM alone. Use a MAIL FROM subdomain of the domain "
        "and aspf=r",
        facts.name,
    )]


def dmarc_area(
    facts: DmarcFacts, findings: list[Finding], *, domain: str, mail_from: str | None
) -> Exchange[None]:
    """Fetch and judge the DMARC policy that applies to ``domain``."""
    source = domain
    try:
        records, discarded = yield from _records(domain)
        if not records and organisational_domain(domain) != domain:
            source = organisational_domain(domain)
            records, more = yield from _records(source)
            discarded += more
    except DnsError as exc:
        facts.status = DmarcStatus.DNS_ERROR
        findings.append(dns_finding(CHECK_DNS_ERROR, exc, facts.name,
                                    "the DMARC policy is unknown"))
        return
    # Values meant as records that receivers discard say why there is no policy.
    findings.extend(discarded)
    record, judged = judge_records(facts, domain, source, records)
    findings.extend(judged)
    if record is None:
        return
    destinations = external_destinations(record, source)
    outcomes = yield from ask_all([(authorisation_name(source, dest), RdType.TXT)
                                   for dest in destinations])
    findings.extend(judge_authorisations(facts, source, destinations, outcomes))
    if mail_from is not None:
        findings.extend(judge_alignment(facts, record, domain, mail_from))
