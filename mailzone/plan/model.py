"""What a plan is: per domain, per record set, what happens and to every value.

``build`` computes a ``Plan``; the command line renders it (``mailzone.cli.plan``).
``Plan.exit_status``: 0 no changes, 2 changes, 1 errors.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import Any

from mailzone.findings import Finding, Severity, has_errors
from mailzone.plan.lock import Lock, LockEntry
from mailzone.spf.check import RFC_LIMITS

LOOKUP_LIMIT = RFC_LIMITS.lookups


class PlanExit(IntEnum):
    """``mailzone plan``'s exit statuses (``terraform plan -detailed-exitcode``'s)."""

    NO_CHANGES = 0
    ERRORS = 1  # error findings, or anything that kept the plan from being made
    CHANGES = 2


EXIT_NO_CHANGES = PlanExit.NO_CHANGES
EXIT_ERRORS = PlanExit.ERRORS
EXIT_CHANGES = PlanExit.CHANGES


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    KNOWN_AFTER_APPLY = "known-after-apply"
    UNKNOWN = "unknown"  # the current records could not be read


class ValueStatus(StrEnum):
    ADD = "add"  # written by the plan, not published now
    REMOVE = "remove"  # published now, replaced by a value of the plan
    UNCHANGED = "unchanged"  # managed, published as desired
    KEPT = "kept"  # a keepTxt value, published, still there after the plan
    UNMANAGED = "unmanaged"  # published, not managed here, left alone
    LOST = "lost"  # published, not in keepTxt: `pulumi up` would delete it (an error)
    KNOWN_AFTER_APPLY = "known-after-apply"


# Which statuses mean a value is at the name after the plan is applied.
AFTER = frozenset({ValueStatus.ADD, ValueStatus.UNCHANGED, ValueStatus.KEPT,
                    ValueStatus.UNMANAGED})
# The order values are listed in: what goes, what comes, what stays.
LISTING_ORDER = (ValueStatus.REMOVE, ValueStatus.LOST, ValueStatus.ADD, ValueStatus.UNCHANGED,
          ValueStatus.KEPT, ValueStatus.UNMANAGED, ValueStatus.KNOWN_AFTER_APPLY)
CHANGING = frozenset({ValueStatus.ADD, ValueStatus.REMOVE, ValueStatus.LOST})


@dataclass(frozen=True, slots=True)
class PlannedValue:
    value: str
    status: ValueStatus
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"value": self.value, "status": self.status.value}
        if self.note:
            data["note"] = self.note
        return data


@dataclass(frozen=True, slots=True)
class SpfTerm:
    """One term of an SPF diff: ``change`` is ``+`` (added), ``-`` (removed) or ``=``."""

    term: str
    change: str
    lookups: int | None  # what the term costs with its tree (None: not known)

    def to_json(self) -> dict[str, Any]:
        return {"term": self.term, "change": self.change, "lookups": self.lookups}


@dataclass(frozen=True, slots=True)
class SpfDiff:
    """An SPF value created or updated: terms and the lookup budget before and after."""

    name: str
    before: str | None
    after: str
    terms: tuple[SpfTerm, ...]
    lookups_before: int | None
    lookups_after: int | None
    limit: int = LOOKUP_LIMIT
    notes: tuple[str, ...] = ()

    @property
    def added(self) -> list[str]:
        return [t.term for t in self.terms if t.change == "+"]

    @property
    def removed(self) -> list[str]:
        return [t.term for t in self.terms if t.change == "-"]

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "before": self.before,
            "after": self.after,
            "added": self.added,
            "removed": self.removed,
            "terms": [t.to_json() for t in self.terms],
            "lookups_before": self.lookups_before,
            "lookups_after": self.lookups_after,
            "limit": self.limit,
            "notes": list(self.notes),
        }


@dataclass(frozen=True, slots=True)
class RecordPlan:
    """One desired record set against what is published at its name and type."""

    key: str
    owner: str
    name: str
    type: str
    ttl: int
    action: Action
    values: tuple[PlannedValue, ...]
    spf: SpfDiff | None = None
    note: str = ""

    @property
    def changes(self) -> bool:
        return self.action in (Action.CREATE, Action.UPDATE)

    def after(self) -> list[str]:
        """The values at the name once the plan is applied (known ones)."""
        return [v.value for v in self.values if v.status in AFTER]

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "key": self.key,
            "owner": self.owner,
            "name": self.name,
            "type": self.type,
            "ttl": self.ttl,
            "action": self.action.value,
            "values": [v.to_json() for v in self.values],
            "spf": None if self.spf is None else self.spf.to_json(),
        }
        if self.note:
            data["note"] = self.note
        return data


@dataclass(frozen=True, slots=True)
class DomainPlan:
    domain: str
    provider: str
    records: tuple[RecordPlan, ...]
    findings: tuple[Finding, ...]

    @property
    def changes(self) -> bool:
        return any(r.changes for r in self.records)

    @property
    def errors(self) -> bool:
        return has_errors(self.findings)

    def count(self, action: Action) -> int:
        return sum(1 for r in self.records if r.action is action)

    def to_json(self) -> dict[str, Any]:
        return {
            "domain": self.domain,
            "provider": self.provider,
            "changes": self.changes,
            "records": [r.to_json() for r in self.records],
            "findings": [f.to_json() for f in self.findings],
        }


@dataclass(frozen=True, slots=True)
class IncludeReport:
    """An include of the stack as resolved by this plan."""

    include: str
    domains: tuple[str, ...]
    resolved: bool
    lookups: int | None  # the cost of `include:<include>` in all (None: unresolved)
    catalogue_lookups: int | None
    records: Mapping[str, str]
    previous: LockEntry | None
    changed: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "include": self.include,
            "domains": list(self.domains),
            "resolved": self.resolved,
            "lookups": self.lookups,
            "catalogue_lookups": self.catalogue_lookups,
            "previous_lookups": None if self.previous is None else self.previous.lookups,
            "changed": self.changed,
            "records": dict(sorted(self.records.items())),
        }


# -- the plan -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Plan:
    stack: str
    source: str
    domains: tuple[DomainPlan, ...]
    includes: tuple[IncludeReport, ...]
    lock: Lock
    findings: tuple[Finding, ...] = ()  # findings not about one domain

    @property
    def all_findings(self) -> list[Finding]:
        return [*self.findings, *(f for d in self.domains for f in d.findings)]

    @property
    def errors(self) -> bool:
        return has_errors(self.all_findings)

    @property
    def changes(self) -> bool:
        return any(d.changes for d in self.domains)

    @property
    def exit_status(self) -> PlanExit:
        if self.errors:
            return EXIT_ERRORS
        return EXIT_CHANGES if self.changes else EXIT_NO_CHANGES

    def summary(self) -> dict[str, int]:
        counts = {a.value: 0 for a in Action}
        for domain in self.domains:
            for record in domain.records:
                counts[record.action.value] += 1
        values = [v for d in self.domains for r in d.records for v in r.values]
        findings = self.all_findings
        return {
            "domains": len(self.domains),
            **counts,
            "lost": sum(1 for v in values if v.status is ValueStatus.LOST),
            "errors": sum(1 for f in findings if f.severity is Severity.ERROR),
            "warnings": sum(1 for f in findings if f.severity is Severity.WARNING),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "source": self.source,
            "exit_status": self.exit_status,
            "changes": self.changes,
            "errors": self.errors,
            "summary": self.summary(),
            "domains": [d.to_json() for d in self.domains],
            "includes": [i.to_json() for i in self.includes],
            "findings": [f.to_json() for f in self.findings],
        }
