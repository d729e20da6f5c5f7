"""SPF, MX and DMARC records on every DNS provider the pack reads, through its gRPC Analyzer.

Each provider (``shapes.DNS_PROVIDERS``: Google Cloud DNS, Azure DNS in azure-native 3.x
and 2.x and classic shapes, DigitalOcean, NS1, DNSimple) gets, for each record policy,
a record it must reject, one it must pass, an unknown value and a config that changes
the verdict, in the provider's own camelCase shape; one SPF per name holds across them.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.policies.harness import UNKNOWN, Diagnostic, Pack, of, urn
from tests.policies.shapes import DNS_PROVIDERS, R53, r53

pytestmark = pytest.mark.slow

NAMES = sorted(DNS_PROVIDERS)


def txt(pack: Pack, provider: str, name: str, value: Any, **kwargs: Any) -> list[Diagnostic]:
    token, build = DNS_PROVIDERS[provider][0]
    return pack.analyze(token, build(name, value), name=provider, **kwargs)


def mx(pack: Pack, provider: str, name: str, host: Any, **kwargs: Any) -> list[Diagnostic]:
    token, build = DNS_PROVIDERS[provider][1]
    return pack.analyze(token, build(name, host), name=provider, **kwargs)


@pytest.mark.parametrize("provider", NAMES)
def test_spf_ip_literals_are_rejected(pack: Pack, provider: str) -> None:
    token = DNS_PROVIDERS[provider][0][0]
    found = of(txt(pack, provider, "example.com", "v=spf1 ip4:192.0.2.10 -all"),
               "spf-no-ip-literals")
    assert len(found) == 1, found
    assert "at example.com hard-codes the address 'ip4:192.0.2.10'" in found[0].message
    assert found[0].urn == urn(token, provider)


@pytest.mark.parametrize("provider", NAMES)
def test_an_include_only_record_passes(pack: Pack, provider: str) -> None:
    diagnostics = txt(pack, provider, "mail.example.org",
                      "v=spf1 include:amazonses.com include:_spf.google.com -all")
    assert diagnostics == []


@pytest.mark.parametrize("provider", NAMES)
def test_unknown_values_are_not_violations(pack: Pack, provider: str) -> None:
    diagnostics = [*txt(pack, provider, "example.com", UNKNOWN),
                   *mx(pack, provider, "example.com", UNKNOWN)]
    assert diagnostics == []


@pytest.mark.parametrize("provider", NAMES)
def test_config_changes_the_verdicts(pack: Pack, provider: str) -> None:
    literal = "v=spf1 ip4:192.0.2.10 -all"
    allowed = txt(pack, provider, "example.com", literal, config={
        "spf-no-ip-literals": {"allowedNetworks": ["192.0.2.0/24"]}})
    assert of(allowed, "spf-no-ip-literals") == []
    budget = "v=spf1 include:_spf.google.com include:mailgun.org include:sendgrid.net -all"
    assert of(txt(pack, provider, "example.com", budget), "spf-lookup-budget") == []
    tight = txt(pack, provider, "example.com", budget, config={
        "spf-lookup-budget": {"maxLookups": 8}})
    assert len(of(tight, "spf-lookup-budget")) == 1


@pytest.mark.parametrize("provider", NAMES)
def test_spf_syntax_and_plus_all_are_rejected(pack: Pack, provider: str) -> None:
    found = of(txt(pack, provider, "example.com", "v=spf1 include:amazonses.com +all"),
               "spf-valid")
    assert len(found) == 1 and "spf-plus-all" in found[0].message


@pytest.mark.parametrize("provider", NAMES)
def test_mx_naming_an_address_is_rejected(pack: Pack, provider: str) -> None:
    found = of(mx(pack, provider, "example.net", "198.51.100.25"), "mail-host-not-ip")
    assert len(found) == 1 and "the MX at example.net points at the IP address" in found[0].message
    assert of(mx(pack, provider, "example.net", "mx1.example.net"), "mail-host-not-ip") == []


@pytest.mark.parametrize("provider", NAMES)
def test_dmarc_records_are_judged(pack: Pack, provider: str) -> None:
    bad = of(txt(pack, provider, "_dmarc.example.com", "v=DMARC1; p=block"), "dmarc-valid")
    # The bad p= is discarded and, with no rua= either, receivers apply no DMARC.
    assert len(bad) == 2 and "p='block' is not a policy" in bad[0].message
    assert bad[1].message.endswith("[dmarc-not-applied]")
    good = txt(pack, provider, "_dmarc.example.com", "v=DMARC1; p=reject")
    assert of(good, "dmarc-valid") == []
    strict = txt(pack, provider, "_dmarc.example.com", "v=DMARC1; p=none",
                 config={"dmarc-valid": {"minimumPolicy": "quarantine"}})
    assert len(of(strict, "dmarc-valid")) == 1


@pytest.mark.parametrize("provider", NAMES)
def test_one_spf_record_per_name_across_providers(pack: Pack, provider: str) -> None:
    token, build = DNS_PROVIDERS[provider][0]
    ours = (token, provider, build("example.com", "v=spf1 include:amazonses.com -all"))
    theirs = (R53, "route53", r53("example.com", "TXT", "v=spf1 include:sendgrid.net -all"))
    found = of(pack.analyze_stack([ours, theirs]), "spf-single-record")
    assert {d.urn for d in found} == {urn(token, provider), urn(R53, "route53")}
    elsewhere = (R53, "route53", r53("example.org", "TXT", "v=spf1 include:sendgrid.net -all"))
    assert of(pack.analyze_stack([ours, elsewhere]), "spf-single-record") == []
    ignored = pack.analyze_stack([ours, theirs], config={
        "spf-single-record": {"ignoreNames": ["example.com"]}})
    assert of(ignored, "spf-single-record") == []


def test_a_long_txt_value_in_azure_native_strings_is_joined(pack: Pack) -> None:
    includes = " ".join(f"include:s{i}.example.net" for i in range(12))
    found = of(txt(pack, "azure-native", "example.com", f"v=spf1 {includes} -all"),
               "spf-lookup-budget")
    assert len(found) == 1 and "needs 12 DNS lookups" in found[0].message


def test_gcp_unquoted_txt_is_read_as_cloud_dns_serves_it(pack: Pack) -> None:
    # Unquoted, Cloud DNS stores one string per word: "v=spf1" "ip4:..." "-all", which
    # receivers join into one word that is no SPF record.
    props = {"name": "example.com.", "type": "TXT", "managedZone": "example-zone",
             "rrdatas": ["v=spf1 ip4:192.0.2.10 -all"]}
    found = of(pack.analyze("gcp:dns/recordSet:RecordSet", props), "spf-valid")
    assert len(found) == 1 and "[spf-not-a-record]" in found[0].message
    assert "'v=spf1ip4:192.0.2.10-all'" in found[0].message
    assert "put the value in double quotes" in found[0].message
    ignored = pack.analyze("gcp:dns/recordSet:RecordSet", props, config={
        "spf-valid": {"ignoreCodes": ["spf-not-a-record"]}})
    assert of(ignored, "spf-valid") == []
    quoted = {**props, "rrdatas": ['"v=spf1 include:amazonses.com -all"']}
    assert pack.analyze("gcp:dns/recordSet:RecordSet", quoted) == []
    unknown = {**props, "rrdatas": [UNKNOWN]}
    assert pack.analyze("gcp:dns/recordSet:RecordSet", unknown) == []


@pytest.mark.parametrize("provider", NAMES)
def test_a_value_that_only_looks_like_spf_is_rejected(pack: Pack, provider: str) -> None:
    found = of(txt(pack, provider, "example.com", "v=spf1include:amazonses.com-all"),
               "spf-valid")
    assert len(found) == 1 and "[spf-not-a-record]" in found[0].message
