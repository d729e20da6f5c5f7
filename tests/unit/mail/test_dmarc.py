"""DMARC records: parse, format, validate (RFC 7489)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailzone.errors import MailzoneError
from mailzone.findings import Severity
from mailzone.mail.dmarc import (
    Alignment,
    DmarcRecord,
    DmarcSyntaxError,
    Policy,
    authorisation_name,
    external_destinations,
    format_dmarc,
    organisational_domain,
    parse_dmarc,
    record_name,
    validate_dmarc,
)


def codes(text: str, domain: str = "example.org") -> list[str]:
    return [f.code for f in validate_dmarc(text, domain)]


def test_parse_every_tag() -> None:
    record = parse_dmarc(
        "v=DMARC1; p=reject; sp=quarantine; pct=50; rua=mailto:a@example.org,"
        "mailto:b@example.org!10m; ruf=mailto:f@example.org; adkim=s; aspf=r; fo=1:d; "
        "rf=afrf; ri=3600"
    )
    assert record.policy is Policy.REJECT
    assert record.subdomain_policy is Policy.QUARANTINE
    assert record.pct == 50
    assert record.rua == ("mailto:a@example.org", "mailto:b@example.org!10m")
    assert record.ruf == ("mailto:f@example.org",)
    assert record.adkim is Alignment.STRICT
    assert record.aspf is Alignment.RELAXED
    assert record.fo == ("1", "d")
    assert record.rf == ("afrf",)
    assert record.ri == 3600


def test_tag_names_and_keywords_are_case_insensitive_and_whitespace_is_allowed() -> None:
    record = parse_dmarc("v=DMARC1 ;  P = Reject ; ADKIM=S;")
    assert record.policy is Policy.REJECT
    assert record.adkim is Alignment.STRICT


def test_defaults_stay_unwritten() -> None:
    record = parse_dmarc("v=DMARC1; p=none")
    assert record.pct is None and record.effective_pct == 100
    assert record.subdomain_policy is None
    assert record.effective_subdomain_policy is Policy.NONE


def test_format_order_and_round_trip() -> None:
    record = DmarcRecord(
        policy=Policy.QUARANTINE,
        subdomain_policy=Policy.REJECT,
        rua=("mailto:d@example.org",),
        adkim=Alignment.RELAXED,
    )
    text = format_dmarc(record)
    assert text == "v=DMARC1; p=quarantine; sp=reject; rua=mailto:d@example.org; adkim=r"
    assert parse_dmarc(text) == record
    assert str(record) == text


@pytest.mark.parametrize(
    ("text", "position", "fragment"),
    [
        ("p=none; v=DMARC1", 0, "starts with 'v=DMARC1'"),
        ("v=DMARC2; p=none", 0, "exactly 'DMARC1'"),
        ("v=dmarc1; p=none", 0, "exactly 'DMARC1'"),
        ("v=DMARC1; p=rejct", 12, "not a policy"),
        ("v=DMARC1; p=none; pct=101", 22, "out of range"),
        ("v=DMARC1; p=none; pct=ten", 22, "whole number"),
        ("v=DMARC1; p=none; adkim=x", 24, "alignment"),
        ("v=DMARC1; p=none; p=reject", 18, "twice"),
        ("v=DMARC1; p=none; v=DMARC1", 18, "twice"),
        ("v=DMARC1; p=none; rua=dmarc@example.org", 22, "not a report URI"),
        ("v=DMARC1; p=none; rua=mailto:a@example.org, mailto:nobody", 44, "mailbox@domain"),
        ("v=DMARC1; p=none; fo=2", 21, "fo="),
        ("v=DMARC1; p=none; junk", 18, "not a tag"),
    ],
)
def test_syntax_errors_have_positions(text: str, position: int, fragment: str) -> None:
    with pytest.raises(DmarcSyntaxError) as info:
        parse_dmarc(text)
    assert isinstance(info.value, MailzoneError)
    assert info.value.position == position
    assert fragment in info.value.message
    assert f"at character {position + 1}" in str(info.value)


def test_validate_reports_syntax_as_a_finding() -> None:
    findings = validate_dmarc("v=DMARC1; p=maybe", "example.org")
    assert [f.code for f in findings] == ["dmarc-syntax"]
    assert findings[0].severity is Severity.ERROR
    assert findings[0].where == "_dmarc.example.org"


def test_a_good_record_has_no_findings() -> None:
    assert validate_dmarc("v=DMARC1; p=reject; rua=mailto:d@example.org", "example.org") == []


def test_policy_none_is_a_warning() -> None:
    findings = validate_dmarc("v=DMARC1; p=none; rua=mailto:d@example.org", "example.org")
    assert [(f.code, f.severity) for f in findings] == [("dmarc-policy-none", Severity.WARNING)]


def test_missing_policy_is_an_error() -> None:
    findings = validate_dmarc("v=DMARC1; rua=mailto:d@example.org", "example.org")
    assert [(f.code, f.severity) for f in findings] == [("dmarc-no-policy", Severity.ERROR)]


def test_external_report_destination_needs_authorisation() -> None:
    text = "v=DMARC1; p=reject; rua=mailto:d@reports.example.net,mailto:e@example.net"
    findings = [f for f in validate_dmarc(text, "example.org") if f.code == "dmarc-rua-external"]
    assert len(findings) == 2
    assert "example.org._report._dmarc.reports.example.net" in findings[0].message
    assert "example.org._report._dmarc.example.net" in findings[1].message
    assert all(f.severity is Severity.WARNING for f in findings)


def test_own_subdomain_and_parent_are_not_external() -> None:
    record = parse_dmarc(
        "v=DMARC1; p=reject; rua=mailto:d@reports.example.org; ruf=mailto:f@example.org"
    )
    assert external_destinations(record, "mail.example.org") == []
    assert external_destinations(record, "example.org") == []
    assert external_destinations(record, "example.com") == ["reports.example.org", "example.org"]


def test_other_warnings() -> None:
    assert "dmarc-no-rua" in codes("v=DMARC1; p=reject")
    assert "dmarc-pct-partial" in codes("v=DMARC1; p=reject; pct=20; rua=mailto:d@example.org")
    assert "dmarc-pct-partial" not in codes("v=DMARC1; p=none; pct=20; rua=mailto:d@example.org")
    assert "dmarc-subdomain-weaker" in codes(
        "v=DMARC1; p=reject; sp=none; rua=mailto:d@example.org"
    )
    assert "dmarc-subdomain-weaker" not in codes(
        "v=DMARC1; p=quarantine; sp=reject; rua=mailto:d@example.org"
    )
    assert "dmarc-unknown-tag" in codes("v=DMARC1; p=reject; rua=mailto:d@example.org; np=none")
    assert "dmarc-uri-scheme" in codes("v=DMARC1; p=reject; rua=https://example.org/r")


def test_organisational_domain_approximation() -> None:
    assert organisational_domain("a.b.example.org.") == "example.org"
    assert organisational_domain("mail.example.co.uk") == "example.co.uk"
    assert organisational_domain("example.org") == "example.org"
    record = parse_dmarc("v=DMARC1; p=reject; rua=mailto:d@reports.example.co.uk")
    assert external_destinations(record, "mail.example.co.uk") == []
    assert external_destinations(record, "other.co.uk") == ["reports.example.co.uk"]


def test_names() -> None:
    assert record_name("Example.ORG.") == "_dmarc.example.org"
    assert authorisation_name("example.org", "example.net") == (
        "example.org._report._dmarc.example.net"
    )


policies = st.sampled_from(list(Policy))
alignments = st.none() | st.sampled_from(list(Alignment))
mailboxes = st.from_regex(r"mailto:[a-z]{1,8}@[a-z]{1,8}\.(example|test)", fullmatch=True)


@given(
    policy=policies,
    sp=st.none() | policies,
    pct=st.none() | st.integers(0, 100),
    rua=st.lists(mailboxes, max_size=3).map(tuple),
    ruf=st.lists(mailboxes, max_size=2).map(tuple),
    adkim=alignments,
    aspf=alignments,
    ri=st.none() | st.integers(0, 2**32 - 1),
)
def test_round_trip_property(
    policy: Policy,
    sp: Policy | None,
    pct: int | None,
    rua: tuple[str, ...],
    ruf: tuple[str, ...],
    adkim: Alignment | None,
    aspf: Alignment | None,
    ri: int | None,
) -> None:
    record = DmarcRecord(policy, sp, pct, rua, ruf, adkim, aspf, ri=ri)
    assert parse_dmarc(format_dmarc(record)) == record


@given(st.text(max_size=80))
def test_parse_raises_only_its_own_error(text: str) -> None:
    try:
        parse_dmarc(text)
    except DmarcSyntaxError as exc:
        assert 0 <= exc.position <= len(text)


@given(st.text(max_size=60))
def test_validate_never_raises(text: str) -> None:
    for finding in validate_dmarc("v=DMARC1; " + text, "example.org"):
        assert finding.code.startswith("dmarc-")
