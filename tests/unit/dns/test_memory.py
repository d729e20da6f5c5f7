"""MemoryResolver: the base of the offline resolvers."""

from __future__ import annotations

import asyncio

import pytest

from mailzone.dns.memory import MAX_CNAME_CHAIN, MemoryResolver
from mailzone.dns.resolver import Answer, RdType, Resolver
from mailzone.errors import DnsError


def make() -> MemoryResolver:
    return MemoryResolver(
        {
            "example.org": {
                RdType.TXT: ["v=spf1 include:_spf.example.net ~all", "site-verification=abc"],
                RdType.MX: ["20 mx2.example.org", "10 mx1.example.org"],
            },
            "mx1.example.org": {RdType.A: ["192.0.2.1"], RdType.AAAA: ["2001:db8::1"]},
            "alias.example.org": {RdType.CNAME: ["example.org"]},
            "chain.example.org": {RdType.CNAME: ["alias.example.org"]},
            "dangling.example.org": {RdType.CNAME: ["nowhere.example.org"]},
            "sel1._domainkey.example.org": {RdType.TXT: ["v=DKIM1; p="]},
            "loop-a.example.org": {RdType.CNAME: ["loop-b.example.org"]},
            "loop-b.example.org": {RdType.CNAME: ["loop-a.example.org"]},
        },
        timeouts=["slow.example.net"],
    )


def test_implements_the_protocol() -> None:
    assert isinstance(make(), Resolver)


def test_answers_records_at_a_name_normalising_the_question() -> None:
    resolver = make()
    answer = resolver.answer("Example.ORG.", RdType.TXT)
    assert answer == Answer(
        "example.org",
        RdType.TXT,
        ("v=spf1 include:_spf.example.net ~all", "site-verification=abc"),
    )
    assert not answer.void


def test_resolve_is_the_async_face_of_answer() -> None:
    resolver = make()
    answer = asyncio.run(resolver.resolve("mx1.example.org", RdType.AAAA))
    assert answer == resolver.answer("mx1.example.org", RdType.AAAA)
    assert answer.records == ("2001:db8::1",)


def test_mx_hosts_in_preference_order() -> None:
    assert make().answer("example.org", RdType.MX).mx_hosts() == [
        "mx1.example.org",
        "mx2.example.org",
    ]


def test_cname_is_followed_and_the_answer_keeps_the_asked_name() -> None:
    resolver = make()
    answer = resolver.answer("chain.example.org", RdType.MX)
    assert answer.name == "chain.example.org"
    assert answer.records == ("20 mx2.example.org", "10 mx1.example.org")


def test_asking_for_the_cname_itself_does_not_follow_it() -> None:
    answer = make().answer("chain.example.org", RdType.CNAME)
    assert answer.records == ("alias.example.org",)


def test_cname_to_a_missing_name_is_nxdomain() -> None:
    answer = make().answer("dangling.example.org", RdType.TXT)
    assert answer.void
    assert answer.nxdomain


def test_nxdomain_versus_nodata() -> None:
    resolver = make()
    missing = resolver.answer("missing.example.org", RdType.TXT)
    nodata = resolver.answer("mx1.example.org", RdType.TXT)
    assert missing.void and missing.nxdomain
    assert nodata.void and not nodata.nxdomain


def test_empty_non_terminal_exists() -> None:
    answer = make().answer("_domainkey.example.org", RdType.TXT)
    assert answer.void
    assert not answer.nxdomain


def test_cname_loop_is_an_error() -> None:
    with pytest.raises(DnsError, match="CNAME chain too long") as raised:
        make().answer("loop-a.example.org", RdType.TXT)
    assert raised.value.name == "loop-a.example.org"


def test_a_chain_just_under_the_bound_is_followed_and_one_over_is_not() -> None:
    records: dict[str, dict[RdType, list[str]]] = {
        f"c{i}.example.org": {RdType.CNAME: [f"c{i + 1}.example.org"]}
        for i in range(MAX_CNAME_CHAIN)
    }
    records[f"c{MAX_CNAME_CHAIN}.example.org"] = {RdType.TXT: ["end"]}
    resolver = MemoryResolver(records)
    assert resolver.answer("c1.example.org", RdType.TXT).records == ("end",)
    with pytest.raises(DnsError):
        resolver.answer("c0.example.org", RdType.TXT)


def test_timeouts_raise_dns_error() -> None:
    with pytest.raises(DnsError, match="timed out"):
        make().answer("slow.example.net", RdType.TXT)


def test_add_appends_to_a_record_set() -> None:
    resolver = MemoryResolver()
    resolver.add("example.com", RdType.TXT, ["one"])
    resolver.add("Example.com.", RdType.TXT, ["two"])
    assert resolver.answer("example.com", RdType.TXT).records == ("one", "two")
    assert resolver.names == ["example.com"]
