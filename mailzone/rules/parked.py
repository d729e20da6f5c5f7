"""Parked domains: a domain that sends and takes no mail, and the set that locks it down.

A null MX (RFC 7505, ``MX 0 .``) says a domain takes no mail; a domain that also
sends none publishes ``v=spf1 -all`` and DMARC ``p=reject`` with ``sp=reject``
and ``np=reject``, so neither its name nor any name under it, existing or not,
can be used to spoof mail (RFC 9989's ``np``). A null MX beside other MX records,
or beside an SPF record that authorises senders, contradicts itself. These are
the judgements ``mailzone check`` makes of what is published and the pack's
``parked-domain`` policy makes of what a stack declares; the config's ``parked``
writes the whole set, so the components never need them.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from mailzone.errors import SpfSyntaxError
from mailzone.findings import Finding
from mailzone.mail.discovery import Discovery, walk_targets
from mailzone.mail.dmarc import DmarcRecord, Policy, record_name
from mailzone.registry import MX_NULL_MIXED, MX_NULL_SPF, PARKED_INCOMPLETE
from mailzone.rules.records import DnsRecord, spf_values, under
from mailzone.spf.parser import parse
from mailzone.spf.terms import Kind, Qualifier

LOCKDOWN_DMARC = "v=DMARC1; p=reject; sp=reject; np=reject"
#: RFC 7505: the domain accepts no mail.
NULL_MX = "0 ."
#: RFC 6376 3.6.1: an empty p= is a revoked key.
REVOKED_DKIM = "v=DKIM1; p="


def is_null_mx(value: str) -> bool:
    """``0 .`` (RFC 7505): the domain takes no mail. ``value`` is an MX record's
    ``"<preference> <exchange>"``, or its exchange alone (as the pack sees some
    providers' records)."""
    parts = value.split()
    if len(parts) == 1:  # "0 " once a resolver drops the root's dot, or "." alone
        return parts[0] in ("0", ".")
    return len(parts) == 2 and parts[0] == "0" and parts[1] == "."


def spf_sends(record: str | None) -> bool | None:
    """Whether an SPF record authorises any sender (None: no record, or one that does not
    parse)."""
    if record is None:
        return None
    try:
        parsed = parse(record)
    except SpfSyntaxError:
        return None
    if parsed.redirect is not None and parsed.all is None:
        return True
    return any(
        m.kind is not Kind.ALL or m.qualifier is Qualifier.PASS for m in parsed.mechanisms
    )


def lockdown_gaps(record: DmarcRecord | None, *, inherited: bool = False) -> list[str]:
    """What a parked domain's DMARC lacks of ``p=reject; sp=reject; np=reject``.

    ``inherited``: the record is a parent's, found by the tree walk; what it asks for the
    parked domain is its ``sp``, and for names under it that do not exist its ``np``.
    """
    if record is None:
        return ["a DMARC record"]
    if not record.applies:
        return ["a DMARC record receivers apply (it has no valid p= and no rua=)"]
    testing = ["t=n (it is t=y: receivers do not apply a policy under test)"] \
        if record.in_testing else []
    own = record.policy_for(subdomain=inherited)
    asked = [("p" if not inherited else "sp (which applies to it)", own),
             ("sp", record.effective_subdomain_policy),
             ("np", record.effective_nonexistent_policy)]
    if inherited:
        asked = asked[::2]
    return [f"{tag}=reject (it is {policy.value})" for tag, policy in asked
            if policy is not Policy.REJECT] + testing


def check_parked(domain: str, record: DmarcRecord | None, *, inherited: bool = False,
                 where: str = "", label: str = "") -> list[Finding]:
    """``parked-incomplete`` for a domain with a null MX and ``v=spf1 -all`` whose DMARC
    is not the lockdown set."""
    gaps = lockdown_gaps(record, inherited=inherited)
    if not gaps:
        return []
    who = f"{label}: " if label else ""
    return [PARKED_INCOMPLETE.error(
        f"{who}{domain} is parked (a null MX and v=spf1 -all: it sends and takes no mail) "
        f"but its DMARC lacks {', '.join(gaps)}: spoofed mail from it or from names under "
        f"it is not rejected. Publish '{LOCKDOWN_DMARC}' at {record_name(domain)}",
        where or domain)]


def check_null_mx(domain: str, mx_values: Sequence[str], spf_records: Sequence[str], *,
                  where: str = "", label: str = "") -> list[Finding]:
    """A null MX beside other MX records (``mx-null-mixed``) or beside an SPF record that
    authorises senders (``mx-null-spf``); nothing when ``domain`` has no null MX."""
    if not any(is_null_mx(v) for v in mx_values):
        return []
    who = f"{label}: " if label else ""
    findings: list[Finding] = []
    others = [v for v in mx_values if not is_null_mx(v)]
    if others:
        findings.append(MX_NULL_MIXED.error(
            f"{who}{domain} has a null MX ('0 .') beside {len(others)} other MX records: "
            "RFC 7505 says a null MX must be the only one. Remove one or the other",
            where or domain))
    for text in spf_records:
        if spf_sends(text):
            findings.append(MX_NULL_SPF.error(
                f"{who}{domain} has a null MX (it takes no mail, so bounces and replies cannot "
                f"come back) but its SPF record authorises senders: '{text}'. Publish "
                "'v=spf1 -all' if it sends no mail, or real MX hosts if it does",
                where or domain))
    return findings


def check_parked_records(records: Sequence[DnsRecord], *,
                         external_domains: Collection[str] = ()) -> list[Finding]:
    """The parked-domain judgements over a stack's declared records (the pack's
    ``parked-domain``): every name with a null MX, beside its other MX values and its SPF
    records, and, when its SPF authorises nobody, the DMARC record the tree walk finds
    among the declared ``_dmarc`` names (not for names under ``external_domains``, whose
    DMARC is published elsewhere). Unknown values are never judged."""
    if any(r.fqdn is None for r in records if r.type_upper in ("MX", "TXT", None)):
        return []  # a record whose name is not known yet may be any of them
    by_name: dict[str, list[DnsRecord]] = {}
    for record in records:
        by_name.setdefault(record.fqdn or "", []).append(record)
    findings: list[Finding] = []
    for name, here in sorted(by_name.items()):
        mx = [r for r in here if r.type_upper == "MX"]
        null = next((r for r in mx if any(is_null_mx(v) for v in r.known_values())), None)
        if null is None or any(r.has_unknown_values for r in here):
            continue
        spf = [text for r in here for text in spf_values(r)]
        findings += check_null_mx(name, [v for r in mx for v in r.known_values()], spf,
                                  where=null.where, label=null.label)
        if not spf or any(spf_sends(text) is not False for text in spf):
            continue
        if under(name, external_domains):
            continue
        found = _declared_dmarc(name, by_name)
        if found is not None:
            dmarc, inherited = found
            findings += check_parked(name, dmarc, inherited=inherited, where=null.where,
                                     label=null.label)
    return findings


def _declared_dmarc(name: str, by_name: Mapping[str, Sequence[DnsRecord]]
                    ) -> tuple[DmarcRecord | None, bool] | None:
    """The DMARC record the tree walk finds for ``name`` among declared records
    (``mailzone.mail.discovery``), and whether it is an ancestor's; None when a value it
    would read is not known."""
    published: dict[str, list[str]] = {}
    for target in walk_targets(name):
        txt = [r for r in by_name.get(record_name(target), ()) if r.type_upper == "TXT"]
        if any(r.has_unknown_values for r in txt):
            return None
        published[target] = [v for r in txt for v in r.known_values()]
    walk = Discovery.over(name, published)
    return walk.record, walk.inherited
