"""The cross-face corpus: record texts, published worlds and stack configs, each as
every face that can express it sees it (data and small builders; no assertions).

A ``Case`` is one domain. It says what is published at it (zone-file lines, served
by NSD to ``mailzone check`` and read from the same files by ``mailzone plan``)
and, for each face that can express the case, that face's input:

- ``components``: what the components judge, a record text (``SpfRecord.check`` /
  ``DmarcRecord.check``) or a stack config entry (config validation, then the
  records ``MailDomain`` would write);
- ``pack``: the resources a stack declares, in the providers' camelCase shapes,
  as the Pulumi engine sends them to the policy pack;
- ``plan``: the stack config entry the plan plans against the published records;
- ``check``: the ``Target`` that ``mailzone check`` audits.

A face gets an input only when the case's subject is within what that face sees.
A stack config writes include-only SPF records, so an arbitrary SPF text reaches
the plan only as a value published beside the stack's record (Cloudflare leaves
it alone, ``beside-*``) or through the include trees the stack's senders publish
(``tree-*``). The pack and the components judge one declaration at a time and
never see an include tree, so tree cases are the plan's and check's. Where the
plan and check both judge a case, the published records are what the plan
leaves in place, so that both look at the same records.

Families (the zone each lives in):

- ``text-*`` (text.example): one SPF text alone at a domain: components, pack, check.
- ``beside-*`` (beside.example): the same texts, published next to a Cloudflare
  stack's own record: pack, plan, check.
- ``dmarc-*`` (dmarc.example, inherit.example): DMARC texts at ``_dmarc``: all four.
- ``stack-*`` (stack.example): stack configs published as planned: all four.
- ``tree-*`` (tree.example): include trees of a stack's senders: plan, check (and
  the components and the pack where the config states what the tree costs).
- ``sender-*`` (send.example): sender addresses: the config's senderAddresses
  and the same address in an application's settings: components, pack.
- ``mx-*``, ``dkim-*``, ``misc-*``, ``plan-*``, ``settings-*``, ``ses-*``: what only
  some faces judge (check's MX, DKIM and MAIL FROM checks; the plan's comparison;
  the pack's SMTP settings and incomplete SES declarations).

Only reserved names (RFC 2606 / RFC 6761) and documentation addresses (RFC 5737,
RFC 3849) appear, besides the catalogue's provider names (amazonses.com, ...)
whose zones ``tests/unit/plan/fixtures.zone_dir`` writes from the catalogue.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from mailzone.audit.run import Target
from mailzone.dns.txt import quote_txt
from mailzone.mail import catalogue
from mailzone.plan.lock import Lock, LockEntry
from mailzone.providers import provider
from mailzone.registry import Face
from mailzone.rules.sender import DEFAULT_PLACEHOLDER_DOMAINS
from mailzone.spf.parser import is_spf
from mailzone.stack.config import parse_domains
from mailzone.stack.desired import KnownAfterApply, desired_records
from tests.policies import shapes

Resource = tuple[str, str, dict[str, Any]]  # (type token, resource name, properties)

REGION = "eu-west-1"
TOKENS = shapes.TOKENS
CF_ZONE_ID = shapes.CF_ZONE_ID
ROUTE53 = {"provider": "route53"}
CLOUDFLARE = {"provider": "cloudflare", "zoneId": CF_ZONE_ID}
#: Where a case's MAIL FROM MX points (``mail_from_mx``): given an address in the corpus.
FEEDBACK_HOST = f"feedback-smtp.{REGION}.amazonses.com"
#: The address ``mailzone check --ip`` asks about in the ``ip`` run.
CHECK_IP = "192.0.2.99"
#: ``AuditOptions.domain_timeout`` of the ``timeout`` run: no domain finishes in it.
TIMEOUT_RUN_SECONDS = 0.000_001

# The zones of the corpus (besides the catalogue's provider zones).
TEXT, BESIDE, DMARC, INHERIT, STACK, TREE, SEND = (
    "text.example", "beside.example", "dmarc.example", "inherit.example", "stack.example",
    "tree.example", "send.example")
MXZ, DKIMZ, MISC, PLANZ, OTHER = (
    "mx.example", "dkim.example", "misc.example", "plan.example", "example.net")
CORPUS_ZONES = (TEXT, BESIDE, DMARC, INHERIT, STACK, TREE, SEND, MXZ, DKIMZ, MISC, PLANZ,
                OTHER)


@dataclass(frozen=True)
class ComponentsInput:
    """What the components judge: a config entry, or one record text."""

    config: Mapping[str, Any] | None = None
    spf: str | None = None
    dmarc: str | None = None
    include_costs: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Case:
    id: str
    domain: str
    why: str
    records: tuple[str, ...] = ()  # zone-file lines with absolute owners, published now
    components: ComponentsInput | None = None
    pack: tuple[Resource, ...] | None = None
    plan: Mapping[str, Any] | None = None
    plan_run: str = "main"  # "main", "lock" (a previous include lock), "drift" (zones)
    check: Target | None = None
    check_run: str = "main"  # "main", "ip" (--ip CHECK_IP), "timeout"

    @property
    def faces(self) -> frozenset[Face]:
        present = {Face.COMPONENTS: self.components, Face.PACK: self.pack,
                   Face.PLAN: self.plan, Face.CHECK: self.check}
        return frozenset(face for face, given in present.items() if given is not None)


# -- small builders ---------------------------------------------------------------------


def txt(owner: str, *values: str) -> list[str]:
    return [f"{owner}. TXT {quote_txt(value)}" for value in values]


def a(owner: str, address: str) -> str:
    return f"{owner}. A {address}"


def mx(owner: str, *exchanges: str) -> list[str]:
    """MX lines: each exchange as ``"10 host"`` or ``"0 ."``."""
    out = []
    for exchange in exchanges:
        preference, host = exchange.split(" ", 1)
        out.append(f"{owner}. MX {preference} {host if host == '.' else host + '.'}")
    return out


def r53(name: str, rdtype: str, *values: str) -> dict[str, Any]:
    """A Route 53 record set as the component declares it (TXT in Route 53's entry form)."""
    route53 = provider("route53")
    entries = [route53.encode_txt(v) if rdtype == "TXT" else v for v in values]
    return shapes.r53(name, rdtype, *entries)


def cf6(name: str, rdtype: str, value: str) -> dict[str, Any]:
    cloudflare = provider("cloudflare")
    return shapes.cf6(name, rdtype, cloudflare.encode_txt(value) if rdtype == "TXT" else value)


def dmarc_ok(domain: str) -> str:
    return f"v=DMARC1; p=reject; rua=mailto:dmarc@{domain}"


def published_mail_domain(domain: str, mail_host: str) -> list[str]:
    """A mail domain's A and MX beside its policy records (so check's MX checks pass)."""
    return [a(domain, "192.0.2.80"), *mx(domain, f"10 {mail_host}")]


def padded_host(length: int, tag: str, zone: str = TEXT) -> str:
    """A host name of exactly ``length`` characters under ``zone`` (labels of <= 63)."""
    suffix = f".{tag}.{zone}"
    body = length - len(suffix)
    labels: list[str] = []
    while body > 0:
        size = min(63, body) if body != 64 else 62  # never leave a bare dot
        labels.append("x" * size)
        body -= size + 1
    name = ".".join(labels) + suffix
    if len(name) != length:
        raise ValueError(f"no host name of {length} characters under {zone}")
    return name


# -- the SPF texts ------------------------------------------------------------------------


def _text_hosts() -> list[str]:
    """The names the SPF texts point at, in text.example."""
    lines = [a(f"a{i}.{TEXT}", f"192.0.2.{10 + i}") for i in range(1, 13)]
    lines += [a(f"mx.{TEXT}", "192.0.2.25"), *mx(f"mail.{TEXT}", f"10 mx.{TEXT}")]
    for i in range(1, 13):
        lines += txt(f"inc{i}.{TEXT}", "v=spf1 -all")
    lines += txt(f"r.{TEXT}", "v=spf1 -all")
    lines += txt(f"loop-a.{TEXT}", f"v=spf1 include:loop-b.{TEXT} -all")
    lines += txt(f"loop-b.{TEXT}", f"v=spf1 include:loop-a.{TEXT} -all")
    lines += mx(f"many-mx.{TEXT}", *(f"10 mx{i:02d}.{TEXT}" for i in range(1, 12)))
    lines += mx(f"ten-mx.{TEXT}", *(f"10 mx{i:02d}.{TEXT}" for i in range(1, 11)))
    lines += [a(f"mx{i:02d}.{TEXT}", f"192.0.2.{100 + i}") for i in range(1, 12)]
    lines += [a(f"exists.{TEXT}", "192.0.2.30")]
    # The long names of the size cases exist, so that they cost no void lookups.
    padded = {term[2:] for _, text in spf_texts() for term in text.split()
              if term.startswith("a:x")}
    lines += [a(host, "192.0.2.31") for host in sorted(padded)]
    return lines


def _sized(total: int) -> str:
    """``v=spf1 a:<host> a:<host> -all`` of exactly ``total`` octets (2 lookups)."""
    hosts = total - len("v=spf1 a: a: -all")
    first = hosts // 2
    return f"v=spf1 a:{padded_host(first, 'p1')} a:{padded_host(hosts - first, 'p2')} -all"


def _sized3(total: int) -> str:
    hosts = total - len("v=spf1 a: a: a: -all") - 180
    first = hosts // 2
    return (f"v=spf1 a:{padded_host(first, 'p1')} a:{padded_host(hosts - first, 'p2')} "
            f"a:{padded_host(180, 'p3')} -all")


def _ip4s(count: int, qualifier: str = "") -> str:
    return " ".join(f"{qualifier}ip4:198.51.100.{i}" for i in range(1, count + 1))


def _incs(count: int) -> str:
    return " ".join(f"include:inc{i}.{TEXT}" for i in range(1, count + 1))


def _as(count: int) -> str:
    return " ".join(f"a:a{i}.{TEXT}" for i in range(1, count + 1))


def catalogue_includes() -> list[tuple[str, int]]:
    """(include, cost) of the catalogue's senders whose records the provider zones hold."""
    return [(s.spf_include, s.lookup_cost) for s in catalogue.senders() if s.tree]


def spf_texts() -> list[tuple[str, str]]:
    """(slug, SPF text): the record texts every SPF face is asked about."""
    out: list[tuple[str, str]] = []
    # Valid include-only records: every catalogue sender with either all.
    for include, _cost in catalogue_includes():
        for all_term in ("-all", "~all"):
            qualifier = "fail" if all_term == "-all" else "softfail"
            out.append((f"include-{include}-{qualifier}", f"v=spf1 include:{include} {all_term}"))
    combos = [
        ("_spf.google.com", "mailgun.org"),
        ("amazonses.com", "sendgrid.net", "mailgun.org"),
        ("_spf.google.com", "mailgun.org", "amazonses.com"),  # 8: headroom
        ("_spf.google.com", "mailgun.org", "sendgrid.net"),  # 9
        ("_spf.google.com", "mailgun.org", "sendgrid.net", "amazonses.com"),  # 10
        ("_spf.google.com", "mailgun.org", "sendgrid.net", "amazonses.com",
         "spf.mandrillapp.com"),  # 11
    ]
    for combo in combos:
        out.append((f"catalogue-{len(combo)}x-{combo[-1]}",
                    "v=spf1 " + " ".join(f"include:{i}" for i in combo) + " -all"))
    out.append(("uppercase-version", "V=SPF1 include:amazonses.com -all"))
    out.append(("mixed-case-terms", "v=spf1 Include:AmazonSES.com -ALL"))
    # Address literals, in every form the grammar takes.
    for qualifier, name in (("", "ip4"), ("+", "ip4-pass"), ("-", "ip4-fail"),
                            ("~", "ip4-softfail"), ("?", "ip4-neutral")):
        out.append((name, f"v=spf1 {qualifier}ip4:192.0.2.1 include:amazonses.com -all"))
    out += [
        ("ip4-cidr", "v=spf1 ip4:198.51.100.0/24 -all"),
        ("ip4-only", "v=spf1 ip4:203.0.113.7 ~all"),
        ("ip6", "v=spf1 ip6:2001:db8::1 -all"),
        ("ip6-cidr", "v=spf1 ip6:2001:db8::/32 ~all"),
        ("ip6-qualified", "v=spf1 ~ip6:2001:db8:1::/48 include:amazonses.com -all"),
        ("ip4-bad-cidr", "v=spf1 ip4:192.0.2.1/33 -all"),
        ("ip4-not-an-address", "v=spf1 ip4:192.0.2.256 -all"),
        ("ip6-bad-cidr", "v=spf1 ip6:2001:db8::/129 -all"),
        ("a-literal", "v=spf1 a:192.0.2.1 -all"),
        ("a-literal-cidr", "v=spf1 a:192.0.2.0/24 -all"),
        ("mx-literal", "v=spf1 mx:203.0.113.5 -all"),
        ("include-literal", "v=spf1 include:192.0.2.1 -all"),
        ("exists-literal", "v=spf1 exists:198.51.100.1 -all"),
        ("redirect-literal", "v=spf1 redirect=192.0.2.1"),
        ("many-ip4", f"v=spf1 {_ip4s(20)} -all"),
    ]
    # The all term.
    out += [
        ("plus-all", "v=spf1 include:amazonses.com +all"),
        ("bare-all", "v=spf1 include:amazonses.com all"),
        ("only-plus-all", "v=spf1 +all"),
        ("only-bare-all", "v=spf1 all"),
        ("neutral-all", "v=spf1 include:amazonses.com ?all"),
        ("fail-all-only", "v=spf1 -all"),
        ("softfail-all-only", "v=spf1 ~all"),
        ("two-alls", "v=spf1 -all +all"),
        ("plus-all-then-more", "v=spf1 +all include:amazonses.com"),
    ]
    # No all, no redirect.
    out += [
        ("no-all-include", "v=spf1 include:amazonses.com"),
        ("no-all-a", "v=spf1 a"),
        ("empty", "v=spf1"),
        ("no-all-mx", f"v=spf1 mx:mail.{TEXT}"),
    ]
    # ptr and macros.
    out += [
        ("ptr", "v=spf1 ptr -all"),
        ("ptr-domain", f"v=spf1 ptr:{TEXT} ~all"),
        ("ptr-qualified", "v=spf1 ?ptr include:amazonses.com -all"),
        ("macro-p", f"v=spf1 exists:%{{p}}.{TEXT} -all"),
        ("macro-p2r", f"v=spf1 exists:%{{p2r}}.exists.{TEXT} -all"),
        ("macro-a-p", f"v=spf1 a:%{{p}}.{TEXT} -all"),
        ("macro-ir-v", "v=spf1 exists:%{ir}.%{v}._spf.%{d} -all"),
        ("macro-l-o", f"v=spf1 exists:%{{l}}.%{{o}}.exists.{TEXT} ~all"),
        ("macro-bad-letter", f"v=spf1 a:%{{z}}.{TEXT} -all"),
        ("macro-unclosed", f"v=spf1 a:%{{d.{TEXT} -all"),
    ]
    # redirect= and modifiers.
    out += [
        ("redirect", f"v=spf1 redirect=r.{TEXT}"),
        ("redirect-beside-fail-all", f"v=spf1 -all redirect=r.{TEXT}"),
        ("redirect-beside-softfail-all", f"v=spf1 include:amazonses.com ~all redirect=r.{TEXT}"),
        ("redirect-ignored-at-the-limit", f"v=spf1 {_as(10)} -all redirect=r.{TEXT}"),
        ("redirect-twice", f"v=spf1 redirect=r.{TEXT} redirect=inc1.{TEXT}"),
        ("exp", f"v=spf1 include:amazonses.com -all exp=explain.{TEXT}"),
        ("exp-twice", f"v=spf1 -all exp=a1.{TEXT} exp=a2.{TEXT}"),
        ("unknown-modifier", "v=spf1 foo=bar -all"),
        ("unknown-modifier-after-all", "v=spf1 include:amazonses.com -all x-note=hello"),
        ("unknown-modifier-macro", "v=spf1 -all moo=%{d}"),
    ]
    # Grammar errors.
    out += [
        ("include-no-domain", "v=spf1 include -all"),
        ("misspelt-include", "v=spf1 includ:amazonses.com -all"),
        ("empty-label", f"v=spf1 a:text..{TEXT} -all"),
        ("ip4-empty", "v=spf1 ip4: -all"),
        ("bare-qualifier", "v=spf1 ~ -all"),
        ("trailing-garbage", "v=spf1 include:amazonses.com -all garbage"),
        ("a-cidr-too-long", "v=spf1 a/33 -all"),
        ("a-dual-cidr-too-long", "v=spf1 a//129 -all"),
        ("mx-dual-cidr", "v=spf1 mx/24//64 -all"),
        ("exists-no-domain", "v=spf1 exists -all"),
        ("modifier-no-name", "v=spf1 =foo -all"),
        ("double-space", "v=spf1  include:amazonses.com  -all"),
        ("trailing-space", "v=spf1 include:amazonses.com -all "),
        ("all-with-argument", "v=spf1 all:example.com"),
        ("version-only-typo", "v=spf1 -all/24"),
    ]
    # Sizes (RFC 7208 3.4: 450 octets to be safe, 512 at most).
    out += [(f"size-{n}", _sized(n)) for n in (449, 450, 451, 505, 511, 512, 513)]
    out += [("size-600", _sized3(600)), ("size-ip4-460", f"v=spf1 {_ip4s(26)} -all"),
            ("size-ip4-530", f"v=spf1 {_ip4s(30)} -all")]
    # Repeated includes.
    out += [
        ("duplicate-include", "v=spf1 include:amazonses.com include:amazonses.com -all"),
        ("triplicate-include", f"v=spf1 {' '.join([f'include:inc1.{TEXT}'] * 3)} ~all"),
        ("duplicate-include-case", f"v=spf1 include:inc1.{TEXT} include:INC1.{TEXT.upper()} -all"),
        ("duplicate-include-qualified", f"v=spf1 include:inc2.{TEXT} ~include:inc2.{TEXT} -all"),
    ]
    # The lookup budget (RFC 7208 4.6.4: 10).
    out += [
        ("a-10", f"v=spf1 {_as(10)} -all"),
        ("a-11", f"v=spf1 {_as(11)} -all"),
        ("include-10", f"v=spf1 {_incs(10)} -all"),
        ("include-11", f"v=spf1 {_incs(11)} -all"),
        ("mixed-11", f"v=spf1 a mx ptr exists:exists.{TEXT} {_incs(4)} {_as(3)} -all"),
        ("mx-11", f"v=spf1 {' '.join([f'mx:mail.{TEXT}'] * 11)} -all"),
        ("catalogue-and-own-11", f"v=spf1 include:_spf.google.com {_as(7)} -all"),
    ]
    # What only a walk of the tree sees.
    out += [
        ("void-3", f"v=spf1 a:void1.{TEXT} a:void2.{TEXT} a:void3.{TEXT} -all"),
        ("void-2", f"v=spf1 a:void1.{TEXT} a:void2.{TEXT} -all"),
        ("include-missing", f"v=spf1 include:nothing.{TEXT} -all"),
        ("include-no-spf", f"v=spf1 include:a1.{TEXT} -all"),
        ("redirect-missing", f"v=spf1 redirect=nothing.{TEXT}"),
        ("include-loop", f"v=spf1 include:loop-a.{TEXT} -all"),
        ("mx-over-10-names", f"v=spf1 mx:many-mx.{TEXT} -all"),
        ("mx-10-names", f"v=spf1 mx:ten-mx.{TEXT} -all"),
    ]
    return out


# -- families ---------------------------------------------------------------------------------


def _text_cases() -> list[Case]:
    cases = []
    for n, (slug, text) in enumerate(spf_texts(), start=1):
        domain = f"t{n:03d}.{TEXT}"
        dmarc = dmarc_ok(domain)
        cases.append(Case(
            id=f"text-{slug}", domain=domain, why=f"the SPF text {text!r} alone at a domain",
            records=(*txt(domain, text), *txt(f"_dmarc.{domain}", dmarc),
                     *published_mail_domain(domain, f"mx.{TEXT}")),
            components=ComponentsInput(spf=text),
            pack=(
                (shapes.R53, "spf", r53(domain, "TXT", text)),
                (shapes.R53, "dmarc", r53(f"_dmarc.{domain}", "TXT", dmarc)),
                (shapes.R53, "mx", r53(domain, "MX", f"10 mx.{TEXT}")),
            ),
            check=Target(domain),
        ))
    # Two v=spf1 values at one name.
    pairs = [("v=spf1 include:amazonses.com -all", "v=spf1 include:sendgrid.net -all"),
             ("v=spf1 include:amazonses.com -all", "v=spf1 ip4:192.0.2.1 -all"),
             ("v=spf1 -all", "v=spf1 +all")]
    for n, (first, second) in enumerate(pairs, start=1):
        domain = f"two{n}.{TEXT}"
        dmarc = dmarc_ok(domain)
        cases.append(Case(
            id=f"text-two-records-{n}", domain=domain,
            why="two v=spf1 values in one record set",
            records=(*txt(domain, first, second), *txt(f"_dmarc.{domain}", dmarc),
                     *published_mail_domain(domain, f"mx.{TEXT}")),
            pack=((shapes.R53, "spf", r53(domain, "TXT", first, second)),
                  (shapes.R53, "dmarc", r53(f"_dmarc.{domain}", "TXT", dmarc))),
            check=Target(domain),
        ))
    return cases


def beside_config(domain: str) -> dict[str, Any]:
    return {"domain": domain, "dns": CLOUDFLARE, "senders": ["amazon-ses"], "spfAll": "-all",
            "dmarc": {"policy": "reject", "rua": [f"mailto:dmarc@{domain}"]}}


def _beside_cases() -> list[Case]:
    cases = []
    for n, (slug, text) in enumerate(spf_texts(), start=1):
        domain = f"b{n:03d}.{BESIDE}"
        config = beside_config(domain)
        [parsed] = parse_domains([config], default_region=REGION)
        ours = parsed.spf_record
        if not is_spf(text) or text == ours:
            continue
        dmarc = parsed.dmarc.text() if parsed.dmarc else dmarc_ok(domain)
        cases.append(Case(
            id=f"beside-{slug}", domain=domain,
            why=f"{text!r} published beside a Cloudflare stack's own SPF record",
            records=(*txt(domain, ours, text), *txt(f"_dmarc.{domain}", dmarc),
                     *published_mail_domain(domain, f"mx.{TEXT}")),
            pack=((shapes.CF6, "spf", cf6(domain, "TXT", ours)),
                  (shapes.CF6, "other-spf", cf6(domain, "TXT", text)),
                  (shapes.CF6, "dmarc", cf6(f"_dmarc.{domain}", "TXT", dmarc))),
            plan=config,
            check=Target(domain),
        ))
    return cases


def dmarc_texts(domain: str) -> list[tuple[str, str]]:
    own = f"mailto:dmarc@{domain}"
    return [
        ("reject", f"v=DMARC1; p=reject; rua={own}"),
        ("quarantine", f"v=DMARC1; p=quarantine; rua={own}"),
        ("none", f"v=DMARC1; p=none; rua={own}"),
        ("no-policy", f"v=DMARC1; rua={own}"),
        ("no-policy-sp", f"v=DMARC1; sp=reject; rua={own}"),
        ("sp-none", f"v=DMARC1; p=reject; sp=none; rua={own}"),
        ("sp-quarantine", f"v=DMARC1; p=reject; sp=quarantine; rua={own}"),
        ("sp-stronger", f"v=DMARC1; p=quarantine; sp=reject; rua={own}"),
        ("pct-50", f"v=DMARC1; p=reject; pct=50; rua={own}"),
        ("pct-0", f"v=DMARC1; p=quarantine; pct=0; rua={own}"),
        ("pct-100", f"v=DMARC1; p=reject; pct=100; rua={own}"),
        ("pct-bad", f"v=DMARC1; p=reject; pct=abc; rua={own}"),
        ("pct-over", f"v=DMARC1; p=reject; pct=101; rua={own}"),
        ("no-rua", "v=DMARC1; p=reject"),
        ("ruf-only", f"v=DMARC1; p=reject; ruf={own}"),
        ("rua-https", f"v=DMARC1; p=reject; rua=https://reports.{domain}/dmarc"),
        ("rua-mailto-and-https", f"v=DMARC1; p=reject; rua={own},https://r.{domain}/d"),
        ("rua-external", "v=DMARC1; p=reject; rua=mailto:reports@example.net"),
        ("rua-external-authorised", "v=DMARC1; p=reject; rua=mailto:dmarc@example.net"),
        ("ruf-external", f"v=DMARC1; p=reject; rua={own}; ruf=mailto:forensic@example.net"),
        ("rua-same-organisation", f"v=DMARC1; p=reject; rua=mailto:dmarc@reports.{DMARC}"),
        ("rua-size-limit", f"v=DMARC1; p=reject; rua={own}!10m"),
        ("unknown-tag", f"v=DMARC1; p=reject; rua={own}; foo=bar"),
        ("np-tag", f"v=DMARC1; p=reject; np=reject; rua={own}"),
        ("np-none", f"v=DMARC1; p=reject; np=none; rua={own}"),
        ("np-only-strong", f"v=DMARC1; p=none; np=reject; rua={own}"),
        ("np-bad", f"v=DMARC1; p=quarantine; np=deny; rua={own}"),
        ("t-tag", f"v=DMARC1; p=reject; t=y; rua={own}"),
        ("t-n", f"v=DMARC1; p=reject; t=n; rua={own}"),
        ("t-y-none", f"v=DMARC1; p=none; t=y; rua={own}"),
        ("t-bad", f"v=DMARC1; p=reject; t=yes; rua={own}"),
        ("psd-tag", f"v=DMARC1; p=reject; psd=n; rua={own}"),
        ("psd-y", f"v=DMARC1; p=reject; psd=y; rua={own}"),
        ("psd-bad", f"v=DMARC1; p=reject; psd=maybe; rua={own}"),
        ("policy-bogus", f"v=DMARC1; p=bogus; rua={own}"),
        ("adkim-bad", f"v=DMARC1; p=reject; adkim=x; rua={own}"),
        ("adkim-strict", f"v=DMARC1; p=reject; adkim=s; aspf=s; rua={own}"),
        ("fo-options", f"v=DMARC1; p=reject; fo=1:d:s; rua={own}"),
        ("ri-bad", f"v=DMARC1; p=reject; ri=daily; rua={own}"),
        ("rf-afrf", f"v=DMARC1; p=reject; rf=afrf; rua={own}"),
        ("no-semicolons", "v=DMARC1 p=reject"),
        ("trailing-semicolon", f"v=DMARC1; p=reject; rua={own};"),
        ("spaces-around-equals", f"v = DMARC1; p = reject; rua = {own}"),
        ("p-not-second", f"v=DMARC1; rua={own}; p=reject"),
        ("duplicate-tag", f"v=DMARC1; p=reject; p=none; rua={own}"),
        ("rua-empty", "v=DMARC1; p=reject; rua="),
        ("rua-no-scheme", f"v=DMARC1; p=reject; rua=dmarc@{domain}"),
        ("leading-space", f" v=DMARC1; p=reject; rua={own}"),
        ("version-dmarc10", f"v=DMARC10; p=reject; rua={own}"),
        ("version-lower-case", f"v=dmarc1; p=reject; rua={own}"),
        ("version-not-first", f"p=reject; v=DMARC1; rua={own}"),
    ]


def _dmarc_world(domain: str, values: Sequence[str]) -> tuple[str, ...]:
    return (*txt(domain, "v=spf1 -all"), *txt(f"_dmarc.{domain}", *values),
            *mx(domain, "0 ."))


def _dmarc_plan(domain: str) -> dict[str, Any]:
    return {"domain": domain, "dns": ROUTE53, "spfAll": "-all"}


def _dmarc_pack(domain: str, values: Sequence[str]) -> tuple[Resource, ...]:
    return ((shapes.R53, "spf", r53(domain, "TXT", "v=spf1 -all")),
            (shapes.R53, "null-mx", r53(domain, "MX", "0 .")),
            (shapes.R53, "dmarc", r53(f"_dmarc.{domain}", "TXT", *values)))


def _dmarc_cases() -> list[Case]:
    cases = []
    for n, (slug, _) in enumerate(dmarc_texts("x"), start=1):
        domain = f"d{n:03d}.{DMARC}"
        text = dict(dmarc_texts(domain))[slug]
        records = list(_dmarc_world(domain, [text]))
        if slug == "rua-external-authorised":
            records += txt(f"{domain}._report._dmarc.{OTHER}", "v=DMARC1")
        cases.append(Case(
            id=f"dmarc-{slug}", domain=domain, why=f"the DMARC text {text!r} at _dmarc",
            records=tuple(records),
            components=ComponentsInput(dmarc=text),
            pack=_dmarc_pack(domain, [text]),
            plan=_dmarc_plan(domain),
            check=Target(domain),
        ))
    domain = f"two.{DMARC}"
    values = [dmarc_ok(domain), f"v=DMARC1; p=none; rua=mailto:dmarc@{domain}"]
    cases.append(Case(
        id="dmarc-two-records", domain=domain, why="two DMARC records at one _dmarc name",
        records=_dmarc_world(domain, values), pack=_dmarc_pack(domain, values),
        plan=_dmarc_plan(domain), check=Target(domain)))
    domain = f"other-txt.{DMARC}"
    values = [dmarc_ok(domain), "site-verification=dmarc-neighbour"]
    cases.append(Case(
        id="dmarc-beside-other-txt", domain=domain,
        why="a DMARC record and another TXT value at _dmarc",
        records=_dmarc_world(domain, values), pack=_dmarc_pack(domain, values),
        plan=_dmarc_plan(domain), check=Target(domain)))
    domain = f"absent.{DMARC}"
    cases.append(Case(
        id="dmarc-absent", domain=domain, why="a locked-down domain without DMARC",
        records=(*txt(domain, "v=spf1 -all"), *mx(domain, "0 .")),
        pack=((shapes.R53, "spf", r53(domain, "TXT", "v=spf1 -all")),
              (shapes.R53, "null-mx", r53(domain, "MX", "0 ."))),
        plan=_dmarc_plan(domain), check=Target(domain)))
    # A subdomain covered by its parent's record, found by the tree walk (RFC 9989).
    org, domain = INHERIT, f"sub.{INHERIT}"
    org_dmarc = f"v=DMARC1; p=reject; sp=quarantine; rua=mailto:dmarc@{org}"
    cases.append(Case(
        id="dmarc-inherited-from-organisational-domain", domain=domain,
        why="no _dmarc at the domain; its organisational domain's record covers it",
        records=(*txt(org, "v=spf1 -all"), *txt(f"_dmarc.{org}", org_dmarc), *mx(org, "0 ."),
                 *txt(domain, "v=spf1 -all"), *mx(domain, "0 .")),
        pack=((shapes.R53, "org-spf", r53(org, "TXT", "v=spf1 -all")),
              (shapes.R53, "org-mx", r53(org, "MX", "0 .")),
              (shapes.R53, "org-dmarc", r53(f"_dmarc.{org}", "TXT", org_dmarc)),
              (shapes.R53, "spf", r53(domain, "TXT", "v=spf1 -all")),
              (shapes.R53, "mx", r53(domain, "MX", "0 ."))),
        plan=_dmarc_plan(domain), check=Target(domain)))
    return cases


# -- stack configs ------------------------------------------------------------------------------


def _render(value: str | KnownAfterApply) -> str:
    return value if isinstance(value, str) else value.render(TOKENS[value.index])


def declared(config: Mapping[str, Any]) -> tuple[list[Resource], list[str]]:
    """The resources the components declare for a valid config entry, and the zone
    lines of the same records once applied (DKIM tokens filled in with ``TOKENS``)."""
    [domain] = parse_domains([config], default_region=REGION)
    resources: list[Resource] = []
    lines: list[str] = []
    cloudflare = domain.dns.provider.value == "cloudflare"
    for record in desired_records(domain):
        name = _render(record.name)
        values = [_render(v) for v in record.values]
        if record.type == "TXT":
            lines += txt(name, *values, *record.keep)
        elif record.type == "MX":
            lines += mx(name, *values)
        else:
            lines += [f"{name}. {record.type} {v}." for v in values]
        if cloudflare:
            for i, value in enumerate(values):
                resources.append((shapes.CF6, f"{record.key}-{i}", cf6(name, record.type, value)))
        else:
            written = [*values, *record.keep] if record.type == "TXT" else values
            resources.append((shapes.R53, record.key, r53(name, record.type, *written)))
    if domain.ses is not None:
        resources.append((shapes.SESV2_IDENTITY, "ses",
                          shapes.sesv2_identity(domain.domain, list(TOKENS))))
        if domain.mail_from_domain is not None:
            resources.append((shapes.SESV2_MAIL_FROM, "ses-mail-from", {
                "emailIdentity": domain.domain, "mailFromDomain": domain.mail_from_domain,
                "behaviorOnMxFailure": "USE_DEFAULT_VALUE"}))
    return resources, lines


def config_case(
    case_id: str, config: dict[str, Any], why: str, *, check: bool = True,
    mail_host: str | None = None,
) -> Case:
    """A stack config published exactly as planned: every face judges it."""
    domain = config["domain"]
    resources, lines = declared(config)
    [parsed] = parse_domains([config], default_region=REGION)
    records = [*lines, *published_mail_domain(domain, mail_host or f"mx.{STACK}")]
    return Case(
        id=case_id, domain=domain, why=why, records=tuple(records),
        components=ComponentsInput(config=config), pack=tuple(resources), plan=config,
        check=Target(domain, parsed.mail_from_domain, (), ses_identity=parsed.ses is not None)
        if check else None,
    )


#: Includes outside the catalogue that stack configs name, with what each costs in all.
STATED_COSTS = {f"partner.{STACK}": 1, f"chain.{STACK}": 3}


def _stack_hosts() -> list[str]:
    lines = [a(f"mx.{STACK}", "192.0.2.26")]
    lines += txt(f"partner.{STACK}", "v=spf1 -all")
    lines += txt(f"chain.{STACK}", f"v=spf1 include:chain2.{STACK} -all")
    lines += txt(f"chain2.{STACK}", f"v=spf1 include:chain3.{STACK} -all")
    lines += txt(f"chain3.{STACK}", "v=spf1 -all")
    lines += txt(f"unstated.{STACK}", "v=spf1 -all")
    return lines


def stack_variants() -> list[tuple[str, dict[str, Any]]]:
    """(slug, changes to the base config): one factor at a time, then combinations."""
    reject = {"policy": "reject", "rua": ["mailto:dmarc@{d}"]}
    variants: list[tuple[str, dict[str, Any]]] = [("base", {})]
    for key in ("amazon-ses", "google-workspace", "mailgun", "sendgrid", "mandrill",
                "microsoft-365", "postmark"):
        variants.append((f"sender-{key}", {"senders": [key]}))
    variants += [
        ("no-senders", {"senders": []}),
        ("senders-7", {"senders": ["google-workspace", "mailgun"]}),
        ("senders-8", {"senders": ["google-workspace", "mailgun", "amazon-ses"]}),
        ("senders-9", {"senders": ["google-workspace", "mailgun", "sendgrid"]}),
        ("senders-10", {"senders": ["google-workspace", "mailgun", "sendgrid", "amazon-ses"]}),
        ("include-cost-unknown", {"senders": [{"include": f"unstated.{STACK}"}]}),
        ("include-cost-stated", {"senders": [{"include": f"partner.{STACK}", "lookups": 1}]}),
        ("include-chain-stated", {"senders": ["amazon-ses",
                                              {"include": f"chain.{STACK}", "lookups": 3}]}),
        ("include-catalogue-by-name", {"senders": [{"include": "_spf.google.com"}]}),
        ("softfail", {"spfAll": "~all"}),
        ("keep-one", {"keepTxt": ["site-verification=abc123"]}),
        ("keep-two", {"keepTxt": ["site-verification=abc123", "other-token=xyz"]}),
        ("no-dmarc", {"dmarc": None}),
        ("dmarc-quarantine", {"dmarc": {**reject, "policy": "quarantine"}}),
        ("dmarc-none", {"dmarc": {**reject, "policy": "none"}}),
        ("dmarc-sp-none", {"dmarc": {**reject, "subdomainPolicy": "none"}}),
        ("dmarc-testing", {"dmarc": {**reject, "testing": True}}),
        ("dmarc-np", {"dmarc": {**reject, "policy": "quarantine",
                                "nonexistentSubdomainPolicy": "reject"}}),
        ("dmarc-np-none", {"dmarc": {**reject, "nonexistentSubdomainPolicy": "none"}}),
        ("dmarc-no-rua", {"dmarc": {"policy": "reject"}}),
        ("dmarc-rua-external", {"dmarc": {"policy": "reject",
                                          "rua": ["mailto:reports@example.net"]}}),
        ("dmarc-rua-https", {"dmarc": {"policy": "reject", "rua": ["https://r.example.net/d"]}}),
        ("dmarc-ruf", {"dmarc": {**reject, "ruf": ["mailto:forensic@{d}"]}}),
        ("dmarc-strict", {"dmarc": {**reject, "adkim": "strict", "aspf": "strict"}}),
        ("ses", {"ses": {}}),
        ("ses-mail-from", {"ses": {"mailFromSubdomain": "bounce"}}),
        ("ses-mail-from-strict", {"ses": {"mailFromSubdomain": "bounce"},
                                  "dmarc": {**reject, "aspf": "strict"}}),
        ("ses-smtp-user", {"ses": {"mailFromSubdomain": "mail", "smtpUser": True}}),
        ("cloudflare", {"dns": CLOUDFLARE}),
        ("cloudflare-keep", {"dns": CLOUDFLARE, "keepTxt": ["site-verification=abc123"]}),
        ("cloudflare-ses", {"dns": CLOUDFLARE, "ses": {"mailFromSubdomain": "bounce"}}),
        ("cloudflare-no-dmarc", {"dns": CLOUDFLARE, "dmarc": None, "senders": ["sendgrid"]}),
        ("full", {"senders": ["amazon-ses", "google-workspace", "mailgun"],
                  "keepTxt": ["site-verification=abc123"], "ses": {"mailFromSubdomain": "bounce"},
                  "dmarc": {**reject, "subdomainPolicy": "quarantine",
                            "nonexistentSubdomainPolicy": "reject"}}),
        ("full-warnings", {"senders": ["google-workspace", "mailgun", "sendgrid"],
                           "dmarc": {"policy": "none", "subdomainPolicy": "none", "testing": True},
                           "ses": {"mailFromSubdomain": "bounce"}}),
        ("ttl", {"ttl": 300}),
    ]
    return variants


def stack_config(domain: str, changes: Mapping[str, Any]) -> dict[str, Any]:
    config: dict[str, Any] = {
        "domain": domain, "dns": ROUTE53, "senders": ["amazon-ses"], "spfAll": "-all",
        "dmarc": {"policy": "reject", "rua": [f"mailto:dmarc@{domain}"]},
    }
    for key, value in changes.items():
        if value is None:
            config.pop(key, None)
        else:
            config[key] = value
    if "dmarc" in config:
        config["dmarc"] = {k: ([u.replace("{d}", domain) for u in v] if isinstance(v, list)
                               else v) for k, v in config["dmarc"].items()}
    return config


def _stack_cases() -> list[Case]:
    cases = []
    for n, (slug, changes) in enumerate(stack_variants(), start=1):
        domain = f"s{n:03d}.{STACK}"
        config = stack_config(domain, changes)
        cases.append(config_case(f"stack-{slug}", config, f"the stack config {slug}"))
    # A catalogue sender whose records the catalogue did not capture (no zone to serve):
    # the plan counts it at the catalogue's cost; a DNS server without its zone cannot
    # answer for it, so check has no world to judge.
    domain = f"mendix.{STACK}"
    config = stack_config(domain, {"senders": ["mendix"]})
    cases.append(config_case("stack-sender-uncaptured", config,
                             "a sender whose records the catalogue did not capture",
                             check=False))
    return cases


# -- include trees -------------------------------------------------------------------------------


TreeSpec = dict[str, str | list[str] | None]


def tree_specs() -> list[tuple[str, TreeSpec, int | None]]:
    """(slug, label -> SPF text (None: no TXT), the include's cost when it is stated).

    The root label ``root`` is what the stack's sender includes; labels are names
    under the case's domain (its own records), or a third party's (``{o}``).
    """
    def inc(*labels: str, tail: str = "-all") -> str:
        return " ".join(["v=spf1", *(f"include:{lab}.{{z}}" for lab in labels), tail])

    hosts10 = " ".join(f"a:a{i}.{TREE}" for i in range(1, 11))
    hosts11 = " ".join(f"a:a{i}.{TREE}" for i in range(1, 12))
    specs: list[tuple[str, TreeSpec, int | None]] = [
        ("chain-3", {"root": inc("c1"), "c1": inc("c2"), "c2": "v=spf1 -all"}, 3),
        ("chain-11", {"root": inc("c1"), **{f"c{i}": inc(f"c{i + 1}") for i in range(1, 11)},
                      "c11": "v=spf1 -all"}, None),
        ("loop", {"root": inc("c1"), "c1": inc("root")}, None),
        ("self-loop", {"root": inc("root")}, None),
        ("loop-deep", {"root": inc("c1"), "c1": inc("c2"), "c2": inc("c1")}, None),
        ("redirect-loop", {"root": "v=spf1 redirect=c1.{z}", "c1": "v=spf1 redirect=root.{z}"},
         None),
        ("include-missing", {"root": inc("nothing")}, None),
        ("include-no-spf", {"root": inc("c1"), "c1": "site-verification=not-spf"}, None),
        ("include-missing-deep", {"root": inc("c1"), "c1": inc("nothing")}, None),
        ("redirect-missing", {"root": "v=spf1 redirect=nothing.{z}"}, None),
        ("void-3", {"root": inc("c1"), "c1": "v=spf1 a:v1.{z} a:v2.{z} a:v3.{z} -all"}, None),
        ("void-2", {"root": inc("c1"), "c1": "v=spf1 a:v1.{z} a:v2.{z} -all"}, None),
        ("mx-11", {"root": inc("c1"), "c1": f"v=spf1 mx:many-mx.{TREE} -all"}, None),
        ("mx-10", {"root": inc("c1"), "c1": f"v=spf1 mx:ten-mx.{TREE} -all"}, None),
        ("duplicate-in-tree", {"root": inc("c1", "c2"), "c1": inc("c3"), "c2": inc("c3"),
                               "c3": "v=spf1 -all"}, None),
        ("duplicate-in-child", {"root": inc("c1"), "c1": inc("c2", "c2"),
                                "c2": "v=spf1 -all"}, None),
        ("over-10", {"root": inc("c1"), "c1": f"v=spf1 {hosts11} -all"}, None),
        ("exactly-10", {"root": inc("c1"), "c1": f"v=spf1 {' '.join(hosts10.split()[:8])} -all"},
         None),
        ("child-syntax", {"root": inc("c1"), "c1": "v=spf1 includ:x.{z} -all"}, None),
        ("child-two-records", {"root": inc("c1"), "c1": ["v=spf1 -all", "v=spf1 ~all"]}, None),
        ("child-ip4", {"root": inc("c1"), "c1": "v=spf1 ip4:192.0.2.1 -all"}, None),
        ("third-party-ip4", {"root": "v=spf1 include:c1.{o} -all",
                             "c1.{o}": "v=spf1 ip4:192.0.2.1 -all"}, None),
        ("child-plus-all", {"root": inc("c1"), "c1": "v=spf1 +all"}, None),
        ("child-ptr-macro", {"root": inc("c1"), "c1": "v=spf1 ptr exists:%{p}.{z} -all"}, None),
        ("child-catalogue", {"root": inc("c1"), "c1": "v=spf1 include:amazonses.com -all"}, None),
        ("dns-error", {"root": inc("c1"), "c1": None}, None),
        ("bomb", {"root": inc(*(f"b{i}" for i in range(10))),
                  **{f"b{i}": inc(*(f"b{i}x{j}" for j in range(10))) for i in range(10)},
                  **{f"b{i}x{j}": "v=spf1 -all" for i in range(10) for j in range(10)}}, None),
    ]
    return specs


def _tree_cases() -> list[Case]:
    cases = []
    for n, (slug, spec, stated) in enumerate(tree_specs(), start=1):
        domain = f"r{n:03d}.{TREE}"  # its include targets are its own names, below it
        other = f"r{n:03d}-ext.{OTHER}"  # a third party's names, elsewhere
        records: list[str] = []
        for label, text in spec.items():
            owner = label.replace("{o}", other) if "{o}" in label else f"{label}.{domain}"
            if text is None:  # a CNAME loop: a lookup that fails in every resolver
                records += [f"{owner}. CNAME {label}-b.{domain}.",
                            f"{label}-b.{domain}. CNAME {owner}."]
                continue
            values = text if isinstance(text, list) else [text]
            records += txt(owner, *(v.replace("{z}", domain).replace("{o}", other)
                                    for v in values))
        sender: dict[str, Any] = {"include": f"root.{domain}"}
        if stated is not None:
            sender["lookups"] = stated
        config = stack_config(domain, {"senders": [sender]})
        resources, lines = declared(config)
        records += [*lines, *published_mail_domain(domain, f"a1.{TREE}")]
        # Only where the tree's cost is stated is it a fact the offline faces are given.
        offline = stated is not None
        cases.append(Case(
            id=f"tree-{slug}", domain=domain, why=f"the include tree {slug}",
            records=tuple(records), plan=config, check=Target(domain),
            components=ComponentsInput(config=config) if offline else None,
            pack=tuple(resources) if offline else None))
    return cases


def tree_include_costs() -> dict[str, int]:
    """The stated costs of the tree cases' includes (for the pack's includeCosts)."""
    return {f"root.r{n:03d}.{TREE}": stated
            for n, (_, _, stated) in enumerate(tree_specs(), start=1) if stated is not None}


# -- sender addresses ------------------------------------------------------------------------


def sender_addresses(domain: str) -> list[tuple[str, str, list[str]]]:
    """(slug, address, realMailboxes)."""
    return [
        ("mailbox", f"mail@{domain}", []),
        ("display-name", f"Mail Team <mail@{domain}>", []),
        ("subdomain", f"mail@notify.{domain}", []),
        ("upper-case", f"Mail@{domain.upper()}", []),
        ("noreply", f"noreply@{domain}", []),
        ("no-reply", f"no-reply@{domain}", []),
        ("do-not-reply", f"do_not_reply+billing@{domain}", []),
        ("noreply-listed", f"noreply@{domain}", [f"noreply@{domain}"]),
        ("noreply-listed-other-case", f"NoReply@{domain}", [f"noreply@{domain}"]),
        ("no-domain", "mail", []),
        ("empty-domain", "mail@", []),
        ("no-mailbox", f"@{domain}", []),
        ("two-ats", f"two@at@{domain}", []),
        ("space", f"mail box@{domain}", []),
        ("bad-mailbox", f"ma(il@{domain}", []),
        ("localhost", "mail@localhost", []),
        ("ip-domain", "mail@192.0.2.1", []),
        ("bad-domain", f"mail@{domain}..", []),
        ("other-domain", "mail@example.org", []),
        ("other-reserved-domain", f"mail@other.{SEND}", []),
    ]


#: A reserved name the pack is told is a placeholder (its placeholderDomains).
PLACEHOLDER = "placeholder.example"


def _sender_cases() -> list[Case]:
    cases = []
    for n, (slug, _, _) in enumerate(sender_addresses("x"), start=1):
        domain = f"a{n:03d}.{SEND}"
        _, address, real = next(s for s in sender_addresses(domain) if s[0] == slug)
        config = stack_config(domain, {"senderAddresses": [address], "realMailboxes": real})
        app = (shapes.LAMBDA, "app", shapes.lambda_env(MAIL_FROM=address, SMTP_PORT="587",
                                                     SMTP_HOST="email-smtp.eu-west-1.amazonaws.com"))
        base = stack_config(domain, {})
        resources, _ = declared(base)
        cases.append(Case(
            id=f"sender-{slug}", domain=domain,
            why=f"the sender address {address!r} (the config's, an application's setting)",
            components=ComponentsInput(config=config), pack=(*resources, app)))
    # The placeholder list is the pack's to configure; the config's is fixed (and holds
    # real domains only), so only the pack can be asked about a reserved placeholder.
    cases.append(Case(
        id="sender-placeholder-domain", domain=PLACEHOLDER,
        why="a sender address in a domain configured as a placeholder",
        pack=(*declared(stack_config(PLACEHOLDER, {}))[0],
              (shapes.LAMBDA, "app", shapes.lambda_env(MAIL_FROM=f"mail@{PLACEHOLDER}")))))
    cases.append(Case(
        id="sender-ses-address-identity", domain=f"ses-address.{SEND}",
        why="an SES email identity with a no-reply address",
        pack=(*declared(stack_config(f"ses-address.{SEND}", {}))[0],
              (shapes.SESV2_IDENTITY, "address",
               shapes.sesv2_identity(f"noreply@ses-address.{SEND}")))))
    return cases


def allowed_mailboxes() -> list[str]:
    return sorted({m for n, (slug, _, _) in enumerate(sender_addresses("x"), start=1)
                   for m in next(s for s in sender_addresses(f"a{n:03d}.{SEND}")
                                 if s[0] == slug)[2]})


# -- application settings (the pack alone) -----------------------------------------------------


def _settings_cases() -> list[Case]:
    domain = f"app.{SEND}"
    records = tuple(declared(stack_config(domain, {}))[0])
    settings: list[tuple[str, Resource]] = [
        ("submission-587", (shapes.LAMBDA, "app", shapes.lambda_env(
            SMTP_HOST=f"smtp.{domain}", SMTP_PORT="587"))),
        ("port-25", (shapes.LAMBDA, "app", shapes.lambda_env(
            SMTP_HOST=f"smtp.{domain}", SMTP_PORT="25"))),
        ("port-25-localhost", (shapes.LAMBDA, "app", shapes.lambda_env(
            SMTP_HOST="localhost", SMTP_PORT="25"))),
        ("host-ip", (shapes.LAMBDA, "app", shapes.lambda_env(
            SMTP_HOST="192.0.2.25", SMTP_PORT="587"))),
        ("host-ip6", (shapes.LAMBDA, "app", shapes.lambda_env(
            MAIL_SERVER="2001:db8::25", MAIL_PORT="465"))),
        ("url-port-25", (shapes.ECS_TASK, "task", shapes.ecs_task(shapes.container(
            "web", EMAIL_URL=f"smtp://smtp.{domain}:25")))),
        ("ssm-port-25", (shapes.SSM, "param", shapes.ssm("/app/prod/smtp/port", "25"))),
        ("ecs-ip-host", (shapes.ECS_TASK, "task", shapes.ecs_task(shapes.container(
            "web", EMAIL_HOST="203.0.113.9", EMAIL_PORT="587")))),
        ("configmap-password", (shapes.K8S_CONFIG_MAP, "smtp", shapes.k8s_config_map(
            {"SMTP_HOST": f"smtp.{domain}", "SMTP_PASSWORD": "plain-example"}))),
    ]
    cases = [Case(id=f"settings-{slug}", domain=f"{slug}.{domain}",
                  why=f"application settings {slug}", pack=(*records, resource))
             for slug, resource in settings]
    app = shapes.k8s_deployment({"SMTP_PORT": "25"})
    app["spec"]["template"]["spec"]["containers"][0]["envFrom"] = [
        {"configMapRef": {"name": "app"}}]
    cases.append(Case(id="settings-env-from-port-25", domain=f"env-from.{domain}",
                      why="port 25 in a Deployment, its host in the ConfigMap it reads",
                      pack=(*records, (shapes.K8S_DEPLOYMENT, "app", app),
                            (shapes.K8S_CONFIG_MAP, "app", shapes.k8s_config_map(
                                {"SMTP_HOST": f"smtp.{domain}"})))))
    return cases


# -- MX, DKIM, MAIL FROM and the rest of what check alone judges ---------------------------------


def _mx_cases() -> list[Case]:
    cases = []
    specs: list[tuple[str, str, list[str] | None, list[str]]] = [
        # (slug, SPF, MX exchanges (None: no MX), extra lines)
        ("host", "v=spf1 include:amazonses.com -all", [f"10 mx.{MXZ}"], []),
        ("ip-literal", "v=spf1 include:amazonses.com -all", ["10 192.0.2.25"], []),
        ("ip-literal-beside-host", "v=spf1 include:amazonses.com -all",
         [f"10 mx.{MXZ}", "20 198.51.100.25"], []),
        ("host-void", "v=spf1 include:amazonses.com -all", [f"10 nohost.{MXZ}"], []),
        ("null-sends", "v=spf1 include:amazonses.com -all", ["0 ."], []),
        ("null-locked", "v=spf1 -all", ["0 ."], []),
        ("null-mixed", "v=spf1 -all", ["0 .", f"10 mx.{MXZ}"], []),
        ("missing-sends", "v=spf1 include:amazonses.com -all", None, []),
        ("missing-locked", "v=spf1 -all", None, []),
        ("null-softfail", "v=spf1 ~all", ["0 ."], []),
        ("null-redirect", f"v=spf1 redirect=locked.{MXZ}", ["0 ."], []),
    ]
    for slug, spf, exchanges, extra in specs:
        domain = f"{slug}.{MXZ}"
        dmarc = dmarc_ok(domain)
        records = [*txt(domain, spf), *txt(f"_dmarc.{domain}", dmarc), *extra]
        pack: list[Resource] = [(shapes.R53, "spf", r53(domain, "TXT", spf)),
                                (shapes.R53, "dmarc", r53(f"_dmarc.{domain}", "TXT", dmarc))]
        if exchanges is not None:
            records += mx(domain, *exchanges)
            pack.append((shapes.R53, "mx", r53(domain, "MX", *exchanges)))
        cases.append(Case(id=f"mx-{slug}", domain=domain, why=f"MX: {slug}",
                          records=tuple(records), pack=tuple(pack), check=Target(domain)))
    for slug, exchange in (("ip6-literal", "10 2001:db8::25"),
                           ("bracketed-literal", "10 [192.0.2.25]")):
        domain = f"{slug}.{MXZ}"
        cases.append(Case(
            id=f"mx-{slug}", domain=domain, why=f"a declared MX {exchange!r}",
            pack=((shapes.R53, "spf", r53(domain, "TXT", "v=spf1 include:amazonses.com -all")),
                  (shapes.R53, "dmarc", r53(f"_dmarc.{domain}", "TXT", dmarc_ok(domain))),
                  (shapes.R53, "mx", r53(domain, "MX", exchange)))))
    return cases


def _der(tag: int, body: bytes) -> bytes:
    size = len(body)
    if size < 0x80:
        head = bytes([size])
    else:
        raw = size.to_bytes((size.bit_length() + 7) // 8, "big")
        head = bytes([0x80 | len(raw)]) + raw
    return bytes([tag]) + head + body


def _der_int(value: int) -> bytes:
    return _der(0x02, value.to_bytes(value.bit_length() // 8 + 1, "big"))


@cache
def rsa_public_key(bits: int) -> str:
    """A SubjectPublicKeyInfo for an RSA modulus of ``bits`` bits, base64 (test data:
    an odd number of the right size, not a usable key)."""
    modulus = (1 << (bits - 1)) | 0xFFFF_FFFF_FFFF | 1
    rsa = _der(0x30, _der_int(modulus) + _der_int(65537))
    algorithm = _der(0x30, _der(0x06, bytes.fromhex("2a864886f70d010101")) + b"\x05\x00")
    return base64.b64encode(_der(0x30, algorithm + _der(0x03, b"\x00" + rsa))).decode()


def _dkim_cases() -> list[Case]:
    key2048, key1024, key512 = rsa_public_key(2048), rsa_public_key(1024), rsa_public_key(512)
    ed = base64.b64encode(bytes(range(32))).decode()
    specs: list[tuple[str, list[str] | None]] = [
        ("rsa-2048", [f"v=DKIM1; k=rsa; p={key2048}"]),
        ("rsa-2048-no-version", [f"k=rsa; p={key2048}"]),
        ("rsa-1024", [f"v=DKIM1; k=rsa; p={key1024}"]),
        ("rsa-512", [f"v=DKIM1; p={key512}"]),
        ("ed25519", [f"v=DKIM1; k=ed25519; p={ed}"]),
        ("ed25519-short", [f"v=DKIM1; k=ed25519; p={base64.b64encode(bytes(16)).decode()}"]),
        ("missing", None),
        ("two-records", [f"v=DKIM1; p={key2048}", f"v=DKIM1; p={key1024}"]),
        ("no-p", ["v=DKIM1; k=rsa"]),
        ("revoked", ["v=DKIM1; k=rsa; p="]),
        ("key-type-dsa", [f"v=DKIM1; k=dsa; p={key2048}"]),
        ("testing", [f"v=DKIM1; t=y; p={key2048}"]),
        ("sha1-only", [f"v=DKIM1; h=sha1; p={key2048}"]),
        ("sha1-and-sha256", [f"v=DKIM1; h=sha1:sha256; p={key2048}"]),
        ("not-base64", ["v=DKIM1; p=not*base64"]),
        ("version-not-first", [f"k=rsa; v=DKIM1; p={key2048}"]),
        ("version-dkim2", [f"v=DKIM2; p={key2048}"]),
        ("not-a-key", [f"v=DKIM1; p={base64.b64encode(b'not a key').decode()}"]),
    ]
    cases = []
    for slug, values in specs:
        domain = f"{slug}.{DKIMZ}"
        records = [*txt(domain, "v=spf1 include:amazonses.com -all"),
                   *txt(f"_dmarc.{domain}", dmarc_ok(domain)),
                   *published_mail_domain(domain, f"mx.{DKIMZ}")]
        if values is not None:
            records += txt(f"sel._domainkey.{domain}", *values)
        cases.append(Case(id=f"dkim-{slug}", domain=domain, why=f"the DKIM key record {slug}",
                          records=tuple(records), check=Target(domain, None, ("sel",))))
    return cases


def _misc_cases() -> list[Case]:
    cases: list[Case] = []
    mailhost = f"mx.{MISC}"

    def world(domain: str, spf: str | None = "v=spf1 include:amazonses.com -all",
              dmarc: str | None = "ok") -> list[str]:
        lines = published_mail_domain(domain, mailhost)
        if spf is not None:
            lines += txt(domain, spf)
        if dmarc is not None:
            lines += txt(f"_dmarc.{domain}", dmarc_ok(domain) if dmarc == "ok" else dmarc)
        return lines

    domain = f"no-spf.{MISC}"
    cases.append(Case(id="misc-spf-missing", domain=domain, why="no SPF record at the domain",
                      records=tuple(world(domain, spf=None)), check=Target(domain)))
    domain = f"nxdomain.{MISC}"
    cases.append(Case(id="misc-domain-does-not-exist", domain=domain,
                      why="a domain that does not exist", check=Target(domain)))
    mail_froms = [
        ("mail-from-ok", "v=spf1 include:amazonses.com -all", [f"10 {mailhost}"]),
        ("mail-from-no-mx", "v=spf1 include:amazonses.com -all", None),
        ("mail-from-null-mx", "v=spf1 include:amazonses.com -all", ["0 ."]),
        ("mail-from-no-spf", None, [f"10 {mailhost}"]),
        ("mail-from-plus-all", "v=spf1 +all", [f"10 {mailhost}"]),
    ]
    for slug, spf, exchanges in mail_froms:
        domain = f"{slug}.{MISC}"
        bounce = f"bounce.{domain}"
        lines = world(domain)
        if spf is not None:
            lines += txt(bounce, spf)
        if exchanges is not None:
            lines += mx(bounce, *exchanges)
        else:
            lines += [a(bounce, "192.0.2.81")]
        cases.append(Case(id=f"misc-{slug}", domain=domain, why=f"the MAIL FROM domain: {slug}",
                          records=tuple(lines), check=Target(domain, bounce)))
    domain = f"unaligned.{MISC}"
    cases.append(Case(
        id="misc-mail-from-other-organisation", domain=domain,
        why="a MAIL FROM domain in another organisational domain",
        records=(*world(domain), *txt(f"bounce.{OTHER}", "v=spf1 include:amazonses.com -all"),
                 *mx(f"bounce.{OTHER}", f"10 {mailhost}")),
        check=Target(domain, f"bounce.{OTHER}")))
    domain = f"strict.{MISC}"
    cases.append(Case(
        id="misc-mail-from-strict-alignment", domain=domain,
        why="aspf=s with a MAIL FROM subdomain",
        records=(*world(domain, dmarc=f"v=DMARC1; p=reject; aspf=s; rua=mailto:d@{domain}"),
                 *txt(f"bounce.{domain}", "v=spf1 include:amazonses.com -all"),
                 *mx(f"bounce.{domain}", f"10 {mailhost}")),
        check=Target(domain, f"bounce.{domain}")))
    domain = f"answer-size.{MISC}"
    spf = f"v=spf1 {_as(9).replace(TEXT, MISC)} -all"
    cases.append(Case(
        id="misc-txt-answer-over-512", domain=domain,
        why="an SPF record that fits, in a TXT answer that does not",
        records=(*world(domain, spf=spf),
                 *txt(domain, "site-verification=" + "v" * 240, "other-token=" + "w" * 200),
                 *(a(f"a{i}.{MISC}", f"192.0.2.{140 + i}") for i in range(1, 10))),
        pack=((shapes.R53, "spf", r53(domain, "TXT", spf, "site-verification=" + "v" * 240,
                                      "other-token=" + "w" * 200)),
              (shapes.R53, "dmarc", r53(f"_dmarc.{domain}", "TXT", dmarc_ok(domain)))),
        check=Target(domain)))
    domain = f"long-string.{MISC}"
    long_spf = _sized(300)
    cases.append(Case(
        id="misc-txt-string-over-255", domain=domain,
        why="a declared TXT value written as one character-string of more than 255 octets",
        pack=((shapes.R53, "spf", shapes.r53(domain, "TXT", f'"{long_spf}"')),
              (shapes.R53, "dmarc", r53(f"_dmarc.{domain}", "TXT", dmarc_ok(domain))))))
    domain = f"wrong-name.{MISC}"
    config = stack_config(domain, {"keepTxt": [f"v=DMARC1; p=reject; rua=mailto:d@{domain}"],
                                   "dmarc": None})
    case = config_case("misc-dmarc-at-the-apex", config,
                       "a DMARC record kept at the apex instead of _dmarc", mail_host=mailhost)
    cases.append(case)
    # A name whose lookups fail in every resolver (a CNAME loop).
    domain = f"dmarc-loop.{MISC}"
    config = stack_config(domain, {})
    resources, lines = declared(config)
    dmarc_line = next(line for line in lines if line.startswith(f"_dmarc.{domain}."))
    loop = [f"_dmarc.{domain}. CNAME loop.{domain}.", f"loop.{domain}. CNAME _dmarc.{domain}."]
    # The plan cannot say what it would change there (so check, which sees the loop,
    # is asked about a domain of its own with the same loop).
    cases.append(Case(
        id="misc-dmarc-lookup-fails", domain=domain,
        why="the managed _dmarc name is a CNAME loop: its lookups fail",
        records=(*(line for line in lines if line != dmarc_line), *loop,
                 *published_mail_domain(domain, mailhost)),
        components=ComponentsInput(config=config), pack=tuple(resources), plan=config))
    domain = f"dmarc-loop-live.{MISC}"
    cases.append(Case(
        id="misc-dmarc-lookup-fails-live", domain=domain,
        why="the _dmarc name is a CNAME loop: its lookups fail",
        records=(*world(domain, dmarc=None),
                 f"_dmarc.{domain}. CNAME loop.{domain}.",
                 f"loop.{domain}. CNAME _dmarc.{domain}."),
        check=Target(domain)))
    # check --ip: the address is not authorised.
    for slug, spf in (("ip-fails", "v=spf1 include:amazonses.com -all"),
                      ("ip-passes", "v=spf1 ip4:192.0.2.99 -all"),
                      ("ip-softfails", "v=spf1 ~all")):
        domain = f"{slug}.{MISC}"
        cases.append(Case(id=f"misc-{slug}", domain=domain, why=f"check --ip {CHECK_IP}",
                          records=tuple(world(domain, spf=spf)), check=Target(domain),
                          check_run="ip"))
    domain = f"slow.{MISC}"
    cases.append(Case(id="misc-domain-timeout", domain=domain,
                      why="checks that cannot finish within the domain's time bound",
                      records=tuple(world(domain)), check=Target(domain),
                      check_run="timeout"))
    domain = f"gcp-unquoted.{MISC}"
    cases.append(Case(id="misc-gcp-unquoted-spf", domain=domain,
                      why="an unquoted Cloud DNS value, split on spaces: no SPF record",
                      pack=((shapes.GCP_RECORD_SET, "spf", {
                          "name": f"{domain}.", "type": "TXT", "managedZone": "zone",
                          "rrdatas": ["v=spf1 include:amazonses.com -all"]}),)))
    return cases


def _ses_incomplete_cases() -> list[Case]:
    """An SES identity declared without some of the records it needs (the pack alone:
    the components always declare them, and check judges published records instead)."""
    cases = []
    for slug, leave_out in (("dkim-missing", "dkim-"), ("mail-from-mx-missing", "mail-from-mx"),
                            ("mail-from-spf-missing", "mail-from-spf"),
                            ("dkim-one-missing", "dkim-2")):
        domain = f"ses-{slug}.{STACK}"
        config = stack_config(domain, {"ses": {"mailFromSubdomain": "bounce"}})
        resources, _ = declared(config)
        kept = tuple(r for r in resources if not r[1].startswith(leave_out))
        if len(kept) == len(resources):
            raise ValueError(f"{slug}: the config declares no {leave_out}* resource")
        cases.append(Case(id=f"ses-{slug}", domain=domain,
                          why=f"an SES identity declared without {leave_out}*", pack=kept))
    return cases


# -- what only the plan compares -------------------------------------------------------------


#: The include lock of an earlier plan (the ``lock`` run): Google's record as it was.
PREVIOUS_LOCK = Lock({"_spf.google.com": LockEntry(
    lookups=2, records={"_spf.google.com": "v=spf1 include:_netblocks.google.com ~all",
                        "_netblocks.google.com": "v=spf1 ip4:192.0.2.0/24 ~all"})})

#: The provider whose record changed since the catalogue took it (the ``drift`` run).
DRIFTED_INCLUDE = "mailgun.org"


def drifted_provider_zone(text: str) -> str:
    """mailgun.org's zone with one more lookup in its record than the catalogue says."""
    lines = text.splitlines()
    out = []
    for line in lines:
        if line.startswith("@ TXT") and "v=spf1" in line:
            line = line.replace("v=spf1 ", "v=spf1 a:drift.mailgun.org ", 1)
        out.append(line)
    out.append("drift A 192.0.2.77")
    return "\n".join(out) + "\n"


def _plan_cases() -> list[Case]:
    cases = []
    domain = f"lost.{PLANZ}"
    config = stack_config(domain, {})
    resources, lines = declared(config)
    cases.append(Case(
        id="plan-value-lost", domain=domain,
        why="a published TXT value Route 53 would delete (not in keepTxt)",
        records=(*lines, *txt(domain, "site-verification=forgotten"),
                 *published_mail_domain(domain, f"mx.{STACK}")),
        components=ComponentsInput(config=config), pack=tuple(resources), plan=config))
    domain = f"cname.{PLANZ}"
    config = stack_config(domain, {"ses": {"mailFromSubdomain": "bounce"}})
    resources, lines = declared(config)
    bounce = f"bounce.{domain}"
    cases.append(Case(
        id="plan-cname-conflict", domain=domain,
        why="the MAIL FROM name is a CNAME published outside the stack",
        records=(*(line for line in lines if not line.startswith(bounce + ".")),
                 f"{bounce}. CNAME elsewhere.{PLANZ}.", *txt(f"elsewhere.{PLANZ}", "v=spf1 -all"),
                 *published_mail_domain(domain, f"mx.{STACK}")),
        components=ComponentsInput(config=config), pack=tuple(resources), plan=config))
    domain = f"changed.{PLANZ}"
    config = stack_config(domain, {"senders": ["google-workspace"]})
    _, lines = declared(config)
    cases.append(Case(
        id="plan-include-changed", domain=domain,
        why="Google's include resolves differently than in the previous lock",
        records=(*lines, *published_mail_domain(domain, f"mx.{STACK}")),
        plan=config, plan_run="lock"))
    domain = f"drift.{PLANZ}"
    config = stack_config(domain, {"senders": [DRIFTED_INCLUDE.split(".")[0]]})
    _, lines = declared(config)
    cases.append(Case(
        id="plan-include-cost", domain=domain,
        why="mailgun.org costs one lookup more than the catalogue says",
        records=(*lines, *published_mail_domain(domain, f"mx.{STACK}")),
        plan=config, plan_run="drift"))
    # Every TXT value at the apex would go: the SPF record replaced, two tokens lost.
    domain = f"unsafe.{PLANZ}"
    config = stack_config(domain, {})
    _, lines = declared(config)
    apex_spf = f"{domain}. TXT "
    cases.append(Case(
        id="plan-unsafe-apex", domain=domain,
        why="the plan removes or replaces every TXT value at the apex",
        records=(*(line for line in lines if not (line.startswith(apex_spf)
                                                  and "v=spf1" in line)),
                 *txt(domain, "v=spf1 include:old.example.net -all", "token=a", "token=b"),
                 *published_mail_domain(domain, f"mx.{STACK}")),
        plan=config))
    # A domain the snapshot holds no zone for: compared with nothing, so said so.
    domain = "unsnapshotted.example"
    cases.append(Case(
        id="plan-no-snapshot", domain=domain,
        why="no zone of the snapshot covers the domain: every record would look new",
        records=(), plan=stack_config(domain, {})))
    # The Cloudflare MAIL FROM name holds another MX beside SES's: the plan leaves it.
    domain = f"mx-beside.{PLANZ}"
    config = stack_config(domain, {"dns": CLOUDFLARE, "ses": {"mailFromSubdomain": "bounce"}})
    resources, lines = declared(config)
    bounce = f"bounce.{domain}"
    cases.append(Case(
        id="plan-mail-from-mx-ip-literal", domain=domain,
        why="an MX written as an address beside SES's at a Cloudflare MAIL FROM name",
        records=(*lines, *mx(bounce, "20 192.0.2.25"),
                 *published_mail_domain(domain, f"mx.{STACK}")),
        pack=(*resources, (shapes.CF6, "other-mx", cf6(bounce, "MX", "192.0.2.25"))),
        plan=config, check=Target(domain, bounce, (), ses_identity=True)))
    return cases


# -- the whole corpus -----------------------------------------------------------------------------


@cache
def corpus() -> tuple[Case, ...]:
    cases = [*_text_cases(), *_beside_cases(), *_dmarc_cases(), *_stack_cases(),
             *_tree_cases(), *_sender_cases(), *_settings_cases(), *_mx_cases(),
             *_dkim_cases(), *_misc_cases(), *_plan_cases(), *_ses_incomplete_cases()]
    return tuple(cases)


def _tree_hosts() -> list[str]:
    lines = [a(f"a{i}.{TREE}", f"192.0.2.{40 + i}") for i in range(1, 12)]
    lines += mx(f"many-mx.{TREE}", *(f"10 m{i:02d}.{TREE}" for i in range(1, 12)))
    lines += mx(f"ten-mx.{TREE}", *(f"10 m{i:02d}.{TREE}" for i in range(1, 11)))
    lines += [a(f"m{i:02d}.{TREE}", f"192.0.2.{60 + i}") for i in range(1, 12)]
    return lines


def shared_records() -> list[str]:
    """Names the cases point at (hosts, include targets), published once."""
    return [*_text_hosts(), *_stack_hosts(), *_tree_hosts(),
            a(f"mx.{MXZ}", "192.0.2.27"), *txt(f"locked.{MXZ}", "v=spf1 -all"),
            a(f"mx.{DKIMZ}", "192.0.2.28"), a(f"mx.{MISC}", "192.0.2.29")]


def zone_texts(provider_zones: Mapping[str, str]) -> dict[str, str]:
    """origin -> zone file text: the corpus zones, and the provider zones with the
    corpus's additions (the SES MAIL FROM MX host)."""
    from tests.unit.plan.fixtures import zone

    by_zone: dict[str, list[str]] = {z: [] for z in CORPUS_ZONES}
    lines = [*shared_records()]
    for case in corpus():
        lines += case.records
    seen: set[str] = set()
    for line in lines:
        if line in seen:
            continue
        seen.add(line)
        owner = line.split(" ", 1)[0].rstrip(".")
        origin = next((z for z in sorted(CORPUS_ZONES, key=len, reverse=True)
                       if owner == z or owner.endswith("." + z)), None)
        if origin is None:
            raise ValueError(f"{line!r}: no corpus zone holds {owner}")
        by_zone[origin].append(line)
    out = {origin: zone(origin, *body) for origin, body in by_zone.items()}
    zones = dict(provider_zones)
    zones["amazonses.com"] = zones["amazonses.com"] + f"{FEEDBACK_HOST}. A 192.0.2.40\n"
    return {**zones, **out}


def pack_config() -> dict[str, Any]:
    """The pack's policy config for the corpus (reconciled with its defaults)."""
    costs = {**STATED_COSTS, **tree_include_costs()}
    return {
        "spf-lookup-budget": {"includeCosts": costs},
        "spf-lookup-budget-headroom": {"includeCosts": costs},
        "sender-address": {"allowedMailboxes": allowed_mailboxes(),
                           "placeholderDomains": [*DEFAULT_PLACEHOLDER_DOMAINS, PLACEHOLDER]},
        "dmarc-valid": {"minimumPolicy": "quarantine"},
        # check holds senders to the bar only under --profile bulk-sender, which the
        # corpus does not run; tests/policies/test_bulk_sender_policy.py holds the pack's.
        "bulk-sender": "disabled",
    }
