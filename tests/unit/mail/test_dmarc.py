"""DMARC records: parse, format, validate (RFC 9989)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailzone.errors import MailzoneError
from mailzone.findings import Severity
from mailzone.mail.dmarc import (
    HISTORIC_TAGS,
    KNOWN_TAGS,
    Alignment,
    DmarcRecord,
    DmarcSyntaxError,
    Policy,
    Psd,
    authorisation_name,
    dmarc_errors,
    external_destinations,
    format_dmarc,
    is_dmarc_record,
    parse_dmarc,
    record_name,
    validate_dmarc,
)


def codes(text: str, domain: str = "example.org") -> list[str]:
    return [f.code for f in validate_dmarc(text, domain)]


def test_parse_every_tag() -> None:
    record = parse_dmarc(
        "v=DMARC1; p=reject; sp=quarantine; np=reject; t=y; psd=n; "
        "rua=mailto:a@example.org,mailto:b@example.org; ruf=mailto:f@example.org; "
        "adkim=s; aspf=r; fo=1:d"
    )
    assert record.policy is Policy.REJECT
    assert record.subdomain_policy is Policy.QUARANTINE
    assert record.nonexistent_policy is Policy.REJECT
    assert record.testing is True and record.in_testing
    assert record.psd is Psd.NO
    assert record.rua == ("mailto:a@example.org", "mailto:b@example.org")
    assert record.ruf == ("mailto:f@example.org",)
    assert record.adkim is Alignment.STRICT
    assert record.aspf is Alignment.RELAXED
    assert record.fo == ("1", "d")
    assert record.problems == () and record.historic == () and record.unknown == ()


def test_the_tag_table_is_rfc_9989s() -> None:
    assert set(KNOWN_TAGS) == {"v", "p", "sp", "np", "t", "psd", "adkim", "aspf", "rua",
                               "ruf", "fo"}
    assert set(HISTORIC_TAGS) == {"pct", "rf", "ri"}


# The record examples of RFC 9989 ("DMARC Policy Record Examples" and the tag text),
# with its example domains.
RFC_9989_EXAMPLES = [
    "v=DMARC1; p=none; rua=mailto:dmarc-feedback@example.com",
    "v=DMARC1; p=none; rua=mailto:dmarc-feedback@example.com; "
    "ruf=mailto:auth-reports@thirdparty.example.net",
    "v=DMARC1; p=quarantine; rua=mailto:dmarc-feedback@example.com",
    "v=DMARC1; p=quarantine; rua=mailto:dmarc-feedback@example.com; t=y",
    "v=DMARC1; p=reject; rua=mailto:dmarc-feedback@example.com",
    "v=DMARC1; p=reject; sp=quarantine; np=reject",
    "v=DMARC1; p=none; psd=y",
    "v=DMARC1; p=reject; psd=n; rua=mailto:dmarc@example.com",
    "v=DMARC1; p=reject; adkim=s; aspf=s; fo=d:s",
    "v=DMARC1; p=quarantine; rua=mailto:dmarc-feedback@example.com,"
    "mailto:tld-test@thirdparty.example.net; t=y",
    "v=DMARC1",  # what a report destination publishes to authorise reports
]


@pytest.mark.parametrize("text", RFC_9989_EXAMPLES)
def test_rfc_9989_examples_parse_cleanly_and_round_trip(text: str) -> None:
    record = parse_dmarc(text)
    assert record.problems == ()
    # The same tags, written in the conventional order.
    assert sorted(format_dmarc(record).split("; ")) == sorted(text.split("; "))
    assert parse_dmarc(format_dmarc(record)) == record


def test_a_record_without_p_is_p_none() -> None:
    record = parse_dmarc("v=DMARC1; rua=mailto:d@example.org")
    assert record.policy is None and record.effective_policy is Policy.NONE
    assert record.policy_for(subdomain=True) is Policy.NONE
    findings = validate_dmarc("v=DMARC1; rua=mailto:d@example.org", "example.org")
    assert (findings[0].code, findings[0].severity) == ("dmarc-no-policy", Severity.WARNING)
    assert "act as if it said p=none" in findings[0].message
    # Without a valid rua= either, receivers apply no DMARC at all (RFC 9989).
    bare = parse_dmarc("v=DMARC1; sp=reject")
    assert not bare.applies
    (finding,) = [f for f in validate_dmarc("v=DMARC1; sp=reject", "example.org")
                  if f.code == "dmarc-not-applied"]
    assert finding.severity is Severity.ERROR and "no DMARC processing" in finding.message


def test_an_invalid_p_sp_or_np_makes_the_whole_record_p_none() -> None:
    for text in ("v=DMARC1; p=rejct; rua=mailto:d@example.org",
                 "v=DMARC1; p=reject; sp=rejct; rua=mailto:d@example.org",
                 "v=DMARC1; p=reject; np=oops; rua=mailto:d@example.org"):
        record = parse_dmarc(text)
        assert record.applies and not record.policy_valid, text
        assert {record.policy_for(subdomain=False), record.policy_for(subdomain=True),
                record.policy_for(subdomain=True, exists=False)} == {Policy.NONE}, text
        codes_ = [f.code for f in validate_dmarc(text, "example.org")]
        assert "dmarc-syntax" in codes_ and "dmarc-no-policy" in codes_, text
    assert not parse_dmarc("v=DMARC1; p=reject; sp=rejct").applies
    # A repeated p= keeps its first value: the policy is still valid.
    assert parse_dmarc("v=DMARC1; p=reject; p=none; rua=mailto:d@example.org").policy_valid


def test_a_tab_after_the_version_is_a_record_that_parses() -> None:
    record = parse_dmarc("v=DMARC1\tp=reject")
    assert record.problems and record.problems[0].message.startswith("'p=reject' follows")


@given(st.text(alphabet=st.sampled_from(list("vVD=MARC1 \t;pnoe")), max_size=30))
def test_whatever_receivers_take_as_a_record_parses(text: str) -> None:
    if is_dmarc_record(text):
        parse_dmarc(text)  # never raises for a value receivers take as a record


def test_subdomain_and_nonexistent_policies_fall_back_as_rfc_9989_says() -> None:
    only_p = parse_dmarc("v=DMARC1; p=reject")
    assert only_p.policy_for(subdomain=True) is Policy.REJECT
    assert only_p.policy_for(subdomain=True, exists=False) is Policy.REJECT
    with_sp = parse_dmarc("v=DMARC1; p=reject; sp=none")
    assert with_sp.policy_for(subdomain=True, exists=False) is Policy.NONE
    with_np = parse_dmarc("v=DMARC1; p=none; sp=quarantine; np=reject")
    assert with_np.policy_for(subdomain=False) is Policy.NONE
    assert with_np.policy_for(subdomain=True) is Policy.QUARANTINE
    assert with_np.policy_for(subdomain=True, exists=False) is Policy.REJECT


def test_historic_tags_are_kept_reported_and_never_applied() -> None:
    record = parse_dmarc("v=DMARC1; p=reject; pct=150; rf=afrf; ri=ten; rua=mailto:d@example.org")
    assert record.historic == (("pct", "150"), ("rf", "afrf"), ("ri", "ten"))
    sized = validate_dmarc("v=DMARC1; p=reject; rua=mailto:d@example.org!10m", "example.org")
    assert [f.code for f in sized] == ["dmarc-historic-tag"] and "!size" in sized[0].message
    assert record.policy is Policy.REJECT and record.problems == ()
    findings = validate_dmarc(
        "v=DMARC1; p=reject; pct=150; rf=afrf; ri=ten; rua=mailto:d@example.org", "example.org")
    assert [f.code for f in findings] == ["dmarc-historic-tag"] * 3
    assert all(f.severity is Severity.WARNING for f in findings)
    assert "t=y" in findings[0].message  # what to write instead of pct


def test_t_y_beside_an_enforcing_policy_is_not_enforcement() -> None:
    assert "dmarc-testing" in codes("v=DMARC1; p=reject; t=y; rua=mailto:d@example.org")
    assert "dmarc-testing" in codes("v=DMARC1; p=none; sp=quarantine; t=y; "
                                    "rua=mailto:d@example.org")
    assert "dmarc-testing" not in codes("v=DMARC1; p=none; t=y; rua=mailto:d@example.org")
    assert "dmarc-testing" not in codes("v=DMARC1; p=reject; t=n; rua=mailto:d@example.org")


def test_np_missing_is_advised_where_nonexistent_names_are_not_rejected() -> None:
    assert "dmarc-np-missing" in codes("v=DMARC1; p=quarantine; rua=mailto:d@example.org")
    assert "dmarc-np-missing" in codes("v=DMARC1; p=reject; sp=none; rua=mailto:d@example.org")
    assert "dmarc-np-missing" not in codes("v=DMARC1; p=reject; rua=mailto:d@example.org")
    assert "dmarc-np-missing" not in codes(
        "v=DMARC1; p=quarantine; np=reject; rua=mailto:d@example.org")
    # Inherited by a subdomain: the parent's business.
    assert "dmarc-np-missing" not in [f.code for f in validate_dmarc(
        "v=DMARC1; p=quarantine; rua=mailto:d@example.org", "example.org", inherited=True)]


def test_tag_names_and_keywords_are_case_insensitive_and_whitespace_is_allowed() -> None:
    record = parse_dmarc("v=DMARC1 ;  P = Reject ; ADKIM=S;")
    assert record.policy is Policy.REJECT
    assert record.adkim is Alignment.STRICT


def test_defaults_stay_unwritten() -> None:
    record = parse_dmarc("v=DMARC1; p=none")
    assert record.testing is None and not record.in_testing and record.psd is None
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
        (" v=DMARC1; p=none", 0, "nothing before it"),
    ],
)
def test_values_that_are_no_record_raise_with_positions(
    text: str, position: int, fragment: str
) -> None:
    with pytest.raises(DmarcSyntaxError) as info:
        parse_dmarc(text)
    assert isinstance(info.value, MailzoneError)
    assert info.value.position == position
    assert fragment in info.value.message
    assert f"at character {position + 1}" in str(info.value)


@pytest.mark.parametrize(
    ("text", "tag", "position", "fragment"),
    [
        ("v=DMARC1; p=rejct", "p", 12, "not a policy"),
        ("v=DMARC1; p=none; sp=all", "sp", 21, "not a policy"),
        ("v=DMARC1; p=none; np=no", "np", 21, "not a policy"),
        ("v=DMARC1; p=none; t=yes", "t", 20, "not y or n"),
        ("v=DMARC1; p=none; psd=x", "psd", 22, "not y, n or u"),
        ("v=DMARC1; p=none; adkim=x", "adkim", 24, "alignment"),
        ("v=DMARC1; p=none; p=reject", "p", 18, "twice"),
        ("v=DMARC1; p=none; v=DMARC1", "v", 18, "first tag"),
        ("v=DMARC1; p=none; rua=dmarc@example.org", "rua", 22, "not a report URI"),
        ("v=DMARC1; p=none; rua=mailto:a@example.org, mailto:nobody", "rua", 44,
         "mailbox@domain"),
        ("v=DMARC1; p=none; fo=2", "fo", 21, "fo="),
        ("v=DMARC1; p=none; junk", "", 18, "not a tag"),
        ("v=DMARC1 p=none", "", 9, "without a ';'"),
    ],
)
def test_a_tag_in_error_is_discarded_not_the_record(
    text: str, tag: str, position: int, fragment: str
) -> None:
    record = parse_dmarc(text)
    (problem,) = record.problems
    assert (problem.tag, problem.position) == (tag, position)
    assert fragment in problem.message
    # The discarded tag is not applied: its default is (the first p= of a duplicate stays).
    if tag in ("p", "sp", "np") and "twice" not in fragment:
        assert getattr(record, {"p": "policy", "sp": "subdomain_policy",
                                "np": "nonexistent_policy"}[tag]) is None
    findings = validate_dmarc(text, "example.org")
    syntax = [f for f in findings if f.code == "dmarc-syntax"]
    assert len(syntax) == 1 and syntax[0].severity is Severity.ERROR
    assert f"at character {position + 1}" in syntax[0].message


def test_validate_reports_syntax_as_a_finding() -> None:
    findings = validate_dmarc("v=DMARC1; p=maybe", "example.org")
    assert findings[0].code == "dmarc-syntax"
    assert "applies the record as p=none when it has a valid rua=" in findings[0].message
    other = validate_dmarc("v=DMARC1; p=none; adkim=x", "example.org")[0]
    assert "receivers discard that tag and keep the rest" in other.message
    assert findings[0].severity is Severity.ERROR
    assert findings[0].where == "_dmarc.example.org"
    assert [f.code for f in validate_dmarc("p=none", "example.org")] == ["dmarc-syntax"]


def test_a_good_record_has_no_findings() -> None:
    assert validate_dmarc("v=DMARC1; p=reject; rua=mailto:d@example.org", "example.org") == []


def test_policy_none_is_a_warning() -> None:
    findings = validate_dmarc("v=DMARC1; p=none; np=reject; rua=mailto:d@example.org",
                              "example.org")
    assert [(f.code, f.severity) for f in findings] == [("dmarc-policy-none", Severity.WARNING)]


def test_external_report_destination_needs_authorisation() -> None:
    text = "v=DMARC1; p=reject; rua=mailto:d@reports.example.net,mailto:e@example.net"
    findings = [f for f in validate_dmarc(text, "example.org") if f.code == "dmarc-rua-external"]
    assert len(findings) == 2
    assert "example.org._report._dmarc.reports.example.net" in findings[0].message
    assert "example.org._report._dmarc.example.net" in findings[1].message
    assert all(f.severity is Severity.WARNING for f in findings)


def test_destinations_under_the_organisational_domain_are_not_external() -> None:
    record = parse_dmarc(
        "v=DMARC1; p=reject; rua=mailto:d@reports.example.org; ruf=mailto:f@example.org"
    )
    assert external_destinations(record, "example.org") == []
    assert external_destinations(record, "example.com") == ["reports.example.org", "example.org"]
    # Without a tree walk (the organisational domain unknown) the domain stands for it.
    assert external_destinations(record, "mail.example.org") == [
        "reports.example.org", "example.org"]
    findings = validate_dmarc("v=DMARC1; p=reject; rua=mailto:d@example.org",
                              "mail.example.org", organisation="example.org")
    assert "dmarc-rua-external" not in [f.code for f in findings]


def test_other_warnings() -> None:
    assert "dmarc-no-rua" in codes("v=DMARC1; p=reject")
    assert "dmarc-subdomain-weaker" in codes(
        "v=DMARC1; p=reject; sp=none; rua=mailto:d@example.org"
    )
    assert "dmarc-subdomain-weaker" not in codes(
        "v=DMARC1; p=quarantine; sp=reject; rua=mailto:d@example.org"
    )
    assert "dmarc-unknown-tag" in codes("v=DMARC1; p=reject; rua=mailto:d@example.org; x=none")
    assert "dmarc-unknown-tag" not in codes("v=DMARC1; p=reject; rua=mailto:d@example.org; np=none")
    assert "dmarc-uri-scheme" in codes("v=DMARC1; p=reject; rua=https://example.org/r")


def test_names() -> None:
    assert record_name("Example.ORG.") == "_dmarc.example.org"
    assert authorisation_name("example.org", "example.net") == (
        "example.org._report._dmarc.example.net"
    )


policies = st.sampled_from(list(Policy))
alignments = st.none() | st.sampled_from(list(Alignment))
mailboxes = st.from_regex(r"mailto:[a-z]{1,8}@[a-z]{1,8}\.(example|test)", fullmatch=True)


historic = st.lists(st.sampled_from([("pct", "50"), ("rf", "afrf"), ("ri", "3600")]),
                    unique=True, max_size=3).map(tuple)


@given(
    policy=st.none() | policies,
    sp=st.none() | policies,
    np=st.none() | policies,
    testing=st.none() | st.booleans(),
    psd=st.none() | st.sampled_from(list(Psd)),
    rua=st.lists(mailboxes, max_size=3).map(tuple),
    ruf=st.lists(mailboxes, max_size=2).map(tuple),
    adkim=alignments,
    aspf=alignments,
    fo=st.none() | st.lists(st.sampled_from(["0", "1", "d", "s"]), min_size=1,
                            max_size=4).map(tuple),
    historic_tags=historic,
)
def test_round_trip_property(
    policy: Policy | None,
    sp: Policy | None,
    np: Policy | None,
    testing: bool | None,
    psd: Psd | None,
    rua: tuple[str, ...],
    ruf: tuple[str, ...],
    adkim: Alignment | None,
    aspf: Alignment | None,
    fo: tuple[str, ...] | None,
    historic_tags: tuple[tuple[str, str], ...],
) -> None:
    record = DmarcRecord(policy, sp, np, testing, psd, rua, ruf, adkim, aspf, fo,
                         historic=historic_tags)
    assert parse_dmarc(format_dmarc(record)) == record


@given(st.text(max_size=80))
def test_parse_raises_only_its_own_error(text: str) -> None:
    try:
        parse_dmarc(text)
    except DmarcSyntaxError as exc:
        assert 0 <= exc.position <= len(text)


@given(st.text(max_size=80))
def test_parse_keeps_every_tag_or_says_why_it_dropped_it(text: str) -> None:
    record = parse_dmarc("v=DMARC1; " + text)
    assert parse_dmarc(format_dmarc(record)).problems == ()


@given(st.text(max_size=60))
def test_validate_never_raises(text: str) -> None:
    for finding in validate_dmarc("v=DMARC1; " + text, "example.org"):
        assert finding.code.startswith("dmarc-")


def test_each_report_uri_is_judged_on_its_own() -> None:
    record = parse_dmarc("v=DMARC1; p=none; rua=mailto:a@example.org, mailto:nobody, ,"
                         "mailto:b@example.org")
    assert record.rua == ("mailto:a@example.org", "mailto:b@example.org")
    assert [p.tag for p in record.problems] == ["rua", "rua"]
    assert all("send reports to the others" in p.consequence for p in record.problems)
    codes_ = [f.code for f in validate_dmarc(
        "v=DMARC1; p=none; rua=mailto:a@example.org, mailto:nobody", "example.org")]
    assert "dmarc-syntax" in codes_ and "dmarc-no-rua" not in codes_
    # With no valid URI the tag is gone, and with it the reports.
    alone = parse_dmarc("v=DMARC1; p=none; rua=mailto:nobody")
    assert alone.rua == () and alone.problems[0].discarded


_ERRORS_CORPUS = [
    "v=DMARC1; p=reject; rua=mailto:dmarc@example.org", "v=DMARC1; p=none",
    "v=DMARC1; p=quarantine; sp=none; np=reject; t=y; pct=50", "v=DMARC1",
    "v=DMARC1; rua=mailto:r@example.net", "v=DMARC1; p=bogus", "v=DMARC1; p=bogus; rua=x",
    "v=DMARC1; p=reject; sp=maybe", "v=DMARC1; p=reject; p=none", "v=DMARC1 p=reject",
    "v=DMARC1; p=reject; adkim=x; ruf=mailto:f@example.org!10m", "v=spf1 -all", "",
    " v=DMARC1; p=reject", "v=DMARC1; p=reject; foo=bar; np=bogus",
]


@pytest.mark.parametrize("text", _ERRORS_CORPUS)
def test_dmarc_errors_are_the_validators_errors(text: str) -> None:
    expected = [f for f in validate_dmarc(text, "example.org") if f.is_error]
    assert dmarc_errors(text, "example.org") == expected


_TAGS_TEXT = st.text(alphabet=st.sampled_from(list("vVD=MARC1 \t;pnoeqrjctusa:@.")), max_size=40)


@given(_TAGS_TEXT | _TAGS_TEXT.map(lambda tags: "v=DMARC1;" + tags))
def test_dmarc_errors_are_the_validators_errors_for_any_text(text: str) -> None:
    expected = [f for f in validate_dmarc(text, "example.org") if f.is_error]
    assert dmarc_errors(text, "example.org") == expected
