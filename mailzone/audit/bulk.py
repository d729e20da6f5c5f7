"""The bulk-sender profile of a check: does each sender meet the providers' bar?

``mailzone check --profile bulk-sender`` holds every catalogue sender a domain
authorises (its SPF includes, at the domain and at the MAIL FROM domain) to the bar
of ``mailzone.mail.bulk``: SPF passes for it, DKIM is published at its selectors,
DMARC applies with at least ``p=none`` and an ``rua=``, and SPF or DKIM aligns with
the domain.

``bulk_area`` is the engine: it asks, besides what the other areas ask (shared
through the resolver's cache), the keys at the catalogue's documented selectors of
the senders found. ``judge_bulk`` then judges every sender from the facts the areas
fetched, without I/O, and reports one ``bulk-sender-unmet`` per sender short of the
bar.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

from mailzone.audit.cross import is_parked
from mailzone.audit.dkim import judge_key
from mailzone.audit.model import (
    DkimFacts,
    DkimStatus,
    DmarcStatus,
    DomainReport,
    SpfFacts,
    SpfStatus,
)
from mailzone.dns.exchange import Exchange, ask_all
from mailzone.dns.resolver import RdType
from mailzone.errors import DnsError
from mailzone.findings import Finding
from mailzone.mail import catalogue
from mailzone.mail.bulk import (
    BAR,
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
from mailzone.mail.dkim import dkim_name
from mailzone.mail.dmarc import Alignment, parse_dmarc
from mailzone.registry import BULK_SENDER_UNMET

_SES_TOKEN = re.compile(r"[a-z2-7]{32}")


def _includes(facts: SpfFacts | None) -> set[str]:
    if facts is None or facts.budget is None:
        return set()
    return set(facts.budget.includes)


def senders_of(report: DomainReport) -> list[Sender]:
    """The catalogue senders a domain authorises, at the domain or its MAIL FROM domain."""
    found = _includes(report.spf) | _includes(report.mail_from_spf)
    return [s for s in catalogue.senders() if s.spf_include in found]


def _probe_selectors(senders: Sequence[Sender], audited: Sequence[DkimFacts]) -> list[str]:
    done = {facts.selector for facts in audited}
    return list(dict.fromkeys(sel for s in senders for sel in s.dkim_selectors
                              if sel not in done))


def bulk_area(report: DomainReport, found: list[DkimFacts],
              senders: Sequence[Sender]) -> Exchange[None]:
    """Ask the keys at the catalogue selectors of ``senders`` that the audit did not ask,
    in one batch, once the other areas have fetched what they need."""
    selectors = _probe_selectors(senders, report.dkim)
    outcomes = yield from ask_all([(dkim_name(sel, report.domain), RdType.TXT)
                                   for sel in selectors])
    for selector, outcome in zip(selectors, outcomes, strict=True):
        facts = DkimFacts(selector, dkim_name(selector, report.domain))
        if isinstance(outcome, DnsError):
            facts.status = DkimStatus.DNS_ERROR
        else:
            judge_key(facts, outcome)  # its findings belong to the bar, not the audit
        found.append(facts)


def _spf(report: DomainReport, sender: Sender) -> tuple[Verdict, str | None]:
    """The SPF verdict, and the domain SPF is evaluated at (for alignment)."""
    mail_from = report.mail_from_spf
    if sender.key == SES and report.mail_from is not None and mail_from is not None:
        facts, where = mail_from, report.mail_from
    elif sender.customer_mail_from:
        facts, where = report.spf, report.domain
    else:
        return own_mail_from(sender, report.domain), None
    if sender.spf_include not in _includes(facts):
        return Verdict(Requirement.SPF, False,
                       f"{where}'s SPF record does not authorise include:{sender.spf_include}"
                       ), where
    if facts.status is not SpfStatus.OK:
        return Verdict(Requirement.SPF, False,
                       f"{where}'s SPF record gives {facts.status}: {facts.reason}"), where
    lookups = facts.budget.total if facts.budget is not None else 0
    return Verdict(Requirement.SPF, True,
                   f"include:{sender.spf_include} authorised at {where}, {lookups} of 10 "
                   "lookups"), where


def _selectors(report: DomainReport, sender: Sender) -> list[str]:
    """The selectors a sender may sign with: for SES, every selector given on the command
    line (its identity's tokens); for the others, the catalogue's documented ones and the
    given ones that are not Easy DKIM tokens (32 base32 characters)."""
    given = [f.selector for f in report.dkim]
    if sender.key == SES:  # SES's keys are its identity's tokens: whatever is given
        return given
    mine = [s for s in given if _SES_TOKEN.fullmatch(s) is None]
    return list(dict.fromkeys([*sender.dkim_selectors, *mine]))


def _dkim(report: DomainReport, sender: Sender, probes: Sequence[DkimFacts],
          wrong_zone: Collection[str] = ()) -> Verdict:
    selectors = [s for s in _selectors(report, sender)
                 if dkim_name(s, report.domain) not in wrong_zone]
    if not selectors:
        how = ("the identity's three tokens ('pulumi stack output')" if sender.key == SES
               else "the selector it signs with")
        return Verdict(Requirement.DKIM, None,
                       f"not checked: no selector is known for {sender.name}; pass {how} "
                       "as --dkim-selector")
    facts = {f.selector: f for f in (*report.dkim, *probes)}
    good = [s for s in selectors if s in facts and facts[s].status is DkimStatus.OK]
    if good:
        return Verdict(Requirement.DKIM, True,
                       f"a valid key at {dkim_name(good[0], report.domain)}")
    states = ", ".join(f"{s}: {facts[s].status if s in facts else 'not asked'}"
                       for s in selectors)
    return Verdict(Requirement.DKIM, False, f"no valid key at the selectors ({states})")


def _dmarc(report: DomainReport) -> Verdict:
    dmarc = report.dmarc
    if dmarc.status in (DmarcStatus.DNS_ERROR, DmarcStatus.TIMEOUT, DmarcStatus.UNCHECKED):
        return Verdict(Requirement.DMARC, None, f"the DMARC policy is unknown ({dmarc.status})")
    if dmarc.record is None:
        return dmarc_verdict(None, dmarc.status)
    return dmarc_verdict(parse_dmarc(dmarc.record), dmarc.source or "",
                         inherited=dmarc.source != dmarc.name)


def _alignment(report: DomainReport, spf: Verdict, spf_at: str | None, dkim: Verdict
               ) -> Verdict:
    """``mail.bulk.alignment`` with the organisational domains the tree walk found."""
    dmarc = report.dmarc
    same: bool | None = None
    if spf_at == report.domain:
        same = True
    elif (spf_at is not None and spf_at == report.mail_from
          and dmarc.organisational_domain and dmarc.mail_from_organisational_domain):
        same = dmarc.organisational_domain == dmarc.mail_from_organisational_domain
    # The record was found as one, so it parses (parse_dmarc raises only for values
    # that are no DMARC record at all).
    strict = dmarc.record is not None and parse_dmarc(dmarc.record).aspf is Alignment.STRICT
    return alignment(report.domain, spf, spf_at, dkim, same_organisation=same, strict=strict)


def judge_bulk(report: DomainReport, probes: Sequence[DkimFacts],
               wrong_zone: Collection[str] = ()) -> tuple[list[SenderBar], list[Finding]]:
    """Every sender of ``report`` against the bar, and a finding per sender short of it.

    ``wrong_zone``: key names whose SES CNAME points outside the stack's regions' zones
    (``ses-dkim-missing``): their keys never verify, so they satisfy nothing here.
    """
    report.parked = is_parked(report)
    bars: list[SenderBar] = []
    findings: list[Finding] = []
    senders = senders_of(report)
    dmarc = _dmarc(report)
    for sender in senders:
        spf, spf_at = _spf(report, sender)
        dkim = _dkim(report, sender, probes, wrong_zone)
        bar = SenderBar(sender.key, sender.name,
                        [spf, dkim, dmarc, _alignment(report, spf, spf_at, dkim)])
        bars.append(bar)
        findings += unmet_findings(bar, report.domain)
    if not senders and not report.parked:  # a parked domain sends nothing to judge
        findings.append(BULK_SENDER_UNMET.warning(
            f"{report.domain} authorises no sender of mailzone's catalogue in its SPF "
            "record, so the bulk-sender bar could not be checked for any sender ("
            + ", ".join(rule.requirement for rule in BAR) + " are judged per sender)",
            report.domain))
    return bars, findings
