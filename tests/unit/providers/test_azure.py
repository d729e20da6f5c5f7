"""Azure DNS record sets (azure-native and classic) as the pack reads them."""

from __future__ import annotations

from mailzone.providers.azure import MX_RECORD, READER, RECORD_SET, RECORD_SET_V2, TXT_RECORD
from mailzone.providers.base import UNKNOWN


def test_native_txt_values_are_their_strings_joined() -> None:
    props = {"zoneName": "example.com", "relativeRecordSetName": "@", "recordType": "TXT",
             "txtRecords": [{"value": ["v=spf1 include:amazon", "ses.com -all"]},
                            {"value": [UNKNOWN]}]}
    for token in (RECORD_SET, RECORD_SET_V2):
        declared = READER.declared(token, props)
        assert declared.name == "example.com"
        assert declared.values == ("v=spf1 include:amazonses.com -all", None)
    assert READER.declared(RECORD_SET, {**props, "txtRecords": UNKNOWN}).values is None


def test_native_mx_and_cname() -> None:
    mx = READER.declared(RECORD_SET, {"zoneName": "example.com", "relativeRecordSetName": "mail",
                                      "recordType": "MX",
                                      "mxRecords": [{"preference": 10, "exchange": "192.0.2.1"}]})
    assert (mx.name, mx.values) == ("mail.example.com", ("192.0.2.1",))
    cname = READER.declared(RECORD_SET, {"zoneName": "example.com", "recordType": "CNAME",
                                         "relativeRecordSetName": "x",
                                         "cnameRecord": {"cname": "y.example.net"}})
    assert cname.values == ("y.example.net",)


def test_classic_records_and_the_default_apex_name() -> None:
    txt = READER.declared(TXT_RECORD, {"name": "@", "zoneName": "example.org",
                                       "records": [{"value": "v=spf1 -all"}]})
    assert (txt.name, txt.rdtype, txt.values) == ("example.org", "TXT", ("v=spf1 -all",))
    mx = READER.declared(MX_RECORD, {"zoneName": "example.org", "records": [
        {"preference": "10", "exchange": "mx.example.org"}]})
    assert (mx.name, mx.values) == ("example.org", ("mx.example.org",))
    assert READER.declared(TXT_RECORD, {"name": UNKNOWN, "zoneName": "example.org",
                                        "records": UNKNOWN}).name is None
