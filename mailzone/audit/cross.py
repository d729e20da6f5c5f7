"""Judgements of a whole domain, over the facts its areas fetched (``mailzone check``)."""

from __future__ import annotations

from mailzone.audit.model import DmarcStatus, DomainReport, MxStatus
from mailzone.findings import Finding
from mailzone.mail.dmarc import DmarcRecord, parse_dmarc, record_name
from mailzone.registry import MX_MISSING
from mailzone.rules.parked import NULL_MX, check_null_mx, check_parked, spf_sends


def _applied_record(report: DomainReport) -> DmarcRecord | None:
    # The record was found as one, so it parses (only values that are no record raise).
    text = report.dmarc.record
    return None if text is None else parse_dmarc(text)


def is_parked(report: DomainReport) -> bool:
    """A null MX alone and an SPF record that authorises nobody: it sends and takes no
    mail (RFC 7505)."""
    return (report.mx.status is MxStatus.NULL and not report.mx.hosts
            and spf_sends(report.spf.record) is False)


def judge_domain(report: DomainReport) -> list[Finding]:
    """Judgements that need several areas: a null or missing MX beside what SPF says."""
    findings: list[Finding] = []
    spf = report.spf
    mx = report.mx
    sends = spf_sends(spf.record)
    report.parked = is_parked(report)
    if report.parked and report.dmarc.status not in (DmarcStatus.DNS_ERROR,
                                                     DmarcStatus.TIMEOUT):
        findings += check_parked(
            report.domain, _applied_record(report),
            inherited=report.dmarc.source not in (None, record_name(report.domain)))
    if mx.status is MxStatus.NULL and spf.record is not None:
        findings += check_null_mx(report.domain, [NULL_MX], [spf.record])
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
