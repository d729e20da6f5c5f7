"""DigitalOcean, NS1 and DNSimple records as the pack reads them (one value or answer
list per record; names relative to the zone they name)."""

from __future__ import annotations

from mailzone.providers import digitalocean, dnsimple, ns1
from mailzone.providers.base import UNKNOWN, absolute


def test_absolute_names() -> None:
    assert absolute("@", "example.com") == "example.com"
    assert absolute("", "example.com.") == "example.com"
    assert absolute("mail", "example.com") == "mail.example.com"
    assert absolute("mail.example.com.", "example.com") == "mail.example.com"
    assert absolute(None, "example.com") is None and absolute("x", None) is None


def test_digitalocean_records() -> None:
    reader = digitalocean.READER
    txt = reader.declared(digitalocean.DNS_RECORD, {"domain": "example.com", "name": "@",
                                                    "type": "TXT", "value": "v=spf1 -all"})
    assert (txt.name, txt.values) == ("example.com", ("v=spf1 -all",))
    quoted = reader.declared(digitalocean.RECORD, {"domain": "example.com", "name": "x",
                                                   "type": "TXT", "value": '"a" "b"'})
    assert quoted.values == ("ab",)
    unknown = reader.declared(digitalocean.DNS_RECORD, {"domain": "example.com", "name": "@",
                                                        "type": "MX", "value": UNKNOWN})
    assert unknown.values == (None,)


def test_ns1_answers() -> None:
    record = ns1.READER.declared(ns1.RECORD, {
        "zone": "example.com", "domain": "example.com", "type": "MX",
        "answers": [{"answer": "10 mx1.example.com"}, {"answer": UNKNOWN}]})
    assert (record.name, record.values) == ("example.com", ("mx1.example.com", None))
    assert ns1.READER.declared(ns1.RECORD, {"domain": "example.com", "type": "TXT",
                                            "answers": UNKNOWN}).values is None


def test_dnsimple_records() -> None:
    record = dnsimple.READER.declared(dnsimple.ZONE_RECORD, {
        "zoneName": "example.net", "name": "", "type": "TXT", "value": "v=spf1 -all"})
    assert (record.name, record.values) == ("example.net", ("v=spf1 -all",))
