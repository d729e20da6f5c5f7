"""NS1 DNS, as the NS1 provider takes it (pulumi-ns1 3.10.2, ``ns1.Record``, read from
the PyPI SDK's ``record.py``). Read by the policy pack only.

- Record sets: one ``Record`` per name and type holds every answer, written whole.
- ``ns1:index/record:Record``: ``zone``, ``domain`` (the record's full name),
  ``type``, ``answers`` (``[{answer}]``: "space delimited string of RDATA fields",
  so an MX answer is ``10 mx.example.com``; a TXT answer is its text).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from mailzone.providers.base import (
    UNKNOWN,
    DeclaredValues,
    RecordReader,
    RecordSets,
    declared_value,
    plain_txt,
    prop_text,
)

RECORD: Final = "ns1:index/record:Record"
ZONE: Final = "ns1:index/zone:Zone"


class Ns1(RecordReader):
    name = "ns1"
    title = "NS1"
    record_sets = RecordSets.WHOLE_SET
    record_types = frozenset({RECORD})
    zone_types = frozenset({ZONE})
    shapes_from = "pulumi-ns1 3.10.2"

    def decode_txt(self, entry: str) -> tuple[str, tuple[str, ...]]:
        return plain_txt(entry)

    def declared(self, type_token: str, props: Mapping[str, Any]) -> DeclaredValues:
        rdtype = prop_text(props.get("type"))
        answers = props.get("answers")
        values: tuple[str | None, ...] | None
        if answers is UNKNOWN:
            values = None
        elif not isinstance(answers, list):
            values = ()
        else:
            values = tuple(
                declared_value(rdtype, a.get("answer") if isinstance(a, dict) else None,
                               self.decode_txt) for a in answers)
        return DeclaredValues(name=prop_text(props.get("domain")), rdtype=rdtype,
                              zone_id=None, values=values)

    def zone(self, type_token: str, props: Mapping[str, Any]) -> tuple[str, str] | None:
        return None  # every record names its domain in full


READER: Final = Ns1()
