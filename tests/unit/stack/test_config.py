"""mailzone:domains: validated as a whole, every problem with its path and fix."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from mailzone.errors import ConfigError
from mailzone.mail.dmarc import parse_dmarc
from mailzone.stack.config import (
    DomainConfig,
    config_warnings,
    include_costs,
    load_stack_config,
    parse_domains,
)

ROOT = Path(__file__).resolve().parents[3]

# The issue's example entry.
ISSUE_EXAMPLE: dict[str, Any] = {
    "domain": "example.org",
    "dns": {"provider": "route53"},
    "senders": ["amazon-ses", "google-workspace", "mendix"],
    "spfAll": "~all",
    "keepTxt": ["site-verification=abc123"],
    "dmarc": {"policy": "quarantine", "rua": ["mailto:dmarc@example.org"]},
    "ses": {"mailFromSubdomain": "bounce", "smtpUser": True},
    "senderAddresses": ["app@example.org"],
}
CLOUDFLARE: dict[str, Any] = {
    "domain": "example.net",
    "dns": {"provider": "cloudflare", "zoneId": "0123456789abcdef0123456789abcdef"},
    "senders": ["sendgrid", "mailgun"],
}


def problems(raw: object, **kwargs: Any) -> list[tuple[str, str]]:
    with pytest.raises(ConfigError) as info:
        parse_domains(raw, **kwargs)
    assert str(info.value) == "\n".join(f"{p}: {m}" for p, m in info.value.problems)
    return info.value.problems


def only(raw: object, **kwargs: Any) -> tuple[str, str]:
    found = problems(raw, **kwargs)
    assert len(found) == 1, found
    return found[0]


def entry(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(ISSUE_EXAMPLE)
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def test_the_issue_example_is_valid() -> None:
    [domain] = parse_domains([ISSUE_EXAMPLE], default_region="eu-west-1")
    assert domain.domain == "example.org"
    assert domain.dns.provider == "route53"
    assert domain.spf_includes == ["amazonses.com", "_spf.google.com", "_spf.mendix.com"]
    assert domain.spf_lookups == 1 + 4 + 1
    assert domain.spf_all == "~all"
    assert domain.keep_txt == ["site-verification=abc123"]
    assert domain.dmarc is not None and domain.dmarc.policy == "quarantine"
    assert domain.ses is not None
    assert domain.ses.region == "eu-west-1"
    assert domain.ses.smtp_user is True
    assert domain.mail_from_domain == "bounce.example.org"
    assert domain.ttl == 3600
    assert domain.zone_name == "example.org"


def test_the_dev_stack_file_loads() -> None:
    stack = load_stack_config(ROOT / "Pulumi.dev.yaml")
    assert stack.stack == "dev"
    assert [d.domain for d in stack.domains] == ["example.org", "example.net"]
    route53, cloudflare = stack.domains
    assert route53.dns.provider == "route53"
    assert [s.key for s in route53.senders] == ["amazon-ses", "google-workspace", "mendix"]
    assert route53.keep_txt and route53.ses is not None and route53.ses.smtp_user
    assert route53.ses.mail_from_subdomain == "bounce"
    assert cloudflare.dns.provider == "cloudflare" and cloudflare.dns.zone_id
    assert [s.key for s in cloudflare.senders] == ["sendgrid", "mailgun"]


def test_json_text_is_accepted() -> None:
    [domain] = parse_domains(json.dumps([CLOUDFLARE]))
    assert domain.domain == "example.net"


def test_the_issue_message_for_a_misspelt_sender() -> None:
    raw = [ISSUE_EXAMPLE, {**CLOUDFLARE, "senders": ["sendgird"]}]
    assert only(raw, default_region="eu-west-1") == (
        "domains[1].senders[0]", "unknown sender 'sendgird'; did you mean 'sendgrid'?"
    )


def test_every_problem_of_every_domain_is_reported() -> None:
    raw = [
        entry(
            dns={"provider": "route54"},
            senders=["sendgird", {"include": "192.0.2.10"}],
            spfAll="+all",
            dmarc={"polcy": "reject"},
            ses={"mailFromSubdomain": "bounce.mail"},
            senderAddresses=["noreply@example.org"],
        ),
        {**CLOUDFLARE, "dns": {"provider": "cloudflare"}, "ttl": 5},
        "not a mapping",
    ]
    found = dict(problems(raw, default_region="eu-west-1"))
    assert set(found) == {
        "domains[0].dns.provider",
        "domains[0].senders[0]",
        "domains[0].senders[1]",
        "domains[0].spfAll",
        "domains[0].dmarc",
        "domains[0].ses.mailFromSubdomain",
        "domains[0].senderAddresses[0]",
        "domains[1].dns",
        "domains[1].ttl",
        "domains[2]",
    }
    assert "did you mean 'route53'" in found["domains[0].dns.provider"]
    assert "literal IPs are never authorised" in found["domains[0].senders[1]"]
    assert "every host on the internet" in found["domains[0].spfAll"]
    assert "single DNS label" in found["domains[0].ses.mailFromSubdomain"]
    assert "no-reply" in found["domains[0].senderAddresses[0]"]
    assert "realMailboxes" in found["domains[0].senderAddresses[0]"]
    assert "zoneId" in found["domains[1].dns"]
    assert "60 to 86400" in found["domains[1].ttl"]


def test_unknown_keys_get_did_you_mean_at_every_level() -> None:
    raw = [entry(
        spf_all="-all",
        dmarc={"policy": "reject", "subdomainPolcy": "reject"},
        ses={"mailFromSubdomain": "bounce", "smtpuser": True},
        dns={"provider": "route53", "zoneid": "Z0123456789ABCDEFGHIJ"},
    )]
    found = problems(raw, default_region="eu-west-1")
    assert ("domains[0]", "unknown key 'spf_all'; did you mean 'spfAll'?") in found
    assert (
        "domains[0].dmarc", "unknown key 'subdomainPolcy'; did you mean 'subdomainPolicy'?"
    ) in found
    assert ("domains[0].ses", "unknown key 'smtpuser'; did you mean 'smtpUser'?") in found
    assert ("domains[0].dns", "unknown key 'zoneid'; did you mean 'zoneId'?") in found
    assert len(found) == 4


def test_missing_keys_say_what_to_add() -> None:
    path, message = only([{"dns": {"provider": "route53"}}])
    assert path == "domains[0]"
    assert message.startswith("missing required key 'domain'")


@pytest.mark.parametrize(
    ("spf_all", "reason"),
    [
        ("+all", "every host on the internet"),
        ("all", "a bare all is +all"),
        ("?all", "protects nothing"),
        ("~al", "not an SPF all term"),
    ],
)
def test_spf_all_is_softfail_or_fail(spf_all: str, reason: str) -> None:
    path, message = only([{**CLOUDFLARE, "spfAll": spf_all}])
    assert path == "domains[0].spfAll"
    assert reason in message
    assert "'~all'" in message and "'-all'" in message


@pytest.mark.parametrize("spf_all", ["~all", "-all"])
def test_softfail_and_fail_are_accepted(spf_all: str) -> None:
    [domain] = parse_domains([{**CLOUDFLARE, "spfAll": spf_all}])
    assert domain.spf_all == spf_all


def test_duplicate_domains_are_rejected_even_written_differently() -> None:
    raw = [CLOUDFLARE, {**CLOUDFLARE, "domain": "Example.NET."}]
    assert only(raw) == (
        "domains[1].domain",
        "example.net is already configured at domains[0]: each domain appears once; "
        "merge the two entries",
    )


def test_lookup_budget_over_ten_is_rejected_with_the_costs() -> None:
    senders = ["google-workspace", "mailgun", "sendgrid", "amazon-ses", "mandrill"]
    path, message = only([{**CLOUDFLARE, "senders": senders}])
    assert path == "domains[0].senders"
    assert "11 DNS lookups" in message
    assert "google-workspace 4" in message and "mailgun 3" in message


def test_lookup_budget_of_exactly_ten_is_accepted() -> None:
    senders = ["google-workspace", "mailgun", "sendgrid", "amazon-ses"]
    [domain] = parse_domains([{**CLOUDFLARE, "senders": senders}])
    assert domain.spf_lookups == 10


def test_stated_lookups_of_an_outside_include_count() -> None:
    senders = ["google-workspace", "mailgun", {"include": "spf.partner.example", "lookups": 4}]
    path, message = only([{**CLOUDFLARE, "senders": senders}])
    assert path == "domains[0].senders"
    assert "11 DNS lookups" in message
    senders[2] = {"include": "spf.partner.example"}
    [domain] = parse_domains([{**CLOUDFLARE, "senders": senders}])
    assert domain.spf_lookups == 8
    assert include_costs(domain.senders)["spf.partner.example"] == 1
    warnings = [f.code for f in config_warnings([domain])]
    assert "config-include-cost-unknown" in warnings


def test_an_include_of_a_catalogue_domain_takes_its_cost() -> None:
    [domain] = parse_domains([{**CLOUDFLARE, "senders": [{"include": "_spf.google.com"}]}])
    assert domain.senders[0].key == "google-workspace"
    assert domain.spf_lookups == 4


def test_the_same_sender_twice_is_rejected() -> None:
    path, message = only([{**CLOUDFLARE, "senders": ["gmail", "google-workspace"]}])
    assert path == "domains[0].senders"
    assert "listed twice" in message


@pytest.mark.parametrize(
    ("sender", "fragment"),
    [
        ({"include": "192.0.2.1"}, "IP address"),
        ({"include": "2001:db8::1"}, "IP address"),
        ({"include": "198.51.100.0/24"}, "IP address"),
        ({"include": "ip4:203.0.113.5"}, "IP address"),
        ({"include": "localhost"}, "single label"),
        ({"include": "-bad.example"}, "invalid label"),
        ({"include": "bad label.example"}, "invalid label"),
        ({"inclde": "spf.partner.example"}, "did you mean 'include'"),
        ({"include": "spf.partner.example", "lookups": 0}, "lookup count"),
        (42, "catalogue key"),
    ],
)
def test_bad_include_entries(sender: object, fragment: str) -> None:
    path, message = only([{**CLOUDFLARE, "senders": [sender]}])
    assert path == "domains[0].senders[0]"
    assert fragment in message


def test_keep_txt_must_not_hold_spf() -> None:
    path, message = only([{**CLOUDFLARE, "keepTxt": ["v=spf1 include:sendgrid.net ~all"]}])
    assert path == "domains[0].keepTxt"
    assert "senders" in message


def test_dmarc_problems() -> None:
    raw = [{
        **CLOUDFLARE,
        "dmarc": {
            "policy": "rejct",
            "pct": 120,
            "rua": ["dmarc@example.net", "mailto:nobody"],
            "adkim": "x",
        },
    }]
    found = dict(problems(raw))
    assert "did you mean 'reject'" in found["domains[0].dmarc.policy"]
    assert "write 'testing: true' (publishes t=y)" in found["domains[0].dmarc.pct"]
    for tag in ("rf", "ri"):
        path, message = only([entry(dmarc={"policy": "none", tag: "x"})],
                             default_region="eu-west-1")
        assert path == f"domains[0].dmarc.{tag}" and "historic" in message
    assert "write 'mailto:dmarc@example.net'" in found["domains[0].dmarc.rua[0]"]
    assert "mailbox@domain" in found["domains[0].dmarc.rua[1]"]
    assert "r (relaxed) or s (strict)" in found["domains[0].dmarc.adkim"]


def test_dmarc_text_and_warnings() -> None:
    raw = [{
        **CLOUDFLARE,
        "dmarc": {"policy": "none", "rua": ["mailto:d@reports.example.com"], "aspf": "strict"},
    }]
    [domain] = parse_domains(raw)
    assert domain.dmarc is not None
    assert domain.dmarc.text() == "v=DMARC1; p=none; rua=mailto:d@reports.example.com; aspf=s"
    found = {f.code: f for f in config_warnings([domain])}
    assert found["dmarc-policy-none"].where == "domains[0].dmarc"
    assert "example.net._report._dmarc.reports.example.com" in found["dmarc-rua-external"].message


def test_an_international_report_domain_is_published_as_a_labels() -> None:
    raw = [{**CLOUDFLARE, "dmarc": {"policy": "none", "rua": [
        "mailto:rapports@bücher.example.net", "mailto:d@example.net"]}}]
    [domain] = parse_domains(raw)
    assert domain.dmarc is not None
    assert domain.dmarc.text() == ("v=DMARC1; p=none; rua=mailto:rapports@xn--bcher-kva"
                                   ".example.net,mailto:d@example.net")
    # The DMARC engine reads what is published back as the same record.
    assert list(parse_dmarc(domain.dmarc.text()).rua) == list(domain.dmarc.rua)


def test_ses_region_comes_from_the_entry_or_the_stack() -> None:
    [domain] = parse_domains([entry(ses={"region": "us-west-2"})], default_region="eu-west-1")
    assert domain.ses is not None and domain.ses.region == "us-west-2"
    path, message = only([entry()])
    assert path == "domains[0].ses"
    assert "aws:region" in message
    path, message = only([entry(ses={"region": "Ireland"})])
    assert path == "domains[0].ses.region"


def test_ses_in_several_regions() -> None:
    [domain] = parse_domains([entry(ses={
        "smtpUser": True,
        "regions": ["eu-west-1", {"region": "af-south-1", "mailFromSubdomain": "bounce-af",
                                  "smtpUser": False}]})])
    first, second = domain.ses_identities
    assert (first.region, first.mail_from_subdomain, first.smtp_user) == ("eu-west-1", None, True)
    assert (second.region, second.mail_from_subdomain, second.smtp_user) == (
        "af-south-1", "bounce-af", False)
    assert second.dkim_zone == "dkim.af-south-1.amazonses.com"
    assert domain.mail_from_domains == ("bounce-af.example.org",)


@pytest.mark.parametrize(("ses", "where", "fragment"), [
    ({"regions": ["eu-west-1", "us-east-1"], "mailFromSubdomain": "bounce"}, "domains[0].ses",
     "both use the MAIL FROM subdomain 'bounce'"),
    ({"regions": [{"region": "eu-west-1", "mailFromSubdomain": "mf"},
                  {"region": "us-east-1", "mailFromSubdomain": "MF"}]}, "domains[0].ses",
     "Give each region its own mailFromSubdomain"),
    ({"regions": ["eu-west-1", "eu-west-1"]}, "domains[0].ses", "lists 'eu-west-1' twice"),
    ({"region": "eu-west-1", "regions": ["us-east-1"]}, "domains[0].ses", "not both"),
    ({"regions": []}, "domains[0].ses", "'regions' is empty"),
    ({"regions": ["xx-nowhere-1"]}, "domains[0].ses.regions[0].region",
     "not an SES region in mailzone's Easy DKIM table (as of 2025-12-01)"),
    ({"region": "xx-nowhere-1"}, "domains[0].ses.region", "as of 2025-12-01"),
])
def test_ses_region_problems(ses: dict[str, Any], where: str, fragment: str) -> None:
    path, message = only([entry(ses=ses)], default_region="eu-west-1")
    assert path == where and fragment in message


def test_dmarc_np_and_testing() -> None:
    [domain] = parse_domains([entry(dmarc={"policy": "reject", "testing": True,
                                           "nonexistentSubdomainPolicy": "Reject",
                                           "rua": ["mailto:d@example.org"]})],
                             default_region="eu-west-1")
    assert domain.dmarc is not None
    assert domain.dmarc.text() == "v=DMARC1; p=reject; np=reject; t=y; rua=mailto:d@example.org"
    path, message = only([entry(dmarc={"policy": "reject", "nonexistentSubdomainPolicy": "deny"})],
                         default_region="eu-west-1")
    assert path == "domains[0].dmarc.nonexistentSubdomainPolicy"
    assert "unknown DMARC policy" in message


@pytest.mark.parametrize("label", ["bounce.mail", "-bounce", "b" * 64, "bo unce", "_dmarc"])
def test_mail_from_subdomain_must_be_one_valid_label(label: str) -> None:
    path, _ = only([entry(ses={"region": "eu-west-1", "mailFromSubdomain": label})])
    assert path == "domains[0].ses.mailFromSubdomain"


def test_sender_addresses() -> None:
    raw = [entry(
        ses={"region": "eu-west-1"},
        senderAddresses=[
            "app@example.org",
            "Billing <billing@example.org>",
            "app@example.com",
            "app",
            "noreply@example.org",
            "x@test.com",  # a placeholder-looking real domain: the check must reject it
        ],
    )]
    found = dict(problems(raw))
    assert set(found) == {
        "domains[0].senderAddresses[2]",
        "domains[0].senderAddresses[3]",
        "domains[0].senderAddresses[4]",
        "domains[0].senderAddresses[5]",
    }
    assert "example.com" in found["domains[0].senderAddresses[2]"]
    assert "no domain" in found["domains[0].senderAddresses[3]"]
    assert "placeholder" in found["domains[0].senderAddresses[5]"]


def test_a_noreply_address_listed_as_a_real_mailbox_is_accepted() -> None:
    raw = [entry(
        ses={"region": "eu-west-1"},
        senderAddresses=["noreply@example.org"],
        realMailboxes=["noreply@example.org"],
    )]
    [domain] = parse_domains(raw)
    assert domain.sender_addresses == ["noreply@example.org"]


def test_dns_zone_ids() -> None:
    route53 = entry(ses={"region": "eu-west-1"}, dns={"provider": "route53",
                                                      "zoneId": "/hostedzone/Z0123456789ABC"})
    [domain] = parse_domains([route53])
    assert domain.dns.provider_zone_id == "Z0123456789ABC"
    path, message = only([{**CLOUDFLARE, "dns": {"provider": "cloudflare", "zoneId": "nope"}}])
    assert path == "domains[0].dns" and "32 lower-case hex" in message
    path, message = only([{**CLOUDFLARE, "dns": {"provider": "route53", "zoneId": "nope"}}])
    assert path == "domains[0].dns" and "Route 53" in message


def test_ttl_under_dns_points_to_the_domain_ttl() -> None:
    path, message = only([{**CLOUDFLARE, "dns": {**CLOUDFLARE["dns"], "ttl": 300}}])
    assert path == "domains[0].dns"
    assert "domain's 'ttl'" in message


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        (None, "not set"),
        ([], "empty"),
        ({"domain": "example.org"}, "must be a list"),
        ("[not json", "not JSON"),
    ],
)
def test_the_top_level_shape(raw: object, fragment: str) -> None:
    path, message = only(raw)
    assert path == "domains"
    assert fragment in message


@pytest.mark.parametrize("name", ["192.0.2.1", "localhost", "exa mple.org", "-x.example.org"])
def test_bad_domain_names(name: str) -> None:
    path, _ = only([{**CLOUDFLARE, "domain": name}])
    assert path == "domains[0].domain"


def test_types_are_reported_with_the_value() -> None:
    path, message = only([{**CLOUDFLARE, "ttl": "soon"}])
    assert path == "domains[0].ttl"
    assert "whole number" in message and "'soon'" in message


def test_load_stack_config_reads_aws_region(tmp_path: Path) -> None:
    path = tmp_path / "Pulumi.prod.yaml"
    path.write_text(yaml.safe_dump({"config": {
        "aws:region": "us-west-2", "mailzone:domains": [entry()],
    }}))
    stack = load_stack_config(path)
    assert stack.stack == "prod"
    assert stack.aws_region == "us-west-2"
    assert stack.domains[0].ses is not None and stack.domains[0].ses.region == "us-west-2"


def test_load_stack_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_stack_config(tmp_path / "Pulumi.missing.yaml")
    bad = tmp_path / "Pulumi.bad.yaml"
    bad.write_text("config: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_stack_config(bad)
    empty = tmp_path / "Pulumi.empty.yaml"
    empty.write_text("encryptionsalt: x\n")
    with pytest.raises(ConfigError, match="no 'config:'"):
        load_stack_config(empty)
    unset = tmp_path / "Pulumi.unset.yaml"
    unset.write_text("config:\n  aws:region: eu-west-1\n")
    with pytest.raises(ConfigError, match="not set"):
        load_stack_config(unset)


def test_models_are_frozen() -> None:
    [domain] = parse_domains([CLOUDFLARE])
    assert isinstance(domain, DomainConfig)
    with pytest.raises(ValueError):
        domain.ttl = 60


def test_a_huge_value_is_quoted_by_a_short_prefix_only() -> None:
    token = "verification=" + "x" * 20_000
    with pytest.raises(ConfigError) as refused:
        parse_domains([{"domain": "example.com", "dns": {"provider": "route53"},
                        "keepTxt": [token, token]},
                       {"domain": "example.org", "dns": {"provider": "route53"},
                        "ttl": ["y" * 50_000]}])
    for path, message in refused.value.problems:
        assert len(message) < 1100, (path, len(message))
    keep = dict(refused.value.problems)["domains[0].keepTxt"]
    assert "verification=xxx" in keep and keep.endswith("twice: keep one")


def test_an_international_domain_is_configured_as_its_a_label() -> None:
    (domain,) = parse_domains([{"domain": "bücher.example", "dns": {"provider": "route53"},
                                "senders": [{"include": "spf.bücher.example"}]}])
    assert domain.domain == "xn--bcher-kva.example"
    assert domain.spf_includes == ["spf.xn--bcher-kva.example"]
    with pytest.raises(ConfigError) as twice:
        parse_domains([{"domain": "bücher.example", "dns": {"provider": "route53"}},
                       {"domain": "xn--bcher-kva.example", "dns": {"provider": "route53"}}])
    assert any("already configured" in m for _, m in twice.value.problems)


def test_a_parked_domain_is_the_lockdown_set_and_nothing_that_sends() -> None:
    parked = {"domain": "example.org", "dns": {"provider": "route53"}, "parked": True}
    [domain] = parse_domains([{**parked, "dmarc": {"rua": ["mailto:d@example.org"]}}])
    assert domain.spf_record == "v=spf1 -all"
    assert domain.dmarc is not None and domain.dmarc.text() == (
        "v=DMARC1; p=reject; sp=reject; np=reject; rua=mailto:d@example.org")
    assert domain.parked is not None and not domain.parked.wildcard_dkim
    found = dict(problems([{**parked, "senders": ["mailgun"], "spfAll": "~all",
                            "senderAddresses": ["app@example.org"],
                            "dmarc": {"policy": "none", "testing": True}}],
                          default_region="eu-west-1"))
    assert set(found) == {"domains[0].senders", "domains[0].spfAll",
                          "domains[0].senderAddresses", "domains[0].dmarc.policy",
                          "domains[0].dmarc.testing"}
    assert "Remove it, or drop 'parked'" in found["domains[0].senders"]
