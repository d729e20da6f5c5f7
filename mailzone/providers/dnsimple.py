"""DNSimple, as the DNSimple provider takes it (pulumi-dnsimple 5.3.2,
``dnsimple.ZoneRecord``, read from the PyPI SDK's ``zone_record.py``). Read by the
policy pack only.

- Record sets: one record per value.
- ``dnsimple:index/zoneRecord:ZoneRecord``: ``zoneName``, ``name`` (``""`` is the
  apex), ``type``, ``value`` (TXT as plain text; MX: the exchange, its preference
  in ``priority``).
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

ZONE_RECORD: Final = "dnsimple:index/zoneRecord:ZoneRecord"


class Dnsimple(RecordReader):
    name = "dnsimple"
    title = "DNSimple"
    record_sets = RecordSets.PER_VALUE
    record_types = frozenset({ZONE_RECORD})
    zone_types: frozenset[str] = frozenset()
    shapes_from = "pulumi-dnsimple 5.3.2"

    def decode_txt(self, entry: str) -> tuple[str, tuple[str, ...]]:
        return plain_txt(entry)

    def declared(self, type_token: str, props: Mapping[str, Any]) -> DeclaredValues:
        return one_value(props, self.decode_txt, zone_key="zoneName")

    def zone(self, type_token: str, props: Mapping[str, Any]) -> tuple[str, str] | None:
        return None


READER: Final = Dnsimple()
