"""The bulk-sender bar over what a stack declares (the pack's ``bulk-sender`` policy).

The same bar ``mailzone check --profile bulk-sender`` holds published domains to
(``mailzone.mail.bulk``), judged from declarations: for every domain the stack sends
from, each catalogue sender its SPF record includes (and Amazon SES where the stack
declares an SES identity for it) needs SPF passing (the include at the name SPF is
evaluated at, within the lookup budget by the catalogue's costs), DKIM (SES: the
identity's three CNAMEs; others: a record at one of the catalogue's documented
selectors), a DMARC record with ``rua`` found by the tree walk among the declared
``_dmarc`` names, and SPF or DKIM aligned. Nothing is judged while a name or value
it needs is unknown.
"""

from __future__ import annotations

import contextlib
from collections.abc import Collection, Mapping, Sequence

from mailzone.errors import SpfSyntaxError
from mailzone.findings import Finding
from mailzone.mail import catalogue
from mailzone.mail.bulk import (
    SES,
    Requirement,
    SenderBar,
    Verdict,
    alignment,
    dmarc_verdict,
    own_mail_from,
    unmet_findings,
)
from mailzone.mail.catalogue import Sender
from mailzone.mail.discovery import Discovery, walk_targets
from mailzone.mail.dkim import dkim_name
from mailzone.mail.dmarc import record_name
from mailzone.rules.records import DnsRecord, spf_values, under
from mailzone.rules.ses import MailFromDomain, SesIdentity, check_ses_identities
from mailzone.spf.budget import static_cost
from mailzone.spf.parser import parse as parse_spf

LOOKUP_LIMIT = 10


def _includes(texts: Sequence[str]) -> set[str]:
    """The include targets of the SPF records among ``texts`` (the parser's reading)."""
    targets: set[str] = set()
    for text in texts:
        with contextlib.suppress(SpfSyntaxError):
            targets.update(t.rstrip(".") for t in parse_spf(text).include_targets)
    return targets


def _spf(sender: Sender, domain: str, at_domain: Sequence[str],
         mail_from: tuple[str, Sequence[str]] | None) -> tuple[Verdict, str | None]:
    if sender.key == SES and mail_from is not None:
        where, texts = mail_from
    elif sender.customer_mail_from:
        where, texts = domain, at_domain
    else:
        return own_mail_from(sender, domain), None
    if sender.spf_include not in _includes(texts):
        return Verdict(Requirement.SPF, False, f"the SPF record declared at {where} does not "
                       f"include {sender.spf_include}"), where
    try:
        cost = max(static_cost(parse_spf(t), catalogue.include_costs()) for t in texts)
    except SpfSyntaxError:
        return Verdict(Requirement.SPF, False, f"the SPF record at {where} does not parse"), where
    if cost > LOOKUP_LIMIT:
        return Verdict(Requirement.SPF, False, f"the SPF record at {where} needs {cost} "
                       f"lookups, over {LOOKUP_LIMIT}: permerror"), where
    return Verdict(Requirement.SPF, True, f"include:{sender.spf_include} at {where}, {cost} "
                   f"of {LOOKUP_LIMIT} lookups"), where


def _dkim(sender: Sender, domain: str, identity: SesIdentity | None,
          records: Sequence[DnsRecord], names: Collection[str]) -> Verdict:
    if sender.key == SES:
        if identity is None:
            return Verdict(Requirement.DKIM, None, "no SES identity for the domain in the stack")
        if check_ses_identities([identity], [], records):
            return Verdict(Requirement.DKIM, False, "the identity's three DKIM CNAMEs are not "
                           "all in the stack (see ses-identity-complete)")
        return Verdict(Requirement.DKIM, True, "the SES identity's Easy DKIM CNAMEs")
    if not sender.dkim_selectors:
        return Verdict(Requirement.DKIM, None,
                       f"not checked: {sender.name}'s selector is chosen per customer")
    declared = [s for s in sender.dkim_selectors if dkim_name(s, domain) in names]
    if declared:
        return Verdict(Requirement.DKIM, True, f"a key record at {dkim_name(declared[0], domain)}")
    return Verdict(Requirement.DKIM, False, "no record at "
                   + " or ".join(dkim_name(s, domain) for s in sender.dkim_selectors))


def _dmarc(domain: str, txt: Mapping[str, Sequence[str]]) -> Verdict:
    walk = Discovery.over(domain, {target: txt.get(record_name(target), ())
                                   for target in walk_targets(domain)})
    if walk.record is None:
        return dmarc_verdict(None, "none declared in the stack")
    return dmarc_verdict(walk.record, record_name(walk.source or domain),
                         inherited=walk.inherited)


def check_bulk_sender(records: Sequence[DnsRecord], identities: Sequence[SesIdentity],
                      mail_froms: Sequence[MailFromDomain], *,
                      external_domains: Collection[str] = ()) -> list[Finding]:
    """``bulk-sender-unmet`` for each sender of each sending domain short of the bar."""
    # A TXT record whose name is not known yet may be any domain's SPF or DMARC record:
    # nothing can be said. Unknown DKIM CNAME names are counted as ses.py counts them.
    if any(r.fqdn is None for r in records if r.type_upper in ("TXT", None)):
        return []
    unknown_names = {r.fqdn for r in records if r.fqdn is not None and r.has_unknown_values}
    txt: dict[str, list[str]] = {}
    spf: dict[str, list[str]] = {}
    names = {r.fqdn for r in records if r.fqdn is not None}
    for record in records:
        if record.type_upper == "TXT" and record.fqdn is not None:
            txt.setdefault(record.fqdn, []).extend(record.known_values())
            spf.setdefault(record.fqdn, []).extend(spf_values(record))
    if any(i.domain is None for i in identities):
        return []  # an identity whose domain is not known yet may be any domain's
    ses = {i.domain.rstrip(".").lower(): i for i in identities if i.domain is not None}
    mail_from = {m.identity.rstrip(".").lower(): m.mail_from_domain.rstrip(".").lower()
                 for m in mail_froms if m.identity and m.mail_from_domain}
    domains = sorted({n for n, t in spf.items() if t and not n.startswith("_")
                      and n not in mail_from.values()} | set(ses))
    where = {r.fqdn: r.where for r in records if r.fqdn is not None and spf.get(r.fqdn)}
    findings: list[Finding] = []
    for domain in domains:
        if under(domain, external_domains):
            continue
        needed = {domain, mail_from.get(domain, domain),
                  *(record_name(t) for t in walk_targets(domain))}
        if needed & unknown_names:
            continue  # a value this domain's verdict needs is not known yet
        includes = _includes(spf.get(domain, ()))
        senders = [s for s in catalogue.senders()
                   if s.spf_include in includes or (s.key == SES and domain in ses)]
        mf = mail_from.get(domain)
        dmarc = _dmarc(domain, txt)  # the domain's, whoever sends
        for sender in senders:
            spf_verdict, spf_at = _spf(sender, domain, spf.get(domain, ()),
                                       None if mf is None else (mf, spf.get(mf, ())))
            dkim = _dkim(sender, domain, ses.get(domain), records, names)
            bar = SenderBar(sender.key, sender.name, [
                spf_verdict, dkim, dmarc,
                alignment(domain, spf_verdict, spf_at, dkim)])
            identity = ses.get(domain)
            findings += unmet_findings(bar, domain, where.get(domain) or (
                identity.where if identity is not None else ""))
    return findings
