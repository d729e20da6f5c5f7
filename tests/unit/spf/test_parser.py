"""The SPF grammar: parsing, formatting, splitting; properties over generated input."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailzone.dns.txt import join_txt, octets, split_txt
from mailzone.errors import MailzoneError, SpfSyntaxError
from mailzone.spf.parser import is_spf, parse, parse_term
from mailzone.spf.terms import Escape, Kind, Macro, Mechanism, Modifier, Qualifier


def test_terms_of_a_typical_record() -> None:
    record = parse("v=spf1 include:_spf.example.net -ip4:192.0.2.0/24 mx/30//64 ~all")
    kinds = [m.kind for m in record.mechanisms]
    assert kinds == [Kind.INCLUDE, Kind.IP4, Kind.MX, Kind.ALL]
    ip4 = record.mechanisms[1]
    assert ip4.qualifier is Qualifier.FAIL
    assert ip4.network() == ipaddress.ip_network("192.0.2.0/24")
    mx = record.mechanisms[2]
    assert (mx.ip4_cidr, mx.ip6_cidr, mx.domain) == (30, 64, None)
    assert record.all is not None and record.all.qualifier is Qualifier.SOFTFAIL


def test_modifiers_and_macros() -> None:
    record = parse("v=spf1 exists:%{ir}.%{l1r+-}._spf.%{d} redirect=_spf.example.org "
                   "exp=explain.%{o} x-tracking=%%%_%-")
    exists = record.mechanisms[0]
    assert exists.domain is not None
    macros = [p for p in exists.domain.parts if isinstance(p, Macro)]
    assert macros == [Macro("i", None, True, ""), Macro("l", 1, True, "+-"), Macro("d")]
    assert record.redirect == Modifier("redirect", record.redirect.value)  # type: ignore[union-attr]
    unknown = record.modifier("x-tracking")
    assert unknown is not None
    assert unknown.value.parts == (Escape("%"), Escape("_"), Escape("-"))


def test_case_insensitive_names_and_canonical_format() -> None:
    record = parse("V=SPF1 +INCLUDE:Example.ORG MX:example.org/24 Redirect=example.net")
    assert str(record) == "v=spf1 +include:Example.ORG mx:example.org/24 redirect=example.net"


@pytest.mark.parametrize(
    ("text", "position", "words"),
    [
        ("v=spf1 inclde:example.org", 7, "did you mean 'include'"),
        ("v=spf1 include:example", 15, "at least two labels"),
        ("v=spf1 ip4:192.0.2.300", 11, "not an IPv4 address"),
        ("v=spf1 ip4:192.0.2.1/33", 21, "0-32"),
        ("v=spf1 ip6:2001:db8::1/129", 23, "0-128"),
        ("v=spf1 a/024", 8, "leading zeros"),
        ("v=spf1 exists:%{x}.example.org", 14, "not a macro"),
        ("v=spf1 exists:%{d0}.example.org", 14, "must not be zero"),
        ("v=spf1 exists:%{c}.example.org", 14, "explanation text"),
        ("v=spf1 a:%example.org", 9, "starts a macro"),
        ("v=spf1 all:example.org", 10, "takes no argument"),
        ("v=spf1 redirect=a.example.org redirect=b.example.org", 30, "only once"),
        ("v=spf1 include:example.org\t-all", 26, "only visible ASCII"),
        ("v=spf2 -all", 0, "starts with 'v=spf1'"),
        ("v=spf1 ip6:fe80::1%eth0", 11, "not an IPv6 address"),
        ("v=spf1 a:example.123", 9, "top label"),
    ],
)
def test_errors_carry_position_and_advice(text: str, position: int, words: str) -> None:
    with pytest.raises(SpfSyntaxError) as caught:
        parse(text)
    assert caught.value.position == position, caught.value.describe()
    assert words in caught.value.message
    assert caught.value.caret().splitlines()[1].index("^") == position


def test_is_spf_selects_only_version_1_records() -> None:
    assert is_spf("v=spf1") and is_spf("V=SPF1 -all")
    assert not is_spf("v=spf10 -all") and not is_spf("spf2.0/pra -all")
    assert not is_spf("google-site-verification=abc")


def test_split_prefers_term_boundaries_and_joins_back() -> None:
    record = "v=spf1 " + " ".join(f"include:s{i}.example.com" for i in range(25)) + " -all"
    strings = split_txt(record)
    assert len(strings) == 3
    assert all(octets(s) <= 255 for s in strings)
    assert all(s.endswith(" ") for s in strings[:-1])
    assert join_txt(strings) == record


# --- properties ----------------------------------------------------------------

_label = st.from_regex(r"[a-z][a-z0-9]{0,10}(-[a-z0-9]{1,5})?", fullmatch=True)
_top = st.from_regex(r"[a-z]{2,6}", fullmatch=True)
_literal_domain = st.builds(lambda ls, t: ".".join([*ls, t]), st.lists(_label, min_size=1,
                                                                       max_size=3), _top)
_macro = st.builds(
    lambda letter, digits, rev, delims: f"%{{{letter}{digits}{rev}{delims}}}",
    st.sampled_from("slodiphvSLODIPHV"),
    st.sampled_from(["", "1", "2", "12"]),
    st.sampled_from(["", "r"]),
    st.sampled_from(["", ".", "-+", "/_=,"]),
)
_domain_spec = st.one_of(
    _literal_domain,
    st.builds(lambda m, d: f"{m}.{d}", _macro, _literal_domain),
    st.builds(lambda d, m: f"{d}.{m}", _literal_domain, _macro),
)
_qualifier = st.sampled_from(["", "+", "-", "~", "?"])
_cidr4 = st.one_of(st.just(""), st.integers(0, 32).map(lambda n: f"/{n}"))
_cidr6 = st.one_of(st.just(""), st.integers(0, 128).map(lambda n: f"//{n}"))
_ipv4 = st.ip_addresses(v=4).map(str)
_ipv6 = st.ip_addresses(v=6).map(str)
_mechanism = st.one_of(
    st.builds(lambda q: f"{q}all", _qualifier),
    st.builds(lambda q, d: f"{q}include:{d}", _qualifier, _domain_spec),
    st.builds(lambda q, d: f"{q}exists:{d}", _qualifier, _domain_spec),
    st.builds(lambda q, k, d, c4, c6: f"{q}{k}{d}{c4}{c6}", _qualifier, st.sampled_from(
        ["a", "mx"]), st.one_of(st.just(""), _domain_spec.map(lambda d: f":{d}")), _cidr4, _cidr6),
    st.builds(lambda q, d: f"{q}ptr{d}", _qualifier,
              st.one_of(st.just(""), _domain_spec.map(lambda d: f":{d}"))),
    st.builds(lambda q, a, c: f"{q}ip4:{a}{c}", _qualifier, _ipv4, _cidr4),
    st.builds(lambda q, a, c: f"{q}ip6:{a}{c}", _qualifier, _ipv6,
              st.one_of(st.just(""), st.integers(0, 128).map(lambda n: f"/{n}"))),
)
_unknown_modifier = st.builds(lambda n, v: f"{n}={v}",
                              st.from_regex(r"x-[a-z0-9_.]{1,8}", fullmatch=True),
                              st.one_of(st.just(""), _domain_spec))
_record = st.builds(
    lambda terms, redirect, exp, spaces: "v=spf1" + "".join(
        " " * spaces + t for t in [*terms, *redirect, *exp]),
    st.lists(st.one_of(_mechanism, _unknown_modifier), max_size=12),
    st.lists(_domain_spec.map(lambda d: f"redirect={d}"), max_size=1),
    st.lists(_domain_spec.map(lambda d: f"exp={d}"), max_size=1),
    st.integers(1, 3),
)


@settings(max_examples=400)
@given(_record)
def test_format_parse_round_trip(text: str) -> None:
    record = parse(text)
    formatted = str(record)
    assert parse(formatted) == record
    assert str(parse(formatted)) == formatted  # formatting is a fixed point
    assert len(record.terms) == len(text.split()) - 1


def outcome(text: str | bytes) -> SpfSyntaxError | None:
    """Parse, turning our error into a value; any other exception fails the test."""
    try:
        parse(text)
    except SpfSyntaxError as exc:
        return exc
    return None


@settings(max_examples=400)
@given(st.text(max_size=120))
def test_any_string_raises_only_our_error(text: str) -> None:
    for candidate in (text, "v=spf1 " + text):
        failure = outcome(candidate)
        if failure is not None:
            assert 0 <= failure.position <= len(candidate)
            assert failure.message
    try:
        parse_term(text)
    except MailzoneError as exc:
        assert str(exc)


@settings(max_examples=300)
@given(st.binary(max_size=120))
def test_any_bytes_raise_only_our_error(data: bytes) -> None:
    failure = outcome(b"v=spf1 " + data)
    if not data.isascii():
        assert failure is not None and "ASCII" in failure.message


@given(st.text(max_size=1200))
def test_split_then_join_is_identity(text: str) -> None:
    strings = split_txt(text)
    assert join_txt(strings) == text
    assert all(octets(s) <= 255 for s in strings)


def test_mechanism_formats_dual_cidr() -> None:
    mechanism = Mechanism(Kind.A, ip4_cidr=24, ip6_cidr=64)
    assert str(mechanism) == "a/24//64"
    assert str(Mechanism(Kind.IP6, address=ipaddress.IPv6Address("2001:db8::"),
                         ip6_cidr=32)) == "ip6:2001:db8::/32"
