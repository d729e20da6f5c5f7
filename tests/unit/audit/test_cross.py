"""Judgements over several areas: a null or missing MX beside what SPF authorises."""

from __future__ import annotations

from mailzone.audit.cross import judge_domain
from mailzone.audit.model import DmarcStatus, DomainReport, MxStatus, SpfStatus
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


def test_a_parked_domain_is_held_to_the_lockdown_set() -> None:
    def parked(dmarc: str | None, source: str = "_dmarc.example.com") -> list[str]:
        result = report("v=spf1 -all", MxStatus.NULL)
        if dmarc is not None:
            result.dmarc.record, result.dmarc.source = dmarc, source
            result.dmarc.status = DmarcStatus.OK
        found = [f.code for f in judge_domain(result)]
        assert result.parked
        return found

    assert parked("v=DMARC1; p=reject; np=reject") == []  # sp falls back to p
    assert parked("v=DMARC1; p=reject; sp=reject; np=reject; rua=mailto:d@example.com") == []
    assert parked("v=DMARC1; p=reject; sp=none") == ["parked-incomplete"]
    assert parked("v=DMARC1; p=quarantine") == ["parked-incomplete"]
    assert parked(None) == ["parked-incomplete"]
    # Inherited from a parent: its sp= and np= are what apply.
    assert parked("v=DMARC1; p=none; sp=reject", "_dmarc.example") == []
    assert parked("v=DMARC1; p=reject; sp=quarantine", "_dmarc.example") == [
        "parked-incomplete"]
    # t=y: the policy is under test, so receivers do not apply it: not locked down.
    assert parked("v=DMARC1; p=reject; sp=reject; np=reject; t=y") == ["parked-incomplete"]
    sending = report("v=spf1 include:_spf.example.net -all", MxStatus.NULL)
    judge_domain(sending)
    assert not sending.parked


def test_what_a_parked_domain_lacks_is_named() -> None:
    result = report("v=spf1 -all", MxStatus.NULL)
    result.dmarc.record, result.dmarc.source = "v=DMARC1; p=reject; sp=none", "_dmarc.example.com"
    (finding,) = judge_domain(result)
    assert "lacks sp=reject (it is none), np=reject (it is none)" in finding.message
    assert "'v=DMARC1; p=reject; sp=reject; np=reject'" in finding.message


def test_missing_mx_is_an_error_only_for_a_domain_that_sends() -> None:
    (sends,) = judge_domain(report("v=spf1 include:_spf.example.net -all", MxStatus.MISSING))
    assert (sends.code, sends.severity) == ("mx-missing", Severity.ERROR)
    (quiet,) = judge_domain(report("v=spf1 -all", MxStatus.MISSING))
    assert (quiet.code, quiet.severity) == ("mx-missing", Severity.WARNING)
    assert judge_domain(report("v=spf1 -all", MxStatus.OK)) == []


def test_only_preference_0_with_the_root_is_a_null_mx() -> None:
    from mailzone.rules.parked import is_null_mx

    assert is_null_mx("0 .") and is_null_mx("0 ") and is_null_mx(".")
    assert not is_null_mx("10 .") and not is_null_mx("10 mx.example.com")
    assert not is_null_mx("mx.example.com")


def test_a_null_mx_beside_real_ones_is_not_a_parked_domain() -> None:
    result = report("v=spf1 -all", MxStatus.NULL)
    result.mx.hosts = ["mx.example.com"]
    judge_domain(result)
    assert not result.parked
