"""DNS providers: one module per provider owns how records live there.

Each provider module (``route53``, ``cloudflare``) defines a ``Provider``: how a TXT
value is encoded for the provider and decoded back (quoting, 255-octet strings),
whether the provider holds a name's values as one record set or one record per
value, what a valid zone id looks like, and the resource type tokens and property
names under which the policy pack finds its records. The config, ``mailzone plan``,
the components and the pack ask the provider instead of naming it.

Providers the pack only reads (``gcp``, ``azure``, ``digitalocean``, ``ns1``,
``dnsimple``) define a ``RecordReader``, the read half, and are listed in
``READERS``: no config names them and no component writes to them.

Adding a provider: a module here with its ``Provider``, a member of
``DnsProvider`` and an entry in ``PROVIDERS`` below, its tests in
``tests/unit/providers/``, and one backend class in ``components/dns.py`` (the only
code that declares Pulumi resources). See docs/design.md.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from mailzone.providers import azure, cloudflare, digitalocean, dnsimple, gcp, ns1, route53
from mailzone.providers.base import Provider, RecordReader, RecordSets


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


#: Every provider whose records the policy pack reads: the ones above, which a stack
#: writes to, and the ones it only judges (declared by hand or by other programs).
READERS: Final[tuple[RecordReader, ...]] = (
    *PROVIDERS.values(), gcp.READER, azure.READER, digitalocean.READER, ns1.READER,
    dnsimple.READER,
)


def for_record_type(type_token: str) -> RecordReader | None:
    """The provider whose DNS record resources have the type token ``type_token``."""
    return _BY_RECORD_TYPE.get(type_token)


_BY_RECORD_TYPE: Final = {t: r for r in READERS for t in r.record_types}
RECORD_TYPES: Final = frozenset(_BY_RECORD_TYPE)
ZONE_TYPES: Final = frozenset(t for r in READERS for t in r.zone_types)

__all__ = ["PROVIDERS", "READERS", "RECORD_TYPES", "ZONE_TYPES", "DnsProvider", "Provider",
           "RecordReader", "RecordSets", "for_record_type", "provider"]
