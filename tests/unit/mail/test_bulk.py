"""The bulk-sender bar as data, and the verdicts every face shares."""

from __future__ import annotations

from mailzone.findings import Severity
from mailzone.mail import catalogue
from mailzone.mail.bulk import (
    BAR,
    RULES,
    Requirement,
    SenderBar,
    Verdict,
    alignment,
    dmarc_verdict,
    own_mail_from,
    unmet_findings,
)
from mailzone.mail.dmarc import parse_dmarc

MET = Verdict(Requirement.SPF, True, "")
NOT = Verdict(Requirement.DKIM, False, "")
UNKNOWN = Verdict(Requirement.DKIM, None, "")


def test_every_requirement_has_its_wording_and_source() -> None:
    assert [rule.requirement for rule in BAR] == list(Requirement)
    assert all(rule.wording and "2024-02" in rule.source for rule in BAR)
    assert set(RULES) == set(Requirement)


def test_alignment_relaxed_strict_and_by_dkim() -> None:
    assert alignment("example.com", MET, "bounce.example.com", NOT).met is True
    # relaxed: the organisational domains decide, when the walk found them
    assert alignment("news.example.com", MET, "bounce.example.com", NOT,
                     same_organisation=True).met is True
    assert alignment("example.com", MET, "bounce.example.net", NOT,
                     same_organisation=False).met is False
    # aspf=s: only the domain itself
    assert alignment("example.com", MET, "bounce.example.com", NOT, strict=True).met is False
    assert alignment("example.com", MET, "example.com", NOT, strict=True).met is True
    # DKIM alone aligns; an unknown DKIM leaves it unknown
    assert alignment("example.com", MET, None, Verdict(Requirement.DKIM, True, "")).met is True
    assert alignment("example.com", MET, None, UNKNOWN).met is None


def test_dmarc_verdicts() -> None:
    assert dmarc_verdict(parse_dmarc("v=DMARC1; p=none; rua=mailto:d@example.com"),
                         "_dmarc.example.com").met is True
    assert dmarc_verdict(parse_dmarc("v=DMARC1; p=reject"), "_dmarc.example.com").met is False
    assert dmarc_verdict(None, "missing").met is False


def test_own_mail_from_passes_spf_without_aligning() -> None:
    verdict = own_mail_from(catalogue.lookup("sendgrid"), "example.com")
    assert verdict.met is True and "custom return path" in verdict.detail


def test_an_unmet_requirement_is_an_error_an_unknown_one_a_warning() -> None:
    (error,) = unmet_findings(SenderBar("x", "X", [MET, NOT]), "example.com")
    assert error.severity is Severity.ERROR and "does not meet" in error.message
    (warning,) = unmet_findings(SenderBar("x", "X", [MET, UNKNOWN]), "example.com")
    assert warning.severity is Severity.WARNING and "could not be fully checked" in warning.message
    assert unmet_findings(SenderBar("x", "X", [MET]), "example.com") == []
