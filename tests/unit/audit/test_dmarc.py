"""The DMARC area's judges, as pure functions of answers."""

from __future__ import annotations

from mailzone.audit.dmarc import (
    dmarc_area,
    judge_alignment,
    judge_authorisations,
    judge_records,
)
from mailzone.audit.model import DmarcFacts, DmarcStatus
from mailzone.dns.exchange import run
from mailzone.dns.memory import MemoryResolver
from mailzone.dns.resolver import Answer, RdType
from mailzone.errors import DnsError
from mailzone.mail.dmarc import parse_dmarc

TXT = RdType.TXT


def test_missing_multiple_syntax_and_ok() -> None:
    facts = DmarcFacts("_dmarc.mail.example.com")
    record, found = judge_records(facts, "mail.example.com", "example.com", [])
    assert record is None and facts.status is DmarcStatus.MISSING
    assert "nor at _dmarc.example.com" in found[0].message
    facts = DmarcFacts("_dmarc.example.com")
    _, found = judge_records(facts, "example.com", "example.com",
                             ["v=DMARC1; p=none", "v=DMARC1; p=reject"])
    assert facts.status is DmarcStatus.MULTIPLE and [f.code for f in found] == ["dmarc-multiple"]
    facts = DmarcFacts("_dmarc.example.com")
    _, found = judge_records(facts, "example.com", "example.com", ["v=DMARC1; p=maybe"])
    assert facts.status is DmarcStatus.SYNTAX and [f.code for f in found] == ["dmarc-syntax"]
    facts = DmarcFacts("_dmarc.example.com")
    record, found = judge_records(facts, "example.com", "example.com",
                                  ["v=DMARC1; p=reject; rua=mailto:d@example.net"])
    assert record is not None and facts.status is DmarcStatus.OK and facts.policy == "reject"
    # The offline warning about the outside destination is left to the live answer.
    assert "dmarc-rua-external" not in [f.code for f in found]


def test_an_inherited_record_is_not_judged_for_its_own_subdomains() -> None:
    facts = DmarcFacts("_dmarc.mail.example.com")
    _, found = judge_records(facts, "mail.example.com", "example.com",
                             ["v=DMARC1; p=reject; sp=none; rua=mailto:d@example.com"])
    assert "dmarc-subdomain-weaker" not in [f.code for f in found]
    facts = DmarcFacts("_dmarc.example.com")
    _, found = judge_records(facts, "example.com", "example.com",
                             ["v=DMARC1; p=reject; sp=none; rua=mailto:d@example.com"])
    assert "dmarc-subdomain-weaker" in [f.code for f in found]


def test_authorisations_from_the_answers() -> None:
    facts = DmarcFacts("_dmarc.example.com")
    found = judge_authorisations(
        facts, "example.com", ["ok.example.net", "no.example.net", "down.example.net"],
        [Answer("x", TXT, ("v=DMARC1",)), Answer("y", TXT, ()),
         DnsError("example.com._report._dmarc.down.example.net", "TXT", "timed out")])
    assert facts.destinations == {"ok.example.net": True, "no.example.net": False,
                                  "down.example.net": None}
    assert [f.code for f in found] == ["dmarc-rua-unauthorised", "check-dns-error"]


def test_alignment() -> None:
    relaxed = parse_dmarc("v=DMARC1; p=reject")
    strict = parse_dmarc("v=DMARC1; p=reject; aspf=s")
    facts = DmarcFacts("_dmarc.example.com")
    assert judge_alignment(facts, relaxed, "example.com", "bounce.example.com") == []
    assert [f.code for f in judge_alignment(facts, strict, "example.com",
                                            "bounce.example.com")] == ["dmarc-spf-unaligned"]
    assert [f.code for f in judge_alignment(facts, relaxed, "example.com",
                                            "bounce.example.net")] == ["dmarc-spf-unaligned"]


def test_the_engine_asks_the_authorisations_in_one_batch() -> None:
    resolver = MemoryResolver({
        "_dmarc.example.com": {TXT: [
            "v=DMARC1; p=reject; rua=mailto:a@one.example.net,mailto:b@two.example.net"]},
        "example.com._report._dmarc.one.example.net": {TXT: ["v=DMARC1"]},
    })
    facts, findings = DmarcFacts("_dmarc.example.com"), []
    run(dmarc_area(facts, findings, domain="example.com", mail_from=None), resolver)
    assert facts.destinations == {"one.example.net": True, "two.example.net": False}
    assert [f.code for f in findings] == ["dmarc-rua-unauthorised"]
