"""The real ``__main__.py`` under the mock engine: what it declares, and what it refuses."""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any

import pytest

from mailzone.mail.ses import EASY_DKIM_AS_OF
from mailzone.providers import cloudflare, route53
from mailzone.stack.config import parse_domains
from mailzone.stack.desired import KnownAfterApply, Value, desired_records
from tests.components import harness
from tests.components.conftest import (
    BAD,
    LONG_TOKEN,
    MANY_RUA,
    PARKED,
    REGIONS,
    VARIANT,
    Runs,
)
from tests.components.harness import Resource, Run
from tests.components.runner import DKIM_TOKENS, MOCK_PASSWORD, MOCK_ZONE_ID, dkim_tokens

RECORD = "aws:route53/record:Record"
CF_RECORD = "cloudflare:index/dnsRecord:DnsRecord"
IDENTITY = "aws:sesv2/emailIdentity:EmailIdentity"
MAIL_FROM = "aws:sesv2/emailIdentityMailFromAttributes:EmailIdentityMailFromAttributes"
# Each program run is a process of its own (see conftest.py).
pytestmark = pytest.mark.slow

COMPONENTS = {
    "mailzone:index:MailDomain",
    "mailzone:index:SpfRecord",
    "mailzone:index:DmarcRecord",
    "mailzone:index:SesDomainIdentity",
    "mailzone:index:SesSmtpCredentials",
}


def _render(value: Value, region: str | None = None) -> str:
    if isinstance(value, KnownAfterApply):
        return value.render(dkim_tokens(region)[value.index])
    return value


def expected_dns(config: dict[str, Any]) -> Counter[tuple[str, str, str, tuple[str, ...]]]:
    """(provider, name, type, values as the provider gets them) for every record, per
    ``desired_records``: what the components must declare, no more and no less."""
    raw = config["mailzone:domains"]
    domains = parse_domains(raw, default_region=config.get("aws:region"))
    out: Counter[tuple[str, str, str, tuple[str, ...]]] = Counter()
    for domain in domains:
        for record in desired_records(domain):
            name = _render(record.name, record.region)
            if domain.dns.provider == "route53":
                values = [_render(v, record.region) for v in record.all_values]
                if record.type == "TXT":
                    values = [route53.PROVIDER.encode_txt(v) for v in values]
                out[("route53", name, record.type, tuple(values))] += 1
            else:
                for value in record.values:
                    text = _render(value, record.region)
                    if record.type == "TXT":
                        text = cloudflare.PROVIDER.encode_txt(text)
                    elif record.type == "MX":
                        preference, text = text.split(" ", 1)
                        text = f"{text} priority={float(preference)}"
                    out[("cloudflare", name, record.type, (text,))] += 1
    return out


def declared_dns(run: Run) -> Counter[tuple[str, str, str, tuple[str, ...]]]:
    out: Counter[tuple[str, str, str, tuple[str, ...]]] = Counter()
    for r in run.of_type(RECORD):
        out[("route53", r.inputs["name"], r.inputs["type"], tuple(r.inputs["records"]))] += 1
    for r in run.of_type(CF_RECORD):
        content = r.inputs["content"]
        if r.inputs["type"] == "MX":
            content = f"{content} priority={r.inputs['priority']}"
        else:
            assert "priority" not in r.inputs
        out[("cloudflare", r.inputs["name"], r.inputs["type"], (content,))] += 1
    return out


def owner(run: Run, resource: Resource, type_: str) -> Resource:
    for ancestor in run.ancestors(resource):
        if ancestor.type == type_:
            return ancestor
    raise AssertionError(f"{resource.name} has no {type_} ancestor")


# -- the dev stack ---------------------------------------------------------------------


def test_dev_stack_declares_what_desired_records_computes(dev: Run) -> None:
    config = harness.stack_config(harness.ROOT / "Pulumi.dev.yaml")
    assert declared_dns(dev) == expected_dns(config)


def test_variant_stack_declares_what_desired_records_computes(variant: Run) -> None:
    assert declared_dns(variant) == expected_dns(VARIANT)


def test_component_tree_types_and_parents(dev: Run) -> None:
    counts = Counter(r.type for r in dev.resources)
    assert counts["mailzone:index:MailDomain"] == 2
    assert counts["mailzone:index:SpfRecord"] == 2
    assert counts["mailzone:index:DmarcRecord"] == 2
    assert counts["mailzone:index:SesDomainIdentity"] == 1
    assert counts["mailzone:index:SesSmtpCredentials"] == 1
    for resource in dev.resources:
        if resource.type == "mailzone:index:MailDomain":
            assert "pulumi:pulumi:Stack" in resource.parent
            assert not resource.custom
            continue
        parent = dev.parent_of(resource)
        assert parent is not None, f"{resource.type} {resource.name} has no registered parent"
        assert parent.type in COMPONENTS
        if resource.type in COMPONENTS:
            assert not resource.custom
            assert parent.type == "mailzone:index:MailDomain"
    # Each provider resource sits under the component that owns it.
    spf = dev.named(RECORD, "example.org-spf")
    assert dev.parent_of(spf) == dev.named("mailzone:index:SpfRecord", "example.org-spf")
    dmarc = dev.named(RECORD, "example.org-dmarc")
    assert dev.parent_of(dmarc) == dev.named("mailzone:index:DmarcRecord", "example.org-dmarc")
    ses = dev.named("mailzone:index:SesDomainIdentity", "example.org-ses")
    for key in ("dkim-0", "dkim-1", "dkim-2", "mail-from-mx", "mail-from-spf"):
        assert dev.parent_of(dev.named(RECORD, f"example.org-ses-{key}")) == ses
    assert dev.parent_of(dev.named(IDENTITY, "example.org-ses")) == ses
    assert dev.parent_of(dev.named(MAIL_FROM, "example.org-ses-mail-from")) == ses
    smtp = dev.named("mailzone:index:SesSmtpCredentials", "example.org-smtp")
    for type_ in ("aws:iam/user:User", "aws:iam/accessKey:AccessKey",
                  "aws:iam/userPolicy:UserPolicy"):
        [resource] = dev.of_type(type_)
        assert dev.parent_of(resource) == smtp
    for record in dev.of_type(CF_RECORD):
        assert owner(dev, record, "mailzone:index:MailDomain").name == "example.net"


def test_one_domain_on_route53_and_one_on_cloudflare(dev: Run) -> None:
    for record in dev.of_type(RECORD):
        assert owner(dev, record, "mailzone:index:MailDomain").name == "example.org"
        assert record.inputs["zoneId"] == MOCK_ZONE_ID
        assert record.inputs["allowOverwrite"] is False
    for record in dev.of_type(CF_RECORD):
        assert record.inputs["zoneId"] == "0123456789abcdef0123456789abcdef"
    assert {r.inputs["name"] for r in dev.of_type(CF_RECORD)} == {"example.net",
                                                                  "_dmarc.example.net"}
    # The Route 53 zone was found by name, once.
    zones = [i for i in dev.invokes if i["token"] == "aws:route53/getZone:getZone"]
    assert [z["args"]["name"] for z in zones] == ["example.org"]
    assert all(z["args"]["privateZone"] is False for z in zones)


def test_apex_txt_set_keeps_keep_txt(dev: Run) -> None:
    apex = [r for r in dev.of_type(RECORD)
            if r.inputs["name"] == "example.org" and r.inputs["type"] == "TXT"]
    assert len(apex) == 1, "Route 53 holds all TXT values of a name in one record set"
    records = apex[0].inputs["records"]
    assert records == [
        "v=spf1 include:amazonses.com include:_spf.google.com include:_spf.mendix.com ~all",
        "site-verification=Zm9yLWV4YW1wbGUtb3JnLW9ubHk",
    ]
    assert apex[0].inputs["ttl"] == 3600


def test_three_dkim_cnames(dev: Run) -> None:
    cnames = sorted((r.inputs["name"], r.inputs["records"]) for r in dev.of_type(RECORD)
                    if r.inputs["type"] == "CNAME")
    assert cnames == sorted(
        (f"{t}._domainkey.example.org", [f"{t}.dkim.amazonses.com"]) for t in DKIM_TOKENS
    )
    [identity] = dev.of_type(IDENTITY)
    assert identity.inputs["emailIdentity"] == "example.org"
    assert identity.inputs["dkimSigningAttributes"] == {"nextSigningKeyLength": "RSA_2048_BIT"}
    assert identity.inputs["region"] == "eu-west-1"
    assert dev.outputs["example.org"]["dkimTokens"]["value"] == DKIM_TOKENS


def test_mail_from_mx_and_spf(dev: Run) -> None:
    by_type = {r.inputs["type"]: r for r in dev.of_type(RECORD)
               if r.inputs["name"] == "bounce.example.org"}
    assert set(by_type) == {"MX", "TXT"}
    assert by_type["MX"].inputs["records"] == ["10 feedback-smtp.eu-west-1.amazonses.com"]
    assert by_type["TXT"].inputs["records"] == ["v=spf1 include:amazonses.com -all"]
    [mail_from] = dev.of_type(MAIL_FROM)
    assert mail_from.inputs["mailFromDomain"] == "bounce.example.org"
    assert mail_from.inputs["emailIdentity"] == "example.org"
    assert mail_from.inputs["behaviorOnMxFailure"] == "USE_DEFAULT_VALUE"
    assert dev.outputs["example.org"]["mailFromDomain"]["value"] == "bounce.example.org"


def test_dmarc_values(dev: Run) -> None:
    [route53] = [r for r in dev.of_type(RECORD) if r.inputs["name"] == "_dmarc.example.org"]
    assert route53.inputs["type"] == "TXT"
    assert route53.inputs["records"] == [
        "v=DMARC1; p=quarantine; sp=reject; rua=mailto:dmarc-reports@example.org; adkim=r; aspf=r"
    ]
    [cloudflare] = [r for r in dev.of_type(CF_RECORD) if r.inputs["name"] == "_dmarc.example.net"]
    assert cloudflare.inputs["content"] == (
        '"v=DMARC1; p=none; rua=mailto:dmarc-reports@example.net"'
    )


def test_no_ip_literal_anywhere(dev: Run, variant: Run) -> None:
    for run in (dev, variant):
        text = json.dumps([r.inputs for r in run.resources]) + json.dumps(run.outputs)
        assert not re.search(r"ip[46]:", text)


def test_smtp_settings_and_secret_password(dev: Run) -> None:
    exports = dev.outputs["example.org"]
    assert exports["smtpHost"] == {"value": "email-smtp.eu-west-1.amazonaws.com",
                                   "secret": False}
    assert exports["smtpPort"]["value"] == 587
    assert exports["smtpTls"]["value"] == "STARTTLS"
    assert exports["smtpUsername"]["value"] == "AKIAMOCKMOCKMOCKMOCK"
    assert exports["smtpPassword"] == {"value": MOCK_PASSWORD, "secret": True}
    assert MOCK_PASSWORD not in dev.stdout + dev.stderr
    # No SMTP user was asked for on the Cloudflare domain.
    assert "smtpPassword" not in dev.outputs["example.net"]


def test_iam_policy_allows_only_sending_from_this_identity(dev: Run) -> None:
    [policy] = dev.of_type("aws:iam/userPolicy:UserPolicy")
    [user] = dev.of_type("aws:iam/user:User")
    [key] = dev.of_type("aws:iam/accessKey:AccessKey")
    document = json.loads(policy.inputs["policy"])
    assert document["Statement"] == [{
        "Effect": "Allow",
        "Action": "ses:SendRawEmail",
        "Resource": "arn:aws:ses:eu-west-1:111122223333:identity/example.org",
    }]
    assert policy.inputs["user"] == key.inputs["user"]
    assert user.inputs["path"] == "/mailzone/"
    # aws:region is the SES region: the default provider derives the password.
    assert not dev.of_type("pulumi:providers:aws")


# -- the variant stack -------------------------------------------------------------------


def test_route53_splits_long_values_into_255_octet_strings(variant: Run) -> None:
    [apex] = [r for r in variant.of_type(RECORD)
              if r.inputs["name"] == "mail.example.com" and r.inputs["type"] == "TXT"]
    spf, token, quoted = apex.inputs["records"]
    assert spf == "v=spf1 include:amazonses.com include:spf.protection.outlook.com -all"
    # The provider wraps each entry in quotes; what Route 53 stores is "a" "b".
    strings = harness.unquote_strings(f'"{token}"')
    assert len(strings) == 2
    assert all(len(s.encode()) <= 255 for s in strings)
    assert "".join(strings) == LONG_TOKEN
    assert harness.unquote_strings(f'"{quoted}"') == ['quoted="value" with \\ backslash']


def test_cloudflare_one_record_per_value_in_quoted_strings(variant: Run) -> None:
    records = [r for r in variant.of_type(CF_RECORD)]
    apex = [r for r in records if r.inputs["name"] == "example.net"]
    assert len(apex) == 1, "keepTxt values are other records on Cloudflare: left alone"
    assert "must-not-be-written" not in json.dumps([r.inputs for r in records])
    assert harness.unquote_strings(apex[0].inputs["content"]) == [
        "v=spf1 include:spf.mtasv.net include:spf.partner.example ~all"
    ]
    [dmarc] = [r for r in records if r.inputs["name"] == "_dmarc.example.net"]
    strings = harness.unquote_strings(dmarc.inputs["content"])
    assert len(strings) >= 2
    assert all(len(s.encode()) <= 255 for s in strings)
    assert "".join(strings) == "v=DMARC1; p=reject; rua=" + ",".join(MANY_RUA)


def test_ses_records_on_cloudflare(variant: Run) -> None:
    records = {(r.inputs["name"], r.inputs["type"]): r for r in variant.of_type(CF_RECORD)
               if owner(variant, r, "mailzone:index:MailDomain").name == "example.net"}
    mx = records[("bounce.example.net", "MX")]
    assert mx.inputs["content"] == "feedback-smtp.us-east-1.amazonses.com"
    assert mx.inputs["priority"] == 10
    assert records[("bounce.example.net", "TXT")].inputs["content"] == (
        '"v=spf1 include:amazonses.com -all"'
    )
    for token in DKIM_TOKENS:
        cname = records[(f"{token}._domainkey.example.net", "CNAME")]
        assert cname.inputs["content"] == f"{token}.dkim.amazonses.com"
        assert cname.inputs["proxied"] is False
        assert owner(variant, cname, "mailzone:index:SesDomainIdentity").name == (
            "example.net-ses"
        )


def test_zone_id_given_means_no_zone_lookup(variant: Run) -> None:
    assert not [i for i in variant.invokes if i["token"] == "aws:route53/getZone:getZone"]
    assert {r.inputs["zoneId"] for r in variant.of_type(RECORD)} == {"Z0123456789ABCDEFGHIJ"}


def test_ses_region_other_than_the_provider_region(variant: Run) -> None:
    [provider] = variant.of_type("pulumi:providers:aws")
    assert provider.inputs["region"] == "eu-west-1"
    [key] = variant.of_type("aws:iam/accessKey:AccessKey")
    assert key.provider.startswith(provider.urn + "::")
    [user] = variant.of_type("aws:iam/user:User")
    assert user.provider == "" or not user.provider.startswith(provider.urn)
    identity = variant.named(IDENTITY, "mail.example.com-ses")
    assert identity.inputs["region"] == "eu-west-1"
    assert identity.inputs["configurationSetName"] == "app-events"
    # The other domain's identity takes aws:region, and has no SMTP user.
    other = variant.named(IDENTITY, "example.net-ses")
    assert other.inputs["region"] == "us-east-1"
    assert "smtpPassword" not in variant.outputs["example.net"]
    exports = variant.outputs["mail.example.com"]
    assert exports["smtpHost"]["value"] == "email-smtp.eu-west-1.amazonaws.com"
    assert exports["smtpPassword"]["secret"] is True


# -- SES by region ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def regions(runs: Runs) -> Run:
    run = runs["regions"]
    assert run.error is None, run.error
    return run


def test_a_region_with_its_own_easy_dkim_zone_gets_cnames_to_it(regions: Run) -> None:
    cnames = sorted((r.inputs["name"], r.inputs["records"][0]) for r in regions.of_type(RECORD)
                    if r.inputs["type"] == "CNAME")
    af = dkim_tokens("af-south-1")
    assert cnames == sorted(
        [(f"{t}._domainkey.example.org", f"{t}.dkim.amazonses.com") for t in DKIM_TOKENS]
        + [(f"{t}._domainkey.example.org", f"{t}.dkim.af-south-1.amazonses.com") for t in af])
    assert len(cnames) == 6 and set(af).isdisjoint(DKIM_TOKENS)


def test_two_regions_two_identities_two_mail_from_domains(regions: Run) -> None:
    identities = {r.inputs["region"]: r for r in regions.of_type(IDENTITY)}
    assert set(identities) == {"eu-west-1", "af-south-1"}
    assert identities["eu-west-1"].name == "example.org-ses"  # the first keeps its name
    assert identities["af-south-1"].name == "example.org-ses-af-south-1"
    mail_froms = {r.inputs["mailFromDomain"]: r.inputs["region"]
                  for r in regions.of_type(MAIL_FROM)}
    assert mail_froms == {"bounce-eu.example.org": "eu-west-1",
                          "bounce-af.example.org": "af-south-1"}
    mx = {r.inputs["name"]: r.inputs["records"] for r in regions.of_type(RECORD)
          if r.inputs["type"] == "MX"}
    assert mx == {"bounce-eu.example.org": ["10 feedback-smtp.eu-west-1.amazonses.com"],
                  "bounce-af.example.org": ["10 feedback-smtp.af-south-1.amazonses.com"]}
    # Every record under the identity of its own region.
    for record in regions.of_type(RECORD):
        if record.inputs["type"] == "CNAME" or record.inputs["name"].startswith("bounce-"):
            region = owner(regions, record, "mailzone:index:SesDomainIdentity").name
            assert region.endswith("-af-south-1") == ("af" in record.inputs["records"][0]
                                                      or "bounce-af" in record.inputs["name"])
    assert declared_dns(regions) == expected_dns(REGIONS)


def test_smtp_credentials_per_region(regions: Run) -> None:
    [user] = regions.of_type("aws:iam/user:User")
    assert user.name == "example.org-smtp-af-south-1"
    exports = regions.outputs["example.org"]
    # The top level is the first region's, which has no SMTP user.
    assert exports["dkimTokens"]["value"] == DKIM_TOKENS and "smtpHost" not in exports
    by_region = exports["sesRegions"]
    assert set(by_region) == {"eu-west-1", "af-south-1"}
    af = by_region["af-south-1"]
    assert af["smtpHost"]["value"] == "email-smtp.af-south-1.amazonaws.com"
    assert af["dkimTokens"]["value"] == dkim_tokens("af-south-1")
    assert af["smtpPassword"] == {"value": MOCK_PASSWORD, "secret": True}
    assert "smtpHost" not in by_region["eu-west-1"]


def test_an_unknown_region_declares_nothing_and_names_the_table_date(runs: Runs) -> None:
    run = runs["unknown-region"]
    assert run.resources == [] and run.error is not None
    assert "domains[0].ses.region: 'xx-nowhere-1' is not an SES region in mailzone's Easy " \
           f"DKIM table (as of {EASY_DKIM_AS_OF.isoformat()})" in run.stderr


# -- parked domains -----------------------------------------------------------------------


def test_a_parked_domain_declares_exactly_the_lockdown_set(runs: Runs) -> None:
    run = runs["parked"]
    assert run.error is None, run.error
    assert declared_dns(run) == expected_dns(PARKED)
    assert declared_dns(run) == Counter({
        ("route53", "example.org", "TXT", ("v=spf1 -all", "site-verification=abc123")): 1,
        ("route53", "_dmarc.example.org", "TXT",
         ("v=DMARC1; p=reject; sp=reject; np=reject",)): 1,
        ("route53", "example.org", "MX", ("0 .",)): 1,
        ("cloudflare", "example.net", "TXT", ('"v=spf1 -all"',)): 1,
        ("cloudflare", "_dmarc.example.net", "TXT",
         ('"v=DMARC1; p=reject; sp=reject; np=reject; rua=mailto:dmarc@example.net"',)): 1,
        ("cloudflare", "example.net", "MX", (". priority=0.0",)): 1,
        ("cloudflare", "*._domainkey.example.net", "TXT", ('"v=DKIM1; p="',)): 1,
    })
    assert not [r for r in run.resources if r.type.startswith("aws:ses")
                or r.type.startswith("aws:iam")]


def test_ttl_reaches_every_record(variant: Run) -> None:
    assert {r.inputs["ttl"] for r in variant.of_type(RECORD)} == {300}
    assert {r.inputs["ttl"] for r in variant.of_type(CF_RECORD)} == {3600}
    for record in variant.of_type(CF_RECORD):
        assert record.inputs["comment"] == "managed by mailzone"


# -- one stack per domain ----------------------------------------------------------------


def test_a_stack_with_one_domain(runs: Runs) -> None:
    run = runs["single"]
    assert run.error is None, run.error
    [domain] = run.of_type("mailzone:index:MailDomain")
    assert domain.name == "example.test"
    [record] = run.of_type(CF_RECORD)
    assert record.inputs["content"] == '"v=spf1 include:mailgun.org ~all"'
    assert not [r for r in run.resources if r.type.startswith("aws:")]
    assert list(run.outputs) == ["example.test"]
    # No dmarc configured: the program warns, and says how to start.
    assert "config-no-dmarc" in run.stdout + run.stderr


# -- refusals ----------------------------------------------------------------------------


def test_a_bad_config_declares_nothing_and_reports_every_error(runs: Runs) -> None:
    run = runs["bad"]
    assert run.resources == []
    assert run.invokes == []
    assert run.error is not None and run.error["type"] == "RunError"
    expected = [
        "domains[0].senders[1]: unknown sender 'sendgird'; did you mean 'sendgrid'?",
        "domains[0].spfAll: +all authorises every host",
        "domains[0].ses.mailFromSubdomain: 'bounce.mail' is not a single DNS label",
        "domains[1].dns: Cloudflare needs the zone id",
        "domains[1].senders: the SPF record needs 11 DNS lookups",
        "domains[1].dmarc.rua[0]: 'dmarc@example.net' needs its scheme",
        "domains[1].senderAddresses[0]: 'noreply@example.net' is a no-reply address",
    ]
    lines = [line for line in run.stderr.splitlines() if line.startswith("error: ")]
    assert len(lines) == len(expected), lines
    for line, start in zip(lines, expected, strict=True):
        assert line.startswith(f"error: {start}"), line
    assert "has 7 problems; nothing was declared" in run.error["message"]
    assert len(BAD["mailzone:domains"]) == 2


def test_components_refuse_bad_records_before_declaring_anything(runs: Runs) -> None:
    run = runs["refusals"]
    assert run.resources == []
    assert run.error is not None and run.error["type"] == "RunError"
    [summary] = [line for line in run.stdout.splitlines() if line.startswith("REFUSALS ")]
    assert summary == (
        "REFUSALS ip: spf-ip-literal; budget: spf-lookup-limit; "
        "dmarc: dmarc-syntax | dmarc-not-applied"
    )
    assert "nothing was declared" in run.stdout

