"""Findings: what every check returns.

A finding has a stable ``code`` (a rule of ``mailzone.registry``, where every
code is declared once and ``docs/codes.md`` is generated from; safe to match on
in scripts), a ``severity`` (error or warning), a message a person can act on,
and ``where`` it was found (a name, a term, a config path). Findings are made
through their rule (``SPF_PLUS_ALL.error(...)``). The same rule functions serve
the components, the policy pack and the CLI, so they all speak in findings. The
idea follows octoDNS's validators: checks return reasons, callers aggregate them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    severity: Severity
    message: str
    where: str = ""

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def at(self, where: str) -> Finding:
        """The same finding, placed elsewhere (a config path, the domain it concerns)."""
        return Finding(self.code, self.severity, self.message, where)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
        }
        if self.where:
            data["where"] = self.where
        return data


#: Past this many of one kind from one judgement, the rest are counted, not listed.
LISTED = 10


def listing(items: Sequence[str], *, shown: int = 5) -> str:
    """``'a', 'b', 'c'``, or the first ``shown`` and how many more: a message names
    what is wrong without repeating thousands of terms."""
    quoted = [f"'{item}'" for item in items[:shown]]
    more = len(items) - shown
    return ", ".join(quoted) + (f" and {more:,} more" if more > 0 else "")


def unique(findings: Iterable[Finding]) -> list[Finding]:
    """Each finding once, in first-seen order (one name may be reached by several checks)."""
    return list(dict.fromkeys(findings))


def has_errors(findings: Iterable[Finding]) -> bool:
    return any(f.is_error for f in findings)
