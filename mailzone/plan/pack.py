"""The policy pack's rules over the records a plan would leave: the same core functions
the pack calls, with the pack's default config."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache

from mailzone.dns.txt import split_txt
from mailzone.findings import Finding
from mailzone.mail.discovery import Discovery
from mailzone.mail.dmarc import record_name, validate_dmarc
from mailzone.plan.model import Action, RecordPlan
from mailzone.registry import PLAN_DNS_ERROR, REGISTRY, SPF_VALID_POLICY
from mailzone.rules.coverage import check_dmarc_present
from mailzone.rules.mailhost import check_mx_exchange
from mailzone.rules.records import DnsRecord, check_single_spf, spf_values
from mailzone.rules.ses import MailFromDomain, SesIdentity, check_ses_identities
from mailzone.rules.spfpolicy import (
    check_include_only,
    check_lookup_budget,
    check_spf_ip_literals,
)
from mailzone.spf.lint import lint_record
from mailzone.stack.config import DomainConfig


def _mx_host(value: str) -> str:
    parts = value.split()
    return parts[-1] if parts else value


def _dns_record(record: RecordPlan) -> DnsRecord:
    if record.action is Action.KNOWN_AFTER_APPLY:
        return DnsRecord(None, record.type, (None,), where=record.key, label=record.owner)
    values: list[str] = record.after()
    if record.type == "MX":
        values = [_mx_host(v) for v in values]
    return DnsRecord(record.name, record.type, tuple(values), where=record.name,
                     label=record.owner)


def spf_rule_findings(
    text: str, *, name: str, label: str, include_costs: Mapping[str, int]
) -> list[Finding]:
    """The pack's SPF rules (with their default config) for one SPF value at ``name``,
    and the engine's warnings about its text, which the pack's mandatory policies leave
    out but a plan, read by a person before ``pulumi up``, shows."""
    found = check_spf_ip_literals(text, name=name, label=label, where=name)
    lint = lint_record(text, domain=name, strings=split_txt(text))
    found += [f for f in REGISTRY.select(lint, policy=SPF_VALID_POLICY.name) if f.is_error]
    found += [f for f in lint if not f.is_error]
    found += check_lookup_budget(text, include_costs=include_costs, name=name, label=label,
                                 where=name)
    found += check_include_only(text, name=name, label=label, where=name)
    return found


@lru_cache(maxsize=4096)
def _spf_rules_clean(text: str, include_costs: tuple[tuple[str, int], ...]) -> bool:
    """Whether ``spf_rule_findings`` finds nothing in ``text`` (at any name: the rules
    judge the text; the name only appears in messages). Thousands of domains share
    a handful of record texts, so the rules run once per text."""
    return not spf_rule_findings(text, name="", label="", include_costs=dict(include_costs))


def _dmarc_findings(
    domain: DomainConfig, dns_records: Sequence[DnsRecord], walk: Discovery
) -> list[Finding]:
    """DMARC as receivers will find it once the plan is applied.

    ``walk``: the RFC 9989 tree walk from the domain over what is published now
    (``mailzone.mail.discovery``), as ``mailzone check`` walks it. When the stack
    manages ``_dmarc.<domain>``, its values after the plan stand in for the first
    name's. Values meant as records that receivers discard are ``dmarc-syntax``;
    several records at a name are ``dmarc-multiple`` (receivers discard them all).
    """
    managed = domain.dmarc is not None
    if managed:
        dmarc_name = record_name(domain.domain)
        walk = walk.replacing(domain.domain, tuple(
            v for r in dns_records if r.fqdn == dmarc_name for v in r.known_values()))
    found = walk.findings()
    unknown = walk.unknown
    if unknown is not None:
        return [*found, PLAN_DNS_ERROR.error(
            f"{unknown.name} could not be read "
            f"({unknown.reason}): the DMARC policy receivers find is unknown. Retry, or "
            "give --nameserver", domain.domain)]
    if walk.multiple:  # dmarc-multiple says why no record applies, as check says it
        return found
    level = walk.policy_level
    if level is not None:
        (text,) = level.records()[0]
        judged = validate_dmarc(text, level.domain, inherited=walk.inherited,
                                organisation=walk.organisation)
        # The stack's own record: the config's warnings say the rest (config_warnings).
        found += [f for f in judged if f.is_error] if managed else judged
    dmarc_names = [level.name] if level is not None else []
    found += check_dmarc_present({domain.domain: (domain.domain, domain.domain)}, dmarc_names)
    return found


def pack_findings(
    domain: DomainConfig,
    records: Sequence[RecordPlan],
    walk: Discovery,
) -> list[Finding]:
    """The policy pack's rules, with their default config, over the records after the plan.

    ``walk``: the DMARC tree walk over what is published (see ``_dmarc_findings``).
    The SMTP settings rules (``smtp-port-not-25``, ``mail-host-not-ip`` on settings) judge an
    application's settings, which a stack config does not hold; the sender
    rule is part of the config's validation. The SES rule runs over the records after
    the plan, though ``desired_records`` always writes what it asks for: it holds the
    plan to the pack if that ever changes.
    """
    dns_records = [_dns_record(r) for r in records]
    costs = {s.include: s.lookups for s in domain.senders}
    found: list[Finding] = []
    for record in dns_records:
        name = record.fqdn or ""
        label = record.label
        for text in spf_values(record):
            if _spf_rules_clean(text, tuple(sorted(costs.items()))):
                continue
            found += spf_rule_findings(text, name=name, label=label, include_costs=costs)
        if record.type_upper == "MX":
            for exchange in record.known_values():
                found += check_mx_exchange(exchange, name=name, label=label, where=name)
    found += check_single_spf(dns_records)
    found += _dmarc_findings(domain, dns_records, walk)
    if domain.ses_identities:
        identities, mail_froms = [], []
        for ses in domain.ses_identities:
            identities.append(SesIdentity(domain.domain, where=domain.domain,
                                          label=f"SesDomainIdentity ({ses.region})",
                                          region=ses.region))
            mail_from = domain.mail_from_of(ses)
            if mail_from is not None:
                mail_froms.append(MailFromDomain(domain.domain, mail_from, where=mail_from,
                                                 label=f"SesDomainIdentity ({ses.region})",
                                                 region=ses.region))
        found += check_ses_identities(identities, mail_froms, dns_records)
    return found
