"""The bulk-sender profile's judges, over a report's facts (no I/O)."""

from __future__ import annotations

from mailzone.audit.bulk import _selectors, judge_bulk, senders_of
from mailzone.audit.model import (
    DkimFacts,
    DkimStatus,
    DmarcStatus,
    DomainReport,
    MxStatus,
    SpfStatus,
)
from mailzone.mail import catalogue
from mailzone.spf.budget import Budget, Node

TOKEN = "a" * 32  # an Easy DKIM token: 32 base32 characters


def report(spf: str, *, includes: dict[str, int], dmarc: str | None,
           selectors: tuple[str, ...] = (), mail_from: str | None = None) -> DomainReport:
    result = DomainReport("example.com")
    result.spf.values, result.spf.status = [spf], SpfStatus.OK
    result.spf.budget = Budget(Node("example.com", "", 0, spf), total=1, includes=includes)
    if dmarc is not None:
        result.dmarc.record, result.dmarc.source = dmarc, "_dmarc.example.com"
        result.dmarc.status = DmarcStatus.OK
        result.dmarc.organisational_domain = "example.com"
    else:
        result.dmarc.status = DmarcStatus.MISSING
    result.mail_from = mail_from
    for selector in selectors:
        facts = DkimFacts(selector, f"{selector}._domainkey.example.com")
        facts.status = DkimStatus.OK
        result.dkim.append(facts)
    return result


def test_given_selectors_go_to_the_senders_they_belong_to() -> None:
    both = report("v=spf1 include:amazonses.com include:mailgun.org -all",
                  includes={"amazonses.com": 1, "mailgun.org": 1}, dmarc=None,
                  selectors=(TOKEN, "k1"))
    ses, mailgun = catalogue.lookup("amazon-ses"), catalogue.lookup("mailgun")
    assert _selectors(both, ses) == [TOKEN, "k1"]  # SES's keys are whatever is given
    assert _selectors(both, mailgun) == ["k1"]
    google = catalogue.lookup("google-workspace")
    assert _selectors(both, google) == ["google", "k1"]  # the catalogue's, then the given
    assert [s.key for s in senders_of(both)] == ["amazon-ses", "mailgun"]


def test_under_aspf_s_a_mail_from_subdomain_does_not_align() -> None:
    relaxed = report("v=spf1 include:spf.protection.outlook.com -all",
                     includes={"spf.protection.outlook.com": 1},
                     dmarc="v=DMARC1; p=none; rua=mailto:d@example.com")
    bars, findings = judge_bulk(relaxed, [])
    assert [v.met for v in bars[0].verdicts] == [True, False, True, True]
    assert findings[0].code == "bulk-sender-unmet"
    strict = report("v=spf1 include:spf.protection.outlook.com -all",
                    includes={"spf.protection.outlook.com": 1},
                    dmarc="v=DMARC1; p=none; aspf=s; rua=mailto:d@example.com")
    # Microsoft 365 sends with the domain itself as MAIL FROM: aligned even under aspf=s.
    bars, _ = judge_bulk(strict, [])
    assert bars[0].verdicts[3].met is True


def test_a_parked_domain_is_not_judged_and_no_sender_is_a_warning() -> None:
    quiet = report("v=spf1 -all", includes={}, dmarc="v=DMARC1; p=reject")
    bars, findings = judge_bulk(quiet, [])
    assert bars == [] and [(f.code, f.severity.value) for f in findings] == [
        ("bulk-sender-unmet", "warning")]
    quiet.mx.status = MxStatus.NULL  # a null MX and v=spf1 -all: parked, not judged
    assert judge_bulk(quiet, []) == ([], []) and quiet.parked
