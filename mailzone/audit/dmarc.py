"""The DMARC area of a check: walk the tree for the policy, ask the report authorisations, judge.

``dmarc_area`` is the engine: it walks the DNS tree from the domain (and, in the same
batch, from its MAIL FROM domain, for alignment) as receivers do
(``mailzone.mail.discovery``, RFC 9989), then, in one batch,
``<domain>._report._dmarc.<dest>`` for every report destination outside the
organisational domain. The judges are functions of those answers alone (no I/O):
they fill the area's facts and return the findings.
"""

from __future__ import annotations

from collections.abc import Sequence

from mailzone.audit.faults import dns_finding
from mailzone.audit.model import DmarcFacts, DmarcStatus
from mailzone.dns.exchange import Exchange, Outcome, ask_all
from mailzone.dns.resolver import Answer, RdType, normalize_name
from mailzone.errors import DnsError
from mailzone.findings import Finding
from mailzone.mail.discovery import Discovery, discover_all
from mailzone.mail.dmarc import (
    Alignment,
    DmarcRecord,
    authorisation_name,
    external_destinations,
    is_dmarc_record,
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


def judge_discovery(facts: DmarcFacts, walk: Discovery, *, exists: bool = True
                    ) -> tuple[DmarcRecord | None, list[Finding]]:
    """The record that applies to the walk's domain, and what is wrong with it.

    ``exists``: whether the domain itself exists (its own TXT question was not
    NXDOMAIN); an ancestor's ``np=`` applies to one that does not. Sets ``facts``;
    returns the parsed record when the walk found one.
    """
    facts.walk = [level.domain for level in walk.levels]
    facts.organisational_domain = walk.organisation
    findings = walk.findings()
    unknown = walk.unknown
    if unknown is not None:
        facts.status = DmarcStatus.DNS_ERROR
        return None, [*findings, dns_finding(CHECK_DNS_ERROR, unknown, facts.name,
                                             "the DMARC policy is unknown")]
    level = walk.policy_level
    if level is None:
        facts.status = DmarcStatus.MULTIPLE if walk.multiple else DmarcStatus.MISSING
        if walk.multiple:
            return None, findings
        stopped = walk.stopped_at
        asked = ", ".join(record_name(d) for d in facts.walk)
        return None, [*findings, DMARC_MISSING.error(
            f"no DMARC record at {facts.name} nor up the tree ({asked}"
            + (f"; {stopped.name} could not be asked: {stopped.error.reason}"
               if stopped is not None and stopped.error is not None else "")
            + "): receivers apply no policy to mail that fails SPF and DKIM, and you get no "
            "reports. Publish 'v=DMARC1; p=none; rua=mailto:<a mailbox you read>' to start",
            facts.name,
        )]
    (text,) = level.records()[0]
    record = level.record
    assert record is not None  # policy_level has exactly one record
    facts.record, facts.source = text, level.name
    facts.status = (DmarcStatus.NOT_APPLIED if not record.applies else
                    DmarcStatus.SYNTAX if record.problems else DmarcStatus.OK)
    # As receivers read them: an invalid p=, sp= or np= makes the whole record p=none.
    facts.policy = record.effective_policy.value
    valid = record.policy_valid
    facts.subdomain_policy = (record.subdomain_policy.value
                              if record.subdomain_policy and valid else None)
    facts.nonexistent_policy = (record.nonexistent_policy.value
                                if record.nonexistent_policy and valid else None)
    facts.testing = record.in_testing
    applied = walk.policy(exists=exists)
    facts.applied_policy = applied.value if applied is not None else None
    # A subdomain without a record of its own gets its ancestor's sp=. Whether outside
    # destinations authorise reports is known live (judge_authorisations), so check
    # runs its own set of the record's rules.
    judged = validate_dmarc(text, level.domain, inherited=walk.inherited,
                            organisation=walk.organisation)
    return record, [*findings, *REGISTRY.select(judged, face=Face.CHECK)]


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
                "'v=DMARC1' record: receivers send that destination nothing (RFC 9989). "
                f"Ask {dest} to publish it, or send reports to a mailbox in {source}",
                facts.name,
            ))
    return findings


def judge_alignment(
    facts: DmarcFacts, record: DmarcRecord, walk: Discovery, mail_from: Discovery
) -> list[Finding]:
    """Whether mail with this MAIL FROM domain can ever align with the domain for SPF:
    the same organisational domain (relaxed), or the same name (``aspf=s``)."""
    domain = walk.domain
    strict = record.aspf is Alignment.STRICT
    same_org = mail_from.organisation == walk.organisation
    if same_org and not (strict and normalize_name(mail_from.domain) != domain):
        return []
    why = ("aspf=s needs the MAIL FROM domain to equal the From domain"
           if same_org else "it is in another organisational domain")
    return [DMARC_SPF_UNALIGNED.warning(
        f"mail with MAIL FROM {mail_from.domain} never aligns with {domain} for SPF ({why}): "
        "DMARC then rests on DKIM alone. Use a MAIL FROM subdomain of the domain "
        "and aspf=r",
        facts.name,
    )]


def dmarc_area(
    facts: DmarcFacts, findings: list[Finding], *, domain: str, mail_from: str | None
) -> Exchange[None]:
    """Fetch and judge the DMARC policy that applies to ``domain``."""
    # The walks, and the domain's own TXT question (the SPF area's too, so asked once),
    # which says whether the domain exists: np= is for names that do not.
    walks, (own,) = yield from discover_all(
        [domain] if mail_from is None else [domain, mail_from], also=[(domain, RdType.TXT)])
    exists = not (isinstance(own, Answer) and own.nxdomain)
    walk = walks[0]
    if mail_from is not None:
        facts.mail_from_organisational_domain = walks[1].organisation
    record, judged = judge_discovery(facts, walk, exists=exists)
    findings.extend(judged)
    if record is None:
        return
    source = walk.source or domain
    destinations = external_destinations(record, walk.organisation)
    outcomes = yield from ask_all([(authorisation_name(source, dest), RdType.TXT)
                                   for dest in destinations])
    findings.extend(judge_authorisations(facts, source, destinations, outcomes))
    if mail_from is not None:
        findings.extend(judge_alignment(facts, record, walk, walks[1]))
