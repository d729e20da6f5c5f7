"""Google Cloud DNS, as the Google Cloud provider takes it (pulumi-gcp 10.2.0,
``gcp.dns.RecordSet``, read from the PyPI SDK's ``dns/record_set.py``). Read by the
policy pack only: no stack config writes to it.

- Record sets: one ``RecordSet`` per name and type holds every value (``rrdatas``),
  written whole.
- TXT: each ``rrdatas`` entry is zone-file text. The SDK's documentation: "if the
  string data contains spaces, add surrounding ``\\"`` if you don't want your string
  to get split on spaces", and a value over 255 characters is written as
  ``"first255characters\\" \\"morecharacters"``. So a quoted entry is read as its
  quoted strings, and an unquoted one as Cloud DNS serves it: one string per word,
  which receivers join without spaces (``v=spf1 -all`` unquoted is served as
  ``"v=spf1" "-all"`` and read as ``v=spf1-all``, no SPF record at all).
- Names are absolute (``example.com.``); ``managedZone`` names the zone resource.
- A record set with a ``routingPolicy`` (geo, weighted, failover) answers with one of
  its items' ``rrdatas``: its values are not judged here.
- Resources: ``gcp:dns/recordSet:RecordSet`` (``name``, ``type``, ``managedZone``,
  ``rrdatas``, ``routingPolicy``) and ``gcp:dns/managedZone:ManagedZone`` (``name``,
  ``dnsName``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from mailzone.dns.txt import unquote_txt
from mailzone.providers.base import (
    UNKNOWN,
    DeclaredValues,
    RecordReader,
    RecordSets,
    declared_set,
    prop_text,
)

RECORD_SET: Final = "gcp:dns/recordSet:RecordSet"
MANAGED_ZONE: Final = "gcp:dns/managedZone:ManagedZone"


class CloudDns(RecordReader):
    name = "gcp"
    title = "Google Cloud DNS"
    record_sets = RecordSets.WHOLE_SET
    record_types = frozenset({RECORD_SET})
    zone_types = frozenset({MANAGED_ZONE})
    shapes_from = "pulumi-gcp 10.2.0"
    txt_hint = ("Google Cloud DNS splits unquoted rrdatas on spaces: put the value in "
                "double quotes inside the string (rrdatas=['\"v=spf1 ... -all\"'])")

    def decode_txt(self, entry: str) -> tuple[str, tuple[str, ...]]:
        if entry.strip().startswith('"'):
            return unquote_txt(entry)
        words = tuple(entry.split())  # Cloud DNS splits unquoted data on spaces
        return "".join(words), words

    def declared(self, type_token: str, props: Mapping[str, Any]) -> DeclaredValues:
        rdtype = prop_text(props.get("type"))
        rrdatas = props.get("rrdatas")
        values: tuple[str | None, ...] | None
        strings = None
        if rrdatas is UNKNOWN or (rrdatas is None and props.get("routingPolicy") is not None):
            values = None
        elif not isinstance(rrdatas, list):
            values = ()
        else:
            values, strings = declared_set(rdtype, rrdatas, self.decode_txt)
        return DeclaredValues(name=prop_text(props.get("name")), rdtype=rdtype,
                              zone_id=prop_text(props.get("managedZone")), values=values,
                              strings=strings)

    def zone(self, type_token: str, props: Mapping[str, Any]) -> tuple[str, str] | None:
        zone_id = prop_text(props.get("name"))
        name = prop_text(props.get("dnsName"))
        return (zone_id, name) if zone_id and name else None


READER: Final = CloudDns()
