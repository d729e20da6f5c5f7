"""The sender catalogue: the entries the issue names, ports, lookups, and costs that hold."""

from __future__ import annotations

import datetime

import pytest

from mailzone.dns.memory import MemoryResolver
from mailzone.dns.resolver import RdType
from mailzone.errors import MailzoneError
from mailzone.mail import catalogue
from mailzone.mail.catalogue import (
    CATALOGUE,
    STARTTLS_587,
    TLS_465,
    DkimStyle,
    SubmissionPort,
    TlsMode,
    UnknownSenderError,
    lookup,
)
from mailzone.spf.budget import walk_sync
from mailzone.spf.parser import parse

# (key, include, SMTP host or None) as the issue lists them.
REQUIRED = [
    ("amazon-ses", "amazonses.com", "email-smtp.{region}.amazonaws.com"),
    ("google-workspace", "_spf.google.com", "smtp.gmail.com"),
    ("mailgun", "mailgun.org", "smtp.mailgun.org"),
    ("sendgrid", "sendgrid.net", "smtp.sendgrid.net"),
    ("mandrill", "spf.mandrillapp.com", "smtp.mandrillapp.com"),
    ("mendix", "_spf.mendix.com", None),
    ("microsoft-365", "spf.protection.outlook.com", "smtp.office365.com"),
    ("postmark", "spf.mtasv.net", "smtp.postmarkapp.com"),
]


@pytest.mark.parametrize(("key", "include", "host"), REQUIRED)
def test_required_entries(key: str, include: str, host: str | None) -> None:
    sender = lookup(key)
    assert sender.key == key
    assert sender.spf_include == include
    assert sender.spf_term == f"include:{include}"
    assert sender.smtp_host == host
    assert sender.note


def test_gmail_is_an_alias_of_google_workspace() -> None:
    assert lookup("gmail") is CATALOGUE["google-workspace"]
    assert lookup("GMail") is CATALOGUE["google-workspace"]
    assert lookup("ses") is CATALOGUE["amazon-ses"]


def test_no_entry_offers_port_25_and_every_host_offers_587_starttls() -> None:
    for sender in catalogue.senders():
        assert all(port.port != 25 for port in sender.ports), sender.key
        if sender.smtp_host is None:
            assert sender.ports == ()
            assert sender.preferred_port is None
        else:
            assert STARTTLS_587 in sender.ports, sender.key
            assert sender.preferred_port == STARTTLS_587


def test_port_25_cannot_be_written_into_the_catalogue() -> None:
    with pytest.raises(ValueError, match="587"):
        SubmissionPort(25, TlsMode.STARTTLS)


def test_465_is_implicit_tls() -> None:
    assert TLS_465.tls is TlsMode.IMPLICIT_TLS
    assert TLS_465 in lookup("amazon-ses").ports
    # Microsoft 365 client submission is 587 only.
    assert lookup("microsoft-365").ports == (STARTTLS_587,)


def test_region_pattern() -> None:
    ses = lookup("amazon-ses")
    assert ses.needs_region
    assert ses.smtp_hostname("eu-west-1") == "email-smtp.eu-west-1.amazonaws.com"
    assert ses.smtp_hostname() == "email-smtp.us-east-1.amazonaws.com"
    assert lookup("sendgrid").smtp_hostname("eu-west-1") == "smtp.sendgrid.net"
    assert lookup("mendix").smtp_hostname() is None


def test_unknown_key_suggests_the_close_one() -> None:
    with pytest.raises(UnknownSenderError) as info:
        lookup("sendgird")
    assert isinstance(info.value, MailzoneError)
    assert info.value.suggestions[0] == "sendgrid"
    assert str(info.value) == "unknown sender 'sendgird'; did you mean 'sendgrid'?"


def test_unknown_key_without_a_close_one_lists_the_keys() -> None:
    with pytest.raises(UnknownSenderError) as info:
        lookup("qqqqqqqq")
    assert info.value.suggestions == []
    for key in CATALOGUE:
        assert key in str(info.value)


def test_as_of_is_a_date_not_in_the_future() -> None:
    assert isinstance(catalogue.AS_OF, datetime.date)
    assert datetime.date.today() >= catalogue.AS_OF


def test_include_costs_and_by_include() -> None:
    costs = catalogue.include_costs()
    assert costs["_spf.google.com"] == 4
    assert costs["amazonses.com"] == 1
    assert catalogue.by_include("SendGrid.net.") is CATALOGUE["sendgrid"]
    assert catalogue.by_include("spf.partner.example") is None


def test_dkim_styles() -> None:
    assert lookup("amazon-ses").dkim is DkimStyle.CNAME
    assert lookup("google-workspace").dkim is DkimStyle.TXT


@pytest.mark.parametrize("sender", [s for s in catalogue.senders() if s.tree],
                         ids=lambda s: s.key)
def test_each_tree_parses_and_its_cost_is_the_stated_cost(sender: catalogue.Sender) -> None:
    """The stated cost is what the SPF engine counts walking the recorded tree."""
    assert sender.spf_include in sender.tree
    for text in sender.tree.values():
        parse(text)
    resolver = MemoryResolver({name: {RdType.TXT: [text]} for name, text in sender.tree.items()})
    budget = walk_sync(resolver, record=f"v=spf1 include:{sender.spf_include} -all")
    assert budget.total == sender.lookup_cost
    assert budget.missing == []
    assert budget.void_lookups == []
    assert budget.loops == []


def test_entries_without_a_tree_say_so() -> None:
    for sender in catalogue.senders():
        if not sender.tree:
            assert "not captured" in sender.note
