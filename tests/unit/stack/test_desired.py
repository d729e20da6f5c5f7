"""desired_records: every record a domain needs, from its validated config."""

from __future__ import annotations

import re
from typing import Any

import pytest

from mailzone.spf.parser import parse
from mailzone.stack.config import DomainConfig, include_costs, parse_domains
from mailzone.stack.desired import (
    MAIL_FROM_SPF,
    KnownAfterApply,
    check_spf_record,
    desired_records,
)

BASE: dict[str, Any] = {
    "domain": "example.org",
    "dns": {"provider": "route53"},
    "senders": ["amazon-ses", "google-workspace", "mendix"],
    "keepTxt": ["site-verification=abc123", "other-token=xyz"],
    "dmarc": {"policy": "quarantine", "rua": ["mailto:dmarc@example.org"]},
    "ses": {"region": "eu-west-1", "mailFromSubdomain": "bounce", "smtpUser": True},
    "ttl": 600,
}


def domain(**changes: Any) -> DomainConfig:
    data = {**BASE, **changes}
    for key in [k for k, v in changes.items() if v is None]:
        data.pop(key)
    [parsed] = parse_domains([data])
    return parsed


def by_key(config: DomainConfig) -> dict[str, Any]:
    return {r.key: r for r in desired_records(config)}


def test_every_record_of_a_full_domain() -> None:
    records = desired_records(domain())
    assert [r.key for r in records] == [
        "spf", "dmarc", "dkim-0", "dkim-1", "dkim-2", "mail-from-mx", "mail-from-spf",
    ]
    assert {r.ttl for r in records} == {600}
    owners = {r.key: r.owner for r in records}
    assert owners["spf"] == "SpfRecord"
    assert owners["dmarc"] == "DmarcRecord"
    assert {owners[k] for k in ("dkim-0", "mail-from-mx", "mail-from-spf")} == {
        "SesDomainIdentity"
    }


def test_apex_spf_and_the_values_kept() -> None:
    spf = by_key(domain())["spf"]
    assert spf.name == "example.org"
    assert spf.type == "TXT"
    assert spf.values == (
        "v=spf1 include:amazonses.com include:_spf.google.com include:_spf.mendix.com ~all",
    )
    assert spf.keep == ("site-verification=abc123", "other-token=xyz")
    assert spf.all_values == (*spf.values, *spf.keep)
    assert spf.known


def test_spf_text_follows_senders_order_and_all() -> None:
    config = domain(senders=["mailgun", {"include": "spf.partner.example"}], spfAll="-all")
    assert config.spf_record == "v=spf1 include:mailgun.org include:spf.partner.example -all"
    assert str(parse(config.spf_record)) == config.spf_record


def test_dmarc_record() -> None:
    dmarc = by_key(domain())["dmarc"]
    assert dmarc.name == "_dmarc.example.org"
    assert dmarc.values == ("v=DMARC1; p=quarantine; rua=mailto:dmarc@example.org",)


def test_dkim_cnames_are_known_after_apply() -> None:
    records = by_key(domain())
    tokens = ["tok0", "tok1", "tok2"]
    for index in range(3):
        record = records[f"dkim-{index}"]
        assert record.type == "CNAME"
        assert not record.known
        assert isinstance(record.name, KnownAfterApply)
        assert record.name.source == "dkim_tokens" and record.name.index == index
        assert record.name.render(tokens[index]) == f"tok{index}._domainkey.example.org"
        [target] = record.values
        assert isinstance(target, KnownAfterApply)
        assert target.render(tokens[index]) == f"tok{index}.dkim.amazonses.com"
        assert str(record.name) == f"<dkim_tokens[{index}]>._domainkey.example.org"


def test_mail_from_records() -> None:
    records = by_key(domain())
    mx, spf = records["mail-from-mx"], records["mail-from-spf"]
    assert (mx.name, mx.type, mx.values) == (
        "bounce.example.org", "MX", ("10 feedback-smtp.eu-west-1.amazonses.com",)
    )
    assert (spf.name, spf.type, spf.values) == ("bounce.example.org", "TXT", (MAIL_FROM_SPF,))
    assert MAIL_FROM_SPF == "v=spf1 include:amazonses.com -all"


def test_without_mail_from_there_is_no_mx() -> None:
    keys = by_key(domain(ses={"region": "eu-west-1"}))
    assert "mail-from-mx" not in keys and "mail-from-spf" not in keys
    assert "dkim-0" in keys


def test_without_ses_or_dmarc() -> None:
    keys = [r.key for r in desired_records(domain(ses=None, dmarc=None))]
    assert keys == ["spf"]


def test_no_ip_literal_in_any_record() -> None:
    for record in desired_records(domain()):
        for value in record.all_values:
            assert not re.search(r"\bip[46]:", str(value))


def test_check_spf_record() -> None:
    config = domain()
    text = config.spf_record
    assert [f for f in check_spf_record(text, include_costs(config.senders),
                                         domain="example.org") if f.is_error] == []
    found = check_spf_record("v=spf1 ip4:192.0.2.1 ~all", {}, domain="example.org")
    assert "spf-ip-literal" in [f.code for f in found if f.is_error]
    found = check_spf_record(
        "v=spf1 include:a.example include:b.example ~all",
        {"a.example": 6, "b.example": 5},
        domain="example.org",
    )
    assert [f.code for f in found if f.is_error] == ["spf-lookup-limit"]
    found = check_spf_record("v=spf1 include: ~all", {}, domain="example.org")
    assert "spf-syntax" in [f.code for f in found]


@pytest.mark.parametrize("provider", ["route53", "cloudflare"])
def test_records_do_not_depend_on_the_dns_provider(provider: str) -> None:
    dns: dict[str, Any] = {"provider": provider}
    if provider == "cloudflare":
        dns["zoneId"] = "0123456789abcdef0123456789abcdef"
    assert [str(r) for r in desired_records(domain(dns=dns))] == [
        str(r) for r in desired_records(domain())
    ]


def test_a_region_with_its_own_easy_dkim_zone() -> None:
    records = [r for r in desired_records(domain(ses={"region": "af-south-1"}))
               if r.type == "CNAME"]
    assert [str(r.values[0]) for r in records] == [
        f"<dkim_tokens[{i}]>.dkim.af-south-1.amazonses.com" for i in range(3)]
    assert {r.region for r in records} == {"af-south-1"}


def test_two_regions_six_cnames_two_mail_from_domains_and_stable_keys() -> None:
    config = domain(ses={"regions": [{"region": "eu-west-1", "mailFromSubdomain": "bounce"},
                                     {"region": "ap-northeast-3", "mailFromSubdomain": "b-jp"}]})
    ses = [r for r in desired_records(config) if r.owner == "SesDomainIdentity"]
    assert [r.key for r in ses] == [
        "dkim-0", "dkim-1", "dkim-2", "mail-from-mx", "mail-from-spf",
        "dkim-ap-northeast-3-0", "dkim-ap-northeast-3-1", "dkim-ap-northeast-3-2",
        "mail-from-mx-ap-northeast-3", "mail-from-spf-ap-northeast-3"]
    mx = {str(r.name): r.values for r in ses if r.type == "MX"}
    assert mx == {"bounce.example.org": ("10 feedback-smtp.eu-west-1.amazonses.com",),
                  "b-jp.example.org": ("10 feedback-smtp.ap-northeast-3.amazonses.com",)}
    zones = {str(r.values[0]).split(".", 1)[1] for r in ses if r.type == "CNAME"}
    assert zones == {"dkim.amazonses.com", "dkim.ap-northeast-3.amazonses.com"}
