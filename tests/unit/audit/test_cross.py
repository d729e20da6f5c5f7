"""Judgements over several areas: a null or missing MX beside what SPF authorises."""

from __future__ import annotations

from mailzone.audit.cross import judge_domain
from mailzone.audit.model import DomainReport, MxStatus, SpfStatus
from mailzone.findings import Severity


def report(spf: str | None, mx: MxStatus) -> DomainReport:
    result = DomainReport("example.com")
    if spf is not None:
        result.spf.values, result.spf.status = [spf], SpfStatus.OK
    result.mx.status = mx
    return result


def test_null_mx_with_a_sending_spf_record() -> None:
    codes = [f.code for f in judge_domain(report("v=spf1 include:_spf.example.net -all",
                                                 MxStatus.NULL))]
    assert codes == ["mx-null-spf"]
    assert judge_domain(report("v=spf1 -all", MxStatus.NULL)) == []


def test_missing_mx_is_an_error_only_for_a_domain_that_sends() -> None:
    (sends,) = judge_domain(report("v=spf1 include:_spf.example.net -all", MxStatus.MISSING))
    assert (sends.code, sends.severity) == ("mx-missing", Severity.ERROR)
    (quiet,) = judge_domain(report("v=spf1 -all", MxStatus.MISSING))
    assert (quiet.code, quiet.severity) == ("mx-missing", Severity.WARNING)
    assert judge_domain(report("v=spf1 -all", MxStatus.OK)) == []
