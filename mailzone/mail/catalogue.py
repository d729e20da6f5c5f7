"""The sender catalogue: the mail services an application sends through, as data.

Each entry says how a service is authorised and reached: the SPF ``include:``
it publishes, its SMTP submission host (a pattern with ``{region}`` where the
host depends on a region), the submission ports it offers (587 with STARTTLS,
465 with implicit TLS; port 25 is never offered: cloud platforms rate-limit it
heavily), how it signs with DKIM, and what its include costs in DNS lookups.

Lookup cost
-----------
``lookup_cost`` is what a record pays, against RFC 7208's limit of 10
DNS-querying terms, for writing ``include:<spf_include>``: one for the include
itself plus every DNS-querying term (``include``, ``a``, ``mx``, ``ptr``,
``exists``, ``redirect``) evaluated inside the included record's tree,
recursively. ``include:_spf.google.com`` therefore costs 4: the include, and
the three ``include:_netblocks*.google.com`` inside it (which hold only
``ip4:``/``ip6:`` terms, which cost nothing). Summing the costs of a record's
includes, plus one per ``a``/``mx``/``ptr``/``exists``/``redirect`` of its own,
gives the record's offline budget.

The costs are as of ``AS_OF``. Providers change their records; ``tree`` keeps
the records each include resolved to at that date (name -> SPF text, the whole
include tree) so that a zone snapshot can be built from it and the cost can be
recomputed from the tree. The records were taken from the providers' public
DNS as known at ``AS_OF``; they could not be re-verified from the machine this
was written on (no DNS access), and a live check (``mailzone check``) is the
way to confirm them today. An entry whose records were not captured has an
empty ``tree`` and says so in its note.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from types import MappingProxyType

from mailzone.errors import MailzoneError

#: The date the catalogue's facts (records, costs, hosts) were taken.
AS_OF = date(2025, 6, 1)

#: The port every catalogue entry must not offer for submission.
FORBIDDEN_PORT = 25


class TlsMode(StrEnum):
    """How a submission port is secured."""

    STARTTLS = "STARTTLS"  # plain connection upgraded with STARTTLS (port 587)
    IMPLICIT_TLS = "TLS"  # TLS from the first byte (port 465, "SMTPS")


class DkimStyle(StrEnum):
    """How a service's DKIM keys get into DNS."""

    # CNAMEs at <selector>._domainkey.<domain> delegating to keys the service rotates.
    CNAME = "cname"
    # A TXT key at <selector>._domainkey.<domain>, generated in the service's console.
    TXT = "txt"
    # Not known / not offered for customer domains.
    NONE = "none"


@dataclass(frozen=True, slots=True)
class SubmissionPort:
    port: int
    tls: TlsMode

    def __post_init__(self) -> None:
        if self.port == FORBIDDEN_PORT:
            raise ValueError("port 25 is not a submission port; use 587 (STARTTLS) or 465 (TLS)")


STARTTLS_587 = SubmissionPort(587, TlsMode.STARTTLS)
TLS_465 = SubmissionPort(465, TlsMode.IMPLICIT_TLS)


class UnknownSenderError(MailzoneError, KeyError):
    """A sender key is not in the catalogue. ``suggestions`` holds close keys."""

    def __init__(self, key: str, suggestions: list[str]) -> None:
        self.key = key
        self.suggestions = suggestions
        message = f"unknown sender {key!r}"
        if suggestions:
            message += f"; did you mean {suggestions[0]!r}?"
        else:
            message += f"; known senders: {', '.join(sorted(CATALOGUE))}"
        self.message = message
        super().__init__(message)

    def __str__(self) -> str:  # KeyError would quote the message
        return self.message


@dataclass(frozen=True, slots=True)
class Sender:
    """One sending service, as of ``AS_OF``."""

    key: str
    name: str
    spf_include: str
    lookup_cost: int
    smtp_host: str | None  # may hold "{region}"; None when no submission host is offered
    ports: tuple[SubmissionPort, ...]
    dkim: DkimStyle
    note: str
    aliases: tuple[str, ...] = ()
    tree: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    default_region: str | None = None
    # The DKIM selectors the service documents for every customer, as of AS_OF; () when
    # they are per customer (SES's tokens, a selector chosen in a dashboard).
    dkim_selectors: tuple[str, ...] = ()
    # Whether mail goes out with the customer's own domain as MAIL FROM (so SPF is
    # evaluated, and aligns, there); else with the service's unless a custom return
    # path (SES: a custom MAIL FROM domain) is set up.
    customer_mail_from: bool = False

    @property
    def spf_term(self) -> str:
        return f"include:{self.spf_include}"

    @property
    def needs_region(self) -> bool:
        return self.smtp_host is not None and "{region}" in self.smtp_host

    def smtp_hostname(self, region: str | None = None) -> str | None:
        """The submission host, with ``{region}`` filled in (default region if None)."""
        if self.smtp_host is None:
            return None
        if not self.needs_region:
            return self.smtp_host
        chosen = region or self.default_region
        if not chosen:
            raise ValueError(f"{self.key}: the SMTP host depends on the region; give one")
        return self.smtp_host.format(region=chosen)

    @property
    def preferred_port(self) -> SubmissionPort | None:
        """587/STARTTLS when offered, else the first port offered."""
        for port in self.ports:
            if port == STARTTLS_587:
                return port
        return self.ports[0] if self.ports else None


def _tree(records: dict[str, str]) -> Mapping[str, str]:
    return MappingProxyType(records)


_SENDERS: tuple[Sender, ...] = (
    Sender(
        key="amazon-ses",
        name="Amazon SES",
        aliases=("ses", "aws-ses", "amazonses"),
        spf_include="amazonses.com",
        lookup_cost=1,
        smtp_host="email-smtp.{region}.amazonaws.com",
        default_region="us-east-1",
        ports=(STARTTLS_587, TLS_465),
        dkim=DkimStyle.CNAME,
        note=(
            "Easy DKIM: three CNAMEs <token>._domainkey -> <token>.dkim.amazonses.com. "
            "With a custom MAIL FROM domain the envelope sender is that subdomain, whose "
            "own SPF (include:amazonses.com) aligns SPF for DMARC; the apex include "
            "only matters without one. SMTP credentials are IAM access keys converted "
            "with SigV4 for the region."
        ),
        tree=_tree({
            "amazonses.com": (
                "v=spf1 ip4:199.255.192.0/22 ip4:199.127.232.0/22 ip4:54.240.0.0/18 "
                "ip4:69.169.224.0/20 ip4:23.249.208.0/20 ip4:23.251.224.0/19 "
                "ip4:76.223.176.0/20 ip4:54.240.64.0/19 ip4:54.240.96.0/19 "
                "ip4:52.82.172.0/22 ip4:206.55.144.0/20 -all"
            ),
        }),
    ),
    Sender(
        key="google-workspace",
        name="Google Workspace (Gmail)",
        aliases=("gmail", "google", "g-suite", "gsuite"),
        spf_include="_spf.google.com",
        lookup_cost=4,
        smtp_host="smtp.gmail.com",
        ports=(STARTTLS_587, TLS_465),
        dkim=DkimStyle.TXT,
        dkim_selectors=("google",),
        customer_mail_from=True,
        note=(
            "Costs 4 lookups: the include and the three _netblocks includes inside it. "
            "DKIM: a TXT key at google._domainkey generated in the Admin console. "
            "Workspace relays can also use smtp-relay.gmail.com."
        ),
        tree=_tree({
            "_spf.google.com": (
                "v=spf1 include:_netblocks.google.com include:_netblocks2.google.com "
                "include:_netblocks3.google.com ~all"
            ),
            "_netblocks.google.com": (
                "v=spf1 ip4:35.190.247.0/24 ip4:64.233.160.0/19 ip4:66.102.0.0/20 "
                "ip4:66.249.80.0/20 ip4:72.14.192.0/18 ip4:74.125.0.0/16 "
                "ip4:108.177.8.0/21 ip4:173.194.0.0/16 ip4:209.85.128.0/17 "
                "ip4:216.58.192.0/19 ip4:216.239.32.0/19 ~all"
            ),
            "_netblocks2.google.com": (
                "v=spf1 ip6:2001:4860:4000::/36 ip6:2404:6800:4000::/36 "
                "ip6:2607:f8b0:4000::/36 ip6:2800:3f0:4000::/36 ip6:2a00:1450:4000::/36 "
                "ip6:2c0f:fb50:4000::/36 ~all"
            ),
            "_netblocks3.google.com": (
                "v=spf1 ip4:172.217.0.0/19 ip4:172.217.32.0/20 ip4:172.217.128.0/19 "
                "ip4:172.217.160.0/20 ip4:172.217.192.0/19 ip4:172.253.56.0/21 "
                "ip4:172.253.112.0/20 ip4:108.177.96.0/19 ip4:35.191.0.0/16 "
                "ip4:130.211.0.0/22 ~all"
            ),
        }),
    ),
    Sender(
        key="mailgun",
        name="Mailgun",
        spf_include="mailgun.org",
        lookup_cost=3,
        smtp_host="smtp.mailgun.org",
        ports=(STARTTLS_587, TLS_465),
        dkim=DkimStyle.TXT,
        note=(
            "Costs 3 lookups: the include and its US and EU includes. EU-region domains "
            "submit to smtp.eu.mailgun.org. DKIM: a TXT key at a selector Mailgun shows "
            "when the domain is added."
        ),
        tree=_tree({
            "mailgun.org": "v=spf1 include:_spf.mailgun.org include:_spf.eu.mailgun.org ~all",
            "_spf.mailgun.org": (
                "v=spf1 ip4:209.61.151.0/24 ip4:166.78.68.0/22 ip4:198.61.254.0/23 "
                "ip4:192.237.158.0/23 ip4:23.253.182.0/23 ip4:104.130.96.0/28 "
                "ip4:146.20.113.0/24 ip4:146.20.191.0/24 ip4:159.135.224.0/20 "
                "ip4:69.72.32.0/20 ~all"
            ),
            "_spf.eu.mailgun.org": (
                "v=spf1 ip4:141.193.32.0/23 ip4:159.135.140.80/29 ip4:159.135.132.128/25 "
                "ip4:161.38.204.0/22 ip4:87.253.232.0/21 ip4:185.189.236.0/22 "
                "ip4:185.211.120.0/22 ip4:185.250.236.0/22 ~all"
            ),
        }),
    ),
    Sender(
        key="sendgrid",
        name="Twilio SendGrid",
        spf_include="sendgrid.net",
        lookup_cost=2,
        smtp_host="smtp.sendgrid.net",
        ports=(STARTTLS_587, TLS_465),
        dkim=DkimStyle.CNAME,
        dkim_selectors=("s1", "s2"),
        note=(
            "Costs 2 lookups: the include and include:ab.sendgrid.net inside it. The "
            "SMTP username is the literal 'apikey'. Domain authentication publishes "
            "CNAMEs s1/s2._domainkey pointing into sendgrid.net."
        ),
        tree=_tree({
            "sendgrid.net": (
                "v=spf1 ip4:167.89.0.0/17 ip4:208.117.48.0/20 ip4:50.31.32.0/19 "
                "ip4:198.37.144.0/20 ip4:198.21.0.0/21 ip4:192.254.112.0/20 "
                "ip4:168.245.0.0/17 ip4:149.72.0.0/16 ip4:159.183.0.0/16 "
                "include:ab.sendgrid.net ~all"
            ),
            "ab.sendgrid.net": (
                "v=spf1 ip4:223.165.113.0/24 ip4:223.165.115.0/24 "
                "ip4:223.165.118.0/23 ip4:223.165.120.0/23 ~all"
            ),
        }),
    ),
    Sender(
        key="mandrill",
        name="Mandrill (Mailchimp Transactional)",
        aliases=("mailchimp-transactional",),
        spf_include="spf.mandrillapp.com",
        lookup_cost=1,
        smtp_host="smtp.mandrillapp.com",
        ports=(STARTTLS_587, TLS_465),
        dkim=DkimStyle.CNAME,
        dkim_selectors=("mandrill",),
        note="DKIM: CNAMEs mte1/mte2._domainkey -> dkim1/dkim2.mandrillapp.com.",
        tree=_tree({
            "spf.mandrillapp.com": "v=spf1 ip4:198.2.128.0/18 ip4:148.105.8.0/21 ~all",
        }),
    ),
    Sender(
        key="mendix",
        name="Mendix Cloud mail servers",
        spf_include="_spf.mendix.com",
        lookup_cost=1,
        smtp_host=None,
        ports=(),
        dkim=DkimStyle.NONE,
        note=(
            "Mendix's own mail servers, for apps on the Mendix Cloud. No SMTP submission "
            "host is offered to customers: apps configure an external SMTP service on "
            "port 587 or 465 (port 25 is heavily rate-limited there). The include's "
            "records were not captured at AS_OF: the cost of 1 assumes a record of "
            "ip4:/ip6: terms only; confirm it with a live check."
        ),
    ),
    Sender(
        key="microsoft-365",
        name="Microsoft 365 (Exchange Online)",
        aliases=("office365", "office-365", "o365", "outlook", "exchange-online"),
        spf_include="spf.protection.outlook.com",
        lookup_cost=1,
        smtp_host="smtp.office365.com",
        ports=(STARTTLS_587,),
        dkim=DkimStyle.CNAME,
        dkim_selectors=("selector1", "selector2"),
        customer_mail_from=True,
        note=(
            "SMTP AUTH client submission: port 587 with STARTTLS only (no 465). DKIM: "
            "CNAMEs selector1/selector2._domainkey into the tenant's onmicrosoft.com."
        ),
        tree=_tree({
            "spf.protection.outlook.com": (
                "v=spf1 ip4:40.92.0.0/15 ip4:40.107.0.0/16 ip4:52.100.0.0/15 "
                "ip4:52.102.0.0/16 ip4:52.103.0.0/16 ip4:104.47.0.0/17 "
                "ip6:2a01:111:f400::/48 ip6:2a01:111:f403::/49 "
                "ip6:2a01:111:f403:8000::/51 ip6:2a01:111:f403:c000::/51 "
                "ip6:2a01:111:f403:f000::/52 -all"
            ),
        }),
    ),
    Sender(
        key="postmark",
        name="Postmark",
        spf_include="spf.mtasv.net",
        lookup_cost=1,
        smtp_host="smtp.postmarkapp.com",
        ports=(STARTTLS_587,),
        dkim=DkimStyle.TXT,
        note=(
            "Submission on 587 (or 2525) with STARTTLS. Postmark sends with its own "
            "Return-Path domain by default, so SPF alignment needs a custom Return-Path "
            "CNAME. DKIM: a TXT key at a dated selector Postmark shows."
        ),
        tree=_tree({
            "spf.mtasv.net": (
                "v=spf1 ip4:50.31.156.96/27 ip4:104.245.209.192/26 "
                "ip4:3.134.147.250 ip4:50.31.205.0/24 ~all"
            ),
        }),
    ),
)

#: Every sender by its key.
CATALOGUE: Mapping[str, Sender] = MappingProxyType({s.key: s for s in _SENDERS})

#: Every alias (and key) to its key.
ALIASES: Mapping[str, str] = MappingProxyType(
    {**{a: s.key for s in _SENDERS for a in s.aliases}, **{s.key: s.key for s in _SENDERS}}
)


def suggest(key: str, *, limit: int = 3) -> list[str]:
    """Catalogue keys (or aliases) close to ``key``, best first, for "did you mean"."""
    names = list(ALIASES)
    matches = difflib.get_close_matches(key.lower(), names, n=limit * 2, cutoff=0.6)
    seen: list[str] = []
    for match in matches:
        if match not in seen:
            seen.append(match)
    return seen[:limit]


def lookup(key: str) -> Sender:
    """The sender for a key or an alias (case-insensitive).

    Raises ``UnknownSenderError`` (a ``MailzoneError``) with suggestions.
    """
    canonical = ALIASES.get(key.strip().lower())
    if canonical is None:
        raise UnknownSenderError(key, suggest(key))
    return CATALOGUE[canonical]


def include_costs() -> dict[str, int]:
    """Each catalogue include's lookup cost, keyed by the include domain."""
    return {s.spf_include: s.lookup_cost for s in _SENDERS}


def by_include(domain: str) -> Sender | None:
    """The catalogue sender whose SPF include is ``domain``, if any."""
    wanted = domain.rstrip(".").lower()
    for sender in _SENDERS:
        if sender.spf_include == wanted:
            return sender
    return None


def senders() -> tuple[Sender, ...]:
    """Every sender, in catalogue order."""
    return _SENDERS
