"""Provider resource shapes -> the core's values (records, identities, settings).

The pack inspects resources by type token and by the property names the engine
sends (camelCase, as in the providers' schemas), so it never imports
``pulumi_aws`` or ``pulumi_cloudflare``. DNS record and zone resources are read
by their provider's module in the core (``mailzone.providers``); this module
knows the SES identities; application settings are ``policies.runtimes``'.
Everything it returns is plain data for ``mailzone.rules``.

Unknown values: during a preview, a property computed from another resource
(a DKIM token, a zone id) reaches the pack as one of the engine's unknown
sentinels. ``plain`` turns the policy SDK's property proxies into plain dicts
and lists, with ``UNKNOWN`` wherever a value is not known; the extractors map
``UNKNOWN`` to ``None``, which the core reads as "not known yet" and never
reports.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, Final, NamedTuple

from pulumi_policy.proxy import UnknownValueError

from mailzone.providers import READERS, RECORD_TYPES, for_record_type
from mailzone.providers.base import UNKNOWN, prop_text
from mailzone.rules.records import DnsRecord
from mailzone.rules.ses import MailFromDomain, SesIdentity
from policies.secrets import SENTINELS

# Type tokens.
SESV2_IDENTITY: Final = "aws:sesv2/emailIdentity:EmailIdentity"
SESV2_MAIL_FROM: Final = "aws:sesv2/emailIdentityMailFromAttributes:EmailIdentityMailFromAttributes"
SES_DOMAIN_IDENTITY: Final = "aws:ses/domainIdentity:DomainIdentity"
SES_DOMAIN_DKIM: Final = "aws:ses/domainDkim:DomainDkim"
SES_MAIL_FROM: Final = "aws:ses/mailFrom:MailFrom"
SES_EMAIL_IDENTITY: Final = "aws:ses/emailIdentity:EmailIdentity"

DNS_TYPES: Final = RECORD_TYPES  # every provider's record resources (mailzone.providers)



def plain(value: Any) -> Any:
    """Plain dicts/lists/scalars from the policy SDK's proxies, ``UNKNOWN`` for unknowns.

    The SDK's proxies raise ``UnknownValueError`` when an unknown is read; this
    reads every value once and records the unknowns instead.
    """
    if isinstance(value, str):
        return UNKNOWN if value in SENTINELS else value
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


text = prop_text  # a string property: None when unknown or absent


class Resource(NamedTuple):
    """A resource as the pack sees it: type token, URN, name, plain properties.

    A named tuple (immutable, made in half a frozen dataclass's time): one is made for
    every resource of every call."""

    type: str
    urn: str
    name: str
    props: Mapping[str, Any] = MappingProxyType({})  # shared, so read-only


# --- DNS records --------------------------------------------------------------


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

    The resource's provider (``mailzone.providers``) reads its properties; ``zones``
    maps zone ids to zone names (from the stack's zone resources) to make relative
    names absolute.
    """
    provider = for_record_type(resource.type)
    if provider is None:
        return None
    declared = provider.declared(resource.type, resource.props)
    zone = zones.get(declared.zone_id) if zones and declared.zone_id else None
    return DnsRecord(qualify(declared.name, zone), declared.rdtype, declared.values,
                     where=resource.urn, label=resource.name, group=declared.group,
                     strings=declared.strings)


def zone_names(resources: Iterable[Resource]) -> dict[str, str]:
    """Zone id -> zone name for the zones declared in the stack (known values only)."""
    zones: dict[str, str] = {}
    for resource in resources:
        for provider in READERS:
            if resource.type in provider.zone_types:
                found = provider.zone(resource.type, resource.props)
                if found is not None:
                    zones[found[0]] = found[1]
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
        return SesIdentity(identity, tokens, selector, resource.urn, resource.name,
                           region=_region(props))
    if resource.type == SES_DOMAIN_IDENTITY:
        domain = text(props.get("domain"))
        tokens = (dkim or {}).get(domain.rstrip(".").lower()) if domain else None
        return SesIdentity(domain, tokens, None, resource.urn, resource.name,
                           region=_region(props))
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
    return MailFromDomain(identity, text(props.get("mailFromDomain")), resource.urn, resource.name,
                          region=_region(props))


def _region(props: Mapping[str, Any]) -> str | None:
    """The resource's own ``region`` (pulumi-aws 7's per-resource region), if it has one;
    None means the provider's region, which an analyzer does not see."""
    region = text(props.get("region"))
    return region.strip().lower() if region else None


def ses_address_identity(resource: Resource) -> str | None:
    """The address of an SES email-address identity, if the resource is one."""
    if resource.type == SESV2_IDENTITY:
        identity = text(resource.props.get("emailIdentity"))
        return identity if identity is not None and "@" in identity else None
    if resource.type == SES_EMAIL_IDENTITY:
        return text(resource.props.get("email"))
    return None
