"""DNS faults as findings: every failure is an answer a receiver would also get."""

from __future__ import annotations

from mailzone.errors import DnsError, QueryCapReached
from mailzone.findings import Finding
from mailzone.registry import CHECK_QUERY_CAP, Rule


def dns_finding(rule: Rule, exc: DnsError, where: str, consequence: str) -> Finding:
    """``rule``'s error for a failed lookup, or ``check-query-cap`` when it was never asked."""
    if isinstance(exc, QueryCapReached):
        return CHECK_QUERY_CAP.error(f"{exc.name} {exc.rdtype}: {exc.reason}", where)
    return rule.error(f"{exc.name} {exc.rdtype}: {exc.reason} ({consequence})", where)
