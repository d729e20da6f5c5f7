"""Unit tests of the core rule functions and the pack's shape mapping (no process).

These run in addition to the gRPC tests, never instead of them.
"""

from __future__ import annotations

import ipaddress

import pytest
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

from mailzone.findings import Finding
from mailzone.mail import catalogue
from mailzone.names import ip_literal
from mailzone.rules.mailhost import is_local_host
from mailzone.rules.records import DnsRecord, check_single_spf
from mailzone.rules.sender import SendingDomains, check_sender_address, check_sender_domain
from mailzone.rules.ses import MailFromDomain, SesIdentity, check_ses_identities
from mailzone.rules.settings import SettingKind, classify_key
from mailzone.rules.smtp import display, parse_endpoint
from mailzone.rules.spfpolicy import (
    catalogue_sender_for,
    check_include_only,
    estimate_lookups,
    ip_literal_terms,
)
from policies import resources as rs


def codes(findings: list[Finding]) -> list[str]:
    return [f.code for f in findings]


@pytest.mark.parametrize(("address", "expected"), [
    ("mail@example.com", []),
    ("Example App <mail@example.com>", []),
    ("noreply@example.com", ["sender-noreply"]),
    ("No-Reply@example.com", ["sender-noreply"]),
    ("do_not_reply+billing@example.org", ["sender-noreply"]),
    ("donotreply@example.net", ["sender-noreply"]),
    ("mail", ["sender-no-domain"]),
    ("mail@", ["sender-no-domain"]),
    ("", ["sender-no-domain"]),
    ("@example.com", ["sender-invalid"]),
    ("two@at@example.com", ["sender-invalid"]),
    ("mail@localhost", ["sender-invalid"]),
    ("mail@192.0.2.1", ["sender-invalid"]),
    # The placeholder domains below are the rule's *rejected* inputs.
    ("mail@domain.com", ["sender-placeholder-domain"]),
    ("mail@news.email.com", ["sender-placeholder-domain"]),
    ("noreply@test.com", ["sender-noreply", "sender-placeholder-domain"]),
])
def test_sender_address(address: str, expected: list[str]) -> None:
    assert codes(check_sender_address(address)) == expected


def test_sender_allow_list_and_placeholders_are_configurable() -> None:
    allowed = ["noreply@example.com"]
    assert check_sender_address("NoReply@Example.com", allowed_mailboxes=allowed) == []
    assert codes(check_sender_address("mail@example.org", placeholder_domains=["example.org"])) == [
        "sender-placeholder-domain"]


def test_sender_domain_must_be_sent_from() -> None:
    assert check_sender_domain("mail@notify.example.com", ["example.com"]) == []
    assert codes(check_sender_domain("mail@example.org", ["example.com"])) == [
        "sender-unmanaged-domain"]
    assert check_sender_domain("mail", ["example.com"]) == []  # the address rule's business


@pytest.mark.parametrize(("key", "kind"), [
    ("SMTP_HOST", SettingKind.HOST), ("SMTP_SERVER", SettingKind.HOST),
    ("MAIL_SERVER", SettingKind.HOST), ("MAIL_HOST", SettingKind.HOST),
    ("EMAIL_HOST", SettingKind.HOST), ("smtp.host", SettingKind.HOST),
    ("spring.mail.host", SettingKind.HOST), ("smtpHost", SettingKind.HOST),
    ("/app/prod/smtp/host", SettingKind.HOST), ("SMTP_PORT", SettingKind.PORT),
    ("MAIL_PORT", SettingKind.PORT), ("smtp.port", SettingKind.PORT),
    ("mail.smtp.port", SettingKind.PORT), ("smtp-port", SettingKind.PORT),
    ("MAILER_DSN", SettingKind.URL), ("EMAIL_URL", SettingKind.URL),
    ("MAIL_FROM", SettingKind.SENDER), ("DEFAULT_FROM_EMAIL", SettingKind.SENDER),
    ("SERVER_EMAIL", SettingKind.SENDER), ("SENDER_ADDRESS", SettingKind.SENDER),
    ("EMAIL_HOST_USER", None), ("EMAIL_HOST_PASSWORD", SettingKind.PASSWORD),
    ("SMTP_PASSWORD", SettingKind.PASSWORD), ("SES_SMTP_SECRET_KEY", None),
    ("DATABASE_HOST", None), ("PORT", None), ("HOST", None), ("DATE_FROM", None),
])
def test_smtp_setting_keys(key: str, kind: SettingKind | None) -> None:
    assert classify_key(key) is kind


def test_endpoints_and_credentials() -> None:
    assert parse_endpoint("smtp://user:secret@smtp.example.net:25").port == 25
    assert parse_endpoint("[2001:db8::1]:587").host == "2001:db8::1"
    assert parse_endpoint("smtp.example.net:465").port == 465
    assert "secret" not in display("smtp://user:secret@smtp.example.net:25")
    assert ip_literal("[IPv6:2001:db8::1]") == ipaddress.ip_address("2001:db8::1")
    assert ip_literal("smtp.example.net") is None
    assert is_local_host("127.0.0.2") and is_local_host("LOCALHOST.")
    assert not is_local_host("192.0.2.1")


def test_ip_literal_terms_read_broken_records() -> None:
    terms = [t.term for t in ip_literal_terms("v=spf1 a:192.0.2.1/24 -ip4:198.51.100.0/24 "
                                               "mx:example.com ip4:bogus ~all")]
    assert terms == ["a:192.0.2.1/24", "-ip4:198.51.100.0/24"]


def test_ip_literal_terms_are_shared_and_cannot_be_changed() -> None:
    text = "v=spf1 ip4:192.0.2.1 ~all"
    terms = ip_literal_terms(text)
    assert isinstance(terms, tuple)  # one scan per text, shared by every caller
    assert ip_literal_terms(text) is terms
    with pytest.raises(AttributeError):
        terms[0].term = "ip4:198.51.100.1"  # type: ignore[misc]


def test_ip_literal_tells_names_from_addresses() -> None:
    assert ip_literal("192.0.2.1") == ipaddress.ip_address("192.0.2.1")
    assert ip_literal("2001:db8::1") == ipaddress.ip_address("2001:db8::1")
    assert ip_literal("[192.0.2.1]") == ipaddress.ip_address("192.0.2.1")
    assert ip_literal("0x7f.1") is None and ip_literal("1example.net") is None
    assert ip_literal("mx1.example.net.") is None and ip_literal("") is None


def test_catalogue_ranges_name_their_include() -> None:
    for sender in catalogue.senders():
        for text in sender.tree.values():
            term = next((t for t in text.split() if t.startswith(("ip4:", "ip6:"))), None)
            if term is None:
                continue
            network = ipaddress.ip_network(term[4:], strict=False)
            found = catalogue_sender_for(network)
            assert found is not None and found[1]  # some sender publishes it
    assert catalogue_sender_for(ipaddress.ip_network("192.0.2.0/24")) is None


def test_budget_estimate_uses_catalogue_costs() -> None:
    google = catalogue.lookup("google-workspace").lookup_cost
    estimate = estimate_lookups("v=spf1 include:_spf.google.com mx ~all")
    assert estimate.total == google + 1
    assert estimate.unknown_includes == ()
    assert estimate_lookups("v=spf1 include:_spf.example.net -all").unknown_includes == (
        "include:_spf.example.net",)


def test_budget_estimate_is_counted_again_for_other_given_costs() -> None:
    text = "v=spf1 include:_spf.example.net -all"
    assert estimate_lookups(text).total == 1
    assert estimate_lookups(text, {"_SPF.example.net.": 4}).total == 4
    assert estimate_lookups(text, {"_spf.example.net": 3}).total == 3
    assert estimate_lookups(text).total == 1


def test_include_only_names_each_resource_of_a_shared_text() -> None:
    text = "v=spf1 a mx include:amazonses.com -all"
    first = check_include_only(text, name="a.example.com", label="first", where="urn:1")
    second = check_include_only(text, name="b.example.com", label="second", where="urn:2")
    assert [f.where for f in first] == ["urn:1", "urn:1"]
    assert [f.where for f in second] == ["urn:2", "urn:2"]
    assert all(f.message.startswith("first: the SPF record at a.example.com") for f in first)
    assert all(f.message.startswith("second: the SPF record at b.example.com") for f in second)
    assert check_include_only(text, allowed=("include", "all", "a", "mx")) == []


def test_single_spf_counts_across_record_sets() -> None:
    records = [
        DnsRecord("example.com", "TXT", ("v=spf1 -all",), where="a"),
        DnsRecord("Example.com.", "TXT", ("v=spf1 include:amazonses.com -all",), where="b"),
        DnsRecord("example.org", "TXT", ("v=spf1 -all", "token"), where="c"),
        DnsRecord(None, "TXT", ("v=spf1 -all",), where="d"),
    ]
    assert sorted(f.where for f in check_single_spf(records)) == ["a", "b"]


def test_plain_turns_sdk_unknowns_into_unknown() -> None:
    proxied = unknown_checking_proxy({
        "name": "example.com",
        "records": ["v=spf1 -all", UNKNOWN_STRING_VALUE],
        "zoneId": UNKNOWN_STRING_VALUE,
    })
    props = rs.plain(proxied)
    assert props == {"name": "example.com", "records": ["v=spf1 -all", rs.UNKNOWN],
                     "zoneId": rs.UNKNOWN}
    resource = rs.Resource("aws:route53/record:Record", "urn", "r", {**props, "type": "TXT"})
    record = rs.dns_record(resource)
    assert record is not None and record.values == ("v=spf1 -all", None)


def test_sending_domains_cover_a_domain_and_its_subdomains_only() -> None:
    managed = SendingDomains(["Example.COM.", " example.net", ""])
    assert managed.covering("mail.example.com") == "example.com"
    assert managed.covering("example.net") == "example.net"
    assert managed.covering("notexample.com") is None
    assert managed.covering("example.org") is None
    # The same verdicts with the index as with the plain list it is built from.
    for address in ("a@mail.example.com", "a@example.org", "a@notexample.com"):
        assert check_sender_domain(address, managed) == check_sender_domain(
            address, ["Example.COM.", " example.net", ""])


def _cname(name: str | None, target: str = "t.dkim.amazonses.com") -> DnsRecord:
    return DnsRecord(name, "CNAME", (target,), where=f"urn:{name}")


def test_ses_dkim_records_are_found_by_the_domain_they_sign_for() -> None:
    """Each identity reads the records under its own ``_domainkey``: a name with
    ``._domainkey.`` twice counts for both domains, an unnamed SES CNAME for any."""
    odd = "s1._domainkey.sub._domainkey.example.com"
    records = [_cname(f"s{i}._domainkey.example.com") for i in range(2)] + [
        _cname(odd), _cname("s3._domainkey.example.org"), _cname(None),
        _cname("s4._domainkey.example.org", "elsewhere.example.net")]
    identities = [SesIdentity("example.com"), SesIdentity("sub._domainkey.example.com"),
                  SesIdentity("example.org"), SesIdentity("example.net")]
    findings = check_ses_identities(identities, [], records)
    # example.com: 3 (s0, s1, and the odd name); sub._domainkey.example.com: 1 and the
    # unnamed CNAME; example.org: 1 of 3; example.net: none.
    assert [f.message.split(":")[0] for f in findings] == [
        "sub._domainkey.example.com", "example.org", "example.net"]


def test_ses_mail_from_reads_the_records_at_its_name_and_the_unnamed_ones() -> None:
    feedback = DnsRecord("bounce.example.com", "MX", ("10 feedback-smtp.eu-west-1.amazonses.com",))
    unnamed_spf = DnsRecord(None, "TXT", ("v=spf1 include:amazonses.com ~all",))
    mail_from = [MailFromDomain("example.com", "Bounce.Example.com."),
                 MailFromDomain("example.org", "bounce.example.org")]
    codes_by_domain = {f.message.split(":")[0]: f.code
                       for f in check_ses_identities([], mail_from, [feedback, unnamed_spf])}
    assert codes_by_domain == {"bounce.example.org": "ses-mail-from-mx-missing"}


def test_secrets_are_marked_and_everything_else_left_as_it_is() -> None:
    from mailzone.rules.settings import SecretText
    from policies.secrets import SECRET_SIG, SIG_KEY, mark

    plain_props = {"environment": {"variables": {"SMTP_HOST": "smtp.example.net"}},
                   "ports": [587, 465]}
    assert mark(plain_props) is plain_props  # no secret: the same object, no copy
    secret_props = {"a": {SIG_KEY: SECRET_SIG, "value": {"PW": "pw-example", "PORT": 25.0,
                                                         "TLS": True, "U": UNKNOWN_STRING_VALUE}},
                    "b": ["plain", {SIG_KEY: SECRET_SIG, "value": "x"}]}
    marked = mark(secret_props)
    assert isinstance(marked["a"]["PW"], SecretText) and marked["a"]["PW"] == "pw-example"
    assert marked["a"]["PORT"] == "25" and marked["a"]["TLS"] == "true"
    assert marked["a"]["U"] == UNKNOWN_STRING_VALUE
    assert not isinstance(marked["a"]["U"], SecretText)  # unknown beats secret
    assert marked["b"][0] == "plain" and not isinstance(marked["b"][0], SecretText)
    assert isinstance(marked["b"][1], SecretText)
    assert SIG_KEY in str(secret_props)  # the input is not changed
