"""What every policy of the pack shares: reading its config, and adapting the SDK's
arguments to the core's plain values (``resources``) and its findings back to
violations. A policy whose config is wrong fails loudly with the key and the fix."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    StackValidationArgs,
)

from mailzone.dns.resolver import normalize_name
from mailzone.findings import Finding
from mailzone.registry import REGISTRY, Enforcement
from mailzone.rules.mailhost import IPNetwork, parse_networks
from mailzone.rules.records import DnsRecord, spf_values
from mailzone.rules.settings import DEFAULT_NAMES, SettingKind, SettingNames
from policies import resources as rs
from policies.runtimes import SETTINGS_TYPES, SettingsGroup, settings_groups


class PolicyConfigError(ValueError):
    """A policy's configuration cannot be used; the message names the key and the fix."""


# --- config helpers -----------------------------------------------------------


def config_strings(config: Mapping[str, Any], policy: str, key: str,
             default: Iterable[str] = ()) -> list[str]:
    value = config.get(key)
    if value is None:
        return list(default)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise PolicyConfigError(f"{policy}: config '{key}' must be a list of strings")
    return list(value)


def config_int(config: Mapping[str, Any], policy: str, key: str, default: int) -> int:
    value = config.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value:
        raise PolicyConfigError(f"{policy}: config '{key}' must be a whole number, got {value!r}")
    return int(value)


def config_bool(config: Mapping[str, Any], policy: str, key: str, default: bool) -> bool:
    value = config.get(key)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise PolicyConfigError(f"{policy}: config '{key}' must be true or false")
    return value


def config_networks(config: Mapping[str, Any], policy: str, key: str) -> list[IPNetwork]:
    try:
        return parse_networks(config_strings(config, policy, key))
    except ValueError as exc:
        raise PolicyConfigError(f"{policy}: config '{key}': {exc}") from None


def config_costs(config: Mapping[str, Any], policy: str) -> dict[str, int]:
    value = config.get("includeCosts") or {}
    if not isinstance(value, dict):
        raise PolicyConfigError(f"{policy}: config 'includeCosts' must map includes to numbers")
    return {str(k).removeprefix("include:"): config_int(value, policy, k, 1) for k in value}


STRINGS = {"type": "array", "items": {"type": "string"}}

#: The ``settingNames`` config of every policy that reads application settings:
#: more exact names for the core's table, by kind.
SETTING_NAMES_SCHEMA: dict[str, Any] = {
    "type": "object", "default": {},
    "properties": {kind.value: STRINGS for kind in SettingKind},
    "additionalProperties": False,
    "description": "setting names to recognise beside the built-in table, by kind "
                   "(host, port, url, sender, password)",
}


def config_names(config: Mapping[str, Any], policy: str) -> SettingNames:
    """The name table, extended with the policy's ``settingNames``."""
    value = config.get("settingNames") or {}
    if not isinstance(value, dict):
        raise PolicyConfigError(f"{policy}: config 'settingNames' must map kinds "
                                "(host, port, url, sender, password) to lists of names")
    extra: dict[SettingKind, list[str]] = {}
    kinds = {k.value: k for k in SettingKind}
    for key in value:
        if key not in kinds:
            raise PolicyConfigError(
                f"{policy}: config 'settingNames.{key}': not a kind; use host, port, url, "
                "sender or password")
        extra[kinds[key]] = config_strings(value, policy, key)
    return DEFAULT_NAMES.extended(extra)


def resource_of(args: ResourceValidationArgs) -> rs.Resource:
    return rs.Resource(args.resource_type, args.urn, args.name, rs.plain(args.props))


def stack_of(args: StackValidationArgs) -> list[rs.Resource]:
    return [rs.Resource(r.resource_type, r.urn, r.name, rs.plain(r.props)) for r in args.resources]


def violation(finding: Finding, message: str | None = None) -> str:
    """A violation's text: the finding's message (or ``message``), then its code in
    brackets, so an operator or a script can tell which rule of the policy it is."""
    return f"{finding.message if message is None else message} [{finding.code}]"


def report_findings(findings: Iterable[Finding], report: ReportViolation, *,
                    stack: bool = False, urn: str | None = None) -> None:
    """Report each finding; ``urn``: the resource every finding is about (a resource
    policy), else, for a stack policy, each finding's own."""
    for finding in findings:
        where = finding.where if stack and finding.where.startswith("urn:") else urn
        report(violation(finding), where)


def dns_policy(
    check: Callable[[rs.Resource, DnsRecord, Mapping[str, Any]], list[Finding]],
) -> Callable[[ResourceValidationArgs, ReportViolation], None]:
    """A resource validation over the record set a DNS resource declares."""

    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        if args.resource_type not in rs.DNS_TYPES:
            return
        resource = resource_of(args)
        record = rs.dns_record(resource)
        if record is not None:
            report_findings(check(resource, record, args.get_config()), report,
                            urn=resource.urn)

    return validate


def settings_policy(
    check: Callable[[SettingsGroup, str, Mapping[str, Any]], list[Finding]],
    policy: str,
) -> Callable[[ResourceValidationArgs, ReportViolation], None]:
    """A resource validation over the mail settings a resource sets (``runtimes``),
    recognised by the core's name table and the policy's ``settingNames``."""

    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        if args.resource_type not in SETTINGS_TYPES:
            return
        resource = resource_of(args)
        config = args.get_config()
        for group in settings_groups(resource, config_names(config, policy)):
            findings = [redact(f, group) for f in check(group, resource.urn, config)]
            report_findings(findings, report, urn=resource.urn)

    return validate


def redact(finding: Finding, group: SettingsGroup) -> Finding:
    """The finding with every secret value of the group masked: values the engine sent
    as secrets, and all values of a secret store's group."""
    message = finding.message
    for setting in group.settings:
        if setting.value and (group.secret or setting.secret):
            message = message.replace(setting.value, "<secret>")
    return Finding(finding.code, finding.severity, message, finding.where)


def records_of(resources: list[rs.Resource]) -> list[DnsRecord]:
    zones = rs.zone_names(resources)
    records = [rs.dns_record(r, zones) for r in resources]
    return [r for r in records if r is not None]


def sending_domains(resources: list[rs.Resource], records: list[DnsRecord]
                     ) -> tuple[dict[str, tuple[str, str]], bool]:
    """Domains the stack sends from (SES domain identities, SPF names) and whether
    any candidate is unknown. MAIL FROM domains and _-prefixed names are not
    From domains."""
    mail_from_domains = set()
    for resource in resources:
        mf = rs.mail_from(resource)
        if mf is not None and mf.mail_from_domain is not None:
            mail_from_domains.add(normalize_name(mf.mail_from_domain))
    domains: dict[str, tuple[str, str]] = {}
    unknown = False
    for resource in resources:
        identity = rs.ses_identity(resource)
        if identity is None:
            continue
        if identity.domain is None:
            unknown = True
        else:
            domains.setdefault(normalize_name(identity.domain), (resource.urn, resource.name))
    for record in records:
        if record.type_upper not in ("TXT", "SPF", None):
            continue
        if record.fqdn is None:
            unknown = unknown or record.has_unknown_values or bool(spf_values(record))
            continue
        if not spf_values(record) or record.fqdn.startswith("_"):
            continue
        if record.fqdn in mail_from_domains:
            continue
        domains.setdefault(record.fqdn, (record.where, record.label))
    return domains, unknown




MANDATORY = EnforcementLevel.MANDATORY
ADVISORY = EnforcementLevel.ADVISORY
_LEVELS = {Enforcement.MANDATORY: MANDATORY, Enforcement.ADVISORY: ADVISORY}


def declared(name: str) -> dict[str, Any]:
    """A policy's name, description and enforcement, as the registry declares them."""
    policy = REGISTRY.policy(name)
    return {"name": policy.name, "description": policy.description,
            "enforcement_level": _LEVELS[policy.enforcement]}
