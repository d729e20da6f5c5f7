"""A small "internet" of zone files for ``mailzone check``: providers and their customers.

``generate(directory, domains=N)`` writes one ``<zone>.zone`` file per zone
(the layout ``ZoneDirResolver`` reads and the NSD fixture serves) and returns
an ``Internet`` that says, for every customer domain, what kind it is and what
a correct audit must report about it. Tests assert against that description;
benchmarks reuse the generator at 1,000 domains.

Providers, shared by many customers as real ones are (only reserved names):

- ``workspace.example``: a Google-like tree, ``_spf.workspace.example`` with
  three netblock includes (4 lookups with the include itself);
- ``ses.example``: an SES-like sender (``include:ses.example``, 1 lookup),
  its MAIL FROM feedback host and the Easy DKIM keys its customers' token
  CNAMEs point at (``<token>.dkim.ses.example``);
- ``relay.example``: a Mailgun-like ``_spf.relay.example`` with ``a:`` (2);
- ``bulkmail.example``: a heavy ESP, ``spf.bulkmail.example``, 7 lookups;
- ``chain.example``: ``l1`` includes ``l2`` ... up to ``l12``: a deep chain;
- ``bomb.example``: a tree with fan-out 7 and depth 3 (400 records): a lookup bomb;
- ``dmarc-reports.example`` authorises report destinations for the domains
  that send it reports; ``unauth-reports.example`` authorises none.

Customers are ``<kind>-<nnnn>.test``, one zone each. Every customer starts from
a healthy baseline (SPF within budget, DMARC ``p=reject`` with reports to its
own mailbox, two MX hosts, a MAIL FROM subdomain ``mail.<domain>`` with SES's
MX and SPF, a 2048-bit DKIM key at ``sel1`` and three SES token CNAMEs) and a
fault kind changes one thing, so the errors an audit must report for it are
exactly ``DomainSpec.errors``.

Run as a script to write a directory for a benchmark::

    python -m tests.internet.generate /tmp/internet --domains 1000
"""

from __future__ import annotations

import argparse
import base64
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

SERIAL = 2024060101
TTL = 3600
REGION = "eu-west-1"
SES_FEEDBACK = f"feedback-smtp.{REGION}.ses.example"
#: An address inside every provider's ranges below: mail from it passes SES-backed domains.
SES_SENDER_IP = "203.0.113.5"
BOMB_FANOUT = 7
BOMB_DEPTH = 3
CHAIN_LENGTH = 12
#: Names outside every zone served: an authoritative server refuses questions about them.
OUTSIDE_INCLUDE = "_spf.outside.invalid"


@dataclass(frozen=True, slots=True)
class Kind:
    """A kind of customer domain and what a correct audit reports for it.

    ``errors``: the exact set of error codes (live, against a DNS server that
    serves these zones and refuses other names). ``offline_errors``: the same
    through ``ZoneDirResolver``, where a name outside the zones is NXDOMAIN;
    None when the same. ``spf_status``: the SPF status (none, ok, permerror,
    temperror). ``warnings``: warning codes that must be among those reported.
    """

    name: str
    errors: frozenset[str] = frozenset()
    spf_status: str = "ok"
    warnings: frozenset[str] = frozenset()
    offline_errors: frozenset[str] | None = None
    offline_spf_status: str | None = None
    description: str = ""


def _kind(name: str, errors: Sequence[str] = (), spf_status: str = "ok", *,
          warnings: Sequence[str] = (), offline_errors: Sequence[str] | None = None,
          offline_spf_status: str | None = None, description: str = "") -> Kind:
    return Kind(name, frozenset(errors), spf_status, frozenset(warnings),
                None if offline_errors is None else frozenset(offline_errors),
                offline_spf_status, description)


GOOD_KINDS: tuple[Kind, ...] = (
    _kind("good", description="workspace + ses, everything right"),
    _kind("relay", description="relay + ses, reports to an authorised outside destination"),
    _kind("nullmx", description="sends and takes no mail: null MX and v=spf1 -all"),
)

FAULT_KINDS: tuple[Kind, ...] = (
    _kind("overbudget", ["spf-lookup-limit"], "permerror",
          description="workspace (4) + bulkmail (7) = 11 lookups"),
    _kind("deepchain", ["spf-lookup-limit"], "permerror",
          description=f"include of a chain of {CHAIN_LENGTH} records"),
    _kind("void", ["spf-void-limit"], "permerror",
          description="three a/mx terms naming names that do not exist"),
    _kind("loop", ["spf-loop"], "permerror", description="loop-a includes loop-b includes loop-a"),
    _kind("oversized", ["spf-too-large", "spf-ip-literal"], "ok",
          description="a 600-octet record of IP literals; a TXT answer over 1232 octets"),
    _kind("nullmxsends", ["mx-null-spf"], "ok",
          description="null MX, but the SPF record authorises senders"),
    _kind("multiplespf", ["spf-multiple-records"], "permerror",
          description="two v=spf1 records"),
    _kind("nospf", ["spf-missing", "dmarc-missing"], "none",
          description="no SPF record and no DMARC record"),
    _kind("syntax", ["spf-syntax"], "permerror", description="an unknown mechanism"),
    _kind("missinginclude", ["spf-include-missing"], "permerror",
          description="include of a name without SPF"),
    _kind("refusedinclude", ["spf-dns-error"], "temperror",
          offline_errors=["spf-include-missing"], offline_spf_status="permerror",
          description="include of a name no server here answers for (REFUSED)"),
    _kind("bomb", ["check-query-cap", "spf-lookup-limit"], "permerror",
          description=f"include of a tree of {BOMB_FANOUT}^{BOMB_DEPTH} records"),
    _kind("weakdkim", ["dkim-weak-key", "dkim-revoked"], "ok", warnings=["dkim-weak-key"],
          description="selectors with 1024-bit (warning), 512-bit and revoked keys"),
    _kind("nodkim", ["dkim-missing"], "ok", description="a selector without a key"),
    _kind("mailfromnomx", ["mx-mail-from-missing"], "ok",
          description="the MAIL FROM domain has SPF but no MX"),
    _kind("mxvoid", ["mx-host-void"], "ok", description="an MX host that does not exist"),
    _kind("dmarcsyntax", ["dmarc-syntax"], "ok", description="p=monitor"),
    _kind("ruaunauthorised", ["dmarc-rua-unauthorised"], "ok",
          description="reports to an outside destination that does not authorise them"),
)

KINDS: dict[str, Kind] = {kind.name: kind for kind in (*GOOD_KINDS, *FAULT_KINDS)}

#: One healthy domain, then one faulty, round the fault kinds: every fault kind is
#: present once the internet has ``len(PATTERN)`` domains.
PATTERN: tuple[str, ...] = tuple(
    name for i, fault in enumerate(FAULT_KINDS)
    for name in (GOOD_KINDS[i % len(GOOD_KINDS)].name, fault.name)
)


@dataclass(frozen=True, slots=True)
class DomainSpec:
    name: str
    kind: Kind
    mail_from: str | None
    selectors: tuple[str, ...]

    def errors(self, *, offline: bool = False) -> frozenset[str]:
        if offline and self.kind.offline_errors is not None:
            return self.kind.offline_errors
        return self.kind.errors

    def spf_status(self, *, offline: bool = False) -> str:
        if offline and self.kind.offline_spf_status is not None:
            return self.kind.offline_spf_status
        return self.kind.spf_status

    def file_line(self) -> str:
        """The domain's line in a ``mailzone check --file`` list."""
        parts = [self.name]
        if self.mail_from:
            parts.append(f"mail-from={self.mail_from}")
        if self.selectors:
            parts.append("dkim=" + ",".join(self.selectors))
        return " ".join(parts)


@dataclass(slots=True)
class Internet:
    directory: Path
    domains: list[DomainSpec]
    zones: list[str] = field(default_factory=list)

    def of_kind(self, name: str) -> list[DomainSpec]:
        return [spec for spec in self.domains if spec.kind.name == name]

    def spec(self, domain: str) -> DomainSpec:
        for spec in self.domains:
            if spec.name == domain:
                return spec
        raise KeyError(domain)

    def write_list(self, path: Path, domains: Sequence[DomainSpec] | None = None) -> Path:
        """A ``--file`` list of ``domains`` (all by default), with MAIL FROM and selectors."""
        lines = ["# generated by tests/internet/generate.py"]
        lines += [spec.file_line() for spec in (domains if domains is not None else
                                                 self.domains)]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path


# -- keys ------------------------------------------------------------------------------


def _der(tag: int, content: bytes) -> bytes:
    length = len(content)
    if length < 0x80:
        return bytes([tag, length]) + content
    size = (length.bit_length() + 7) // 8
    return bytes([tag, 0x80 | size]) + length.to_bytes(size, "big") + content


def _der_int(value: int) -> bytes:
    data = value.to_bytes((value.bit_length() + 8) // 8, "big")  # room for a sign bit
    return _der(0x02, data)


_RSA_ALGORITHM = _der(0x30, bytes.fromhex("06092a864886f70d010101") + b"\x05\x00")


def rsa_public_key(bits: int, rng: random.Random) -> str:
    """A SubjectPublicKeyInfo for an RSA modulus of exactly ``bits`` bits, base64.

    The modulus is random (odd, top bit set), not a product of primes: DNS and
    ``mailzone check`` look at the key's structure and size, never sign with it.
    """
    modulus = rng.getrandbits(bits) | (1 << (bits - 1)) | 1
    key = _der(0x30, _der_int(modulus) + _der_int(65537))
    spki = _der(0x30, _RSA_ALGORITHM + _der(0x03, b"\x00" + key))
    return base64.b64encode(spki).decode("ascii")


# -- zone files ------------------------------------------------------------------------


def _quote(value: str) -> str:
    """A TXT value as zone-file character-strings of at most 255 octets."""
    data = value.encode("utf-8")
    parts = [data[i:i + 255] for i in range(0, len(data), 255)] or [b""]
    return " ".join('"' + p.decode("utf-8").replace("\\", "\\\\").replace('"', '\\"') + '"'
                    for p in parts)


class _Zones:
    """Records by zone; names are absolute without the trailing dot."""

    def __init__(self) -> None:
        self.records: dict[str, list[tuple[str, str, str]]] = defaultdict(list)

    def add(self, zone: str, name: str, rdtype: str, value: str) -> None:
        if rdtype == "TXT":
            value = _quote(value)
        self.records[zone].append((name, rdtype, value))

    def write(self, directory: Path) -> list[str]:
        directory.mkdir(parents=True, exist_ok=True)
        for zone, records in self.records.items():
            lines = [
                f"; zone {zone}: written by tests/internet/generate.py",
                f"$ORIGIN {zone}.",
                f"$TTL {TTL}",
                f"@ SOA ns1.{zone}. hostmaster.{zone}. {SERIAL} 7200 3600 1209600 300",
                f"@ NS ns1.{zone}.",
                "ns1 A 192.0.2.53",
            ]
            lines += [f"{name}. {rdtype} {value}" for name, rdtype, value in records]
            (directory / f"{zone}.zone").write_text("\n".join(lines) + "\n", encoding="utf-8")
        return sorted(self.records)


def _providers(zones: _Zones) -> None:
    w = "workspace.example"
    zones.add(w, f"_spf.{w}", "TXT",
              f"v=spf1 include:_netblocks.{w} include:_netblocks2.{w} "
              f"include:_netblocks3.{w} ~all")
    zones.add(w, f"_netblocks.{w}", "TXT",
              "v=spf1 ip4:198.51.100.0/26 ip4:198.51.100.64/26 ~all")
    zones.add(w, f"_netblocks2.{w}", "TXT", "v=spf1 ip6:2001:db8:1::/48 ip6:2001:db8:2::/48 ~all")
    zones.add(w, f"_netblocks3.{w}", "TXT", "v=spf1 ip4:198.51.100.128/27 ~all")

    s = "ses.example"
    zones.add(s, s, "TXT", "v=spf1 ip4:203.0.113.0/26 ip4:203.0.113.64/26 -all")
    zones.add(s, SES_FEEDBACK, "A", "203.0.113.90")

    r = "relay.example"
    zones.add(r, f"_spf.{r}", "TXT", f"v=spf1 ip4:198.51.100.192/27 a:smtp.{r} ~all")
    zones.add(r, f"smtp.{r}", "A", "198.51.100.225")
    zones.add(r, f"nospf.{r}", "A", "198.51.100.226")  # exists, publishes no SPF

    b = "bulkmail.example"
    zones.add(b, f"spf.{b}", "TXT",
              f"v=spf1 include:a.{b} include:b.{b} include:c.{b} ~all")
    zones.add(b, f"a.{b}", "TXT", f"v=spf1 a:out.{b} ip4:192.0.2.128/26 ~all")
    zones.add(b, f"b.{b}", "TXT", f"v=spf1 mx:{b} ~all")
    zones.add(b, f"c.{b}", "TXT", f"v=spf1 include:d.{b} ~all")
    zones.add(b, f"d.{b}", "TXT", "v=spf1 ip4:192.0.2.192/26 ~all")
    zones.add(b, f"out.{b}", "A", "192.0.2.130")
    zones.add(b, b, "MX", f"10 mx.{b}.")
    zones.add(b, f"mx.{b}", "A", "192.0.2.131")

    c = "chain.example"
    for i in range(1, CHAIN_LENGTH):
        zones.add(c, f"l{i}.{c}", "TXT", f"v=spf1 include:l{i + 1}.{c} ~all")
    zones.add(c, f"l{CHAIN_LENGTH}.{c}", "TXT", "v=spf1 ip4:192.0.2.64/27 ~all")

    bomb = "bomb.example"

    def node(path: str) -> None:
        name = f"n{path}.{bomb}"
        if len(path) == BOMB_DEPTH:
            zones.add(bomb, name, "TXT", "v=spf1 ip4:192.0.2.1 -all")
            return
        children = " ".join(f"include:n{path}{i}.{bomb}" for i in range(BOMB_FANOUT))
        zones.add(bomb, name, "TXT", f"v=spf1 {children} -all")
        for i in range(BOMB_FANOUT):
            node(f"{path}{i}")

    node("")

    zones.add("dmarc-reports.example", "dmarc-reports.example", "MX",
              "10 mx.dmarc-reports.example.")
    zones.add("dmarc-reports.example", "mx.dmarc-reports.example", "A", "192.0.2.140")
    zones.add("unauth-reports.example", "unauth-reports.example", "MX",
              "10 mx.unauth-reports.example.")
    zones.add("unauth-reports.example", "mx.unauth-reports.example", "A", "192.0.2.141")


def _token(rng: random.Random) -> str:
    return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(32))


def _customer(zones: _Zones, domain: str, kind: Kind, rng: random.Random,
              keys: dict[str, str]) -> DomainSpec:
    d = domain
    spf = "v=spf1 include:_spf.workspace.example include:ses.example -all"
    dmarc: str | None = f"v=DMARC1; p=reject; rua=mailto:dmarc@{d}"
    mx: list[str] = [f"10 mx1.{d}.", f"20 mx2.{d}."]
    mail_from: str | None = f"mail.{d}"
    selectors: list[str] = ["sel1"]
    extra_txt: list[str] = [f"site-verification={_token(rng)}"]
    name = kind.name

    zones.add(d, f"mx1.{d}", "A", "192.0.2.25")
    zones.add(d, f"mx2.{d}", "AAAA", "2001:db8::25")
    zones.add(d, f"sel1._domainkey.{d}", "TXT", f"v=DKIM1; k=rsa; p={keys['2048']}")
    for _ in range(3):
        token = _token(rng)
        zones.add(d, f"{token}._domainkey.{d}", "CNAME", f"{token}.dkim.ses.example.")
        zones.add("ses.example", f"{token}.dkim.ses.example", "TXT", f"p={keys['2048']}")
        selectors.append(token)

    if name == "relay":
        spf = "v=spf1 include:_spf.relay.example include:ses.example -all"
        dmarc = (f"v=DMARC1; p=quarantine; np=reject; "
                 f"rua=mailto:agg@dmarc-reports.example,mailto:dmarc@{d}")
        zones.add("dmarc-reports.example", f"{d}._report._dmarc.dmarc-reports.example", "TXT",
                  "v=DMARC1")
    elif name == "nullmx":
        spf, mx, mail_from, selectors = "v=spf1 -all", ["0 ."], None, []
    elif name == "overbudget":
        spf = "v=spf1 include:_spf.workspace.example include:spf.bulkmail.example -all"
    elif name == "deepchain":
        spf = "v=spf1 include:l1.chain.example include:ses.example -all"
    elif name == "void":
        spf = f"v=spf1 a:gone1.{d} a:gone2.{d} mx:gone3.{d} include:ses.example -all"
    elif name == "loop":
        spf = f"v=spf1 include:loop-a.{d} include:ses.example -all"
        zones.add(d, f"loop-a.{d}", "TXT", f"v=spf1 include:loop-b.{d} -all")
        zones.add(d, f"loop-b.{d}", "TXT", f"v=spf1 include:loop-a.{d} -all")
    elif name == "oversized":
        literals = " ".join(f"ip4:198.51.100.{i}" for i in range(2, 40))
        spf = f"v=spf1 {literals} include:ses.example -all"
        extra_txt += [f"verification-{i}={_token(rng)}{_token(rng)}" for i in range(12)]
    elif name == "nullmxsends":
        mx, mail_from, selectors = ["0 ."], None, []
        spf = "v=spf1 include:ses.example -all"
    elif name == "multiplespf":
        zones.add(d, d, "TXT", "v=spf1 include:_spf.relay.example -all")
    elif name == "nospf":
        spf, dmarc = "", None
    elif name == "syntax":
        spf = "v=spf1 include:ses.example frobnicate:ses.example -all"
    elif name == "missinginclude":
        spf = "v=spf1 include:nospf.relay.example include:ses.example -all"
    elif name == "refusedinclude":
        spf = f"v=spf1 include:{OUTSIDE_INCLUDE} include:ses.example -all"
    elif name == "bomb":
        spf = "v=spf1 include:n.bomb.example -all"
    elif name == "weakdkim":
        zones.add(d, f"old._domainkey.{d}", "TXT", f"v=DKIM1; k=rsa; p={keys['1024']}")
        zones.add(d, f"tiny._domainkey.{d}", "TXT", f"v=DKIM1; k=rsa; p={keys['512']}")
        zones.add(d, f"revoked._domainkey.{d}", "TXT", "v=DKIM1; k=rsa; p=")
        selectors += ["old", "tiny", "revoked"]
    elif name == "nodkim":
        selectors.append("nokey")
    elif name == "mailfromnomx":
        mail_from = f"bounce.{d}"
        zones.add(d, mail_from, "TXT", "v=spf1 include:ses.example -all")
    elif name == "mxvoid":
        mx = [f"10 mx.nowhere.{d}."]
    elif name == "dmarcsyntax":
        dmarc = f"v=DMARC1; p=monitor; rua=mailto:dmarc@{d}"
    elif name == "ruaunauthorised":
        dmarc = "v=DMARC1; p=reject; rua=mailto:agg@unauth-reports.example"

    if spf:
        zones.add(d, d, "TXT", spf)
    for value in extra_txt:
        zones.add(d, d, "TXT", value)
    for value in mx:
        zones.add(d, d, "MX", value)
    if dmarc is not None:
        zones.add(d, f"_dmarc.{d}", "TXT", dmarc)
    if mail_from == f"mail.{d}":
        zones.add(d, mail_from, "MX", f"10 {SES_FEEDBACK}.")
        zones.add(d, mail_from, "TXT", "v=spf1 include:ses.example -all")
    return DomainSpec(d, kind, mail_from, tuple(selectors))


def generate(
    directory: Path,
    domains: int = len(PATTERN),
    *,
    seed: int = 6,
    kinds: Sequence[str] | None = None,
) -> Internet:
    """Write the zones of an internet with ``domains`` customers into ``directory``.

    Customer ``i`` is of kind ``kinds[i % len(kinds)]`` (default: ``PATTERN``,
    every other domain healthy). The same arguments write the same files.
    """
    pattern = tuple(kinds) if kinds is not None else PATTERN
    unknown = [k for k in pattern if k not in KINDS]
    if unknown:
        raise ValueError(f"unknown kinds {unknown}; known: {sorted(KINDS)}")
    rng = random.Random(seed)
    keys = {
        "2048": rsa_public_key(2048, rng),
        "1024": rsa_public_key(1024, rng),
        "512": rsa_public_key(512, rng),
    }
    zones = _Zones()
    _providers(zones)
    specs = []
    for i in range(domains):
        kind = KINDS[pattern[i % len(pattern)]]
        specs.append(_customer(zones, f"{kind.name}-{i:04d}.test", kind, rng, keys))
    internet = Internet(Path(directory), specs)
    internet.zones = zones.write(Path(directory))
    return internet


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("directory", type=Path)
    parser.add_argument("--domains", type=int, default=len(PATTERN))
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--list", type=Path, help="also write a --file list of the domains")
    args = parser.parse_args(argv)
    internet = generate(args.directory, args.domains, seed=args.seed)
    if args.list:
        internet.write_list(args.list)
    print(f"{len(internet.zones)} zones, {len(internet.domains)} customer domains "
          f"in {args.directory}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
