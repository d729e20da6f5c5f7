"""The pack's SPF policies: no IP literals, valid records, the lookup budget, one record per
name, include-only."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

from pulumi_policy import (
    Policy,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from mailzone.findings import Finding
from mailzone.providers import for_record_type
from mailzone.registry import REGISTRY
from mailzone.rules.mailhost import IPNetwork, parse_networks
from mailzone.rules.records import DnsRecord, check_single_spf, check_spf_lookalikes, spf_values
from mailzone.rules.spfpolicy import (
    DEFAULT_ALLOWED_MECHANISMS,
    DEFAULT_HEADROOM,
    RFC_LOOKUP_LIMIT,
    check_include_only,
    check_lookup_budget,
    check_spf_ip_literals,
)
from mailzone.spf.lint import lint_record
from policies import resources as rs
from policies.base import (
    STRINGS,
    PolicyConfigError,
    config_costs,
    config_int,
    config_networks,
    config_strings,
    declared,
    dns_policy,
    parsed,
    report_findings,
    stack_records,
)


def _ip_literal_config(config: Mapping[str, Any]
                       ) -> tuple[tuple[IPNetwork, ...], Mapping[str, tuple[IPNetwork, ...]]]:
    name = "spf-no-ip-literals"
    allowed = tuple(config_networks(config, name, "allowedNetworks"))
    ranges_config = config.get("senderRanges") or {}
    if not isinstance(ranges_config, dict):
        raise PolicyConfigError(f"{name}: config 'senderRanges' must map includes to CIDR lists")
    ranges = {}
    for include, networks in ranges_config.items():
        try:
            ranges[str(include)] = tuple(parse_networks(networks if isinstance(networks, list)
                                                        else []))
        except ValueError as exc:
            raise PolicyConfigError(f"{name}: config 'senderRanges.{include}': {exc}") from None
    return allowed, MappingProxyType(ranges)


def _spf_no_ip_literals(resource: rs.Resource, record: DnsRecord,
                        config: Mapping[str, Any]) -> list[Finding]:
    allowed, ranges = parsed(config, _ip_literal_config)  # a bad config fails for any record
    texts = spf_values(record)
    if not texts:
        return []
    findings: list[Finding] = []
    for text in texts:
        findings += check_spf_ip_literals(text, name=record.fqdn or "", label=resource.name,
                                          allowed_networks=allowed, extra_ranges=ranges)
    return findings


def _ignored_codes(config: Mapping[str, Any]) -> frozenset[str]:
    return frozenset(config_strings(config, "spf-valid", "ignoreCodes"))


def _spf_valid(resource: rs.Resource, record: DnsRecord,
               config: Mapping[str, Any]) -> list[Finding]:
    ignore = parsed(config, _ignored_codes)
    if record.type_upper not in ("TXT", "SPF"):
        return []  # neither an SPF record nor a look-alike
    strings = record.strings or {}
    findings: list[Finding] = []
    at = f" at {record.fqdn}" if record.fqdn else ""
    for text in spf_values(record):
        lint = lint_record(text, domain=record.fqdn, strings=strings.get(text))
        # The engine's findings that this policy owns (IP literals are spf-no-ip-literals').
        for finding in REGISTRY.select(lint, policy="spf-valid"):
            if finding.is_error and finding.code not in ignore:
                findings.append(Finding(
                    finding.code, finding.severity,
                    f"{resource.name}: the SPF record{at} ({finding.code}): {finding.message}",
                    finding.where,
                ))
    reader = for_record_type(resource.type)
    lookalikes = check_spf_lookalikes(record, label=resource.name,
                                      hint=reader.txt_hint if reader else "")
    return findings + [f for f in lookalikes if f.code not in ignore]


class _BudgetConfig(NamedTuple):
    maximum: int
    warn_at: int | None
    costs: Mapping[str, int]


def _budget_policy(policy: str, *, warn: bool
                   ) -> Callable[[rs.Resource, DnsRecord, Mapping[str, Any]], list[Finding]]:
    """The check of one of the two budget policies (the limit alone, or with headroom)."""

    def budget_config(config: Mapping[str, Any]) -> _BudgetConfig:
        return _BudgetConfig(
            config_int(config, policy, "maxLookups", RFC_LOOKUP_LIMIT),
            config_int(config, policy, "warnAt", DEFAULT_HEADROOM) if warn else None,
            MappingProxyType(config_costs(config, policy)))

    def check(resource: rs.Resource, record: DnsRecord,
              config: Mapping[str, Any]) -> list[Finding]:
        maximum, warn_at, costs = parsed(config, budget_config)
        texts = spf_values(record)
        if not texts:
            return []
        findings: list[Finding] = []
        for text in texts:
            findings += check_lookup_budget(text, max_lookups=maximum, warn_at=warn_at,
                                            include_costs=costs, name=record.fqdn or "",
                                            label=resource.name)
        return REGISTRY.select(findings, policy=policy) if findings else findings

    return check


def _allowed_mechanisms(config: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(config_strings(config, "spf-include-only", "allowedMechanisms",
                                DEFAULT_ALLOWED_MECHANISMS))


def _spf_include_only(resource: rs.Resource, record: DnsRecord,
                      config: Mapping[str, Any]) -> list[Finding]:
    allowed = parsed(config, _allowed_mechanisms)
    texts = spf_values(record)
    if not texts:
        return []
    findings: list[Finding] = []
    for text in texts:
        findings += check_include_only(text, allowed=allowed, name=record.fqdn or "",
                                       label=resource.name)
    return findings


def _spf_single_record(args: StackValidationArgs, report: ReportViolation) -> None:
    ignore = config_strings(args.get_config(), "spf-single-record", "ignoreNames")
    findings = check_single_spf(stack_records(args), ignore_names=ignore)
    report_findings(findings, report, stack=True)


POLICIES: list[Policy] = [
    ResourceValidationPolicy(
        **declared("spf-no-ip-literals"),
        validate=dns_policy(_spf_no_ip_literals),
        config_schema=PolicyConfigSchema(properties={
            "allowedNetworks": {**STRINGS, "default": [],
                                "description": "CIDRs of mail servers you operate yourself, "
                                               "accepted in SPF"},
            "senderRanges": {"type": "object", "default": {},
                             "additionalProperties": STRINGS,
                             "description": "include target -> CIDRs it publishes, to name "
                                            "the include that should replace an address"},
        }),
    ),
    ResourceValidationPolicy(
        **declared("spf-valid"),
        validate=dns_policy(_spf_valid),
        config_schema=PolicyConfigSchema(properties={
            "ignoreCodes": {**STRINGS, "default": [],
                            "description": "finding codes not to report (e.g. spf-too-large)"},
        }),
    ),
    ResourceValidationPolicy(
        **declared("spf-lookup-budget"),
        validate=dns_policy(_budget_policy("spf-lookup-budget", warn=False)),
        config_schema=PolicyConfigSchema(properties={
            "maxLookups": {"type": "integer", "minimum": 1, "maximum": 10, "default": 10},
            "includeCosts": {"type": "object", "additionalProperties": {"type": "integer"},
                             "default": {},
                             "description": "include target -> lookups it costs in all, for "
                                            "includes the catalogue does not know"},
        }),
    ),
    ResourceValidationPolicy(
        **declared("spf-lookup-budget-headroom"),
        validate=dns_policy(_budget_policy("spf-lookup-budget-headroom", warn=True)),
        config_schema=PolicyConfigSchema(properties={
            "warnAt": {"type": "integer", "minimum": 1, "maximum": 10, "default": 8},
            "maxLookups": {"type": "integer", "minimum": 1, "maximum": 10, "default": 10},
            "includeCosts": {"type": "object", "additionalProperties": {"type": "integer"},
                             "default": {}},
        }),
    ),
    StackValidationPolicy(
        **declared("spf-single-record"),
        validate=_spf_single_record,
        config_schema=PolicyConfigSchema(properties={
            "ignoreNames": {**STRINGS, "default": [],
                            "description": "names not checked (e.g. during a migration)"},
        }),
    ),
    ResourceValidationPolicy(
        **declared("spf-include-only"),
        validate=dns_policy(_spf_include_only),
        config_schema=PolicyConfigSchema(properties={
            "allowedMechanisms": {**STRINGS, "default": list(DEFAULT_ALLOWED_MECHANISMS),
                                  "description": "mechanisms allowed (redirect: the "
                                                 "modifier)"},
        }),
    ),
]
