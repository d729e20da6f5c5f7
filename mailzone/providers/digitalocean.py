"""DigitalOcean DNS, as the DigitalOcean provider takes it (pulumi-digitalocean 4.84.1,
``digitalocean.DnsRecord``, read from the PyPI SDK's ``dns_record.py``). Read by the
policy pack only: no stack config writes to it.

- Record sets: one record per value, like Cloudflare.
- ``digitalocean:index/dnsRecord:DnsRecord``: ``domain`` (the zone), ``name`` (``@``
  is the apex), ``type``, ``value`` (TXT as plain text; MX: the exchange, its
  preference in ``priority``). ``digitalocean:index/record:Record`` is read the same
  way: it is the token issue 14 names, not found in 4.84.1.
- Zones: ``digitalocean:index/domain:Domain`` (``name``); every record names its
  domain, so names are absolute without it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from mailzone.providers.base import (
    DeclaredValues,
    RecordReader,
    RecordSets,
    one_value,
    plain_txt,
)

DNS_RECORD: Final = "digitalocean:index/dnsRecord:DnsRecord"
RECORD: Final = "digitalocean:index/record:Record"
DOMAIN: Final = "digitalocean:index/domain:Domain"


class DigitalOcean(RecordReader):
    name = "digitalocean"
    title = "DigitalOcean DNS"
    record_sets = RecordSets.PER_VALUE
    record_types = frozenset({DNS_RECORD, RECORD})
    zone_types = frozenset({DOMAIN})
    shapes_from = "pulumi-digitalocean 4.84.1"

    def decode_txt(self, entry: str) -> tuple[str, tuple[str, ...]]:
        return plain_txt(entry)

    def declared(self, type_token: str, props: Mapping[str, Any]) -> DeclaredValues:
        return one_value(props, self.decode_txt, zone_key="domain")

    def zone(self, type_token: str, props: Mapping[str, Any]) -> tuple[str, str] | None:
        return None  # every record names its domain itself


READER: Final = DigitalOcean()
