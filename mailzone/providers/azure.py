"""Azure DNS, as the Azure providers take it. Read by the policy pack only: no stack
config writes to it.

- Record sets: one record set per name and type holds every value, written whole.
- azure-native 3.29.0 (``azure_native.dns.RecordSet``, read from the PyPI SDK's
  ``dns/record_set.py``; its alias ``azure-native:network:RecordSet`` is the 2.x
  token): ``zoneName``, ``relativeRecordSetName`` (``@`` is the apex),
  ``recordType``, and per type ``txtRecords`` (``[{value: [strings]}]``: each TXT
  value's character-strings, joined), ``mxRecords`` (``[{preference, exchange}]``),
  ``aRecords`` (``[{ipv4Address}]``), ``aaaaRecords`` (``[{ipv6Address}]``),
  ``cnameRecord`` (``{cname}``).
- azure (classic) 6.40.1 (``azure.dns.TxtRecord``, ``azure.dns.MxRecord``, read from
  the PyPI SDK's ``dns/``): ``zoneName``, ``name`` (MX defaults to ``@``), and
  ``records``: ``[{value}]`` (a TXT value of up to 4096 characters, which the
  provider splits into strings itself) or ``[{preference, exchange}]``.
- The zone is named in every record, so names are absolute without the zone
  resources (``azure-native:dns:Zone``, ``azure:dns/zone:Zone``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from mailzone.providers.base import (
    UNKNOWN,
    DeclaredValues,
    RecordReader,
    RecordSets,
    absolute,
    declared_value,
    plain_txt,
    prop_text,
)

RECORD_SET: Final = "azure-native:dns:RecordSet"  # azure-native 3.x
RECORD_SET_V2: Final = "azure-native:network:RecordSet"  # azure-native 2.x
TXT_RECORD: Final = "azure:dns/txtRecord:TxtRecord"
MX_RECORD: Final = "azure:dns/mxRecord:MxRecord"
ZONE: Final = "azure-native:dns:Zone"
ZONE_V2: Final = "azure-native:network:Zone"
CLASSIC_ZONE: Final = "azure:dns/zone:Zone"

# azure-native: the property holding each record type's values, and the field of each.
_NATIVE_VALUES: Final = {
    "MX": ("mxRecords", "exchange"),
    "A": ("aRecords", "ipv4Address"),
    "AAAA": ("aaaaRecords", "ipv6Address"),
    "NS": ("nsRecords", "nsdname"),
    "PTR": ("ptrRecords", "ptrdname"),
}


def _items(raw: Any) -> list[Any] | None:
    """A list property; None when unknown."""
    if raw is UNKNOWN:
        return None
    return raw if isinstance(raw, list) else []


class AzureDns(RecordReader):
    name = "azure"
    title = "Azure DNS"
    record_sets = RecordSets.WHOLE_SET
    record_types = frozenset({RECORD_SET, RECORD_SET_V2, TXT_RECORD, MX_RECORD})
    zone_types = frozenset({ZONE, ZONE_V2, CLASSIC_ZONE})
    shapes_from = "azure-native 3.29.0, azure 6.40.1"

    def decode_txt(self, entry: str) -> tuple[str, tuple[str, ...]]:
        return plain_txt(entry)

    def declared(self, type_token: str, props: Mapping[str, Any]) -> DeclaredValues:
        zone = prop_text(props.get("zoneName"))
        if type_token in (TXT_RECORD, MX_RECORD):
            return self._classic(type_token, props, zone)
        rdtype = prop_text(props.get("recordType"))
        name = absolute(prop_text(props.get("relativeRecordSetName")), zone)
        kind = (rdtype or "").upper()
        values: tuple[str | None, ...] | None
        if kind == "TXT":
            items = _items(props.get("txtRecords"))
            values = None if items is None else tuple(self._txt(item) for item in items)
        elif kind == "CNAME":
            cname = props.get("cnameRecord")
            values = (None,) if cname is UNKNOWN else (
                (prop_text(cname.get("cname")),) if isinstance(cname, dict) else ())
        elif kind in _NATIVE_VALUES:
            key, field = _NATIVE_VALUES[kind]
            items = _items(props.get(key))
            values = None if items is None else tuple(
                declared_value(rdtype, item.get(field) if isinstance(item, dict) else None,
                               self.decode_txt) for item in items)
        else:
            values = ()
        return DeclaredValues(name=name, rdtype=rdtype, zone_id=None, values=values)

    @staticmethod
    def _txt(item: Any) -> str | None:
        # One TXT value: its character-strings, which receivers join (RFC 7208 3.3).
        strings = item.get("value") if isinstance(item, dict) else None
        if not isinstance(strings, list):
            return None
        parts = [prop_text(s) for s in strings]
        return None if any(p is None for p in parts) else "".join(p or "" for p in parts)

    def _classic(self, type_token: str, props: Mapping[str, Any], zone: str | None
                 ) -> DeclaredValues:
        raw_name = props.get("name")
        name = prop_text(raw_name) if raw_name is not None else "@"
        rdtype = "TXT" if type_token == TXT_RECORD else "MX"
        field = "value" if rdtype == "TXT" else "exchange"
        items = _items(props.get("records"))
        values = None if items is None else tuple(
            declared_value(rdtype, item.get(field) if isinstance(item, dict) else None,
                           self.decode_txt) for item in items)
        return DeclaredValues(name=absolute(name, zone), rdtype=rdtype, zone_id=None,
                              values=values)

    def zone(self, type_token: str, props: Mapping[str, Any]) -> tuple[str, str] | None:
        return None  # every record names its zone itself


READER: Final = AzureDns()
