"""The SPF policies, through the pack's gRPC Analyzer as the Pulumi CLI calls it."""

from __future__ import annotations

import ipaddress

import grpc
import pytest

from mailzone.mail import catalogue
from tests.policies.harness import UNKNOWN, Diagnostic, Pack, of
from tests.policies.shapes import CF5, CF6, R53, R53_ZONE, ZONE_ID, cf5, cf6, r53

pytestmark = pytest.mark.slow


def no_preview_errors(diagnostics: list[Diagnostic]) -> None:
    """The SDK reports an unknown it trips over as "can't run policy ... during preview"."""
    assert not [d for d in diagnostics if "can't run policy" in d.message], diagnostics


# --- spf-no-ip-literals ---------------------------------------------------------


def test_ip_literals_rejected_in_route53_value(pack: Pack) -> None:
    found = of(pack.analyze(R53, r53("example.com", "TXT",
                                     "v=spf1 ip4:192.0.2.10 include:amazonses.com ~all"),
                            name="apex-spf"), "spf-no-ip-literals")
    assert len(found) == 1
    assert found[0].level == "mandatory"
    assert "apex-spf" in found[0].message
    assert "'ip4:192.0.2.10'" in found[0].message
    assert "include:" in found[0].message


def test_a_and_mx_naming_addresses_rejected_on_cloudflare(pack: Pack) -> None:
    v6 = of(pack.analyze(CF6, cf6("example.com", "TXT", '"v=spf1 a:198.51.100.7 -all"')),
            "spf-no-ip-literals")
    v5 = of(pack.analyze(CF5, cf5("example.org", "TXT",
                                  "v=spf1 mx:2001:db8::25 ip6:2001:db8:1::/48 ~all")),
            "spf-no-ip-literals")
    assert ["'a:198.51.100.7'" in d.message for d in v6] == [True]
    assert sorted("'mx:2001:db8::25'" in d.message for d in v5) == [False, True]
    assert any("'ip6:2001:db8:1::/48'" in d.message for d in v5)


def test_message_names_the_catalogue_include_for_a_catalogue_address(pack: Pack) -> None:
    # The address is taken from the catalogue's own record of Amazon SES's SPF tree at
    # run time (no real address is written in this file): the rule must name the
    # include that publishes it.
    ses = catalogue.lookup("amazon-ses")
    term = next(t for t in ses.tree["amazonses.com"].split() if t.startswith("ip4:"))
    address = next(ipaddress.ip_network(term[4:]).hosts())
    found = of(pack.analyze(R53, r53("example.com", "TXT", f"v=spf1 ip4:{address} -all")),
               "spf-no-ip-literals")
    assert len(found) == 1
    assert "Amazon SES" in found[0].message
    assert "'include:amazonses.com'" in found[0].message


def test_accepted_spf_has_no_ip_literal_violation(pack: Pack) -> None:
    diagnostics = pack.analyze(R53, r53("example.com", "TXT",
                                        "v=spf1 include:amazonses.com -all",
                                        "site-verification=ip4:192.0.2.1"))
    assert of(diagnostics, "spf-no-ip-literals") == []


def test_ip_literals_unknown_values_are_not_violations(pack: Pack) -> None:
    for props in (r53("example.com", "TXT", UNKNOWN),
                  {**r53("example.com", "TXT"), "records": UNKNOWN},
                  cf6(UNKNOWN, "TXT", UNKNOWN)):
        diagnostics = pack.analyze(R53 if "records" in props else CF6, props)
        assert of(diagnostics, "spf-no-ip-literals") == []
        no_preview_errors(diagnostics)


def test_ip_literals_config_allows_own_networks_and_names_includes(pack: Pack) -> None:
    props = r53("example.com", "TXT", "v=spf1 ip4:203.0.113.5 -all")
    assert len(of(pack.analyze(R53, props), "spf-no-ip-literals")) == 1
    allowed = pack.analyze(R53, props, config={
        "spf-no-ip-literals": {"allowedNetworks": ["203.0.113.0/24"]}})
    assert of(allowed, "spf-no-ip-literals") == []
    named = of(pack.analyze(R53, props, config={
        "spf-no-ip-literals": {"senderRanges": {"_spf.example.net": ["203.0.113.0/24"]}}}),
        "spf-no-ip-literals")
    assert len(named) == 1 and "'include:_spf.example.net'" in named[0].message


def test_ip_literals_bad_config_fails_loudly(pack: Pack) -> None:
    with pytest.raises(grpc.RpcError) as failure:
        pack.analyze(R53, r53("example.com", "TXT", "v=spf1 -all"), config={
            "spf-no-ip-literals": {"allowedNetworks": ["not-a-network"]}})
    assert "allowedNetworks" in str(failure.value.details())


# --- spf-valid -------------------------------------------------------------------


def test_spf_valid_rejects_plus_all_and_bad_grammar(pack: Pack) -> None:
    plus_all = of(pack.analyze(R53, r53("example.com", "TXT",
                                        "v=spf1 include:amazonses.com +all")), "spf-valid")
    broken = of(pack.analyze(CF6, cf6("example.org", "TXT", "v=spf1 include:amazonses.com ~al")),
                "spf-valid")
    assert len(plus_all) == 1 and "spf-plus-all" in plus_all[0].message
    assert plus_all[0].level == "mandatory"
    assert len(broken) == 1 and "spf-syntax" in broken[0].message


def test_spf_valid_rejects_route53_string_over_255_octets(pack: Pack) -> None:
    text = "v=spf1 " + " ".join(f"exists:s{i:02d}.example.com" for i in range(14)) + " -all"
    assert len(text) > 255
    one_string = of(pack.analyze(R53, r53("example.com", "TXT", text)), "spf-valid")
    assert any("spf-string-too-long" in d.message for d in one_string)
    # The same text split the way the provider takes it ("" between the strings).
    split = text[:200] + '""' + text[200:]
    assert of(pack.analyze(R53, r53("example.com", "TXT", split)), "spf-valid") == []


def test_spf_valid_accepts_a_quoted_multi_string_value(pack: Pack) -> None:
    value = '"v=spf1 include:amazonses.com " "include:_spf.example.net -all"'
    assert of(pack.analyze(R53, r53("example.com", "TXT", value)), "spf-valid") == []


def test_spf_valid_unknown_is_not_a_violation(pack: Pack) -> None:
    diagnostics = pack.analyze(CF6, cf6("example.com", "TXT", UNKNOWN))
    assert of(diagnostics, "spf-valid") == []
    no_preview_errors(diagnostics)


def test_spf_valid_config_ignores_codes_and_levels(pack: Pack) -> None:
    props = r53("example.com", "TXT", "v=spf1 include:amazonses.com +all")
    ignored = pack.analyze(R53, props, config={"spf-valid": {"ignoreCodes": ["spf-plus-all"]}})
    assert of(ignored, "spf-valid") == []
    advisory = of(pack.analyze(R53, props, config={"spf-valid": "advisory"}), "spf-valid")
    assert [d.level for d in advisory] == ["advisory"]
    assert of(pack.analyze(R53, props, config={"spf-valid": "disabled"}), "spf-valid") == []


# --- spf-lookup-budget and its headroom advisory ----------------------------------

ELEVEN = "v=spf1 include:_spf.google.com include:mailgun.org include:sendgrid.net a mx -all"
NINE = "v=spf1 include:_spf.google.com include:mailgun.org include:sendgrid.net -all"
SEVEN = "v=spf1 include:_spf.google.com include:mailgun.org -all"


def test_budget_rejects_a_record_over_ten_lookups(pack: Pack) -> None:
    found = of(pack.analyze(R53, r53("example.com", "TXT", ELEVEN)), "spf-lookup-budget")
    assert len(found) == 1 and found[0].level == "mandatory"
    assert "needs 11 DNS lookups" in found[0].message
    assert "include:_spf.google.com 4" in found[0].message


def test_budget_passes_a_small_record(pack: Pack) -> None:
    diagnostics = pack.analyze(R53, r53("example.com", "TXT", "v=spf1 include:amazonses.com -all"))
    assert of(diagnostics, "spf-lookup-budget") == []
    assert of(diagnostics, "spf-lookup-budget-headroom") == []


def test_budget_unknown_is_not_a_violation(pack: Pack) -> None:
    diagnostics = pack.analyze(CF5, cf5("example.com", "TXT", UNKNOWN, field="content"))
    assert of(diagnostics, "spf-lookup-budget") == []
    assert of(diagnostics, "spf-lookup-budget-headroom") == []
    no_preview_errors(diagnostics)


def test_budget_config_maximum_and_include_costs(pack: Pack) -> None:
    props = r53("example.com", "TXT", SEVEN)
    assert of(pack.analyze(R53, props), "spf-lookup-budget") == []
    tight = of(pack.analyze(R53, props, config={"spf-lookup-budget": {"maxLookups": 6}}),
               "spf-lookup-budget")
    assert len(tight) == 1 and "the limit is 6" in tight[0].message
    costly = r53("example.com", "TXT", "v=spf1 include:amazonses.com include:_spf.example.net -all")
    assert of(pack.analyze(R53, costly), "spf-lookup-budget") == []
    priced = of(pack.analyze(R53, costly, config={
        "spf-lookup-budget": {"includeCosts": {"_spf.example.net": 10}}}), "spf-lookup-budget")
    assert len(priced) == 1 and "needs 11 DNS lookups" in priced[0].message


def test_headroom_advises_near_the_limit(pack: Pack) -> None:
    found = of(pack.analyze(R53, r53("example.com", "TXT", NINE)), "spf-lookup-budget-headroom")
    assert len(found) == 1 and found[0].level == "advisory"
    assert "needs 9 of 10" in found[0].message
    # Over the limit is the mandatory rule's to report, not the advisory's.
    over = pack.analyze(R53, r53("example.com", "TXT", ELEVEN))
    assert of(over, "spf-lookup-budget-headroom") == []


def test_headroom_config_moves_the_threshold(pack: Pack) -> None:
    nine = r53("example.com", "TXT", NINE)
    relaxed = pack.analyze(R53, nine, config={"spf-lookup-budget-headroom": {"warnAt": 10}})
    assert of(relaxed, "spf-lookup-budget-headroom") == []
    seven = r53("example.com", "TXT", SEVEN)
    assert of(pack.analyze(R53, seven), "spf-lookup-budget-headroom") == []
    strict = pack.analyze(R53, seven, config={"spf-lookup-budget-headroom": {"warnAt": 5}})
    assert len(of(strict, "spf-lookup-budget-headroom")) == 1


# --- spf-single-record (stack) -----------------------------------------------------


def test_single_record_rejects_two_providers_at_one_name(pack: Pack) -> None:
    found = of(pack.analyze_stack([
        (R53, "apex-route53", r53("example.com", "TXT", "v=spf1 include:amazonses.com -all")),
        (CF6, "apex-cloudflare", cf6("example.com.", "TXT", '"v=spf1 include:sendgrid.net -all"')),
    ]), "spf-single-record")
    assert len(found) == 2
    assert {d.urn.rsplit("::", 1)[1] for d in found} == {"apex-route53", "apex-cloudflare"}
    assert all(d.level == "mandatory" for d in found)
    assert "example.com has 2 v=spf1 values" in found[0].message


def test_single_record_rejects_two_values_in_one_route53_set(pack: Pack) -> None:
    found = of(pack.analyze_stack([
        (R53, "apex", r53("example.com", "TXT", "v=spf1 include:amazonses.com -all",
                          "v=spf1 include:mailgun.org -all")),
    ]), "spf-single-record")
    assert len(found) == 1 and "(2 values)" in found[0].message


def test_single_record_resolves_relative_names_through_the_zone(pack: Pack) -> None:
    found = of(pack.analyze_stack([
        (R53_ZONE, "zone", {"name": "example.com", "zoneId": ZONE_ID}),
        (R53, "relative", r53("mail", "TXT", "v=spf1 include:amazonses.com -all")),
        (R53, "absolute", r53("mail.example.com", "TXT", "v=spf1 include:amazonses.com -all")),
    ]), "spf-single-record")
    assert len(found) == 2 and "mail.example.com has 2" in found[0].message


def test_single_record_passes_one_spf_per_name(pack: Pack) -> None:
    diagnostics = pack.analyze_stack([
        (R53, "apex", r53("example.com", "TXT", "v=spf1 include:amazonses.com -all",
                          "site-verification=0123456789")),
        (CF6, "token", cf6("example.com", "TXT", "another-verification=abc")),
        (R53, "mail-from", r53("mail.example.com", "TXT", "v=spf1 include:amazonses.com -all")),
        (R53, "weighted-a", r53("app.example.com", "TXT", "v=spf1 -all", setIdentifier="a")),
        (R53, "weighted-b", r53("app.example.com", "TXT", "v=spf1 -all", setIdentifier="b")),
    ])
    assert of(diagnostics, "spf-single-record") == []


def test_single_record_unknown_names_and_values_are_not_violations(pack: Pack) -> None:
    diagnostics = pack.analyze_stack([
        (R53, "apex", r53("example.com", "TXT", "v=spf1 include:amazonses.com -all")),
        (CF6, "computed-name", cf6(UNKNOWN, "TXT", "v=spf1 include:sendgrid.net -all")),
        (CF6, "computed-value", cf6("example.com", "TXT", UNKNOWN)),
    ])
    assert of(diagnostics, "spf-single-record") == []
    no_preview_errors(diagnostics)


def test_single_record_config_ignores_names(pack: Pack) -> None:
    stack = [
        (R53, "old", r53("example.com", "TXT", "v=spf1 include:amazonses.com -all")),
        (CF6, "new", cf6("example.com", "TXT", "v=spf1 include:amazonses.com -all")),
    ]
    assert len(of(pack.analyze_stack(stack), "spf-single-record")) == 2
    ignored = pack.analyze_stack(
        stack, config={"spf-single-record": {"ignoreNames": ["example.com"]}})
    assert of(ignored, "spf-single-record") == []


# --- spf-include-only (advisory) -------------------------------------------------------


def test_include_only_advises_against_other_mechanisms(pack: Pack) -> None:
    props = r53("example.com", "TXT", "v=spf1 a mx include:amazonses.com ~all")
    found = of(pack.analyze(R53, props), "spf-include-only")
    assert sorted(d.message.split("uses ")[1].split(";")[0] for d in found) == ["'a'", "'mx'"]
    assert {d.level for d in found} == {"advisory"}


def test_include_only_passes_include_all_and_redirect(pack: Pack) -> None:
    for value in ("v=spf1 include:amazonses.com -all", "v=spf1 redirect=_spf.example.com",
                  "v=spf1 include:amazonses.com exp=explain.example.com -all"):
        assert of(pack.analyze(R53, r53("example.com", "TXT", value)), "spf-include-only") == []


def test_include_only_unknown_is_not_a_violation(pack: Pack) -> None:
    diagnostics = pack.analyze(R53, r53("example.com", "TXT", UNKNOWN,
                                        "v=spf1 include:amazonses.com -all"))
    assert of(diagnostics, "spf-include-only") == []
    no_preview_errors(diagnostics)


def test_include_only_config_allows_mechanisms(pack: Pack) -> None:
    props = r53("example.com", "TXT", "v=spf1 mx include:amazonses.com ~all")
    assert len(of(pack.analyze(R53, props), "spf-include-only")) == 1
    allowed = pack.analyze(R53, props, config={
        "spf-include-only": {"allowedMechanisms": ["include", "all", "mx"]}})
    assert of(allowed, "spf-include-only") == []
    redirect = r53("example.com", "TXT", "v=spf1 redirect=_spf.example.com")
    strict = of(pack.analyze(R53, redirect, config={
        "spf-include-only": {"allowedMechanisms": ["include", "all"]}}), "spf-include-only")
    assert len(strict) == 1 and "redirect" in strict[0].message
