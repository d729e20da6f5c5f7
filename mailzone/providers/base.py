"""What every DNS provider module defines: the ``Provider`` interface.

Providers read declared resources as the policy pack hands them over: plain
mappings of the engine's camelCase property names, where ``UNKNOWN`` stands for a
value the engine does not know yet (a preview). ``prop_text`` reads one property
as text, ``None`` when it is unknown or absent.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from enum import StrEnum
from typing import Any, Final, NamedTuple

from mailzone.dns.txt import unquote_txt


class _Unknown:
    """A value the engine does not know yet (a preview): one instance, ``UNKNOWN``."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Final = _Unknown()


def prop_text(value: Any) -> str | None:
    """A property as text: None when unknown or absent; numbers and booleans as text."""
    if isinstance(value, str):
        return value  # as is: a secret's text (``SecretText``) stays marked
    if value is UNKNOWN or value is None:
        return None
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


TxtDecoder = Callable[[str], tuple[str, tuple[str, ...]]]


class RecordSets(StrEnum):
    """How a provider holds the values of one name and type."""

    # One record set holds them all, and writing it replaces every value (Route 53):
    # a published value the stack does not write is lost unless kept (keepTxt).
    WHOLE_SET = "whole-set"
    # One record per value (Cloudflare): other values are other records, left alone.
    PER_VALUE = "per-value"


class DeclaredValues(NamedTuple):
    """The values a declared record resource holds, as the rules read them.

    ``values`` is None when the whole list is unknown; an element is None when that
    value is unknown. TXT values are their character-strings joined; ``strings``
    holds each TXT value's character-strings where the provider states them.

    A named tuple, not a frozen dataclass: as immutable, and made in a third of the
    time (the pack makes one for every DNS record of a preview and drops it at once).
    """

    name: str | None
    rdtype: str | None
    zone_id: str | None
    values: tuple[str | None, ...] | None
    group: str = ""  # record sets at one name answered apart (routing policies)
    strings: Mapping[str, tuple[str, ...]] | None = None


class RecordReader(ABC):
    """The read half of a DNS provider: how the policy pack finds a record and its values.

    Every provider whose records the pack judges has one. Providers a stack config may
    also name (``mailzone.providers.DnsProvider``) are full ``Provider``s, which the
    components write to and ``mailzone plan`` plans for.
    """

    name: str  # the provider's short name (the DnsProvider value, for a Provider)
    title: str  # for people: "Route 53"
    record_sets: RecordSets
    record_types: frozenset[str]  # type tokens of its DNS record resources
    zone_types: frozenset[str]  # type tokens of its zone resources
    # The provider SDK release whose resource schema the shapes were read from.
    shapes_from: str = ""
    # How a TXT value declared on this provider can end up split into other strings.
    txt_hint: str = ""

    @abstractmethod
    def decode_txt(self, entry: str) -> tuple[str, tuple[str, ...]]:
        """A TXT entry as declared -> (the joined text, its character-strings)."""

    @abstractmethod
    def declared(self, type_token: str, props: Mapping[str, Any]) -> DeclaredValues:
        """The record a resource of ``type_token`` (one of ``record_types``) declares."""

    @abstractmethod
    def zone(self, type_token: str, props: Mapping[str, Any]) -> tuple[str, str] | None:
        """(zone id, zone name) of a zone resource of ``type_token``, when known."""


class Provider(RecordReader):
    """One DNS provider a stack may write to: its record encoding, its record sets, its
    zones, its resources."""

    # What an update means on this provider, for the plan (empty: nothing to add).
    update_note: str = ""

    @abstractmethod
    def encode_txt(self, value: str) -> str:
        """A TXT value as the provider's resource takes it (255-octet strings)."""

    @abstractmethod
    def zone_problem(self, zone_id: str | None, zone_name: str | None) -> str | None:
        """What is wrong with a config's ``zoneId``/``zoneName`` for this provider."""

    def zone_id(self, zone_id: str | None) -> str | None:
        """The zone id in the form the provider's resources take."""
        return zone_id

    def replace_note(self, replaced: bool) -> str:
        """The plan's note on an update (``replaced``: a published value is replaced)."""
        return self.update_note


def absolute(name: str | None, zone: str | None) -> str | None:
    """A record name relative to ``zone`` made absolute (``@`` and ``""`` are the apex);
    None when either is unknown."""
    if name is None or zone is None:
        return None
    name, zone = name.strip().rstrip("."), zone.strip().rstrip(".")
    if name in ("@", ""):
        return zone
    if name.lower() == zone.lower() or name.lower().endswith("." + zone.lower()):
        return name
    return f"{name}.{zone}"


def plain_txt(entry: str) -> tuple[str, tuple[str, ...]]:
    """A TXT entry a provider takes as plain text (it splits long values itself); a value
    written in zone-file quotes is read as those strings."""
    if entry.strip().startswith('"'):
        return unquote_txt(entry)
    return entry, (entry,)


def mx_exchange(value: str) -> str:
    """``"10 mail.example.com"`` -> ``"mail.example.com"``; a bare host stays."""
    parts = value.split()
    if len(parts) == 2 and parts[0].isdigit():
        return parts[1]
    return value.strip()


def declared_value(rdtype: str | None, raw: Any, decode_txt: TxtDecoder) -> str | None:
    """One declared value as the rules read it: TXT joined, MX as its exchange."""
    value = prop_text(raw)
    if value is None:
        return None
    kind = (rdtype or "").upper()
    if kind in ("TXT", "SPF"):
        return decode_txt(value)[0]
    if kind == "MX":
        return mx_exchange(value)
    return value.strip()


def declared_set(rdtype: str | None, entries: Sequence[Any], decode_txt: TxtDecoder
                 ) -> tuple[tuple[str | None, ...], dict[str, tuple[str, ...]]]:
    """A record set's declared entries as the rules read them (``declared_value`` of
    each) and, for TXT, joined text -> character-strings: each entry decoded once for
    both (the pack reads a record set for every resource of a preview)."""
    kind = (rdtype or "").upper()
    if kind not in ("TXT", "SPF"):
        return tuple([declared_value(rdtype, raw, decode_txt) for raw in entries]), {}
    values: list[str | None] = []
    strings: dict[str, tuple[str, ...]] = {}
    for raw in entries:
        value = prop_text(raw)
        if value is None:
            values.append(None)
        else:
            joined, parts = decode_txt(value)
            values.append(joined)
            strings[joined] = parts
    return tuple(values), strings


def one_value(props: Mapping[str, Any], decode_txt: TxtDecoder, *, zone_key: str
              ) -> DeclaredValues:
    """A record of one ``value`` (DigitalOcean, DNSimple): ``type``, ``name`` relative to
    the zone named by ``zone_key``; an MX value is the exchange (``priority`` apart)."""
    rdtype = prop_text(props.get("type"))
    raw = props.get("value")
    values = (declared_value(rdtype, raw, decode_txt),) if raw is not None else ()
    return DeclaredValues(
        name=absolute(prop_text(props.get("name")), prop_text(props.get(zone_key))),
        rdtype=rdtype, zone_id=None, values=values)
