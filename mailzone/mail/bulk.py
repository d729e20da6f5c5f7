"""The bulk-sender bar: what the large mailbox providers require of senders, as data.

Google and Yahoo (from February 2024) and Microsoft Outlook.com (from May 2025) require
of domains that send them more than about 5,000 messages a day: SPF and DKIM both
passing, a DMARC record with at least ``p=none``, and the From domain aligned with the
SPF or the DKIM domain. SPF passes only within RFC 7208's limit of 10 lookups. Each
requirement below carries the providers' wording of it, paraphrased from their sender
guidelines as published at the dates given (this machine cannot reach them to quote
the current text), and the key ``mailzone check --profile bulk-sender`` reports it by.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from mailzone.findings import Finding
from mailzone.mail.catalogue import Sender
from mailzone.mail.dmarc import DmarcRecord
from mailzone.names import is_under
from mailzone.registry import BULK_SENDER_UNMET

#: The latest date the bar below was checked against the providers' guidelines.
BAR_AS_OF = date(2025, 5, 5)
#: Daily volume above which the providers apply the bar.
BULK_DAILY_MESSAGES = 5000


class Requirement(StrEnum):
    SPF = "spf"
    DKIM = "dkim"
    DMARC = "dmarc"
    ALIGNMENT = "alignment"


@dataclass(frozen=True, slots=True)
class Rule:
    """One requirement of the bar: what mailzone checks, and how the providers put it."""

    requirement: Requirement
    checks: str
    wording: str
    source: str


BAR: tuple[Rule, ...] = (
    Rule(Requirement.SPF,
         "the sender's SPF include is authorised where SPF is evaluated (the MAIL FROM "
         "domain, else the domain) and the record passes within 10 lookups",
         "set up SPF for your sending domain; SPF must pass",
         "Google and Yahoo sender guidelines (2024-02); Microsoft Outlook.com (2025-05); "
         "RFC 7208 4.6.4"),
    Rule(Requirement.DKIM,
         "a valid DKIM key is published at one of the sender's selectors",
         "set up DKIM signing for your domain; DKIM must pass",
         "Google and Yahoo sender guidelines (2024-02); Microsoft Outlook.com (2025-05)"),
    Rule(Requirement.DMARC,
         "a DMARC record applies to the domain, at least p=none, with an rua= destination",
         "publish a DMARC record for the sending domain; its policy may be p=none",
         "Google and Yahoo sender guidelines (2024-02); Microsoft Outlook.com (2025-05)"),
    Rule(Requirement.ALIGNMENT,
         "the MAIL FROM domain is the domain or under it (SPF aligns), or the DKIM key is "
         "the domain's own (d= aligns)",
         "the From domain must align with the SPF domain or the DKIM domain",
         "Google and Yahoo sender guidelines (2024-02); Microsoft Outlook.com (2025-05)"),
)

RULES = {rule.requirement: rule for rule in BAR}


@dataclass(slots=True)
class Verdict:
    """One requirement for one sender: met (True), not (False) or not known (None)."""

    requirement: Requirement
    met: bool | None
    detail: str

    def to_json(self) -> dict[str, Any]:
        rule = RULES[self.requirement]
        return {"requirement": self.requirement, "met": self.met, "detail": self.detail,
                "checks": rule.checks, "providers_say": rule.wording, "source": rule.source}


@dataclass(slots=True)
class SenderBar:
    """How one sender of a domain stands against the bar."""

    sender: str  # the catalogue key
    name: str
    verdicts: list[Verdict] = field(default_factory=list)

    @property
    def met(self) -> bool:
        return all(v.met is True for v in self.verdicts)

    def to_json(self) -> dict[str, Any]:
        return {"sender": self.sender, "name": self.name, "met": self.met,
                "requirements": [v.to_json() for v in self.verdicts]}


def unmet_findings(bar: SenderBar, domain: str, where: str = "") -> list[Finding]:
    """``bulk-sender-unmet`` when the sender is short of the bar, naming what it lacks."""
    short = [v for v in bar.verdicts if v.met is not True]
    if not short:
        return []
    # A requirement not met is an error; one that could not be judged (no selector
    # known) only says so, as a warning, unless another is not met.
    failed = any(v.met is False for v in short)
    report = BULK_SENDER_UNMET.error if failed else BULK_SENDER_UNMET.warning
    verb = "does not meet" if failed else "could not be fully checked against"
    return [report(
        f"{bar.name} {verb} the bulk-sender bar for {domain} (Google, Yahoo, "
        f"Microsoft; as of {BAR_AS_OF.isoformat()}): "
        + "; ".join(f"{v.requirement} {'not known' if v.met is None else 'not met'}: "
                    f"{v.detail}" for v in short),
        where or domain)]


#: The catalogue key of Amazon SES, whose MAIL FROM and DKIM keys are per identity.
SES = "amazon-ses"


def own_mail_from(sender: Sender, domain: str) -> Verdict:
    """SPF for a service that sends with its own MAIL FROM domain: it passes there, and
    does not align with ``domain``."""
    own = "a custom MAIL FROM domain" if sender.key == SES else "a custom return path"
    return Verdict(Requirement.SPF, True,
                   f"{sender.name} sends with its own MAIL FROM domain, where its SPF passes; "
                   f"it does not align with {domain} without {own}")


def dmarc_verdict(record: DmarcRecord | None, source: str, *, inherited: bool = False
                  ) -> Verdict:
    """The DMARC requirement from the record that applies (``source``: where it is, or
    why there is none)."""
    if record is None:
        return Verdict(Requirement.DMARC, False, f"no DMARC record applies ({source})")
    if not record.applies:
        return Verdict(Requirement.DMARC, False, f"the record at {source} has no valid p= "
                       "and no rua=: receivers apply no DMARC")
    policy = record.policy_for(subdomain=inherited).value
    if not record.rua:
        return Verdict(Requirement.DMARC, False,
                       f"p={policy} at {source}, but no rua= destination")
    return Verdict(Requirement.DMARC, True,
                   f"p={policy} at {source}, reports to {', '.join(record.rua)}")


def alignment(domain: str, spf: Verdict, spf_at: str | None, dkim: Verdict, *,
              same_organisation: bool | None = None, strict: bool = False) -> Verdict:
    """SPF aligns when it passes at a name in the domain's organisational domain
    (``same_organisation``, from the tree walk; without one, ``domain`` or a name under
    it), or at ``domain`` itself under ``aspf=s`` (``strict``); DKIM when the domain's
    own key signs (a key at ``<selector>._domainkey.<domain>`` is ``d=<domain>``). This is
    ``dmarc-spf-unaligned``'s judgement (``mailzone.audit.dmarc``)."""
    aligned = False
    if spf_at is not None:
        if strict:
            aligned = spf_at.rstrip(".").lower() == domain.rstrip(".").lower()
        elif same_organisation is not None:
            aligned = same_organisation
        else:
            aligned = is_under(spf_at, domain)
    if spf.met and spf_at is not None and aligned:
        return Verdict(Requirement.ALIGNMENT, True,
                       f"SPF aligns: the MAIL FROM domain {spf_at} is "
                       + ("the domain (aspf=s)" if strict else f"in {domain}'s organisation"))
    if dkim.met:
        return Verdict(Requirement.ALIGNMENT, True,
                       f"DKIM aligns: the key is {domain}'s own (d={domain})")
    if dkim.met is None:
        return Verdict(Requirement.ALIGNMENT, None, "SPF does not align and DKIM was not checked")
    where = spf_at or "the service's own MAIL FROM domain"
    return Verdict(Requirement.ALIGNMENT, False,
                   f"neither aligns: SPF is evaluated at {where} and no key of {domain} signs")
