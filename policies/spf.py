"""The pack's SPF policies: no IP literals, valid records, the lookup budget, one record per
name, include-only."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

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
from mailzone.rules.mailhost import parse_networks
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
    records_of,
    report_findings,
    stack_of,
)


def _spf_no_ip_literals(resource: rs.Resource, record: DnsRecord,
                        config: Mapping[str, Any]) -> list[Finding]:
    name = "spf-no-ip-literals"
    allowed = config_networks(config, name, "allowedNetworks")
    ranges_config = config.get("senderRanges") or {}
    if not isinstance(ranges_config, dict):
        raise PolicyConfigError(f"{name}: config 'senderRanges' must map includes to CIDR lists")
    ranges = {}
    for include, networks in ranges_config.items():
        try:
            ranges[str(include)] = parse_networks(networks if isinstance(networks, list) else [])
        except ValueError as exc:
            raise PolicyConfigError(f"{name}: config 'senderRanges.{include}': {exc}") from None
    findings: list[Finding] = []
    for text in spf_values(record):
        findings += check_spf_ip_literals(text, name=record.fqdn or "", label=resource.name,
                                          allowed_networks=allowed, extra_ranges=ranges)
    return findings


def _spf_valid(resource: rs.Resource, record: DnsRecord,
               config: Mapping[str, Any]) -> list[Finding]:
    ignore = set(config_strings(config, "spf-valid", "ignoreCodes"))
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


def _budget(resource: rs.Resource, record: DnsRecord, config: Mapping[str, Any],
            policy: str, *, warn: bool) -> list[Finding]:
    maximum = config_int(config, policy, "maxLookups", RFC_LOOKUP_LIMIT)
    warn_at = config_int(config, policy, "warnAt", DEFAULT_HEADROOM) if warn else None
    costs = config_costs(config, policy)
    findings: list[Finding] = []
    for text in spf_values(record):
        findings += check_lookup_budget(text, max_lookups=maximum, warn_at=warn_at,
                                        include_costs=costs, name=record.fqdn or "",
                                        label=resource.name)
    return REGISTRY.select(findings, policy=policy)


def _spf_include_only(resource: rs.Resource, record: DnsRecord,
                      config: Mapping[str, Any]) -> list[Finding]:
    allowed = config_strings(config, "spf-include-only", "allowedMechanisms",
                             DEFAULT_ALLOWED_MECHANISMS)
    findings: list[Finding] = []
    for text in spf_values(record):
        findings += check_include_only(text, allowed=allowed, name=record.fqdn or "",
                                       label=resource.name)
    return findings


def _spf_single_record(args: StackValidationArgs, report: ReportViolation) -> None:
    ignore = config_strings(args.get_config(), "spf-single-record", "ignoreNames")
    findings = check_single_spf(records_of(stack_of(args)), ignore_names=ignore)
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
        validate=dns_policy(lambda r, rec, c: _budget(r, rec, c, "spf-lookup-budget",
                                                       warn=False)),
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
        validate=dns_policy(lambda r, rec, c: _budget(r, rec, c, "spf-lookup-budget-headroom",
                                                       warn=True)),
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
