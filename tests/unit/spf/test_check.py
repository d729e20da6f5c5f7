"""check_host() beyond the RFC suite: the limits as counted, identities, faults."""

from __future__ import annotations

import pytest

from mailzone.dns.memory import MemoryResolver
from mailzone.dns.resolver import RdType
from mailzone.spf.check import Result, check_host_sync, check_identity_sync, evaluate

TXT, A, MX = RdType.TXT, RdType.A, RdType.MX


def chain(n: int) -> MemoryResolver:
    """example.org includes n-1 records in a chain; only the last one matches."""
    resolver = MemoryResolver()
    for i in range(n):
        nxt = f"include:c{i + 1}.example.net" if i + 1 < n else "ip4:192.0.2.10"
        resolver.add("example.org" if i == 0 else f"c{i}.example.net", TXT,
                     [f"v=spf1 {nxt} -all"])
    return resolver


@pytest.mark.parametrize(("depth", "result", "lookups"),
                         [(11, Result.PASS, 10), (12, Result.PERMERROR, 11)])
def test_ten_lookups_across_the_include_chain(depth: int, result: Result, lookups: int) -> None:
    outcome = check_host_sync("192.0.2.10", "example.org", "app@example.org", chain(depth))
    assert outcome.result is result
    assert outcome.lookups == lookups


def test_void_lookups_limit_is_two() -> None:
    resolver = MemoryResolver({"example.org": {TXT: [
        "v=spf1 a:v1.example.org a:v2.example.org ip4:192.0.2.1 -all"]}})
    assert check_host_sync("192.0.2.1", "example.org", "a@example.org", resolver).result is \
        Result.PASS
    resolver = MemoryResolver({"example.org": {TXT: [
        "v=spf1 a:v1.example.org a:v2.example.org exists:v3.example.org ip4:192.0.2.1 -all"]}})
    outcome = check_host_sync("192.0.2.1", "example.org", "a@example.org", resolver)
    assert (outcome.result, outcome.void_lookups) == (Result.PERMERROR, 3)
    assert "void" in outcome.reason


def test_more_than_ten_mx_names_is_a_permerror() -> None:
    resolver = MemoryResolver({"example.org": {
        TXT: ["v=spf1 mx -all"],
        MX: [f"10 mx{i}.example.org" for i in range(11)],
    }})
    outcome = check_host_sync("192.0.2.1", "example.org", "a@example.org", resolver)
    assert outcome.result is Result.PERMERROR
    assert "11 MX names" in outcome.reason


def test_mx_matches_through_the_exchange_addresses() -> None:
    resolver = MemoryResolver({
        "example.org": {TXT: ["v=spf1 mx/24 -all"], MX: ["10 mail.example.org"]},
        "mail.example.org": {A: ["192.0.2.25"]},
    })
    outcome = check_host_sync("192.0.2.99", "example.org", "a@example.org", resolver)
    assert (outcome.result, outcome.mechanism) == (Result.PASS, "mx/24")


def test_helo_identity_when_the_reverse_path_is_empty() -> None:
    resolver = MemoryResolver({"mta.example.org": {TXT: ["v=spf1 a -all"],
                                                   A: ["192.0.2.5"]}})
    outcome = check_identity_sync("192.0.2.5", "", resolver, helo="mta.example.org")
    assert (outcome.result, outcome.domain) == (Result.PASS, "mta.example.org")


def test_a_server_that_does_not_answer_gives_temperror() -> None:
    resolver = MemoryResolver({"example.org": {TXT: ["v=spf1 include:slow.example.net -all"]}},
                              timeouts=["slow.example.net"])
    outcome = check_host_sync("192.0.2.1", "example.org", "a@example.org", resolver)
    assert outcome.result is Result.TEMPERROR
    assert "slow.example.net" in outcome.reason


def test_ipv4_mapped_client_is_treated_as_ipv4() -> None:
    resolver = MemoryResolver({"example.org": {TXT: ["v=spf1 ip4:192.0.2.0/24 -all"]}})
    outcome = check_host_sync("::ffff:192.0.2.7", "example.org", "a@example.org", resolver)
    assert outcome.result is Result.PASS


def test_explanation_from_exp_with_macros() -> None:
    resolver = MemoryResolver({
        "example.org": {TXT: ["v=spf1 -all exp=why.example.org"]},
        "why.example.org": {TXT: ["%{i} may not send for %{d}; see https://example.org/spf"]},
    })
    outcome = check_host_sync("192.0.2.1", "example.org", "a@example.org", resolver)
    assert outcome.result is Result.FAIL
    assert outcome.explanation == ("192.0.2.1 may not send for example.org; "
                                   "see https://example.org/spf")


def test_a_ptr_term_whose_lookup_finds_nothing_is_a_void_lookup() -> None:
    """RFC 7208 4.6.4 counts every term's empty answer: three void terms, permerror."""
    resolver = MemoryResolver({
        "example.org": {RdType.TXT: ["v=spf1 ptr ptr:example.net exists:nx2.example.org -all"]},
    })
    outcome = check_host_sync("192.0.2.1", "example.org", "a@example.org", resolver)
    assert outcome.result is Result.PERMERROR
    assert outcome.void_lookups == 3


def test_a_macro_that_expands_to_an_address_literal_name_is_queried() -> None:
    """``%{h}`` with HELO ``[192.0.2.1]`` gives ``[192.0.2.1].example.net``: a legal
    DNS name, asked like any other (RFC 7208 7.3, 4.3)."""
    resolver = MemoryResolver({
        "example.org": {RdType.TXT: ["v=spf1 exists:%{h}.example.net -all"]},
        "[192.0.2.1].example.net": {RdType.A: ["127.0.0.2"]},
    })
    outcome = check_host_sync("192.0.2.1", "example.org", "a@example.org", resolver,
                              helo="[192.0.2.1]")
    assert outcome.result is Result.PASS, outcome.reason
    assert check_host_sync("192.0.2.1", "[192.0.2.1]", "postmaster@[192.0.2.1]",
                           resolver).result is Result.NONE  # a literal HELO is no domain


def test_the_engine_face_asks_each_question_once_and_ends_where_the_direct_run_does() -> None:
    """``evaluate`` yields the questions it lacks one by one and replays the evaluation
    with each answer: every question reaches the driver once, and the outcome is that of
    ``check_host_sync``, which asks the resolver directly and yields nothing."""
    resolver = chain(5)
    resolver.add("example.org", MX, ["10 mx.example.org"])
    resolver.add("c4.example.net", TXT, [])
    engine = evaluate("192.0.2.10", "example.org", "app@example.org")
    asked: list[tuple[str, RdType]] = []
    try:
        questions = next(engine)
        while True:
            asked.extend(questions)
            questions = engine.send(tuple(resolver.answer(*q) for q in questions))
    except StopIteration as done:
        outcome = done.value
    assert outcome == check_host_sync("192.0.2.10", "example.org", "app@example.org", resolver)
    assert outcome.result is Result.PASS
    assert len(asked) == len(set(asked)) == 5  # the five TXT records of the chain

    direct = evaluate("192.0.2.10", "example.org", "app@example.org",
                      answer_now=resolver.answer)
    with pytest.raises(StopIteration) as ended:
        next(direct)
    assert ended.value.value == outcome


def test_an_include_in_error_is_named_as_the_record_writes_it() -> None:
    """The reason quotes the include's domain-spec as written, not as it was asked."""
    resolver = MemoryResolver({"example.org": {TXT: ["v=spf1 include:NoSpf.Example.NET. -all"]},
                               "nospf.example.net": {A: ["192.0.2.1"]}})
    outcome = check_host_sync("192.0.2.1", "example.org", "a@example.org", resolver)
    assert outcome.result is Result.PERMERROR
    assert outcome.reason == "include:NoSpf.Example.NET.: nospf.example.net has no SPF record"
