"""The pack's mail-host and SMTP-settings policies: hosts are names, no port 25."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import (
    Policy,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

from mailzone.findings import Finding
from mailzone.registry import REGISTRY
from mailzone.rules.mailhost import check_mx_exchange, check_smtp_host
from mailzone.rules.records import DnsRecord
from mailzone.rules.smtp import check_port_25, hosts
from policies import resources as rs
from policies.base import (
    STRINGS,
    config_bool,
    config_int,
    config_networks,
    config_strings,
    declared,
    dns_policy,
    reads,
    settings_policy,
)


def _mail_host_not_ip_dns(resource: rs.Resource, record: DnsRecord,
                          config: Mapping[str, Any]) -> list[Finding]:
    if record.type_upper != "MX":
        return []
    allowed = config_networks(config, "mail-host-not-ip", "allowedNetworks")
    findings: list[Finding] = []
    for exchange in record.known_values():
        findings += check_mx_exchange(exchange, name=record.fqdn or "", label=resource.name,
                                      allowed_networks=allowed)
    return findings


def _mail_host_not_ip_settings(group: rs.SettingsGroup, where: str,
                               config: Mapping[str, Any]) -> list[Finding]:
    allowed = config_networks(config, "mail-host-not-ip", "allowedNetworks")
    loopback = config_bool(config, "mail-host-not-ip", "allowLoopback", True)
    findings: list[Finding] = []
    for setting, endpoint in hosts(group.settings):
        if endpoint is None or endpoint.host is None:
            continue
        findings += check_smtp_host(endpoint.host, key=setting.key, label=group.label,
                                    allowed_networks=allowed, allow_loopback=loopback)
    return findings


def _mail_host_not_ip(args: ResourceValidationArgs, report: ReportViolation) -> None:
    dns_policy(_mail_host_not_ip_dns)(args, report)
    settings_policy(_mail_host_not_ip_settings)(args, report)


def _port_25(group: rs.SettingsGroup, where: str, config: Mapping[str, Any], *,
             policy: str) -> list[Finding]:
    local = config_strings(config, policy, "localHosts")
    limit = config_int(config, policy, "messagesPerDay", 1000)
    found = check_port_25(group.settings, label=group.label, local_hosts=local, daily_limit=limit)
    return REGISTRY.select(found, policy=policy)


POLICIES: list[Policy] = [
    ResourceValidationPolicy(
        **declared("mail-host-not-ip"),
        validate=reads(rs.DNS_TYPES | rs.SETTINGS_TYPES, _mail_host_not_ip),
        config_schema=PolicyConfigSchema(properties={
            "allowedNetworks": {**STRINGS, "default": [],
                                "description": "addresses accepted as hosts (a relay you "
                                               "run yourself)"},
            "allowLoopback": {"type": "boolean", "default": True,
                              "description": "accept 127.0.0.0/8 and ::1 as SMTP hosts"},
        }),
    ),
    ResourceValidationPolicy(
        **declared("smtp-port-not-25"),
        validate=settings_policy(lambda g, w, c: _port_25(g, w, c, policy="smtp-port-not-25")),
        config_schema=PolicyConfigSchema(properties={
            "localHosts": {**STRINGS, "default": [],
                           "description": "host names that count as a local relay, beside "
                                          "localhost, 127.0.0.0/8 and ::1"},
        }),
    ),
    ResourceValidationPolicy(
        **declared("smtp-port-local-relay"),
        validate=settings_policy(lambda g, w, c: _port_25(g, w, c,
                                                           policy="smtp-port-local-relay")),
        config_schema=PolicyConfigSchema(properties={
            "messagesPerDay": {"type": "integer", "minimum": 1, "default": 1000},
            "localHosts": {**STRINGS, "default": []},
        }),
    ),
]
