"""The unsafe-plan guard: a plan too large a change to apply without saying so.

As octoDNS refuses a sync that would update or delete more than a share of a zone's
records without ``--force``, a plan that removes or replaces more than ``share`` of
the values published at the names the stack manages (once there are ``minimum`` of
them), or every TXT value at a domain's apex, is ``plan-unsafe``: an error, or a
warning when the user allows it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mailzone.findings import Finding, Severity
from mailzone.plan.model import DomainPlan, RecordPlan, ValueStatus
from mailzone.registry import PLAN_UNSAFE


@dataclass(frozen=True, slots=True)
class UnsafeGuard:
    """When a plan is too large a change to apply without saying so (octoDNS's
    update/delete thresholds): ``share`` of the published values at the names the
    stack manages removed or replaced, counted once there are ``minimum`` of them."""

    share: float = 0.3
    minimum: int = 10
    allow: bool = False


_PUBLISHED = frozenset({ValueStatus.REMOVE, ValueStatus.LOST, ValueStatus.UNCHANGED,
                        ValueStatus.KEPT, ValueStatus.UNMANAGED})
_GOING = frozenset({ValueStatus.REMOVE, ValueStatus.LOST})


def _unsafe(guard: UnsafeGuard) -> tuple[Severity, str]:
    severity = Severity.WARNING if guard.allow else Severity.ERROR
    return severity, ("Check the plan value by value" + ("" if guard.allow else
                      "; --allow-unsafe (or a larger --unsafe-share) makes this a warning"))


def apex_unsafe(domain: str, records: Sequence[RecordPlan], guard: UnsafeGuard
                ) -> list[Finding]:
    """``plan-unsafe`` when every TXT value published at the apex would go, some of them
    not replaced by a value of their kind (lost): replacing two SPF records by one is a
    repair, wiping an apex is not."""
    severity, fix = _unsafe(guard)
    found: list[Finding] = []
    for record in records:
        values = [v for v in record.values if v.status in _PUBLISHED]
        if (record.type == "TXT" and record.name == domain and len(values) > 1
                and all(v.status in _GOING for v in values)
                and any(v.status is ValueStatus.LOST for v in values)):
            found.append(PLAN_UNSAFE.finding(
                severity,
                f"the plan removes or replaces all {len(values)} TXT values at the apex of "
                f"{domain}: site verifications and other records there would go. {fix}",
                domain,
            ))
    return found


def unsafe_findings(domains: Sequence[DomainPlan], guard: UnsafeGuard) -> list[Finding]:
    """``plan-unsafe`` when the plan removes or replaces too large a share of what is
    published at the names the stack manages (the whole stack's count)."""
    severity, fix = _unsafe(guard)
    found: list[Finding] = []
    published = going = 0
    for domain in domains:
        for record in domain.records:
            values = [v for v in record.values if v.status in _PUBLISHED]
            published += len(values)
            going += sum(1 for v in values if v.status in _GOING)
    if published >= guard.minimum and going > guard.share * published:
        found.append(PLAN_UNSAFE.finding(
            severity,
            f"the plan removes or replaces {going} of the {published} values published at "
            f"the names the stack manages ({going / published:.0%}, over "
            f"{guard.share:.0%}). {fix}",
            "",
        ))
    return found


#: The guard a plan applies unless told otherwise.
DEFAULT_GUARD = UnsafeGuard()
