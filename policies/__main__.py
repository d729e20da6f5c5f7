"""The mailzone policy pack: mail DNS and mail settings that every preview must pass.

The Pulumi CLI starts this file with ``python -u -m pulumi.policy <engine> .`` in
this directory; ``pulumi_policy.PolicyPack`` then serves the Analyzer gRPC
protocol and prints its port on stdout. Each policy maps the resources it
inspects (by type token and the engine's camelCase property names, see
``resources.py``) to plain values and calls the core's rule functions, so the
pack, the components and the CLI judge alike. Nothing here imports a provider
SDK: the pack starts in well under a second.

Values unknown during a preview are never violations. A policy whose config is
wrong fails loudly with the config key and the fix.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

_ROOT = Path(__file__).resolve().parent.parent
if str(_ROOT) not in sys.path:
    # The pack judges with the core of the same checkout (mailzone/ beside policies/).
    sys.path.insert(0, str(_ROOT))

from pulumi_policy import (  # noqa: E402
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyPack,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from mailzone.dns.resolver import normalize_name  # noqa: E402
from mailzone.findings import Finding  # noqa: E402
from mailzone.mail.dmarc import is_dmarc_record  # noqa: E402
from mailzone.registry import REGISTRY, Enforcement  # noqa: E402
from mailzone.rules.coverage import check_dmarc_present, check_dmarc_value  # noqa: E402
from mailzone.rules.mailhost import (  # noqa: E402
    IPNetwork,
    check_mx_exchange,
    check_smtp_host,
    parse_networks,
)
from mailzone.rules.records import (  # noqa: E402
    DnsRecord,
    check_single_spf,
    spf_values,
)
from mailzone.rules.sender import (  # noqa: E402
    DEFAULT_PLACEHOLDER_DOMAINS,
    check_sender_address,
    check_sender_domain,
)
from mailzone.rules.ses import check_ses_identities  # noqa: E402
from mailzone.rules.smtp import SettingKind, check_port_25, hosts  # noqa: E402
from mailzone.rules.spfpolicy import (  # noqa: E402
    DEFAULT_ALLOWED_MECHANISMS,
    DEFAULT_HEADROOM,
    RFC_LOOKUP_LIMIT,
    check_include_only,
    check_lookup_budget,
    check_spf_ip_literals,
)
from mailzone.spf.lint import lint_record  # noqa: E402
from policies import resources as rs  # noqa: E402

PACK_NAME = "mailzone"



class PolicyConfigError(ValueError):
    """A policy's configuration cannot be used; the message names the key and the fix."""


# --- config helpers -----------------------------------------------------------


def _strings(config: Mapping[str, Any], policy: str, key: str,
             default: Iterable[str] = ()) -> list[str]:
    value = config.get(key)
    if value is None:
        return list(default)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise PolicyConfigError(f"{policy}: config '{key}' must be a list of strings")
    return list(value)


def _int(config: Mapping[str, Any], policy: str, key: str, default: int) -> int:
    value = config.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value:
        raise PolicyConfigError(f"{policy}: config '{key}' must be a whole number, got {value!r}")
    return int(value)


def _bool(config: Mapping[str, Any], policy: str, key: str, default: bool) -> bool:
    value = config.get(key)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise PolicyConfigError(f"{policy}: config '{key}' must be true or false")
    return value


def _networks(config: Mapping[str, Any], policy: str, key: str) -> list[IPNetwork]:
    try:
        return parse_networks(_strings(config, policy, key))
    except ValueError as exc:
        raise PolicyConfigError(f"{policy}: config '{key}': {exc}") from None


def _costs(config: Mapping[str, Any], policy: str) -> dict[str, int]:
    value = config.get("includeCosts") or {}
    if not isinstance(value, dict):
        raise PolicyConfigError(f"{policy}: config 'includeCosts' must map includes to numbers")
    return {str(k).removeprefix("include:"): _int(value, policy, k, 1) for k in value}


_STRINGS = {"type": "array", "items": {"type": "string"}}


# --- adapters -----------------------------------------------------------------


def _resource(args: ResourceValidationArgs) -> rs.Resource:
    return rs.Resource(args.resource_type, args.urn, args.name, rs.plain(args.props))


def _stack(args: StackValidationArgs) -> list[rs.Resource]:
    return [rs.Resource(r.resource_type, r.urn, r.name, rs.plain(r.props)) for r in args.resources]


def _report(findings: Iterable[Finding], report: ReportViolation, *, stack: bool = False,
            only: str | None = None) -> None:
    for finding in findings:
        if only is not None and finding.severity.value != only:
            continue
        urn = finding.where if stack and finding.where.startswith("urn:") else None
        report(finding.message, urn)


def _dns_policy(
    check: Callable[[rs.Resource, DnsRecord, Mapping[str, Any]], list[Finding]],
) -> Callable[[ResourceValidationArgs, ReportViolation], None]:
    """A resource validation over the record set a DNS resource declares."""

    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        if args.resource_type not in rs.DNS_TYPES:
            return
        resource = _resource(args)
        record = rs.dns_record(resource)
        if record is not None:
            _report(check(resource, record, args.get_config()), report)

    return validate


def _settings_policy(
    check: Callable[[rs.SettingsGroup, str, Mapping[str, Any]], list[Finding]],
) -> Callable[[ResourceValidationArgs, ReportViolation], None]:
    """A resource validation over the SMTP settings a resource sets."""

    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        if args.resource_type not in rs.SETTINGS_TYPES:
            return
        resource = _resource(args)
        for group in rs.settings_groups(resource):
            findings = check(group, resource.urn, args.get_config())
            if group.secret:
                findings = [_redact(f, group) for f in findings]
            _report(findings, report)

    return validate


def _redact(finding: Finding, group: rs.SettingsGroup) -> Finding:
    message = finding.message
    for setting in group.settings:
        if setting.value:
            message = message.replace(setting.value, "<secret>")
    return Finding(finding.code, finding.severity, message, finding.where)


def _records(resources: list[rs.Resource]) -> list[DnsRecord]:
    zones = rs.zone_names(resources)
    records = [rs.dns_record(r, zones) for r in resources]
    return [r for r in records if r is not None]


# --- SPF ----------------------------------------------------------------------


def _spf_no_ip_literals(resource: rs.Resource, record: DnsRecord,
                        config: Mapping[str, Any]) -> list[Finding]:
    name = "spf-no-ip-literals"
    allowed = _networks(config, name, "allowedNetworks")
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
    ignore = set(_strings(config, "spf-valid", "ignoreCodes"))
    strings = rs.txt_strings(resource)
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
    return findings


def _budget(resource: rs.Resource, record: DnsRecord, config: Mapping[str, Any],
            policy: str, *, warn: bool) -> list[Finding]:
    maximum = _int(config, policy, "maxLookups", RFC_LOOKUP_LIMIT)
    warn_at = _int(config, policy, "warnAt", DEFAULT_HEADROOM) if warn else None
    costs = _costs(config, policy)
    findings: list[Finding] = []
    for text in spf_values(record):
        findings += check_lookup_budget(text, max_lookups=maximum, warn_at=warn_at,
                                        include_costs=costs, name=record.fqdn or "",
                                        label=resource.name)
    return REGISTRY.select(findings, policy=policy)


def _spf_include_only(resource: rs.Resource, record: DnsRecord,
                      config: Mapping[str, Any]) -> list[Finding]:
    allowed = _strings(config, "spf-include-only", "allowedMechanisms", DEFAULT_ALLOWED_MECHANISMS)
    findings: list[Finding] = []
    for text in spf_values(record):
        findings += check_include_only(text, allowed=allowed, name=record.fqdn or "",
                                       label=resource.name)
    return findings


def _spf_single_record(args: StackValidationArgs, report: ReportViolation) -> None:
    ignore = _strings(args.get_config(), "spf-single-record", "ignoreNames")
    _report(check_single_spf(_records(_stack(args)), ignore_names=ignore), report, stack=True)


# --- mail hosts and SMTP settings ---------------------------------------------


def _mail_host_not_ip_dns(resource: rs.Resource, record: DnsRecord,
                          config: Mapping[str, Any]) -> list[Finding]:
    if record.type_upper != "MX":
        return []
    allowed = _networks(config, "mail-host-not-ip", "allowedNetworks")
    findings: list[Finding] = []
    for exchange in record.known_values():
        findings += check_mx_exchange(exchange, name=record.fqdn or "", label=resource.name,
                                      allowed_networks=allowed)
    return findings


def _mail_host_not_ip_settings(group: rs.SettingsGroup, where: str,
                               config: Mapping[str, Any]) -> list[Finding]:
    allowed = _networks(config, "mail-host-not-ip", "allowedNetworks")
    loopback = _bool(config, "mail-host-not-ip", "allowLoopback", True)
    findings: list[Finding] = []
    for setting, endpoint in hosts(group.settings):
        if endpoint is None or endpoint.host is None:
            continue
        findings += check_smtp_host(endpoint.host, key=setting.key, label=group.label,
                                    allowed_networks=allowed, allow_loopback=loopback)
    return findings


def _mail_host_not_ip(args: ResourceValidationArgs, report: ReportViolation) -> None:
    _dns_policy(_mail_host_not_ip_dns)(args, report)
    _settings_policy(_mail_host_not_ip_settings)(args, report)


def _port_25(group: rs.SettingsGroup, where: str, config: Mapping[str, Any], *,
             policy: str) -> list[Finding]:
    local = _strings(config, policy, "localHosts")
    limit = _int(config, policy, "messagesPerDay", 1000)
    found = check_port_25(group.settings, label=group.label, local_hosts=local, daily_limit=limit)
    return REGISTRY.select(found, policy=policy)


# --- senders, SES, DMARC (stack) ------------------------------------------------


def _sending_domains(resources: list[rs.Resource], records: list[DnsRecord]
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


def _sender_address(args: StackValidationArgs, report: ReportViolation) -> None:
    policy = "sender-address"
    config = args.get_config()
    allowed = _strings(config, policy, "allowedMailboxes")
    placeholders = _strings(config, policy, "placeholderDomains", DEFAULT_PLACEHOLDER_DOMAINS)
    require = _bool(config, policy, "requireSendingDomain", True)
    extra_domains = _strings(config, policy, "sendingDomains")
    resources = _stack(args)
    addresses: list[tuple[str, rs.Resource, str]] = []  # (address, resource, label)
    for resource in resources:
        address = rs.ses_address_identity(resource)
        if address is not None:
            addresses.append((address, resource, f"{resource.name} (SES identity)"))
        for group in rs.settings_groups(resource):
            for setting in group.settings:
                if setting.kind is SettingKind.SENDER and setting.value is not None:
                    addresses.append((setting.value, resource, f"{group.label} {setting.key}"))
    records = _records(resources)
    domains, unknown = _sending_domains(resources, records)
    for address, resource, label in addresses:
        findings = check_sender_address(address, allowed_mailboxes=allowed,
                                        placeholder_domains=placeholders, where=resource.urn)
        if not findings and require and not unknown:
            findings = check_sender_domain(address, [*domains, *extra_domains],
                                           where=resource.urn)
        for finding in findings:
            report(f"{label}: {finding.message}", resource.urn)


def _ses_identity_complete(args: StackValidationArgs, report: ReportViolation) -> None:
    external = _strings(args.get_config(), "ses-identity-complete", "externalDomains")
    resources = _stack(args)
    dkim = dict(filter(None, (rs.ses_domain_dkim(r) for r in resources)))
    identities = [i for i in (rs.ses_identity(r, dkim) for r in resources) if i is not None]
    mail_froms = [m for m in (rs.mail_from(r) for r in resources) if m is not None]
    findings = check_ses_identities(identities, mail_froms, _records(resources),
                                    external_domains=external)
    _report(findings, report, stack=True)


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
    external = _strings(args.get_config(), "dmarc-missing", "externalDomains")
    resources = _stack(args)
    records = _records(resources)
    domains, _unknown = _sending_domains(resources, records)
    dmarc_names = [r.fqdn for r in records
                   if r.fqdn is not None and r.fqdn.startswith("_dmarc.")
                   and r.type_upper in ("TXT", None)]
    names_unknown = any(
        r.fqdn is None and r.type_upper in ("TXT", None)
        and (r.has_unknown_values or any(is_dmarc_record(v) for v in r.known_values()))
        for r in records
    )
    findings = check_dmarc_present(domains, dmarc_names, names_unknown=names_unknown,
                                   external_domains=external)
    _report(findings, report, stack=True)


# --- the pack -------------------------------------------------------------------

MANDATORY = EnforcementLevel.MANDATORY
ADVISORY = EnforcementLevel.ADVISORY
_LEVELS = {Enforcement.MANDATORY: MANDATORY, Enforcement.ADVISORY: ADVISORY}


def _declared(name: str) -> dict[str, Any]:
    """A policy's name, description and enforcement, as the registry declares them."""
    policy = REGISTRY.policy(name)
    return {"name": policy.name, "description": policy.description,
            "enforcement_level": _LEVELS[policy.enforcement]}


POLICIES: list[ResourceValidationPolicy | StackValidationPolicy] = [
    ResourceValidationPolicy(
        **_declared("spf-no-ip-literals"),
        validate=_dns_policy(_spf_no_ip_literals),
        config_schema=PolicyConfigSchema(properties={
            "allowedNetworks": {**_STRINGS, "default": [],
                                "description": "CIDRs of mail servers you operate yourself, "
                                               "accepted in SPF"},
            "senderRanges": {"type": "object", "default": {},
                             "additionalProperties": _STRINGS,
                             "description": "include target -> CIDRs it publishes, to name "
                                            "the include that should replace an address"},
        }),
    ),
    ResourceValidationPolicy(
        **_declared("spf-valid"),
        validate=_dns_policy(_spf_valid),
        config_schema=PolicyConfigSchema(properties={
            "ignoreCodes": {**_STRINGS, "default": [],
                            "description": "finding codes not to report (e.g. spf-too-large)"},
        }),
    ),
    ResourceValidationPolicy(
        **_declared("spf-lookup-budget"),
        validate=_dns_policy(lambda r, rec, c: _budget(r, rec, c, "spf-lookup-budget",
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
        **_declared("spf-lookup-budget-headroom"),
        validate=_dns_policy(lambda r, rec, c: _budget(r, rec, c, "spf-lookup-budget-headroom",
                                                       warn=True)),
        config_schema=PolicyConfigSchema(properties={
            "warnAt": {"type": "integer", "minimum": 1, "maximum": 10, "default": 8},
            "maxLookups": {"type": "integer", "minimum": 1, "maximum": 10, "default": 10},
            "includeCosts": {"type": "object", "additionalProperties": {"type": "integer"},
                             "default": {}},
        }),
    ),
    StackValidationPolicy(
        **_declared("spf-single-record"),
        validate=_spf_single_record,
        config_schema=PolicyConfigSchema(properties={
            "ignoreNames": {**_STRINGS, "default": [],
                            "description": "names not checked (e.g. during a migration)"},
        }),
    ),
    ResourceValidationPolicy(
        **_declared("spf-include-only"),
        validate=_dns_policy(_spf_include_only),
        config_schema=PolicyConfigSchema(properties={
            "allowedMechanisms": {**_STRINGS, "default": list(DEFAULT_ALLOWED_MECHANISMS),
                                  "description": "mechanisms allowed (redirect: the "
                                                 "modifier)"},
        }),
    ),
    ResourceValidationPolicy(
        **_declared("mail-host-not-ip"),
        validate=_mail_host_not_ip,
        config_schema=PolicyConfigSchema(properties={
            "allowedNetworks": {**_STRINGS, "default": [],
                                "description": "addresses accepted as hosts (a relay you "
                                               "run yourself)"},
            "allowLoopback": {"type": "boolean", "default": True,
                              "description": "accept 127.0.0.0/8 and ::1 as SMTP hosts"},
        }),
    ),
    ResourceValidationPolicy(
        **_declared("smtp-port-not-25"),
        validate=_settings_policy(lambda g, w, c: _port_25(g, w, c, policy="smtp-port-not-25")),
        config_schema=PolicyConfigSchema(properties={
            "localHosts": {**_STRINGS, "default": [],
                           "description": "host names that count as a local relay, beside "
                                          "localhost, 127.0.0.0/8 and ::1"},
        }),
    ),
    ResourceValidationPolicy(
        **_declared("smtp-port-local-relay"),
        validate=_settings_policy(lambda g, w, c: _port_25(g, w, c,
                                                           policy="smtp-port-local-relay")),
        config_schema=PolicyConfigSchema(properties={
            "messagesPerDay": {"type": "integer", "minimum": 1, "default": 1000},
            "localHosts": {**_STRINGS, "default": []},
        }),
    ),
    StackValidationPolicy(
        **_declared("sender-address"),
        validate=_sender_address,
        config_schema=PolicyConfigSchema(properties={
            "allowedMailboxes": {**_STRINGS, "default": [],
                                 "description": "noreply-looking addresses that are real, "
                                                "read mailboxes"},
            "placeholderDomains": {**_STRINGS, "default": list(DEFAULT_PLACEHOLDER_DOMAINS)},
            "requireSendingDomain": {"type": "boolean", "default": True,
                                     "description": "the address's domain must have an SES "
                                                    "identity or an SPF record in the stack"},
            "sendingDomains": {**_STRINGS, "default": [],
                               "description": "domains managed outside this stack"},
        }),
    ),
    StackValidationPolicy(
        **_declared("ses-identity-complete"),
        validate=_ses_identity_complete,
        config_schema=PolicyConfigSchema(properties={
            "externalDomains": {**_STRINGS, "default": [],
                                "description": "domains whose DNS is managed elsewhere"},
        }),
    ),
    ResourceValidationPolicy(
        **_declared("dmarc-valid"),
        validate=_dns_policy(_dmarc_valid),
        config_schema=PolicyConfigSchema(properties={
            "minimumPolicy": {"type": "string", "enum": ["none", "quarantine", "reject"],
                              "default": "none"},
        }),
    ),
    StackValidationPolicy(
        **_declared("dmarc-missing"),
        validate=_dmarc_missing,
        config_schema=PolicyConfigSchema(properties={
            "externalDomains": {**_STRINGS, "default": [],
                                "description": "domains whose DMARC is published elsewhere"},
        }),
    ),
]


if __name__ == "__main__":
    PolicyPack(
        name=PACK_NAME,
        policies=POLICIES,
        enforcement_level=ADVISORY,
        description="mailzone: mail DNS (SPF, DKIM, DMARC, SES) and SMTP settings that "
                    "every preview must pass.",
    )
