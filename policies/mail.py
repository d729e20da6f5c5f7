"""The pack's mail-host and SMTP-settings policies: hosts are names, no port 25, no
plain-text SMTP passwords."""

from __future__ import annotations

from collections.abc import Callable, Mapping
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
from mailzone.registry import REGISTRY
from mailzone.rules.credentials import check_password_plaintext
from mailzone.rules.mailhost import IPNetwork, check_mx_exchange, check_smtp_host
from mailzone.rules.records import DnsRecord
from mailzone.rules.smtp import check_port_25, check_port_25_joined, hosts
from policies import resources as rs
from policies.base import (
    SETTING_NAMES_SCHEMA,
    STRINGS,
    Decoded,
    Violation,
    config_bool,
    config_int,
    config_names,
    config_networks,
    config_strings,
    declared,
    dns_judge,
    judged,
    parsed,
    redact,
    report_findings,
    settings_judge,
    settings_policy,
    stack_of,
)
from policies.runtimes import SETTINGS_TYPES, SettingsGroup
from policies.runtimes.kubernetes import env_from_joins


def _mail_host_config(config: Mapping[str, Any]) -> tuple[tuple[IPNetwork, ...], bool]:
    """(addresses accepted as hosts, whether loopback is)."""
    return (tuple(config_networks(config, "mail-host-not-ip", "allowedNetworks")),
            config_bool(config, "mail-host-not-ip", "allowLoopback", True))


def _mail_host_not_ip_dns(resource: rs.Resource, record: DnsRecord,
                          config: Mapping[str, Any]) -> list[Finding]:
    if record.type_upper != "MX":
        return []
    allowed, _ = parsed(config, _mail_host_config)
    findings: list[Finding] = []
    for exchange in record.known_values():
        findings += check_mx_exchange(exchange, name=record.fqdn or "", label=resource.name,
                                      allowed_networks=allowed)
    return findings


def _mail_host_not_ip_settings(group: SettingsGroup, where: str,
                               config: Mapping[str, Any]) -> list[Finding]:
    allowed, loopback = parsed(config, _mail_host_config)
    findings: list[Finding] = []
    for setting, endpoint in hosts(group.settings):
        if endpoint is None or endpoint.host is None:
            continue
        findings += check_smtp_host(endpoint.host, key=setting.key, label=group.label,
                                    allowed_networks=allowed, allow_loopback=loopback,
                                    path=setting.path, where=where)
    return findings


_MAIL_HOST_RECORDS = dns_judge(_mail_host_not_ip_dns)
_MAIL_HOST_SETTINGS = settings_judge(_mail_host_not_ip_settings, "mail-host-not-ip")


def _mail_host_not_ip(decoded: Decoded, config: Mapping[str, Any]) -> list[Violation]:
    records = _MAIL_HOST_RECORDS(decoded, config)
    if decoded.resource.type not in SETTINGS_TYPES:
        return records  # a DNS record, say: no list made again for no settings
    return [*records, *_MAIL_HOST_SETTINGS(decoded, config)]


def _port_25(policy: str) -> Callable[[SettingsGroup, str, Mapping[str, Any]], list[Finding]]:
    """The check of one of the two port 25 policies (no port 25, or only to a local relay)."""

    def port_config(config: Mapping[str, Any]) -> tuple[tuple[str, ...], int]:
        return (tuple(config_strings(config, policy, "localHosts")),
                config_int(config, policy, "messagesPerDay", 1000))

    def check(group: SettingsGroup, where: str, config: Mapping[str, Any]) -> list[Finding]:
        local, limit = parsed(config, port_config)
        found = check_port_25(group.settings, label=group.label, local_hosts=local,
                              daily_limit=limit, host_elsewhere=group.host_elsewhere,
                              where=where)
        return REGISTRY.select(found, policy=policy)

    return check


def _ignored_keys(config: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(config_strings(config, "smtp-password-plaintext", "ignoreKeys"))


def _password_plaintext(group: SettingsGroup, where: str,
                        config: Mapping[str, Any]) -> list[Finding]:
    return check_password_plaintext(group.settings, label=group.label, where=where,
                                    stored_secret=group.secret, fix=group.fix,
                                    ignore_keys=parsed(config, _ignored_keys))


def _port_25_env_from(args: StackValidationArgs, report: ReportViolation) -> None:
    policy = "smtp-port-not-25-env-from"
    config = args.get_config()
    local = config_strings(config, policy, "localHosts")
    for parts, unresolved in env_from_joins(stack_of(args), config_names(config, policy)):
        judged = [(p.group.settings, p.group.label, p.resource.urn) for p in parts]
        findings = check_port_25_joined(judged, more_elsewhere=unresolved, local_hosts=local)
        for finding in findings:
            masked = finding
            for part in parts:  # a secret of any part stays masked
                masked = redact(masked, part.group)
            report_findings([masked], report, stack=True)


LOCAL_HOSTS_SCHEMA = {**STRINGS, "default": [],
                      "description": "host names that count as a local relay, beside "
                                     "localhost, 127.0.0.0/8 and ::1"}

POLICIES: list[Policy] = [
    ResourceValidationPolicy(
        **declared("mail-host-not-ip"),
        validate=judged(rs.DNS_TYPES | SETTINGS_TYPES, _mail_host_not_ip),
        config_schema=PolicyConfigSchema(properties={
            "allowedNetworks": {**STRINGS, "default": [],
                                "description": "addresses accepted as hosts (a relay you "
                                               "run yourself)"},
            "allowLoopback": {"type": "boolean", "default": True,
                              "description": "accept 127.0.0.0/8 and ::1 as SMTP hosts"},
            "settingNames": SETTING_NAMES_SCHEMA,
        }),
    ),
    ResourceValidationPolicy(
        **declared("smtp-port-not-25"),
        validate=settings_policy(_port_25("smtp-port-not-25"), "smtp-port-not-25"),
        config_schema=PolicyConfigSchema(properties={
            "localHosts": LOCAL_HOSTS_SCHEMA,
            "settingNames": SETTING_NAMES_SCHEMA,
        }),
    ),
    ResourceValidationPolicy(
        **declared("smtp-port-local-relay"),
        validate=settings_policy(_port_25("smtp-port-local-relay"), "smtp-port-local-relay"),
        config_schema=PolicyConfigSchema(properties={
            "messagesPerDay": {"type": "integer", "minimum": 1, "default": 1000},
            "localHosts": {**STRINGS, "default": []},
            "settingNames": SETTING_NAMES_SCHEMA,
        }),
    ),
    ResourceValidationPolicy(
        **declared("smtp-password-plaintext"),
        validate=settings_policy(_password_plaintext, "smtp-password-plaintext"),
        config_schema=PolicyConfigSchema(properties={
            "ignoreKeys": {**STRINGS, "default": [],
                           "description": "setting keys not judged (a password that is "
                                          "meant to be public, such as a local test relay's)"},
            "settingNames": SETTING_NAMES_SCHEMA,
        }),
    ),
    StackValidationPolicy(
        **declared("smtp-port-not-25-env-from"),
        validate=_port_25_env_from,
        config_schema=PolicyConfigSchema(properties={
            "localHosts": LOCAL_HOSTS_SCHEMA,
            "settingNames": SETTING_NAMES_SCHEMA,
        }),
    ),
]
