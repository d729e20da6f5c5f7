"""DNS providers: one module per provider owns how records live there.

Each provider module (``route53``, ``cloudflare``) defines a ``Provider``: how a TXT
value is encoded for the provider and decoded back (quoting, 255-octet strings),
whether the provider holds a name's values as one record set or one record per
value, what a valid zone id looks like, and the resource type tokens and property
names under which the policy pack finds its records. The config, ``mailzone plan``,
the components and the pack ask the provider instead of naming it.

Adding a provider: a module here with its ``Provider``, a member of
``DnsProvider`` and an entry in ``PROVIDERS`` below, its tests in
``tests/unit/providers/``, and one backend class in ``components/dns.py`` (the only
code that declares Pulumi resources). See docs/design.md.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from mailzone.providers import cloudflare, route53
from mailzone.providers.base import Provider, RecordSets


class DnsProvider(StrEnum):
    """The ``dns.provider`` values a stack config may name."""

    ROUTE53 = "route53"
    CLOUDFLARE = "cloudflare"


PROVIDERS: Final[dict[DnsProvider, Provider]] = {
    DnsProvider.ROUTE53: route53.PROVIDER,
    DnsProvider.CLOUDFLARE: cloudflare.PROVIDER,
}


def provider(name: str) -> Provider:
    """The provider named ``name`` (a ``DnsProvider`` value). Raises ``KeyError``."""
    return PROVIDERS[DnsProvider(name)]


def for_record_type(type_token: str) -> Provider | None:
    """The provider whose DNS record resources have the type token ``type_token``."""
    for candidate in PROVIDERS.values():
        if type_token in candidate.record_types:
            return candidate
    return None


RECORD_TYPES: Final = frozenset(t for p in PROVIDERS.values() for t in p.record_types)
ZONE_TYPES: Final = frozenset(t for p in PROVIDERS.values() for t in p.zone_types)

__all__ = ["PROVIDERS", "RECORD_TYPES", "ZONE_TYPES", "DnsProvider", "Provider", "RecordSets",
           "for_record_type", "provider"]
