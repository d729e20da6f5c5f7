"""ZoneDirResolver: answers from a directory of zone files, and its errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailzone.dns.resolver import Answer, RdType, Resolver
from mailzone.dns.zonedir import ZoneDirResolver, _read_with_dnspython, _Scanner, read_zone_file
from mailzone.errors import DnsError, ZoneFileError

ZONES = Path(__file__).parents[2] / "zones"

HEADER = """$TTL 3600
@   SOA ns1.example.net. hostmaster.example.net. 1 7200 3600 1209600 300
    NS  ns1.example.net.
"""


@pytest.fixture(scope="module")
def zones() -> ZoneDirResolver:
    return ZoneDirResolver(ZONES)


def write_zone(directory: Path, zone: str, body: str, header: str = HEADER) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{zone}.zone"
    path.write_text(header + body)
    return path


def load_error(directory: Path) -> str:
    with pytest.raises(ZoneFileError) as raised:
        ZoneDirResolver(directory)
    return str(raised.value)


# --- answers over tests/zones ------------------------------------------------------------


def test_implements_the_protocol(zones: ZoneDirResolver) -> None:
    assert isinstance(zones, Resolver)
    answer = zones.answer("example.net.", RdType.NS)
    assert answer.records == ("ns1.example.net",)


def test_zones_are_named_after_their_files(zones: ZoneDirResolver) -> None:
    files = sorted(path.name[: -len(".zone")] for path in ZONES.glob("*.zone"))
    assert list(zones.zones) == files
    assert "example.org" in zones.zones


def test_apex_txt_holds_every_value_sorted(zones: ZoneDirResolver) -> None:
    answer = zones.answer("example.org", RdType.TXT)
    assert answer.records == (
        "example-site-verification=3f9a1c7e5b2d4a6f8e0c",
        "v=spf1 include:_spf.example.net include:spf.example.com ~all",
    )


def test_multi_string_txt_is_joined_with_nothing_between(zones: ZoneDirResolver) -> None:
    (record,) = zones.answer("long.example.com", RdType.TXT).records
    assert record == (
        "v=spf1 ip4:203.0.113.16/28 ip4:203.0.113.32/28 "
        "ip4:203.0.113.48/28 include:spf.example.com -all"
    )
    (big,) = zones.answer("big.example.com", RdType.TXT).records
    assert len(big.encode()) == 755
    assert " ip4:203.0.113.113 " in big  # the split fell inside this term


def test_txt_bytes_that_are_not_utf8_become_replacement_characters(
    zones: ZoneDirResolver,
) -> None:
    (record,) = zones.answer("binary.example.com", RdType.TXT).records
    assert record == "v=spf1 ip4:203.0.113.1 \ufffd -all"


def test_address_and_mx_forms(zones: ZoneDirResolver) -> None:
    assert zones.answer("mail.example.org", RdType.AAAA).records == ("2001:db8::25",)
    assert zones.answer("mx1.example.com", RdType.A).records == ("203.0.113.11",)
    mx = zones.answer("example.com", RdType.MX)
    assert mx.records == ("10 mx1.example.com", "20 mx2.example.com")
    assert mx.mx_hosts() == ["mx1.example.com", "mx2.example.com"]


def test_ptr_in_the_reverse_zone(zones: ZoneDirResolver) -> None:
    assert zones.answer("25.2.0.192.in-addr.arpa", RdType.PTR).records == ("mail.example.org",)
    assert zones.answer("26.2.0.192.in-addr.arpa", RdType.PTR).records == (
        "smtp-out.example.org",
        "unverified.example.com",
    )


def test_cname_in_zone_and_across_zones(zones: ZoneDirResolver) -> None:
    assert zones.answer("chain.example.com", RdType.TXT).records == (
        "v=spf1 ip4:203.0.113.0/28 ~all",
    )
    across = zones.answer("spf-alias.example.org", RdType.TXT)
    assert across == Answer(
        "spf-alias.example.org",
        RdType.TXT,
        ("v=spf1 include:_spf1.example.net include:_spf2.example.net ~all",),
    )
    assert zones.answer("www.example.org", RdType.A).records == ("192.0.2.80",)
    assert zones.answer("www.example.org", RdType.CNAME).records == ("example.org",)


def test_cname_loops_are_errors(zones: ZoneDirResolver) -> None:
    for name in ("cname-loop-a.example.com", "loop-x.example.org"):
        with pytest.raises(DnsError, match="CNAME chain too long"):
            zones.answer(name, RdType.TXT)


def test_nxdomain_versus_nodata(zones: ZoneDirResolver) -> None:
    nxdomain = zones.answer("nonexistent.example.com", RdType.TXT)
    nodata = zones.answer("nodata.example.com", RdType.TXT)
    empty_non_terminal = zones.answer("_domainkey.example.com", RdType.TXT)
    dangling = zones.answer("dangling.example.com", RdType.A)
    assert nxdomain.void and nxdomain.nxdomain
    assert nodata.void and not nodata.nxdomain
    assert empty_non_terminal.void and not empty_non_terminal.nxdomain
    assert dangling.void and dangling.nxdomain


def test_names_outside_every_zone_do_not_exist(zones: ZoneDirResolver) -> None:
    for name in ("example.invalid", "com", "other.test", ""):
        answer = zones.answer(name, RdType.TXT)
        assert answer.void and answer.nxdomain, name
    assert zones.zone_of("example.invalid") is None


def test_listing_zones_and_records(zones: ZoneDirResolver) -> None:
    assert zones.zone_of("Deep.Below.Example.COM.") == "example.com"
    assert zones.zone_of("25.2.0.192.in-addr.arpa") == "2.0.192.in-addr.arpa"
    at_apex = zones.records_at("example.com.")
    assert at_apex[RdType.MX] == ("10 mx1.example.com", "20 mx2.example.com")
    assert at_apex[RdType.NS] == ("ns1.example.com",)
    assert RdType.CNAME not in at_apex
    assert zones.records_at("alias.example.com") == {RdType.CNAME: ("spf.example.com",)}
    assert zones.records_at("missing.example.com") == {}
    names = zones.names_in("example.net")
    assert names == sorted(names)
    assert {"example.net", "_spf.example.net", "smtp.example.net"} <= set(names)
    assert all(zones.zone_of(name) == "example.net" for name in names)
    assert sum(len(zones.names_in(zone)) for zone in zones.zones) == len(zones.names)


def test_multi_spf_keeps_both_records(zones: ZoneDirResolver) -> None:
    records = zones.answer("multi.example.com", RdType.TXT).records
    assert [r for r in records if r.startswith("v=spf1")] == list(records)
    assert len(records) == 2


# --- reading zone files ----------------------------------------------------------------


def test_origin_comes_from_the_file_name_and_relative_names_follow_origin(
    tmp_path: Path,
) -> None:
    write_zone(
        tmp_path,
        "Example.Test",
        "Host 300 IN A 192.0.2.7\n"
        "$ORIGIN sub.example.test.\n"
        "www CNAME Host.Example.Test.\n"
        "mail MX 5 MX.example.test.\n"
        "@ AAAA 2001:DB8:0:0::7\n",
    )
    resolver = ZoneDirResolver(tmp_path)
    assert resolver.zones == ("example.test",)
    assert resolver.answer("host.example.test", RdType.A).records == ("192.0.2.7",)
    assert resolver.answer("www.sub.example.test", RdType.A).records == ("192.0.2.7",)
    assert resolver.answer("mail.sub.example.test", RdType.MX).records == ("5 mx.example.test",)
    assert resolver.answer("sub.example.test", RdType.AAAA).records == ("2001:db8::7",)


def test_duplicate_records_are_one(tmp_path: Path) -> None:
    write_zone(
        tmp_path,
        "example.test",
        'a TXT "x"\na TXT "x"\na MX 10 M.example.test.\na MX 10 m.example.test.\n',
    )
    resolver = ZoneDirResolver(tmp_path)
    assert resolver.answer("a.example.test", RdType.TXT).records == ("x",)
    assert resolver.answer("a.example.test", RdType.MX).records == ("10 m.example.test",)


def test_nested_zones_answer_from_the_most_specific(tmp_path: Path) -> None:
    write_zone(
        tmp_path,
        "example.test",
        "sub NS ns1.example.net.\nhost.sub A 192.0.2.1\nwww A 192.0.2.2\n",
    )
    write_zone(tmp_path, "sub.example.test", "host A 192.0.2.9\n")
    resolver = ZoneDirResolver(tmp_path)
    assert resolver.answer("host.sub.example.test", RdType.A).records == ("192.0.2.9",)
    assert resolver.answer("www.example.test", RdType.A).records == ("192.0.2.2",)
    assert "host.sub.example.test" not in resolver.names_in("example.test")
    assert "host.sub.example.test" in resolver.names_in("sub.example.test")


def test_other_record_types_are_checked_and_dropped(tmp_path: Path) -> None:
    write_zone(
        tmp_path,
        "example.test",
        '@ CAA 0 issue "ca.example.net"\n_sip._tcp SRV 10 5 5060 sip\nsip A 192.0.2.5\n',
    )
    resolver = ZoneDirResolver(tmp_path)
    assert resolver.records_at("_sip._tcp.example.test") == {}
    assert not resolver.answer("_sip._tcp.example.test", RdType.TXT).nxdomain
    bad = tmp_path / "bad"
    write_zone(bad, "example.test", "@ CAA 0 issue\n")
    assert "line 4" in load_error(bad)


def test_an_empty_directory_has_no_zones(tmp_path: Path) -> None:
    resolver = ZoneDirResolver(tmp_path)
    assert resolver.zones == ()
    assert resolver.answer("example.com", RdType.A).nxdomain


# --- errors: file, line and fix ----------------------------------------------------------


def test_syntax_error_names_file_line_and_fix(tmp_path: Path) -> None:
    path = write_zone(tmp_path, "example.test", "ok A 192.0.2.1\nbad A 192.0.2.300\n")
    message = load_error(tmp_path)
    assert str(path) in message
    assert "line 5" in message
    assert "nsd-checkzone example.test" in message


def test_unknown_type_gets_a_specific_fix(tmp_path: Path) -> None:
    write_zone(tmp_path, "example.test", 'x TXTT "v=spf1 -all"\n')
    message = load_error(tmp_path)
    assert "line 4" in message
    assert "unknown rdatatype 'TXTT'" in message
    assert "spelling" in message


def test_unterminated_string_and_parenthesis(tmp_path: Path) -> None:
    write_zone(tmp_path / "a", "example.test", 'x TXT "v=spf1 -all\n')
    assert "line 4" in load_error(tmp_path / "a")
    write_zone(tmp_path / "b", "example.test", 'x TXT ( "v=spf1"\n "-all"\n')
    assert "example.test.zone, line" in load_error(tmp_path / "b")


def test_txt_string_longer_than_255_octets(tmp_path: Path) -> None:
    write_zone(tmp_path, "example.test", f'x TXT "{"a" * 256}"\n')
    message = load_error(tmp_path)
    assert "line 4" in message


def test_missing_soa_and_ns(tmp_path: Path) -> None:
    write_zone(tmp_path / "a", "example.test", "x A 192.0.2.1\n", header="$TTL 300\n")
    message = load_error(tmp_path / "a")
    assert "no SOA record at the zone's apex example.test" in message
    assert "rename the file" in message
    write_zone(
        tmp_path / "b",
        "example.test",
        "x A 192.0.2.1\n",
        header="$TTL 300\n@ SOA ns1 hostmaster 1 2 3 4 5\n",
    )
    assert "no NS record" in load_error(tmp_path / "b")


def test_zone_named_wrongly_has_its_soa_out_of_zone(tmp_path: Path) -> None:
    (tmp_path / "example.test.zone").write_text(
        "$ORIGIN example.org.\n$TTL 300\n@ SOA ns1 hostmaster 1 2 3 4 5\n@ NS ns1\n"
    )
    message = load_error(tmp_path)
    assert "line 3" in message
    assert "outside the zone example.test" in message


def test_data_outside_the_zone_names_the_line(tmp_path: Path) -> None:
    write_zone(tmp_path, "example.test", "x A 192.0.2.1\nhost.example.org. A 192.0.2.2\n")
    message = load_error(tmp_path)
    assert "line 5" in message
    assert "host.example.org is outside the zone example.test" in message
    assert "trailing dot" in message


def test_cname_and_other_data(tmp_path: Path) -> None:
    write_zone(tmp_path, "example.test", 'x CNAME y\nx TXT "v=spf1 -all"\ny A 192.0.2.1\n')
    message = load_error(tmp_path)
    assert "line 5" in message
    assert "CNAME and other data at x.example.test" in message
    assert "remove the CNAME or the other records" in message


def test_two_cnames_at_one_name(tmp_path: Path) -> None:
    write_zone(tmp_path, "example.test", "x CNAME y\nx CNAME z\n")
    message = load_error(tmp_path)
    assert "line 5" in message
    assert "two CNAMEs at x.example.test" in message


def test_wildcards_are_refused_with_the_fix(tmp_path: Path) -> None:
    write_zone(tmp_path, "example.test", '* TXT "v=spf1 -all"\n')
    message = load_error(tmp_path)
    assert "line 4" in message
    assert "wildcard owner" in message
    assert "list the names" in message


def test_include_and_generate_are_refused(tmp_path: Path) -> None:
    write_zone(tmp_path / "a", "example.test", "$INCLUDE other.zone\n")
    message = load_error(tmp_path / "a")
    assert "line 4" in message
    assert "$INCLUDE" in message and "inline" in message
    write_zone(tmp_path / "b", "example.test", "$GENERATE 1-3 h$ A 192.0.2.$\n")
    assert "$GENERATE" in load_error(tmp_path / "b")


def test_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "example.test.zone"
    path.write_bytes(HEADER.encode() + b'x TXT "caf\xe9"\n')
    message = load_error(tmp_path)
    assert str(path) in message
    assert "line 4" in message
    assert "UTF-8" in message


def test_utf8_txt_is_kept(tmp_path: Path) -> None:
    write_zone(tmp_path, "example.test", 'x TXT "café"\n')
    assert ZoneDirResolver(tmp_path).answer("x.example.test", RdType.TXT).records == ("café",)


def test_nothing_partial_one_bad_file_fails_the_directory(tmp_path: Path) -> None:
    write_zone(tmp_path, "a.example.test", "x A 192.0.2.1\n")
    write_zone(tmp_path, "b.example.test", "x A not-an-address\n")
    write_zone(tmp_path, "c.example.test", "x A 192.0.2.3\n")
    message = load_error(tmp_path)
    assert "b.example.test.zone" in message


def test_directory_errors(tmp_path: Path) -> None:
    assert "does not exist" in load_error(tmp_path / "missing")
    write_zone(tmp_path / "dup", "example.test", "")
    write_zone(tmp_path / "dup", "EXAMPLE.test", "")
    if len(list((tmp_path / "dup").glob("*.zone"))) == 2:  # a case-sensitive file system
        assert "keep one file per zone" in load_error(tmp_path / "dup")
    write_zone(tmp_path / "badname", "a..b", "")
    assert "is not a domain name" in load_error(tmp_path / "badname")


# --- the fast reader agrees with dnspython -------------------------------------------------


def both_readers(text: str, zone: str = "example.test") -> tuple[object, object]:
    """(fast scanner's result or error, dnspython's result or error)."""
    path = Path(f"/nonexistent/{zone}.zone")
    fast: object
    slow: object
    try:
        fast = _Scanner(text, zone, path).scan()
    except ZoneFileError as error:
        fast = error
    try:
        slow = _read_with_dnspython(text, zone, path)
    except ZoneFileError as error:
        slow = error
    return fast, slow


@pytest.mark.parametrize("path", sorted(ZONES.glob("*.zone")), ids=lambda p: p.name)
def test_readers_agree_on_the_test_zones(path: Path) -> None:
    zone = path.name[: -len(".zone")]
    fast, slow = both_readers(path.read_text(), zone)
    assert not isinstance(slow, ZoneFileError)
    if "\\" in path.read_text():
        assert fast is None  # escapes are dnspython's
    else:
        assert fast == slow
    assert read_zone_file(path, zone) == slow


def test_plain_files_take_the_fast_reader() -> None:
    # What keeps loading 1,000 zones fast (bench/ measures it): plain files never need dnspython.
    text = (ZONES / "example.org.zone").read_text()
    assert _Scanner(text, "example.org", ZONES / "example.org.zone").scan() is not None


# Pieces of zone files, good and bad. The good ones are drawn more often, so most
# generated files are read by the scanner and compared, and the rest probe its limits.
GOOD_OWNERS = ["@", "www", "Mixed.Case", "a.b.c", "abs.example.test.", "", "_dmarc", "sub"]
BAD_OWNERS = ["*", "x\\065", "other.example.org.", '"quoted"']
GOOD_TTLS = ["", "", "300", "1h", "0"]
BAD_TTLS = ["4294967296", "1x"]
GOOD_CLASSES = ["", "", "IN", "in"]
BAD_CLASSES = ["CH", "ANY", "CLASS1"]
GOOD_RDATAS = [
    "A 192.0.2.1",
    "a 198.51.100.7",
    "AAAA 2001:DB8:0::1",
    "AAAA ::ffff:192.0.2.1",
    "MX 10 mail",
    "MX 010 Mail.Example.Test.",
    "mx 0 .",
    'TXT "v=spf1 -all"',
    "TXT v=spf1 ~all",
    'TXT "a" "b" c',
    'TXT ""',
    'TXT ( "split"\n  "over lines" )',
    'TXT "' + "x" * 255 + '"',
    'TXT "x" ; comment',
    "TXT x;comment",
    "TXT @ ( ) ok",
    "CNAME target",
    "CNAME target.example.org.",
    "NS ns1.example.net.",
    "PTR host.example.net.",
    'CAA 0 issue "ca.example.net"',
    "SRV 10 5 5060 sip",
    "HINFO x86 linux",
]
BAD_RDATAS = [
    "A 192.0.2.256",
    "A 192.0.2",
    "AAAA 2001:db8::zz",
    "MX 70000 mail",
    "MX 10",
    "TXT",
    'TXT "unterminated',
    'TXT "esc\\"aped"',
    'TXT "' + "x" * 256 + '"',
    "SRV 10 5",
    "HINFO x",
    "BOGUS 1",
    "SOA ns1 h 1 2 3 4 5",
    "A 192.0.2.1 extra",
    ") A 192.0.2.1",
    "TXT (",
]
GOOD_DIRECTIVES = ["$TTL 600", "$TTL 1d", "$ORIGIN sub", "$ORIGIN example.test.", "; a comment"]
BAD_DIRECTIVES = ["$INCLUDE x", "$ORIGIN other.example.", "$TTL"]


def pick(draw: st.DrawFn, good: list[str], bad: list[str]) -> str:
    return draw(st.sampled_from(bad if draw(st.integers(0, 14)) == 0 else good))


@st.composite
def zone_texts(draw: st.DrawFn) -> str:
    lines = [] if draw(st.integers(0, 4)) == 0 else ["$TTL 3600"]
    if draw(st.integers(0, 19)):
        lines.append("@ SOA ns1.example.net. hostmaster 1 7200 3600 1209600 300")
    if draw(st.integers(0, 19)):
        lines.append("  NS ns1.example.net.")
    for _ in range(draw(st.integers(0, 8))):
        if draw(st.integers(0, 7)) == 0:
            lines.append(pick(draw, GOOD_DIRECTIVES, BAD_DIRECTIVES))
            continue
        owner = pick(draw, GOOD_OWNERS, BAD_OWNERS)
        parts = [pick(draw, GOOD_TTLS, BAD_TTLS), pick(draw, GOOD_CLASSES, BAD_CLASSES)]
        if draw(st.booleans()):
            parts.reverse()
        parts.append(pick(draw, GOOD_RDATAS, BAD_RDATAS))
        body = " ".join(part for part in parts if part)
        lines.append(f"{owner} {body}" if owner else f"  {body}")
    return "\n".join(lines) + "\n"


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(zone_texts())
def test_the_fast_reader_gives_dnspythons_results_or_steps_aside(text: str) -> None:
    fast, slow = both_readers(text)
    if fast is None:
        return  # dnspython reads the file
    if isinstance(fast, ZoneFileError):
        if "an SOA record at" in str(fast):
            assert isinstance(slow, ZoneFileError)  # the same refusal, with the line
            assert "not at the zone's apex" in str(slow)
        else:
            assert "outside the zone" in str(fast)  # dnspython ignores such lines; NSD refuses
        return
    assert not isinstance(slow, ZoneFileError), f"dnspython refused what the scanner read: {slow}"
    assert fast == slow
