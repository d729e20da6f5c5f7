"""The pack's stack-wide policies over senders, SES identities and DMARC."""

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
from mailzone.mail.dmarc import is_dmarc_record
from mailzone.rules.coverage import check_dmarc_present, check_dmarc_value
from mailzone.rules.records import DnsRecord
from mailzone.rules.sender import (
    DEFAULT_PLACEHOLDER_DOMAINS,
    SendingDomains,
    check_sender_address,
    check_sender_domain,
)
from mailzone.rules.ses import check_ses_identities
from mailzone.rules.smtp import SettingKind
from policies import resources as rs
from policies.base import (
    STRINGS,
    PolicyConfigError,
    config_bool,
    config_strings,
    declared,
    dns_policy,
    report_findings,
    sending_domains,
    stack_of,
    stack_records,
    violation,
)


def _sender_address(args: StackValidationArgs, report: ReportViolation) -> None:
    policy = "sender-address"
    config = args.get_config()
    allowed = config_strings(config, policy, "allowedMailboxes")
    placeholders = config_strings(config, policy, "placeholderDomains", DEFAULT_PLACEHOLDER_DOMAINS)
    require = config_bool(config, policy, "requireSendingDomain", True)
    extra_domains = config_strings(config, policy, "sendingDomains")
    resources = stack_of(args)
    addresses: list[tuple[str, rs.Resource, str]] = []  # (address, resource, label)
    for resource in resources:
        address = rs.ses_address_identity(resource)
        if address is not None:
            addresses.append((address, resource, f"{resource.name} (SES identity)"))
        for group in rs.settings_groups(resource):
            for setting in group.settings:
                if setting.kind is SettingKind.SENDER and setting.value is not None:
                    addresses.append((setting.value, resource, f"{group.label} {setting.key}"))
    records = stack_records(args)
    domains, unknown = sending_domains(resources, records)
    managed = SendingDomains([*domains, *extra_domains])  # once, not per address
    for address, resource, label in addresses:
        findings = check_sender_address(address, allowed_mailboxes=allowed,
                                        placeholder_domains=placeholders, where=resource.urn)
        if not findings and require and not unknown:
            findings = check_sender_domain(address, managed, where=resource.urn)
        for finding in findings:
            report(violation(finding, f"{label}: {finding.message}"), resource.urn)


def _ses_identity_complete(args: StackValidationArgs, report: ReportViolation) -> None:
    external = config_strings(args.get_config(), "ses-identity-complete", "externalDomains")
    resources = stack_of(args)
    dkim = dict(filter(None, (rs.ses_domain_dkim(r) for r in resources)))
    identities = [i for i in (rs.ses_identity(r, dkim) for r in resources) if i is not None]
    mail_froms = [m for m in (rs.mail_from(r) for r in resources) if m is not None]
    findings = check_ses_identities(identities, mail_froms, stack_records(args),
                                    external_domains=external)
    report_findings(findings, report, stack=True)


def _dmarc_valid(resource: rs.Resource, record: DnsRecord,
                 config: Mapping[str, Any]) -> list[Finding]:
    minimum = str(config.get("minimumPolicy") or "none").lower()
    if minimum not in ("none", "quarantine", "reject"):
        raise PolicyConfigError(
            f"dmarc-valid: config 'minimumPolicy' must be none, quarantine or reject, "
            f"not {minimum!r}")
    if record.type_upper != "TXT":
        return []
    findings: list[Finding] = []
    for text in record.known_values():
        findings += check_dmarc_value(record.fqdn, text, minimum_policy=minimum,
                                      label=resource.name, where=resource.urn)
    return findings


def _dmarc_missing(args: StackValidationArgs, report: ReportViolation) -> None:
    external = config_strings(args.get_config(), "dmarc-missing", "externalDomains")
    resources = stack_of(args)
    records = stack_records(args)
    domains, _unknown = sending_domains(resources, records)
    # A name covers its domain only with a value receivers take as a record (or one
    # not known yet): anything else there is discarded (RFC 7489 6.6.3).
    dmarc_names = [r.fqdn for r in records
                   if r.fqdn is not None and r.fqdn.startswith("_dmarc.")
                   and r.type_upper in ("TXT", None)
                   and (r.has_unknown_values or any(is_dmarc_record(v) for v in r.known_values()))]
    names_unknown = any(
        r.fqdn is None and r.type_upper in ("TXT", None)
        and (r.has_unknown_values or any(is_dmarc_record(v) for v in r.known_values()))
        for r in records
    )
    findings = check_dmarc_present(domains, dmarc_names, names_unknown=names_unknown,
                                   external_domains=external)
    report_findings(findings, report, stack=True)


POLICIES: list[Policy] = [
    StackValidationPolicy(
        **declared("sender-address"),
        validate=_sender_address,
        config_schema=PolicyConfigSchema(properties={
            "allowedMailboxes": {**STRINGS, "default": [],
                                 "description": "noreply-looking addresses that are real, "
                                                "read mailboxes"},
            "placeholderDomains": {**STRINGS, "default": list(DEFAULT_PLACEHOLDER_DOMAINS)},
            "requireSendingDomain": {"type": "boolean", "default": True,
                                     "description": "the address's domain must have an SES "
                                                    "identity or an SPF record in the stack"},
            "sendingDomains": {**STRINGS, "default": [],
                               "description": "domains managed outside this stack"},
        }),
    ),
    StackValidationPolicy(
        **declared("ses-identity-complete"),
        validate=_ses_identity_complete,
        config_schema=PolicyConfigSchema(properties={
            "externalDomains": {**STRINGS, "default": [],
                                "description": "domains whose DNS is managed elsewhere"},
        }),
    ),
    ResourceValidationPolicy(
        **declared("dmarc-valid"),
        validate=dns_policy(_dmarc_valid),
        config_schema=PolicyConfigSchema(properties={
            "minimumPolicy": {"type": "string", "enum": ["none", "quarantine", "reject"],
                              "default": "none"},
        }),
    ),
    StackValidationPolicy(
        **declared("dmarc-missing"),
        validate=_dmarc_missing,
        config_schema=PolicyConfigSchema(properties={
            "externalDomains": {**STRINGS, "default": [],
                                "description": "domains whose DMARC is published elsewhere"},
        }),
    ),
]
