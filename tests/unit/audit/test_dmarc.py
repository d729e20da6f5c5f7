"""The DMARC area's judges, as pure functions of answers."""

from __future__ import annotations

from mailzone.audit.dmarc import (
    dmarc_area,
    judge_alignment,
    judge_authorisations,
    judge_discovery,
)
from mailzone.audit.model import DmarcFacts, DmarcStatus
from mailzone.dns.exchange import run
from mailzone.dns.memory import MemoryResolver
from mailzone.dns.resolver import Answer, RdType
from mailzone.errors import DnsError
from mailzone.mail.discovery import Discovery, discovery_from
from mailzone.mail.dmarc import parse_dmarc

TXT = RdType.TXT


walk = Discovery.over


def test_missing_multiple_syntax_and_ok() -> None:
    facts = DmarcFacts("_dmarc.mail.example.com")
    record, found = judge_discovery(facts, walk("mail.example.com", {}))
    assert record is None and facts.status is DmarcStatus.MISSING
    assert "nor up the tree (_dmarc.mail.example.com, _dmarc.example.com, _dmarc.com)" in (
        found[0].message)
    facts = DmarcFacts("_dmarc.example.com")
    _, found = judge_discovery(facts, walk("example.com", {
        "example.com": ["v=DMARC1; p=none", "v=DMARC1; p=reject"]}))
    assert facts.status is DmarcStatus.MULTIPLE and [f.code for f in found] == ["dmarc-multiple"]
    facts = DmarcFacts("_dmarc.example.com")
    record, found = judge_discovery(facts, walk("example.com", {
        "example.com": ["v=DMARC1; p=maybe; rua=mailto:d@example.com"]}))
    # RFC 9989: the bad tag is discarded, the record kept, and p=none applies.
    assert facts.status is DmarcStatus.SYNTAX and record is not None
    assert facts.policy == "none" and facts.applied_policy == "none"
    assert [f.code for f in found] == ["dmarc-syntax", "dmarc-no-policy", "dmarc-np-missing"]
    facts = DmarcFacts("_dmarc.example.com")
    record, found = judge_discovery(facts, walk("example.com", {
        "example.com": ["v=DMARC1; p=reject; rua=mailto:d@example.net"]}))
    assert record is not None and facts.status is DmarcStatus.OK and facts.policy == "reject"
    # The offline warning about the outside destination is left to the live answer.
    assert "dmarc-rua-external" not in [f.code for f in found]


def test_several_records_are_discarded_and_the_walk_goes_on() -> None:
    facts = DmarcFacts("_dmarc.mail.example.com")
    record, found = judge_discovery(facts, walk("mail.example.com", {
        "mail.example.com": ["v=DMARC1; p=none", "v=DMARC1; p=reject"],
        "example.com": ["v=DMARC1; p=reject; sp=quarantine; rua=mailto:d@example.com"]}))
    assert record is not None and facts.source == "_dmarc.example.com"
    assert facts.status is DmarcStatus.OK and facts.applied_policy == "quarantine"
    assert [f.code for f in found] == ["dmarc-multiple"]


def test_an_inherited_record_is_not_judged_for_its_own_subdomains() -> None:
    published = {"example.com": ["v=DMARC1; p=reject; sp=none; rua=mailto:d@example.com"]}
    facts = DmarcFacts("_dmarc.mail.example.com")
    _, found = judge_discovery(facts, walk("mail.example.com", published))
    assert "dmarc-subdomain-weaker" not in [f.code for f in found]
    assert facts.applied_policy == "none"
    facts = DmarcFacts("_dmarc.example.com")
    _, found = judge_discovery(facts, walk("example.com", published))
    assert "dmarc-subdomain-weaker" in [f.code for f in found]
    assert facts.applied_policy == "reject"


def test_a_failure_below_the_top_level_domain_leaves_the_policy_unknown() -> None:
    error = DnsError("_dmarc.example.com", "TXT", "SERVFAIL from 192.0.2.53:53")
    discovery = discovery_from("mail.example.com", [
        Answer("_dmarc.mail.example.com", TXT), error, Answer("_dmarc.com", TXT)])
    facts = DmarcFacts("_dmarc.mail.example.com")
    record, found = judge_discovery(facts, discovery)
    assert record is None and facts.status is DmarcStatus.DNS_ERROR
    assert [f.code for f in found] == ["check-dns-error"]
    # At the top-level domain, the last step, a failure is no record there (see discovery).
    refused = DnsError("_dmarc.com", "TXT", "REFUSED from 192.0.2.53:53")
    discovery = discovery_from("mail.example.com", [
        Answer("_dmarc.mail.example.com", TXT), Answer("_dmarc.example.com", TXT), refused])
    facts = DmarcFacts("_dmarc.mail.example.com")
    record, found = judge_discovery(facts, discovery)
    assert facts.status is DmarcStatus.MISSING and [f.code for f in found] == ["dmarc-missing"]
    assert "_dmarc.com could not be asked: REFUSED" in found[0].message


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
    own = {"example.com": ["v=DMARC1; p=reject"]}
    domain = walk("example.com", own)
    assert judge_alignment(facts, relaxed, domain, walk("bounce.example.com", own)) == []
    assert [f.code for f in judge_alignment(facts, strict, domain, walk(
        "bounce.example.com", own))] == ["dmarc-spf-unaligned"]
    assert [f.code for f in judge_alignment(facts, relaxed, domain, walk(
        "bounce.example.net", own))] == ["dmarc-spf-unaligned"]
    # The organisational domain comes from the tree walk: psd=n makes a subdomain one.
    split = {"example.com": ["v=DMARC1; p=reject"],
             "shop.example.com": ["v=DMARC1; p=reject; psd=n"]}
    assert [f.code for f in judge_alignment(facts, relaxed, walk("shop.example.com", split),
                                            walk("bounce.example.com", split))] == [
        "dmarc-spf-unaligned"]


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


def test_np_applies_to_a_name_that_does_not_exist() -> None:
    resolver = MemoryResolver({
        "_dmarc.example.com": {TXT: [
            "v=DMARC1; p=reject; sp=quarantine; np=none; rua=mailto:d@example.com"]},
        "exists.example.com": {TXT: ["v=spf1 -all"]},
    })
    for name, applied in (("exists.example.com", "quarantine"), ("gone.example.com", "none")):
        facts, findings = DmarcFacts(f"_dmarc.{name}"), []
        run(dmarc_area(facts, findings, domain=name, mail_from=None), resolver)
        assert facts.applied_policy == applied, name


def test_a_record_receivers_do_not_apply_says_so() -> None:
    facts = DmarcFacts("_dmarc.example.com")
    _, found = judge_discovery(facts, walk("example.com", {
        "example.com": ["v=DMARC1; p=block; sp=reject"]}))
    assert facts.status is DmarcStatus.NOT_APPLIED and facts.applied_policy is None
    assert facts.subdomain_policy is None  # as receivers read it: not at all
    assert "dmarc-not-applied" in [f.code for f in found]
