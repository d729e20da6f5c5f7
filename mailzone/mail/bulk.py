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

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

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
