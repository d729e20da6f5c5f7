"""Provider resource shapes -> the core's values (records, identities, settings).

The pack inspects resources by type token and by the property names the engine
sends (camelCase, as in the providers' schemas), so it never imports
``pulumi_aws`` or ``pulumi_cloudflare``. This module is the only place that
knows those shapes; everything it returns is plain data for ``mailzone.rules``.

Unknown values: during a preview, a property computed from another resource
(a DKIM token, a zone id) reaches the pack as one of the engine's unknown
sentinels. ``plain`` turns the policy SDK's property proxies into plain dicts
and lists, with ``UNKNOWN`` wherever a value is not known; the extractors map
``UNKNOWN`` to ``None``, which the core reads as "not known yet" and never
reports.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from pulumi_policy.proxy import (
    UNKNOWN_ARCHIVE_VALUE,
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_ASSET_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
    UnknownValueError,
)

from mailzone.rules.records import DnsRecord
from mailzone.rules.ses import MailFromDomain, SesIdentity
from mailzone.rules.smtp import Setting, settings_from

# Type tokens.
ROUTE53_RECORD: Final = "aws:route53/record:Record"
ROUTE53_ZONE: Final = "aws:route53/zone:Zone"
CLOUDFLARE_DNS_RECORD: Final = "cloudflare:index/dnsRecord:DnsRecord"  # provider v6
CLOUDFLARE_RECORD: Final = "cloudflare:index/record:Record"  # provider v5
CLOUDFLARE_ZONE: Final = "cloudflare:index/zone:Zone"
SESV2_IDENTITY: Final = "aws:sesv2/emailIdentity:EmailIdentity"
SESV2_MAIL_FROM: Final = "aws:sesv2/emailIdentityMailFromAttributes:EmailIdentityMailFromAttributes"
SES_DOMAIN_IDENTITY: Final = "aws:ses/domainIdentity:DomainIdentity"
SES_DOMAIN_DKIM: Final = "aws:ses/domainDkim:DomainDkim"
SES_MAIL_FROM: Final = "aws:ses/mailFrom:MailFrom"
SES_EMAIL_IDENTITY: Final = "aws:ses/emailIdentity:EmailIdentity"
LAMBDA_FUNCTION: Final = "aws:lambda/function:Function"
ECS_TASK_DEFINITION: Final = "aws:ecs/taskDefinition:TaskDefinition"
SSM_PARAMETER: Final = "aws:ssm/parameter:Parameter"

DNS_TYPES: Final = frozenset({ROUTE53_RECORD, CLOUDFLARE_DNS_RECORD, CLOUDFLARE_RECORD})
SETTINGS_TYPES: Final = frozenset({LAMBDA_FUNCTION, ECS_TASK_DEFINITION, SSM_PARAMETER})

_SENTINELS: Final = frozenset({
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_STRING_VALUE,
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_ASSET_VALUE,
    UNKNOWN_ARCHIVE_VALUE,
    UNKNOWN_OBJECT_VALUE,
})


class _Unknown:
    """A value the engine does not know yet (preview)."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Final = _Unknown()


def plain(value: Any) -> Any:
    """Plain dicts/lists/scalars from the policy SDK's proxies, ``UNKNOWN`` for unknowns.

    The SDK's proxies raise ``UnknownValueError`` when an unknown is read; this
    reads every value once and records the unknowns instead.
    """
    if isinstance(value, str):
        return UNKNOWN if value in _SENTINELS else value
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key in value:
            try:
                out[str(key)] = plain(value[key])
            except UnknownValueError:
                out[str(key)] = UNKNOWN
        return out
    if isinstance(value, Sequence):
        items: list[Any] = []
        for index in range(len(value)):
            try:
                items.append(plain(value[index]))
            except UnknownValueError:
                items.append(UNKNOWN)
        return items
    return value


def text(value: Any) -> str | None:
    """A string property: None when unknown or absent; numbers as their text."""
    if value is UNKNOWN or value is None:
        return None
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@dataclass(frozen=True, slots=True)
class Resource:
    """A resource as the pack sees it: type token, URN, name, plain properties."""

    type: str
    urn: str
    name: str
    props: Mapping[str, Any] = field(default_factory=dict)


# --- TXT quoting --------------------------------------------------------------


def unquote_txt(value: str) -> tuple[str, list[str]]:
    """The joined text and the character-strings of a TXT value in zone-file form.

    ``"v=spf1 include:a.example" " ~all"`` -> (``v=spf1 include:a.example ~all``,
    [two strings]). Backslash escapes (``\\"``, ``\\\\``, ``\\DDD``) are decoded.
    A value not in quotes is one string, as written.
    """
    stripped = value.strip()
    if not stripped.startswith('"'):
        return value, [value]
    strings: list[str] = []
    i = 0
    n = len(stripped)
    while i < n:
        while i < n and stripped[i] in " \t":
            i += 1
        if i >= n:
            break
        if stripped[i] != '"':
            # Unquoted trailing garbage: keep it verbatim as one more string.
            strings.append(stripped[i:])
            break
        i += 1
        chunk: list[str] = []
        while i < n and stripped[i] != '"':
            ch = stripped[i]
            if ch == "\\" and i + 1 < n:
                digits = stripped[i + 1 : i + 4]
                if len(digits) == 3 and digits.isdigit():
                    chunk.append(chr(int(digits)))
                    i += 4
                    continue
                chunk.append(stripped[i + 1])
                i += 2
                continue
            chunk.append(ch)
            i += 1
        strings.append("".join(chunk))
        i += 1  # the closing quote
    return "".join(strings), strings


def route53_txt(value: str) -> tuple[str, list[str]]:
    """A Route 53 TXT value as the provider takes it.

    The provider quotes a plain value itself; a long value is split by the
    program with ``""`` between the strings (``first""second``), and a value
    may also arrive in zone-file form (``"a" "b"``).
    """
    if value.strip().startswith('"'):
        return unquote_txt(value)
    if '""' in value:
        strings = value.split('""')
        return "".join(strings), strings
    return value, [value]


def _mx_exchange(value: str) -> str:
    """``"10 mail.example.com"`` -> ``"mail.example.com"``; a bare host stays."""
    parts = value.split()
    if len(parts) == 2 and parts[0].isdigit():
        return parts[1]
    return value.strip()


# --- DNS records --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TxtStrings:
    """The character-strings of a Route 53 TXT value, for the 255-octet check."""

    value: str
    strings: tuple[str, ...]


def qualify(name: str | None, zone: str | None) -> str | None:
    """A record name made absolute in its zone (``@`` is the apex)."""
    if name is None:
        return None
    name = name.rstrip(".").lower()
    if zone is None:
        return name
    zone = zone.rstrip(".").lower()
    if name in ("@", ""):
        return zone
    if name == zone or name.endswith("." + zone):
        return name
    return f"{name}.{zone}"


def dns_record(resource: Resource, zones: Mapping[str, str] | None = None) -> DnsRecord | None:
    """The record set a DNS resource declares, or None for other types.

    ``zones`` maps zone ids to zone names (from the stack's zone resources) to
    make relative names absolute.
    """
    props = resource.props
    if resource.type not in DNS_TYPES:
        return None
    zone_id = text(props.get("zoneId"))
    zone = (zones or {}).get(zone_id) if zone_id else None
    rdtype = text(props.get("type"))
    name = qualify(text(props.get("name")), zone)
    values: tuple[str | None, ...] | None
    group = ""
    if resource.type == ROUTE53_RECORD:
        records = props.get("records")
        group = text(props.get("setIdentifier")) or ""
        if records is UNKNOWN:
            values = None
        elif records is None:
            values = ()  # an alias record: no values of its own
        else:
            values = tuple(_value(rdtype, v, route53=True) for v in records)
    else:
        raw = props.get("content")
        if raw is None and resource.type == CLOUDFLARE_RECORD:
            raw = props.get("value")
        values = (_value(rdtype, raw, route53=False),) if raw is not None else ()
    return DnsRecord(name, rdtype, values, where=resource.urn, label=resource.name, group=group)


def _value(rdtype: str | None, raw: Any, *, route53: bool) -> str | None:
    value = text(raw)
    if value is None:
        return None
    kind = (rdtype or "").upper()
    if kind in ("TXT", "SPF"):
        return route53_txt(value)[0] if route53 else unquote_txt(value)[0]
    if kind == "MX":
        return _mx_exchange(value)
    return value.strip()


def route53_txt_strings(resource: Resource) -> list[TxtStrings]:
    """Each TXT value of a Route 53 record with its character-strings."""
    if resource.type != ROUTE53_RECORD:
        return []
    records = resource.props.get("records")
    if not isinstance(records, list):
        return []
    out: list[TxtStrings] = []
    for raw in records:
        value = text(raw)
        if value is not None:
            joined, strings = route53_txt(value)
            out.append(TxtStrings(joined, tuple(strings)))
    return out


def zone_names(resources: Iterable[Resource]) -> dict[str, str]:
    """Zone id -> zone name for the zones declared in the stack (known values only)."""
    zones: dict[str, str] = {}
    for resource in resources:
        if resource.type == ROUTE53_ZONE:
            zone_id = text(resource.props.get("zoneId")) or text(resource.props.get("id"))
            name = text(resource.props.get("name"))
        elif resource.type == CLOUDFLARE_ZONE:
            zone_id = text(resource.props.get("id"))
            name = text(resource.props.get("name")) or text(resource.props.get("zone"))
        else:
            continue
        if zone_id and name:
            zones[zone_id] = name
    return zones


# --- SES ----------------------------------------------------------------------


def _tokens(raw: Any) -> tuple[str | None, ...] | None:
    if raw is None or raw is UNKNOWN or not isinstance(raw, list):
        return None
    tokens = tuple(text(t) for t in raw)
    return tokens or None


def ses_identity(resource: Resource, dkim: Mapping[str, tuple[str | None, ...]] | None = None
                 ) -> SesIdentity | None:
    """The SES *domain* identity a resource declares (None for address identities)."""
    props = resource.props
    if resource.type == SESV2_IDENTITY:
        identity = text(props.get("emailIdentity"))
        if identity is not None and "@" in identity:
            return None
        attributes = props.get("dkimSigningAttributes")
        tokens: tuple[str | None, ...] | None = None
        selector: str | None = None
        if isinstance(attributes, dict):
            tokens = _tokens(attributes.get("tokens"))
            if attributes.get("domainSigningSelector") not in (None, ""):
                selector = text(attributes.get("domainSigningSelector"))
        return SesIdentity(identity, tokens, selector, resource.urn, resource.name)
    if resource.type == SES_DOMAIN_IDENTITY:
        domain = text(props.get("domain"))
        tokens = (dkim or {}).get(domain.rstrip(".").lower()) if domain else None
        return SesIdentity(domain, tokens, None, resource.urn, resource.name)
    return None


def ses_domain_dkim(resource: Resource) -> tuple[str, tuple[str | None, ...]] | None:
    """(domain, tokens) of an ``aws:ses/domainDkim`` (tokens may hold unknowns)."""
    if resource.type != SES_DOMAIN_DKIM:
        return None
    domain = text(resource.props.get("domain"))
    tokens = _tokens(resource.props.get("dkimTokens"))
    if domain is None or tokens is None:
        return None
    return domain.rstrip(".").lower(), tokens


def mail_from(resource: Resource) -> MailFromDomain | None:
    props = resource.props
    if resource.type == SESV2_MAIL_FROM:
        identity = text(props.get("emailIdentity"))
    elif resource.type == SES_MAIL_FROM:
        identity = text(props.get("domain"))
    else:
        return None
    return MailFromDomain(identity, text(props.get("mailFromDomain")), resource.urn, resource.name)


def ses_address_identity(resource: Resource) -> str | None:
    """The address of an SES email-address identity, if the resource is one."""
    if resource.type == SESV2_IDENTITY:
        identity = text(resource.props.get("emailIdentity"))
        return identity if identity is not None and "@" in identity else None
    if resource.type == SES_EMAIL_IDENTITY:
        return text(resource.props.get("email"))
    return None


# --- Application settings -----------------------------------------------------


@dataclass(frozen=True, slots=True)
class SettingsGroup:
    """Settings read together (one environment, one container, one parameter)."""

    settings: tuple[Setting, ...]
    label: str
    secret: bool = False  # the values must not be printed


def settings_groups(resource: Resource) -> list[SettingsGroup]:
    """The SMTP settings a Lambda function, an ECS task or an SSM parameter sets."""
    props = resource.props
    if resource.type == LAMBDA_FUNCTION:
        environment = props.get("environment")
        variables = environment.get("variables") if isinstance(environment, dict) else None
        if not isinstance(variables, dict):
            return []
        found = settings_from((k, text(v)) for k, v in variables.items())
        return [SettingsGroup(tuple(found), f"{resource.name} (environment)")] if found else []
    if resource.type == ECS_TASK_DEFINITION:
        return _ecs_groups(resource)
    if resource.type == SSM_PARAMETER:
        key = text(props.get("name"))
        if key is None:
            return []
        found = settings_from([(key, text(props.get("value")))])
        secret = text(props.get("type")) == "SecureString"
        return [SettingsGroup(tuple(found), f"{resource.name} ({key})", secret)] if found else []
    return []


def _ecs_groups(resource: Resource) -> list[SettingsGroup]:
    raw = resource.props.get("containerDefinitions")
    if not isinstance(raw, str):
        return []  # unknown at preview (built from outputs) or absent
    try:
        containers = json.loads(raw)
    except ValueError:
        return []
    if not isinstance(containers, list):
        return []
    groups: list[SettingsGroup] = []
    for index, container in enumerate(containers):
        if not isinstance(container, dict):
            continue
        environment = container.get("environment") or []
        pairs: list[tuple[str, str | None]] = []
        for entry in environment if isinstance(environment, list) else []:
            if isinstance(entry, dict) and isinstance(entry.get("name"), str):
                value = entry.get("value")
                pairs.append((entry["name"], text(plain(value)) if value is not None else None))
        found = settings_from(pairs)
        if found:
            cname = container.get("name") if isinstance(container.get("name"), str) else index
            groups.append(SettingsGroup(tuple(found), f"{resource.name} (container {cname})"))
    return groups
