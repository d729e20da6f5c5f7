"""Route 53: its TXT form both ways, whole record sets, hosted zone ids, declared resources."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailzone.dns.txt import split_txt
from mailzone.providers import RecordSets
from mailzone.providers.base import UNKNOWN
from mailzone.providers.route53 import PROVIDER, RECORD, ZONE

TEXT = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=0x2FF), max_size=900)


def test_encode_is_the_inner_form_the_aws_provider_wraps_in_quotes() -> None:
    value = "k=" + "a" * 300 + ' say "hi" \\ ok'
    first, second = split_txt(value)
    escaped = [p.replace("\\", "\\\\").replace('"', '\\"') for p in (first, second)]
    assert PROVIDER.encode_txt(value) == '" "'.join(escaped)
    assert PROVIDER.encode_txt("short") == "short"


@pytest.mark.parametrize(("entry", "decoded"), [
    ("v=spf1 -all", ("v=spf1 -all", ("v=spf1 -all",))),
    ('first""second', ("firstsecond", ("first", "second"))),  # a program's own split
    ('first" "second', ("firstsecond", ("first", "second"))),  # the form encode writes
    ('"v=spf1 " "-all"', ("v=spf1 -all", ("v=spf1 ", "-all"))),  # zone-file form
    ('say \\"hi\\"', ('say "hi"', ('say "hi"',))),
])
def test_decode_reads_every_form_a_program_writes(
        entry: str, decoded: tuple[str, tuple[str, ...]]) -> None:
    assert PROVIDER.decode_txt(entry) == decoded


@given(TEXT)
def test_decode_undoes_encode(value: str) -> None:
    assert PROVIDER.decode_txt(PROVIDER.encode_txt(value)) == (value, tuple(split_txt(value)))


def test_one_record_set_per_name_and_type() -> None:
    assert PROVIDER.record_sets is RecordSets.WHOLE_SET
    assert "import it first" in PROVIDER.replace_note(False)


def test_hosted_zone_ids() -> None:
    assert PROVIDER.zone_problem("Z0123456789ABC", None) is None
    assert PROVIDER.zone_problem("/hostedzone/Z0123456789ABC", None) is None
    assert PROVIDER.zone_problem(None, "example.com") is None
    problem = PROVIDER.zone_problem("0123456789abcdef0123456789abcdef", None)
    assert problem is not None and "not a Route 53 hosted zone id" in problem
    assert PROVIDER.zone_id("/hostedzone/Z0123456789ABC") == "Z0123456789ABC"
    assert PROVIDER.zone_id(None) is None


def test_declared_records_unknowns_aliases_and_routing_sets() -> None:
    declared = PROVIDER.declared(RECORD, {
        "zoneId": "Z1", "name": "example.com", "type": "TXT", "setIdentifier": "eu",
        "records": ['v=spf1 include:amazonses.com" "-all', UNKNOWN]})
    assert declared.values == ("v=spf1 include:amazonses.com-all", None)
    assert declared.strings == {"v=spf1 include:amazonses.com-all": (
        "v=spf1 include:amazonses.com", "-all")}
    assert (declared.zone_id, declared.group) == ("Z1", "eu")
    assert PROVIDER.declared(RECORD, {"type": "TXT", "records": UNKNOWN}).values is None
    assert PROVIDER.declared(RECORD, {"type": "A", "aliases": [{}]}).values == ()
    mx = PROVIDER.declared(RECORD, {"type": "MX", "records": ["10 mail.example.com"]})
    assert mx.values == ("mail.example.com",)


def test_zones() -> None:
    assert PROVIDER.zone(ZONE, {"zoneId": "Z1", "name": "example.com"}) == ("Z1", "example.com")
    assert PROVIDER.zone(ZONE, {"id": "Z2", "name": "example.org"}) == ("Z2", "example.org")
    assert PROVIDER.zone(ZONE, {"zoneId": UNKNOWN, "name": "example.com"}) is None
