"""DNS records as the rules see them, whichever provider or program declares them.

A ``DnsRecord`` is one record set: a name, a type and its values. Route 53 holds
every value of a name in one record set; Cloudflare holds one record per value;
both map to ``DnsRecord``. Values are presentation text with provider quoting
removed: a TXT value is its character-strings joined (RFC 7208 3.3), an MX value
is the exchange host (the preference is dropped).

Anything may be unknown while a plan is previewed (a name computed from an
identity's DKIM token, a value read from another resource): ``None`` stands for
"not known yet". Rules never report an unknown value as a violation.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from mailzone.dns.resolver import normalize_name
from mailzone.findings import Finding
from mailzone.names import is_under
from mailzone.registry import SPF_MULTIPLE_RECORDS, SPF_NOT_A_RECORD

Value = str | None


@dataclass(frozen=True, slots=True)
class DnsRecord:
    """One record set. ``values`` is None when the whole list is unknown.

    ``where`` identifies the declaring resource for the caller (a URN, a config
    path); ``label`` names it for people (a resource name). ``group`` tells
    apart record sets that share a name without being answered together
    (Route 53 routing policies: one set per ``setIdentifier``).
    """

    name: Value
    rdtype: Value
    values: tuple[Value, ...] | None
    where: str = ""
    label: str = ""
    group: str = ""
    # Each TXT value's character-strings, where the declaration states them (Route 53).
    strings: Mapping[str, tuple[str, ...]] | None = None
    # The name normalised, the type in capitals and the SPF texts (``spf_values``),
    # worked out once: every rule asks them, several times a record (the pack's seven
    # resource policies, for one).
    fqdn: str | None = field(init=False, repr=False, compare=False)
    type_upper: str | None = field(init=False, repr=False, compare=False)
    _spf: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Made for every resource the pack judges: no generator, no call for a record
        # set that holds no SPF text (most of them).
        rdtype = None if self.rdtype is None else self.rdtype.upper()
        setattr_ = object.__setattr__
        setattr_(self, "fqdn", None if self.name is None else normalize_name(self.name))
        setattr_(self, "type_upper", rdtype)
        setattr_(self, "_spf", tuple([v for v in self.values if v is not None and is_spf_text(v)])
                 if self.values and rdtype in ("TXT", "SPF") else ())

    def known_values(self) -> list[str]:
        return [v for v in self.values or () if v is not None]

    @property
    def has_unknown_values(self) -> bool:
        return self.values is None or any(v is None for v in self.values)


def is_spf_text(text: str) -> bool:
    """``v=spf1`` followed by a space or the end (RFC 7208 4.5), case-insensitive."""
    return text[:6].lower() == "v=spf1" and (len(text) == 6 or text[6] == " ")


def spf_values(record: DnsRecord) -> tuple[str, ...]:
    """The known SPF texts of a TXT record set (an SPF type record set counts too)."""
    return record._spf


def check_spf_lookalikes(record: DnsRecord, *, label: str = "", hint: str = "") -> list[Finding]:
    """``spf-not-a-record`` for each TXT value that begins with ``v=spf1`` but is no SPF
    record as receivers read it (``v=spf1include:...``: its strings joined without
    spaces, RFC 7208 3.3), so receivers discard it (4.5). ``hint`` says how the
    declaring provider gets there (Cloud DNS splits unquoted data on spaces)."""
    if record.type_upper not in ("TXT", "SPF"):
        return []
    at = f" at {record.fqdn}" if record.fqdn else ""
    findings: list[Finding] = []
    for text in record.known_values():
        if text[:6].lower() != "v=spf1" or is_spf_text(text):
            continue
        shown = text if len(text) <= 60 else text[:57] + "..."
        findings.append(SPF_NOT_A_RECORD.error(
            f"{label or 'the record'}: the TXT value{at} reads {shown!r} once receivers join "
            "its strings: it starts with v=spf1 but not 'v=spf1 ', so receivers ignore it "
            f"and the name has no SPF record (RFC 7208 4.5).{' ' + hint if hint else ''}",
            record.where))
    return findings


def under(name: str, domains: Iterable[str]) -> str | None:
    """The first of ``domains`` that ``name`` equals or lies under, if any."""
    for domain in domains:
        if is_under(name, domain):
            return normalize_name(domain)
    return None


def check_single_spf(
    records: Sequence[DnsRecord], *, ignore_names: Collection[str] = ()
) -> list[Finding]:
    """``spf-multiple-records`` for every record set that adds a second ``v=spf1``
    value at a name (RFC 7208 4.5: more than one is a permerror for every message).

    Values are counted across providers and resources: a Route 53 set with two
    SPF values and two Cloudflare records at one name are both reported. Record
    sets whose name is unknown cannot be placed and are skipped. One finding
    per resource involved, ``where`` being that resource's.
    """
    by_name: dict[tuple[str, str], list[tuple[DnsRecord, int]]] = {}
    for record in records:
        name = record.fqdn
        if name is None or under(name, ignore_names) == name:
            continue
        count = len(spf_values(record))
        if count:
            by_name.setdefault((name, record.group), []).append((record, count))
    findings: list[Finding] = []
    # Sorted for a stable report, but only the names reported: sorting every name of a
    # large stack made this the one part of the pack's stack call to grow faster than it.
    shared = sorted(key for key, holders in by_name.items()
                    if sum(count for _, count in holders) >= 2)
    for name, group in shared:
        holders = by_name[(name, group)]
        total = sum(count for _, count in holders)
        labels = ", ".join(
            f"{r.label or r.where}" + (f" ({c} values)" if c > 1 else "") for r, c in holders
        )
        for record, _count in holders:
            findings.append(
                SPF_MULTIPLE_RECORDS.error(
                    f"{name} has {total} v=spf1 values in this stack ({labels}): receivers "
                    "return permerror and SPF fails for every message. Merge them into one "
                    "record with all the include: terms and a single all",
                    record.where,
                )
            )
    return findings
