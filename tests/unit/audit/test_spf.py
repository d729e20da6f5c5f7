"""The SPF area's judges, as pure functions of answers, and its engine over memory."""

from __future__ import annotations

from mailzone.audit.model import SpfFacts, SpfStatus
from mailzone.audit.spf import judge_answer, judge_tree, spf_area, tree_status
from mailzone.dns.exchange import run
from mailzone.dns.memory import MemoryResolver
from mailzone.dns.resolver import Answer, RdType
from mailzone.findings import Finding
from mailzone.spf.budget import walk_sync

TXT = RdType.TXT


def codes(findings: list[Finding]) -> list[str]:
    return [f.code for f in findings]


def test_no_record_is_none_and_the_mail_from_domain_is_named() -> None:
    verdict = judge_answer("example.com", Answer("example.com", TXT, nxdomain=True),
                           mail_from=False)
    assert verdict.status is SpfStatus.NONE
    assert verdict.reason == "example.com does not exist"
    assert codes(verdict.findings) == ["spf-missing"]
    mail_from = judge_answer("bounce.example.com", Answer("bounce.example.com", TXT, ("x",)),
                             mail_from=True)
    assert mail_from.findings[0].message.startswith("the MAIL FROM domain bounce.example.com")


def test_two_records_are_a_permerror_without_a_walk() -> None:
    answer = Answer("example.com", TXT, ("v=spf1 -all", "v=spf1 ~all"))
    verdict = judge_answer("example.com", answer, mail_from=False)
    assert verdict.status is SpfStatus.PERMERROR
    assert "spf-multiple-records" in codes(verdict.findings)


def test_one_record_is_walked_and_a_large_answer_is_a_warning() -> None:
    values = ("v=spf1 include:_spf.example.net -all", *(f"token-{i}=" + "x" * 60
                                                         for i in range(8)))
    verdict = judge_answer("example.com", Answer("example.com", TXT, values), mail_from=False)
    assert verdict.status is None  # the tree decides
    assert verdict.values == ["v=spf1 include:_spf.example.net -all"]
    assert verdict.txt_answer_octets > 512
    assert codes(verdict.findings) == ["check-txt-answer-size"]


def test_an_answer_no_dns_message_can_carry_is_an_error() -> None:
    # 300 values of 254 octets: about 80 KB, past the 65,535 a message's length allows.
    values = ("v=spf1 -all", *(f"{i:03}" + "y" * 251 for i in range(300)))
    verdict = judge_answer("example.com", Answer("example.com", TXT, values), mail_from=False)
    assert verdict.txt_answer_octets > 65535
    [finding] = verdict.findings
    assert (finding.code, finding.severity.value) == ("check-txt-answer-size", "error")
    assert "more than a DNS message can carry even over TCP" in finding.message
    # Just under the limit it is the warning about truncation over UDP.
    fits = judge_answer("example.com", Answer("example.com", TXT, values[:240]),
                        mail_from=False)
    assert 512 < fits.txt_answer_octets <= 65535
    assert [f.severity.value for f in fits.findings] == ["warning"]


def test_the_tree_decides_what_a_receiver_gets() -> None:
    resolver = MemoryResolver({
        "example.com": {TXT: ["v=spf1 include:gone.example.net -all"]},
        "ok.example.com": {TXT: ["v=spf1 ip4:192.0.2.0/24 -all"]},
    })
    missing = walk_sync(resolver, domain="example.com")
    assert tree_status(missing) == (SpfStatus.PERMERROR,
                                    "gone.example.net publishes no SPF record")
    status, _, findings = judge_tree("example.com", missing)
    assert status is SpfStatus.PERMERROR and codes(findings) == ["spf-include-missing"]
    fine = walk_sync(resolver, domain="ok.example.com")
    assert tree_status(fine) == (SpfStatus.OK, "0 of 10 lookups")


def test_the_engine_fills_the_facts_through_any_driver() -> None:
    resolver = MemoryResolver({
        "example.com": {TXT: ["v=spf1 include:_spf.example.net -all"]},
        "_spf.example.net": {TXT: ["v=spf1 ip4:198.51.100.0/24 -all"]},
    })
    facts, findings = SpfFacts("example.com"), []
    run(spf_area(facts, findings, mail_from=False), resolver)
    assert (facts.status, facts.reason) == (SpfStatus.OK, "1 of 10 lookups")
    assert facts.budget is not None and facts.budget.total == 1
    assert findings == []
