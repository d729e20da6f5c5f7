"""What becomes of every value at one name and type, on the domain's DNS provider.

A provider that writes whole record sets (Route 53) replaces a published value of
the kind it manages (another ``v=spf1``, another DMARC record, another MX) and
deletes any other it is not told to keep (``lost``); a provider of one record per
value (Cloudflare) updates the record of its kind in place and leaves the others
alone (``unmanaged``). The provider modules say which is which
(``mailzone.providers``).
"""

from __future__ import annotations

from collections.abc import Sequence

from mailzone import providers
from mailzone.dns.resolver import normalize_name
from mailzone.mail.dmarc import is_dmarc_record
from mailzone.plan.model import CHANGING, LISTING_ORDER, Action, PlannedValue, ValueStatus
from mailzone.providers import RecordSets
from mailzone.spf.parser import is_spf


def _kind(rdtype: str, value: str) -> str:
    """What a value is for: one managed value replaces published values of its kind."""
    if rdtype == "TXT":
        if is_spf(value):
            return "spf"
        if is_dmarc_record(value):
            return "dmarc"
        return "txt"
    return rdtype


def _same_value(rdtype: str, a: str, b: str) -> bool:
    if rdtype in ("MX", "CNAME"):
        return normalize_name(a) == normalize_name(b)
    return a == b


def _index_of(rdtype: str, values: Sequence[str], value: str) -> int | None:
    for index, candidate in enumerate(values):
        if _same_value(rdtype, candidate, value):
            return index
    return None


def plan_values(
    provider_name: str,
    rdtype: str,
    desired: Sequence[str],
    keep: Sequence[str],
    published: Sequence[str],
) -> list[PlannedValue]:
    """What becomes of every value at one name and type (see the module's docstring)."""
    provider = providers.provider(provider_name)
    whole_set = provider.record_sets is RecordSets.WHOLE_SET
    remaining = list(published)
    out: list[PlannedValue] = []
    missing: list[str] = []
    for value in desired:
        index = _index_of(rdtype, remaining, value)
        if index is None:
            missing.append(value)
            out.append(PlannedValue(value, ValueStatus.ADD))
        else:
            remaining.pop(index)
            out.append(PlannedValue(value, ValueStatus.UNCHANGED))
    for value in keep:
        index = _index_of(rdtype, remaining, value)
        if index is not None:
            remaining.pop(index)
            out.append(PlannedValue(value, ValueStatus.KEPT, "keepTxt"))
        elif whole_set:
            out.append(PlannedValue(value, ValueStatus.ADD, "keepTxt"))
    replaced_kinds = [_kind(rdtype, v) for v in missing]
    for value in remaining:
        kind = _kind(rdtype, value)
        if whole_set:
            if kind in replaced_kinds or kind in (_kind(rdtype, v) for v in desired):
                out.append(PlannedValue(value, ValueStatus.REMOVE))
            else:
                out.append(PlannedValue(
                    value, ValueStatus.LOST,
                    f"{provider.title} writes the whole record set: add it to keepTxt to "
                    "keep it"))
        elif kind in replaced_kinds:
            replaced_kinds.remove(kind)  # one record per value: updated in place
            out.append(PlannedValue(value, ValueStatus.REMOVE))
        else:
            out.append(PlannedValue(value, ValueStatus.UNMANAGED))
    return sorted(out, key=lambda v: LISTING_ORDER.index(v.status))


def record_action(values: Sequence[PlannedValue]) -> Action:
    if not any(v.status in CHANGING for v in values):
        return Action.UNCHANGED
    ours_published = any(
        v.status in (ValueStatus.UNCHANGED, ValueStatus.KEPT, ValueStatus.REMOVE,
                     ValueStatus.LOST)
        for v in values
    )
    return Action.UPDATE if ours_published else Action.CREATE
