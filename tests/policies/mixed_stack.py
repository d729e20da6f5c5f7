"""A mixed stack: every DNS provider and every application runtime the pack reads, with
planted violations and what the pack must say of each resource (data, no assertions).

Round ``i`` declares one sending domain on one DNS provider (its SPF record, its DMARC
record and its MX), and one application on one runtime that sends from that domain
(SMTP host, port, sender, password as a Pulumi secret). Rounds cycle through the
providers and runtimes, so a few hundred resources cover them all many times. Some
rounds plant one violation; every other resource is clean, and some clean ones hold
values not known yet. ``expected`` maps each resource's URN to the policies that must
report it (nothing else may report anything).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tests.policies.harness import UNKNOWN, secret, urn
from tests.policies.shapes import DNS_PROVIDERS, R53, RUNTIMES, r53

Resource = tuple[str, str, Mapping[str, Any]]

CLEAN_SPF = "v=spf1 include:amazonses.com include:_spf.google.com -all"
RESOURCES_PER_ROUND = 4


@dataclass
class MixedStack:
    resources: list[Resource] = field(default_factory=list)
    expected: dict[str, set[str]] = field(default_factory=dict)  # urn -> policies
    planted: int = 0

    def add(self, token: str, name: str, props: Mapping[str, Any], *policies: str) -> None:
        self.resources.append((token, name, props))
        self.expected[urn(token, name)] = set(policies)
        self.planted += bool(policies)


def mixed_stack(count: int = 500) -> MixedStack:
    """At least ``count`` resources (rounds of ``RESOURCES_PER_ROUND``, plus the extra
    SPF records of the single-record plants)."""
    stack = MixedStack()
    providers = sorted(DNS_PROVIDERS)
    runtimes = sorted(RUNTIMES)
    rounds = -(-count // RESOURCES_PER_ROUND)
    for i in range(rounds):
        provider = providers[i % len(providers)]
        (txt_token, txt), (mx_token, mx) = DNS_PROVIDERS[provider]
        domain = f"d{i:04d}.example.com"
        spf, spf_policies = CLEAN_SPF, []
        if i % 10 == 3:
            spf, spf_policies = ("v=spf1 include:amazonses.com ip4:192.0.2.10 -all",
                                 ["spf-no-ip-literals", "spf-include-only"])
        if i % 25 == 12:
            spf_policies.append("spf-single-record")
            stack.add(R53, f"{domain}-extra-spf",
                      r53(domain, "TXT", "v=spf1 include:sendgrid.net -all"), "spf-single-record")
        stack.add(txt_token, f"{domain}-spf-{provider}", txt(domain, spf), *spf_policies)
        dmarc, dmarc_policies = "v=DMARC1; p=reject", []
        if i % 10 == 7:
            dmarc, dmarc_policies = "v=DMARC1; p=block", ["dmarc-valid"]
        stack.add(txt_token, f"{domain}-dmarc-{provider}", txt(f"_dmarc.{domain}", dmarc),
                  *dmarc_policies)
        exchange, mx_policies = f"mx{i % 3}.example.net", []
        if i % 10 == 5:
            exchange, mx_policies = "198.51.100.25", ["mail-host-not-ip"]
        stack.add(mx_token, f"{domain}-mx-{provider}", mx(domain, exchange), *mx_policies)

        runtime = runtimes[i % len(runtimes)]
        token, build, _path = RUNTIMES[runtime]
        env: dict[str, Any] = {"SMTP_HOST": "smtp.example.net", "SMTP_PORT": "587",
                               "MAIL_FROM": f"mail@{domain}",
                               "MAIL_PASSWORD": secret("made-up-example")}
        app_policies: list[str] = []
        if i % 9 == 4:
            env["SMTP_HOST"], app_policies = "203.0.113.7", ["mail-host-not-ip"]
        elif i % 9 == 6:
            env["SMTP_PORT"], app_policies = "25", ["smtp-port-not-25"]
        elif i % 9 == 8:
            env["MAIL_PASSWORD"], app_policies = "made-up-example", ["smtp-password-plaintext"]
        elif i % 11 == 2:
            env["MAIL_FROM"], app_policies = f"noreply@{domain}", ["sender-address"]
        elif i % 13 == 0:
            env["SMTP_HOST"] = UNKNOWN  # clean, and not known yet
        stack.add(token, f"{domain}-app-{runtime}", build(env), *app_policies)
    return stack
