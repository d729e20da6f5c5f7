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
from mailzone.rules.bulk import check_bulk_sender
from mailzone.rules.coverage import check_dmarc_present, check_dmarc_value
from mailzone.rules.parked import check_parked_records
from mailzone.rules.records import DnsRecord
from mailzone.rules.sender import (
    DEFAULT_PLACEHOLDER_DOMAINS,
    SendingDomains,
    check_sender_address,
    check_sender_domain,
    extract_address,
)
from mailzone.rules.ses import MailFromDomain, SesIdentity, check_ses_identities
from mailzone.rules.settings import SettingKind
from policies import resources as rs
from policies.base import (
    SETTING_NAMES_SCHEMA,
    STRINGS,
    PolicyConfigError,
    config_bool,
    config_names,
    config_strings,
    declared,
    dns_policy,
    parsed,
    report_findings,
    sending_domains,
    stack_of,
    stack_records,
    violation,
)
from policies.runtimes import settings_groups


def _sender_address(args: StackValidationArgs, report: ReportViolation) -> None:
    policy = "sender-address"
    config = args.get_config()
    allowed = config_strings(config, policy, "allowedMailboxes")
    placeholders = config_strings(config, policy, "placeholderDomains", DEFAULT_PLACEHOLDER_DOMAINS)
    require = config_bool(config, policy, "requireSendingDomain", True)
    extra_domains = config_strings(config, policy, "sendingDomains")
    names = config_names(config, policy)
    resources = stack_of(args)
    # (address, resource, label, secret: the address must not be printed)
    addresses: list[tuple[str, rs.Resource, str, bool]] = []
    for resource in resources:
        address = rs.ses_address_identity(resource)
        if address is not None:
            addresses.append((address, resource, f"{resource.name} (SES identity)", False))
        for group in settings_groups(resource, names):
            for setting in group.settings:
                if setting.kind is SettingKind.SENDER and setting.value is not None:
                    addresses.append((setting.value, resource,
                                      f"{group.label} {setting.key}{setting.at}",
                                      group.secret or setting.secret))
    records = stack_records(args)
    domains, unknown = sending_domains(resources, records)
    managed = SendingDomains([*domains, *extra_domains])  # once, not per address
    for address, resource, label, secret in addresses:
        findings = check_sender_address(address, allowed_mailboxes=allowed,
                                        placeholder_domains=placeholders, where=resource.urn)
        if not findings and require and not unknown:
            findings = check_sender_domain(address, managed, where=resource.urn)
        for finding in findings:
            message = _masked(finding.message, address) if secret else finding.message
            report(violation(finding, f"{label}: {message}"), resource.urn)


def _masked(message: str, address: str) -> str:
    """``message`` with a secret address and its mailbox and domain masked."""
    value = extract_address(address)
    local, _, domain = value.partition("@")
    for part in sorted({address, value, local, domain} - {""}, key=len, reverse=True):
        message = message.replace(part, "<secret>")
    return message


def _external(description: str) -> dict[str, Any]:
    """The ``externalDomains`` key of a stack policy's config schema."""
    return {**STRINGS, "default": [], "description": description}


def _ses_declarations(resources: list[rs.Resource]
                      ) -> tuple[list[SesIdentity], list[MailFromDomain]]:
    """The stack's SES domain identities (with the tokens its DomainDkim resources give)
    and MAIL FROM domains, as the SES and bulk-sender policies judge them."""
    dkim = dict(filter(None, (rs.ses_domain_dkim(r) for r in resources)))
    identities = [i for i in (rs.ses_identity(r, dkim) for r in resources) if i is not None]
    mail_froms = [m for m in (rs.mail_from(r) for r in resources) if m is not None]
    return identities, mail_froms


def _ses_identity_complete(args: StackValidationArgs, report: ReportViolation) -> None:
    external = config_strings(args.get_config(), "ses-identity-complete", "externalDomains")
    identities, mail_froms = _ses_declarations(stack_of(args))
    findings = check_ses_identities(identities, mail_froms, stack_records(args),
                                    external_domains=external)
    report_findings(findings, report, stack=True)


def _minimum_policy(config: Mapping[str, Any]) -> str:
    minimum = str(config.get("minimumPolicy") or "none").lower()
    if minimum not in ("none", "quarantine", "reject"):
        raise PolicyConfigError(
            f"dmarc-valid: config 'minimumPolicy' must be none, quarantine or reject, "
            f"not {minimum!r}")
    return minimum


def _dmarc_valid(resource: rs.Resource, record: DnsRecord,
                 config: Mapping[str, Any]) -> list[Finding]:
    minimum = parsed(config, _minimum_policy)
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
    # not known yet): anything else there is discarded (RFC 9989, DNS Tree Walk).
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


def _bulk_sender(args: StackValidationArgs, report: ReportViolation) -> None:
    external = config_strings(args.get_config(), "bulk-sender", "externalDomains")
    identities, mail_froms = _ses_declarations(stack_of(args))
    findings = check_bulk_sender(stack_records(args), identities, mail_froms,
                                 external_domains=external)
    report_findings(findings, report, stack=True)


def _parked_domain(args: StackValidationArgs, report: ReportViolation) -> None:
    external = config_strings(args.get_config(), "parked-domain", "externalDomains")
    report_findings(check_parked_records(stack_records(args), external_domains=external),
                    report, stack=True)


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
            "settingNames": SETTING_NAMES_SCHEMA,
        }),
    ),
    StackValidationPolicy(
        **declared("ses-identity-complete"),
        validate=_ses_identity_complete,
        config_schema=PolicyConfigSchema(properties={
            "externalDomains": _external("domains whose DNS is managed elsewhere"),
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
        **declared("bulk-sender"),
        validate=_bulk_sender,
        config_schema=PolicyConfigSchema(properties={
            "externalDomains": _external("domains whose DNS is managed elsewhere"),
        }),
    ),
    StackValidationPolicy(
        **declared("parked-domain"),
        validate=_parked_domain,
        config_schema=PolicyConfigSchema(properties={
            "externalDomains": _external("domains whose DMARC is published elsewhere"),
        }),
    ),
    StackValidationPolicy(
        **declared("dmarc-missing"),
        validate=_dmarc_missing,
        config_schema=PolicyConfigSchema(properties={
            "externalDomains": _external("domains whose DMARC is published elsewhere"),
        }),
    ),
]
