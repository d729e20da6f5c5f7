"""Findings: what every check returns.

A finding has a stable ``code`` (documented in the README, safe to match on in
scripts), a ``severity`` (error or warning), a message a person can act on,
and ``where`` it was found (a name, a term, a config path). The same rule
functions serve the components, the policy pack and the CLI, so they all speak
in findings. The idea follows octoDNS's validators: checks return reasons,
callers aggregate them.
"""

from __future__ import annotations

from collections.abc import Iterable
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

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
        }
        if self.where:
            data["where"] = self.where
        return data


def error(code: str, message: str, where: str = "") -> Finding:
    return Finding(code, Severity.ERROR, message, where)


def warning(code: str, message: str, where: str = "") -> Finding:
    return Finding(code, Severity.WARNING, message, where)


def unique(findings: Iterable[Finding]) -> list[Finding]:
    """Each finding once, in first-seen order (one name may be reached by several checks)."""
    return list(dict.fromkeys(findings))


def has_errors(findings: Iterable[Finding]) -> bool:
    return any(f.is_error for f in findings)


# Every code the core can report, with what it means. Codes are stable: scripts
# and policy configurations match on them. The README's table is built from this.
CODES: dict[str, str] = {
    "spf-missing": "the domain publishes no v=spf1 record: receivers get none",
    "spf-syntax": "the record does not follow the RFC 7208 grammar (permerror)",
    "spf-ip-literal": "ip4:/ip6: terms or an IP literal as a host: authorise senders with include:",
    "spf-lookup-limit": "more than 10 DNS-querying terms across the evaluation (permerror)",
    "spf-void-limit": "more than 2 lookups that returned nothing (permerror)",
    "spf-loop": "an include/redirect chain comes back to a domain already on the path",
    "spf-plus-all": "+all (or a bare all) authorises every host on the internet",
    "spf-no-all": "no all mechanism and no redirect: unmatched mail gets neutral",
    "spf-ptr": "the ptr mechanism is slow, unreliable and discouraged by RFC 7208 5.5",
    "spf-multiple-records": "more than one v=spf1 record at a name (permerror)",
    "spf-string-too-long": "a TXT character-string is longer than 255 octets",
    "spf-too-large": "the answer exceeds 450 octets (warning) or 512 octets (error)",
    "spf-redirect-ignored": "redirect= is ignored because the record has an all mechanism",
    "spf-duplicate-include": "the same include appears more than once in the tree",
    "spf-include-missing": "an include or redirect target publishes no SPF record",
    "spf-mx-limit": "an mx or a ptr term yields more than 10 names (permerror)",
    "spf-dns-error": "a DNS lookup failed (timeout, SERVFAIL, REFUSED): temperror",
    "spf-unknown-modifier": "a modifier this tool does not know (ignored by receivers)",
    "spf-deprecated-macro": "a macro that is discouraged (the p letter)",
}
