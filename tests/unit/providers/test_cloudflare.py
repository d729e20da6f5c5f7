"""Cloudflare: quoted content both ways, one record per value, zone ids, declared resources."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from mailzone.dns.txt import quote_txt, split_txt
from mailzone.providers import RecordSets
from mailzone.providers.base import UNKNOWN
from mailzone.providers.cloudflare import DNS_RECORD, PROVIDER, RECORD, ZONE

TEXT = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=0x2FF), max_size=900)
ZONE_ID = "0123456789abcdef0123456789abcdef"


def test_content_is_the_zone_file_form() -> None:
    value = "v=spf1 " + "include:a.example " * 20 + "-all"
    assert PROVIDER.encode_txt(value) == quote_txt(value)
    assert PROVIDER.encode_txt("short") == '"short"'


@given(TEXT)
def test_decode_undoes_encode(value: str) -> None:
    assert PROVIDER.decode_txt(PROVIDER.encode_txt(value)) == (value, tuple(split_txt(value)))


def test_one_record_per_value() -> None:
    assert PROVIDER.record_sets is RecordSets.PER_VALUE
    assert PROVIDER.replace_note(False) == ""
    assert "stays beside the new one" in PROVIDER.replace_note(True)


def test_zone_ids() -> None:
    assert PROVIDER.zone_problem(ZONE_ID, None) is None
    missing = PROVIDER.zone_problem(None, None)
    assert missing is not None and "needs the zone id" in missing
    wrong = PROVIDER.zone_problem("Z0123456789ABC", None)
    assert wrong is not None and "not a Cloudflare zone id" in wrong
    named = PROVIDER.zone_problem(ZONE_ID, "example.com")
    assert named is not None and "zoneName is for Route 53 only" in named


def test_declared_records_v6_and_v5() -> None:
    v6 = PROVIDER.declared(DNS_RECORD, {"zoneId": ZONE_ID, "name": "@", "type": "TXT",
                                        "content": '"v=spf1 " "-all"'})
    assert (v6.name, v6.values, v6.zone_id) == ("@", ("v=spf1 -all",), ZONE_ID)
    v5 = PROVIDER.declared(RECORD, {"name": "example.com", "type": "MX",
                                    "value": "mail.example.com"})
    assert v5.values == ("mail.example.com",)
    assert PROVIDER.declared(DNS_RECORD, {"type": "TXT", "content": UNKNOWN}).values == (None,)
    assert PROVIDER.declared(DNS_RECORD, {"type": "TXT"}).values == ()


def test_zones() -> None:
    assert PROVIDER.zone(ZONE, {"id": ZONE_ID, "name": "example.com"}) == (ZONE_ID, "example.com")
    assert PROVIDER.zone(ZONE, {"id": ZONE_ID, "zone": "example.org"}) == (ZONE_ID, "example.org")
    assert PROVIDER.zone(ZONE, {"id": UNKNOWN, "name": "example.com"}) is None
