"""Judgements of a whole domain, over the facts its areas fetched (``mailzone check``)."""

from __future__ import annotations

from mailzone.audit.model import DomainReport, MxStatus
from mailzone.errors import SpfSyntaxError
from mailzone.findings import Finding
from mailzone.registry import MX_MISSING, MX_NULL_SPF
from mailzone.spf.parser import parse
from mailzone.spf.terms import Kind, Qualifier


def _spf_sends(record: str | None) -> bool | None:
    """Whether a record authorises any sender (None: the record does not parse)."""
    if record is None:
        return None
    try:
        parsed = parse(record)
    except SpfSyntaxError:
        return None
    if parsed.redirect is not None and parsed.all is None:
        return True
    return any(
        m.kind is not Kind.ALL or m.qualifier is Qualifier.PASS for m in parsed.mechanisms
    )


def judge_domain(report: DomainReport) -> list[Finding]:
    """Judgements that need several areas: a null or missing MX beside what SPF says."""
    findings: list[Finding] = []
    spf = report.spf
    mx = report.mx
    sends = _spf_sends(spf.record)
    if mx.status is MxStatus.NULL and sends:
        findings.append(MX_NULL_SPF.error(
            f"{report.domain} has a null MX (it takes no mail, so bounces and replies "
            f"cannot come back) but its SPF record authorises senders: '{spf.record}'. "
            "Publish 'v=spf1 -all' if it sends no mail, or real MX hosts if it does",
            report.domain,
        ))
    if mx.status is MxStatus.MISSING:
        if sends:
            findings.append(MX_MISSING.error(
                f"{report.domain} sends mail (its SPF authorises senders) but has no MX: "
                "replies go to its address records, if any. Publish MX hosts that take mail",
                report.domain,
            ))
        else:
            findings.append(MX_MISSING.warning(
                f"{report.domain} has no MX: senders try its address records. If it takes "
                "no mail, publish a null MX ('MX 0 .') with 'v=spf1 -all'",
                report.domain,
            ))
    return findings
