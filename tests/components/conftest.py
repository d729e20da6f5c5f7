"""Program runs under the mock engine, started together (each in its own process)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.components import harness

LONG_TOKEN = "google-site-verification=" + "x1y2z3" * 60  # 385 octets: two strings
MANY_RUA = [f"mailto:dmarc-{n}@reports.example.net" for n in range(10)]  # record > 255 octets

# A second stack: the default provider's region differs from SES's, the Route 53
# zone is given by id, and both kinds of long TXT value appear.
VARIANT: dict[str, Any] = {
    "aws:region": "us-east-1",
    "mailzone:domains": [
        {
            "domain": "mail.example.com",
            "dns": {"provider": "route53", "zoneId": "Z0123456789ABCDEFGHIJ"},
            "senders": ["amazon-ses", "microsoft-365"],
            "spfAll": "-all",
            "keepTxt": [LONG_TOKEN, 'quoted="value" with \\ backslash'],
            "dmarc": {"policy": "reject", "rua": ["mailto:dmarc@example.com"]},
            "ses": {"region": "eu-west-1", "mailFromSubdomain": "mf", "smtpUser": True,
                    "configurationSet": "app-events"},
            "senderAddresses": ["app@mail.example.com"],
            "ttl": 300,
        },
        {
            "domain": "example.net",
            "dns": {"provider": "cloudflare", "zoneId": "0123456789abcdef0123456789abcdef"},
            "senders": ["postmark", {"include": "spf.partner.example", "lookups": 2}],
            "keepTxt": ["must-not-be-written-on-cloudflare=1"],
            "dmarc": {"policy": "reject", "rua": MANY_RUA},
            "ses": {"mailFromSubdomain": "bounce"},
        },
    ],
}

# One stack per domain: a stack holding one Cloudflare domain and no AWS at all.
SINGLE: dict[str, Any] = {
    "mailzone:domains": [
        {
            "domain": "example.test",
            "dns": {"provider": "cloudflare", "zoneId": "fedcba9876543210fedcba9876543210"},
            "senders": ["mailgun"],
        }
    ],
}

# SES in two regions, one of them with its own Easy DKIM zone (af-south-1).
REGIONS: dict[str, Any] = {
    "aws:region": "eu-west-1",
    "mailzone:domains": [
        {
            "domain": "example.org",
            "dns": {"provider": "route53"},
            "senders": ["amazon-ses"],
            "dmarc": {"policy": "reject", "rua": ["mailto:dmarc@example.org"]},
            "ses": {"regions": [
                {"region": "eu-west-1", "mailFromSubdomain": "bounce-eu"},
                {"region": "af-south-1", "mailFromSubdomain": "bounce-af", "smtpUser": True},
            ]},
        },
    ],
}

# A parked domain (sends and takes no mail), on each provider.
PARKED: dict[str, Any] = {
    "mailzone:domains": [
        {"domain": "example.org", "dns": {"provider": "route53"}, "parked": True,
         "keepTxt": ["site-verification=abc123"]},
        {"domain": "example.net", "dns": {"provider": "cloudflare",
                                          "zoneId": "0123456789abcdef0123456789abcdef"},
         "parked": {"wildcardDkim": True}, "dmarc": {"rua": ["mailto:dmarc@example.net"]}},
    ],
}

# A region the Easy DKIM table does not know: nothing may be declared.
UNKNOWN_REGION: dict[str, Any] = {
    "mailzone:domains": [
        {"domain": "example.org", "dns": {"provider": "route53"}, "senders": ["amazon-ses"],
         "ses": {"region": "xx-nowhere-1"}},
    ],
}

# Problems in both entries; nothing may be declared.
BAD: dict[str, Any] = {
    "aws:region": "eu-west-1",
    "mailzone:domains": [
        {
            "domain": "example.org",
            "dns": {"provider": "route53"},
            "senders": ["amazon-ses", "sendgird"],
            "spfAll": "+all",
            "ses": {"mailFromSubdomain": "bounce.mail", "smtpUser": True},
        },
        {
            "domain": "example.net",
            "dns": {"provider": "cloudflare"},
            "senders": ["google-workspace", "mailgun", "sendgrid", "amazon-ses", "mandrill"],
            "dmarc": {"policy": "reject", "rua": ["dmarc@example.net"]},
            "senderAddresses": ["noreply@example.net"],
        },
    ],
}


class Runs:
    def __init__(self) -> None:
        self.pending = {
            "dev": harness.start(harness.stack_config(harness.ROOT / "Pulumi.dev.yaml")),
            "variant": harness.start(VARIANT, stack="variant"),
            "single": harness.start(SINGLE, stack="example-test"),
            "bad": harness.start(BAD),
            "regions": harness.start(REGIONS, stack="regions"),
            "parked": harness.start(PARKED, stack="parked"),
            "unknown-region": harness.start(UNKNOWN_REGION, stack="unknown-region"),
            "refusals": harness.start({}, program=harness.PROGRAMS / "refusals.py"),
        }

    def __getitem__(self, name: str) -> harness.Run:
        return self.pending[name].result()


@pytest.fixture(scope="session")
def runs() -> Iterator[Runs]:
    started = Runs()
    yield started
    for pending in started.pending.values():
        pending.close()


@pytest.fixture(scope="session")
def dev(runs: Runs) -> harness.Run:
    run = runs["dev"]
    assert run.error is None, run.error
    return run


@pytest.fixture(scope="session")
def variant(runs: Runs) -> harness.Run:
    run = runs["variant"]
    assert run.error is None, run.error
    return run
