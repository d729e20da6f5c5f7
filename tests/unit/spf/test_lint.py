"""Findings for record texts: every code the engine reports without DNS."""

from __future__ import annotations

import pytest

from mailzone.dns.txt import split_txt
from mailzone.findings import Severity
from mailzone.registry import REGISTRY
from mailzone.spf.lint import lint_offline, lint_record, lint_txt_values


def codes(text: str, **kwargs: object) -> dict[str, Severity]:
    return {f.code: f.severity for f in lint_offline(text, **kwargs)}  # type: ignore[arg-type]


def test_a_good_record_has_no_findings() -> None:
    assert lint_record("v=spf1 include:amazonses.com include:_spf.google.com ~all") == []


@pytest.mark.parametrize(
    ("record", "code", "severity"),
    [
        ("v=spf1 ip4:192.0.2.1 -all", "spf-ip-literal", Severity.ERROR),
        ("v=spf1 ip6:2001:db8::/32 -all", "spf-ip-literal", Severity.ERROR),
        ("v=spf1 a:192.0.2.1 -all", "spf-ip-literal", Severity.ERROR),
        ("v=spf1 mx:[2001:db8::1] -all", "spf-ip-literal", Severity.ERROR),
        ("v=spf1 include:example.net +all", "spf-plus-all", Severity.ERROR),
        ("v=spf1 include:example.net all", "spf-plus-all", Severity.ERROR),
        ("v=spf1 include:example.net", "spf-no-all", Severity.WARNING),
        ("v=spf1 ptr:example.net -all", "spf-ptr", Severity.WARNING),
        ("v=spf1 include:example.net -all redirect=example.com", "spf-redirect-ignored",
         Severity.WARNING),
        ("v=spf1 include:example.net include:EXAMPLE.net -all", "spf-duplicate-include",
         Severity.WARNING),
        ("v=spf1 includ:example.net -all", "spf-syntax", Severity.ERROR),
        ("v=spf1 exists:%{p}.example.net -all", "spf-deprecated-macro", Severity.WARNING),
        ("v=spf1 x-owner=platform -all", "spf-unknown-modifier", Severity.WARNING),
        ("v=spf1 " + " ".join(f"a:h{i}.example.net" for i in range(11)) + " -all",
         "spf-lookup-limit", Severity.ERROR),
    ],
)
def test_each_code(record: str, code: str, severity: Severity) -> None:
    found = codes(record, domain="example.org")
    assert found.get(code) is severity, found
    assert code in REGISTRY


def test_ip_literal_message_names_the_term_and_the_fix() -> None:
    (finding,) = lint_record("v=spf1 ip4:192.0.2.1 -all", domain="example.org")
    assert "'ip4:192.0.2.1'" in finding.message
    assert "include:" in finding.message
    assert finding.where == "example.org"


def test_an_ip_host_does_not_hide_other_findings() -> None:
    found = codes("v=spf1 a:192.0.2.7 +all")
    assert found == {"spf-ip-literal": Severity.ERROR, "spf-plus-all": Severity.ERROR}


def test_sizes_warn_over_450_and_fail_over_512() -> None:
    def record(n: int) -> str:
        return "v=spf1 " + " ".join(f"include:s{i:02}.example.com" for i in range(n)) + " -all"

    # Each include term is 23 octets plus a space; lookups are not the point here.
    medium, large = record(19), record(22)
    assert 450 < len(medium) <= 512 < len(large)
    assert codes(medium)["spf-near-size-limit"] is Severity.WARNING
    assert "spf-too-large" not in codes(medium)
    assert codes(large)["spf-too-large"] is Severity.ERROR


def test_strings_longer_than_255_octets() -> None:
    text = "v=spf1 " + " ".join(
        f"include:_spf-outbound-region-{i}.example.com" for i in range(7)) + " ~all"
    assert len(text) > 260
    assert "spf-string-too-long" in codes(text, strings=[text[:260], text[260:]])
    assert "spf-string-too-long" not in codes(text, strings=split_txt(text))


def test_multiple_records_at_a_name() -> None:
    found = lint_txt_values(["v=spf1 -all", "site-verification=abc", "v=spf1 ~all"],
                            domain="example.org")
    assert [f.code for f in found] == ["spf-multiple-records"]
    assert lint_txt_values(["v=spf1 -all", "site-verification=abc"]) == []


def test_thousands_of_ip_literals_are_one_finding_with_a_count() -> None:
    text = "v=spf1 " + " ".join(f"ip4:192.0.2.{i % 250}" for i in range(1500)) + " -all"
    literals = [f for f in lint_record(text) if f.code == "spf-ip-literal"]
    assert len(literals) == 1
    assert literals[0].message.startswith("1,500 terms hard-code mail server addresses ")
    assert "and 1,495 more" in literals[0].message
    few = [f for f in lint_record("v=spf1 ip4:192.0.2.1 ip4:192.0.2.2 -all")
           if f.code == "spf-ip-literal"]
    assert len(few) == 2


def test_a_record_with_a_syntax_error_still_gets_its_independent_findings() -> None:
    text = "v=spf1 include: " + "a" * 600
    found = codes(text, strings=[text[:300], text[300:]])
    assert found.get("spf-syntax") is Severity.ERROR
    assert found.get("spf-string-too-long") is Severity.ERROR
    assert found.get("spf-too-large") is Severity.ERROR


def test_a_text_judged_once_is_placed_at_each_callers_domain() -> None:
    # The judgement of a text is cached; where it is reported is each caller's own.
    text = "v=spf1 ip4:192.0.2.9 +all"
    first = lint_record(text, domain="a.example.org")
    second = lint_record(text, domain="b.example.org")
    nowhere = lint_record(text)
    assert {f.where for f in first} == {"a.example.org"}
    assert {f.where for f in second} == {"b.example.org"}
    assert {f.where for f in nowhere} == {""}
    assert [f.message for f in first] == [f.message for f in second]


def test_a_callers_list_of_findings_is_its_own() -> None:
    text = "v=spf1 include:example.net +all"
    mine = lint_record(text)
    mine.clear()
    assert [f.code for f in lint_record(text)] == ["spf-plus-all"]


def test_the_same_text_with_other_strings_is_judged_again() -> None:
    text = "v=spf1 include:example.net -all"
    assert lint_record(text, strings=(text,)) == []
    too_long = lint_record(text, strings=("x" * 256,))
    assert [f.code for f in too_long] == ["spf-string-too-long"]
