"""Amazon Route 53, as the AWS provider (pulumi-aws 7.x, ``aws.route53.Record``) writes it.

- Record sets: Route 53 holds every value of a name and type in one record set, and
  the provider writes the whole set (``records``). A published value the stack does
  not write is deleted unless the config keeps it (``keepTxt``).
- TXT: each ``records`` entry holds the value's 255-octet character-strings joined
  by ``" "`` (the inner form: the provider wraps the entry in quotes, so Route 53
  stores ``"part1" "part2"``). A program may also write a long value with ``""``
  between the strings, or the full zone-file form; all three are read back.
- Zones: a hosted zone id is ``Z`` and up to 31 upper-case letters and digits, with
  or without the ``/hostedzone/`` prefix; without one the zone is found by name.
- Resources the pack reads: ``aws:route53/record:Record`` (``zoneId``, ``name``,
  ``type``, ``records``, ``setIdentifier``) and ``aws:route53/zone:Zone``
  (``zoneId`` or ``id``, ``name``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from mailzone.dns.txt import escape_string, split_txt, unquote_txt
from mailzone.providers.base import (
    UNKNOWN,
    DeclaredValues,
    Provider,
    RecordSets,
    declared_set,
    prop_text,
)

RECORD: Final = "aws:route53/record:Record"
ZONE: Final = "aws:route53/zone:Zone"
_ZONE_ID = re.compile(r"^(?:/hostedzone/)?Z[A-Z0-9]{1,31}$")


class Route53(Provider):
    name = "route53"
    title = "Route 53"
    record_sets = RecordSets.WHOLE_SET
    record_types = frozenset({RECORD})
    zone_types = frozenset({ZONE})
    shapes_from = "pulumi-aws 7.51.1"
    update_note = ("Route 53 refuses to overwrite a record set the stack does not own: import "
                   "it first (docs/configuration.md) if it was created outside this stack")

    def encode_txt(self, value: str) -> str:
        return '" "'.join(escape_string(part) for part in split_txt(value))

    def decode_txt(self, entry: str) -> tuple[str, tuple[str, ...]]:
        if '"' not in entry and "\\" not in entry:
            return entry, (entry,)  # the common case: one plain string
        if entry.strip().startswith('"'):
            return unquote_txt(entry)  # written in zone-file form
        # The provider wraps the entry in quotes: read it as Route 53 then does, so
        # 'a" "b' and 'a""b' are two strings and a backslash escapes a quote.
        return unquote_txt(f'"{entry}"')

    def zone_problem(self, zone_id: str | None, zone_name: str | None) -> str | None:
        if zone_id is not None and not _ZONE_ID.match(zone_id):
            return (f"zoneId {zone_id!r} is not a Route 53 hosted zone id (such as "
                    "'Z0123456789ABCDEFGHIJ'); or leave it out to find the zone by name")
        return None

    def zone_id(self, zone_id: str | None) -> str | None:
        return None if zone_id is None else zone_id.removeprefix("/hostedzone/")

    def declared(self, type_token: str, props: Mapping[str, Any]) -> DeclaredValues:
        rdtype = prop_text(props.get("type"))
        records = props.get("records")
        values: tuple[str | None, ...] | None
        strings = None
        if records is UNKNOWN:
            values = None
        elif not isinstance(records, list):
            values = ()  # an alias record: no values of its own
        else:
            values, strings = declared_set(rdtype, records, self.decode_txt)
        return DeclaredValues(
            name=prop_text(props.get("name")), rdtype=rdtype,
            zone_id=prop_text(props.get("zoneId")), values=values,
            group=prop_text(props.get("setIdentifier")) or "", strings=strings)

    def zone(self, type_token: str, props: Mapping[str, Any]) -> tuple[str, str] | None:
        zone_id = prop_text(props.get("zoneId")) or prop_text(props.get("id"))
        name = prop_text(props.get("name"))
        return (zone_id, name) if zone_id and name else None


PROVIDER: Final = Route53()
