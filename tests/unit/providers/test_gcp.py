"""Google Cloud DNS record sets as the pack reads them."""

from __future__ import annotations

from mailzone.providers.base import UNKNOWN
from mailzone.providers.gcp import MANAGED_ZONE, READER, RECORD_SET


def test_quoted_txt_is_its_strings_and_unquoted_is_split_on_spaces() -> None:
    assert READER.decode_txt('"v=spf1 -all"') == ("v=spf1 -all", ("v=spf1 -all",))
    assert READER.decode_txt('"first" "second"') == ("firstsecond", ("first", "second"))
    assert READER.decode_txt("v=spf1 -all") == ("v=spf1-all", ("v=spf1", "-all"))


def test_declared_record_sets_with_unknowns_and_routing_policies() -> None:
    props = {"name": "example.com.", "type": "TXT", "managedZone": "zone",
             "rrdatas": ['"v=spf1 include:amazonses.com -all"', UNKNOWN]}
    declared = READER.declared(RECORD_SET, props)
    assert declared.values == ("v=spf1 include:amazonses.com -all", None)
    assert declared.zone_id == "zone" and declared.name == "example.com."
    assert READER.declared(RECORD_SET, {**props, "rrdatas": UNKNOWN}).values is None
    routed = {**props, "rrdatas": None, "routingPolicy": {"wrr": []}}
    assert READER.declared(RECORD_SET, routed).values is None
    mx = READER.declared(RECORD_SET, {"name": "example.com.", "type": "MX",
                                      "rrdatas": ["10 mx.example.com."]})
    assert mx.values == ("mx.example.com.",)
    assert READER.zone(MANAGED_ZONE, {"name": "zone", "dnsName": "example.com."}) == (
        "zone", "example.com.")
