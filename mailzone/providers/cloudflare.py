"""Cloudflare, as the Cloudflare provider writes it (pulumi-cloudflare 6.x ``DnsRecord``).

- Record sets: one record per value. Other values at a name are other records and
  are left alone; the stack's record takes over the published value of its kind.
- TXT: ``content`` holds the value as quoted character-strings of at most 255
  octets (zone-file form, ``"part1" "part2"``), as Cloudflare's API asks.
- Zones: a zone id is 32 lower-case hex digits (the zone's Overview page); a zone
  is named by id only.
- Resources the pack reads: ``cloudflare:index/dnsRecord:DnsRecord`` (v6: ``zoneId``,
  ``name``, ``type``, ``content``), ``cloudflare:index/record:Record`` (v5:
  ``content`` or ``value``) and ``cloudflare:index/zone:Zone`` (``id``, ``name`` or
  ``zone``). TXT strings are not judged for length: Cloudflare accepts unquoted
  content and splits it itself.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from mailzone.dns.txt import quote_txt, unquote_txt
from mailzone.providers.base import (
    DeclaredValues,
    Provider,
    RecordSets,
    declared_value,
    prop_text,
)

DNS_RECORD: Final = "cloudflare:index/dnsRecord:DnsRecord"  # provider v6
RECORD: Final = "cloudflare:index/record:Record"  # provider v5
ZONE: Final = "cloudflare:index/zone:Zone"
_ZONE_ID = re.compile(r"^[0-9a-f]{32}$")


class Cloudflare(Provider):
    name = "cloudflare"
    title = "Cloudflare"
    record_sets = RecordSets.PER_VALUE
    record_types = frozenset({DNS_RECORD, RECORD})
    zone_types = frozenset({ZONE})
    shapes_from = "pulumi-cloudflare 6.23.1 (record: as 5.x took it)"

    def encode_txt(self, value: str) -> str:
        return quote_txt(value)

    def decode_txt(self, entry: str) -> tuple[str, tuple[str, ...]]:
        return unquote_txt(entry)

    def zone_problem(self, zone_id: str | None, zone_name: str | None) -> str | None:
        if zone_id is None:
            return ("Cloudflare needs the zone id: add 'zoneId: <32 hex digits>' (the "
                    "zone's Overview page shows it)")
        if not _ZONE_ID.match(zone_id):
            return (f"zoneId {zone_id!r} is not a Cloudflare zone id (32 lower-case hex "
                    "digits, from the zone's Overview page)")
        if zone_name is not None:
            return "zoneName is for Route 53 only; Cloudflare uses zoneId"
        return None

    def replace_note(self, replaced: bool) -> str:
        if not replaced:
            return ""
        return ("Cloudflare: the replaced value's record must be the stack's (import it if it "
                "was created by hand), else it stays beside the new one")

    def declared(self, type_token: str, props: Mapping[str, Any]) -> DeclaredValues:
        rdtype = prop_text(props.get("type"))
        raw = props.get("content")
        if raw is None and type_token == RECORD:
            raw = props.get("value")
        values = (declared_value(rdtype, raw, self.decode_txt),) if raw is not None else ()
        return DeclaredValues(name=prop_text(props.get("name")), rdtype=rdtype,
                              zone_id=prop_text(props.get("zoneId")), values=values)

    def zone(self, type_token: str, props: Mapping[str, Any]) -> tuple[str, str] | None:
        zone_id = prop_text(props.get("id"))
        name = prop_text(props.get("name")) or prop_text(props.get("zone"))
        return (zone_id, name) if zone_id and name else None


PROVIDER: Final = Cloudflare()
