"""What ``mailzone check`` is given and what it finds: targets, facts per area, reports.

Each area's facts carry a status (an enum below) that says what a receiver gets
from the published records, whatever the client; ``DomainReport.to_json`` is the
``--format json`` document of one domain (``schema_version`` is the command's).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from mailzone.dns.capped import DEFAULT_QUERY_CAP
from mailzone.dns.txt import octets
from mailzone.findings import Finding, has_errors
from mailzone.mail.dmarc import record_name
from mailzone.spf.budget import Budget


class SpfStatus(StrEnum):
    """What a receiver gets from the SPF record at a name (RFC 7208 2.6)."""

    NONE = "none"
    OK = "ok"
    PERMERROR = "permerror"
    TEMPERROR = "temperror"
    UNCHECKED = "unchecked"


class DmarcStatus(StrEnum):
    OK = "ok"
    NOT_APPLIED = "not-applied"  # no valid p= and no rua=: receivers apply no DMARC
    MISSING = "missing"
    MULTIPLE = "multiple"
    SYNTAX = "syntax"
    DNS_ERROR = "dns-error"
    TIMEOUT = "timeout"
    UNCHECKED = "unchecked"


class MxStatus(StrEnum):
    OK = "ok"
    NULL = "null"  # RFC 7505: the domain takes no mail
    MISSING = "missing"
    DNS_ERROR = "dns-error"
    TIMEOUT = "timeout"
    UNCHECKED = "unchecked"


class DkimStatus(StrEnum):
    OK = "ok"
    MISSING = "missing"
    MULTIPLE = "multiple"
    SYNTAX = "syntax"
    REVOKED = "revoked"
    DNS_ERROR = "dns-error"
    TIMEOUT = "timeout"
    UNCHECKED = "unchecked"


class ReportStatus(StrEnum):
    OK = "ok"
    WARNING = "warning"
    ERROR = "error"


DEFAULT_DOMAIN_TIMEOUT = 30.0



# -- what a run is given -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Target:
    """One domain to check, with what is known about it beyond its name.

    ``mail_from``: the MAIL FROM (envelope sender) domain its mail uses, when
    known. ``dkim_selectors``: the selectors whose keys to check.
    ``ses_identity``: an SES identity signs for it with Easy DKIM (from a
    stack); without selectors that is said in a ``dkim-not-checked`` warning.
    ``origin``: where the target came from (``domains.txt:12``), for messages.
    ``more_mail_from``: the other MAIL FROM domains it uses (an SES identity per
    region, each with its own), checked as the first is. ``dkim_zones``: the Easy
    DKIM zones its SES identities' CNAMEs must point into (one per region, from a
    stack); a selector whose CNAME points elsewhere under amazonses.com never verifies.
    """

    domain: str
    mail_from: str | None = None
    dkim_selectors: tuple[str, ...] = ()
    ses_identity: bool = False
    origin: str = ""
    more_mail_from: tuple[str, ...] = ()
    dkim_zones: tuple[str, ...] = ()


class Profile(StrEnum):
    """A set of requirements a check holds domains to, beyond the audit's own."""

    BULK_SENDER = "bulk-sender"  # mailzone.mail.bulk: the large mailbox providers' bar


@dataclass(frozen=True, slots=True)
class AuditOptions:
    ip: str | None = None
    domain_timeout: float = DEFAULT_DOMAIN_TIMEOUT
    query_cap: int = DEFAULT_QUERY_CAP
    profile: Profile | None = None


# -- what a run finds -----------------------------------------------------------------


@dataclass(slots=True)
class SpfFacts:
    """The SPF record at one name (the domain, or its MAIL FROM domain)."""

    name: str
    status: SpfStatus = SpfStatus.UNCHECKED
    reason: str = ""
    values: list[str] = field(default_factory=list)
    txt_answer_octets: int | None = None
    budget: Budget | None = None

    @property
    def record(self) -> str | None:
        return self.values[0] if len(self.values) == 1 else None

    def to_json(self) -> dict[str, Any]:
        budget = self.budget
        return {
            "name": self.name,
            "status": self.status,
            "reason": self.reason,
            "values": self.values,
            "record": self.record,
            "size": octets(self.record) if self.record is not None else None,
            "txt_answer_octets": self.txt_answer_octets,
            "lookups": budget.total if budget is not None else None,
            "void_lookups": budget.void_lookups if budget is not None else [],
            "loops": budget.loops if budget is not None else [],
            "ip_literals": {
                "own": [ip.term for ip in budget.ip_literals if ip.own] if budget else [],
                "third_party": [
                    {"domain": ip.domain, "term": ip.term}
                    for ip in budget.ip_literals if not ip.own
                ] if budget else [],
            },
            "budget": _budget_json(budget) if budget is not None else None,
        }


def _budget_json(budget: Budget) -> dict[str, Any]:
    """The lookup budget as ``mailzone spf tree --json`` gives it, less the flat term list
    (the tree holds the same terms, in order, with their running totals)."""
    return budget.to_json(flat_terms=False)


@dataclass(slots=True)
class DmarcFacts:
    name: str
    status: DmarcStatus = DmarcStatus.UNCHECKED
    record: str | None = None
    source: str | None = None  # the name the record was found at
    policy: str | None = None  # p as receivers read it (none when the record has no p=)
    subdomain_policy: str | None = None
    nonexistent_policy: str | None = None
    testing: bool = False  # t=y
    applied_policy: str | None = None  # what receivers apply to the domain's own mail
    organisational_domain: str | None = None
    mail_from_organisational_domain: str | None = None  # by the MAIL FROM domain's walk
    walk: list[str] = field(default_factory=list)  # the names the tree walk asked
    destinations: dict[str, bool | None] = field(default_factory=dict)  # dest -> authorised

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "record": self.record,
            "source": self.source,
            "policy": self.policy,
            "subdomain_policy": self.subdomain_policy,
            "nonexistent_policy": self.nonexistent_policy,
            "testing": self.testing,
            "applied_policy": self.applied_policy,
            "organisational_domain": self.organisational_domain,
            "mail_from_organisational_domain": self.mail_from_organisational_domain,
            "walk": [record_name(name) for name in self.walk],
            "external_destinations": [
                {"domain": dest, "authorised": ok} for dest, ok in self.destinations.items()
            ],
        }


@dataclass(slots=True)
class MxFacts:
    name: str
    status: MxStatus = MxStatus.UNCHECKED
    hosts: list[str] = field(default_factory=list)
    addresses: dict[str, list[str]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "status": self.status, "hosts": self.hosts,
                "addresses": self.addresses}


@dataclass(slots=True)
class DkimFacts:
    selector: str
    name: str
    status: DkimStatus = DkimStatus.UNCHECKED
    key_type: str | None = None
    key_bits: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"selector": self.selector, "name": self.name, "status": self.status,
                "key_type": self.key_type, "key_bits": self.key_bits}


@dataclass(frozen=True, slots=True)
class IpResult:
    identity: str  # the domain whose record was evaluated
    result: str
    reason: str
    mechanism: str | None
    lookups: int
    void_lookups: int

    def to_json(self) -> dict[str, Any]:
        return {"identity": self.identity, "result": self.result, "reason": self.reason,
                "mechanism": self.mechanism, "lookups": self.lookups,
                "void_lookups": self.void_lookups}


@dataclass(slots=True)
class DomainReport:
    """Everything found about one domain: facts per area and every finding."""

    domain: str
    index: int = 0
    origin: str = ""
    spf: SpfFacts = field(init=False)
    dmarc: DmarcFacts = field(init=False)
    mx: MxFacts = field(init=False)
    mail_from: str | None = None
    mail_from_spf: SpfFacts | None = None
    mail_from_mx: MxFacts | None = None
    # The other MAIL FROM domains (SES in several regions): (spf, mx) by domain.
    more_mail_from: dict[str, tuple[SpfFacts, MxFacts]] = field(default_factory=dict)
    dkim: list[DkimFacts] = field(default_factory=list)
    ip: str | None = None
    ip_results: list[IpResult] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    questions: int = 0  # distinct (name, type) questions this domain's checks asked
    elapsed: float = 0.0
    timed_out: bool = False
    parked: bool = False  # a null MX and v=spf1 -all: it sends and takes no mail
    # With --profile bulk-sender: each sender against the bar (audit.bulk.SenderBar).
    bulk: list[Any] | None = None

    def __post_init__(self) -> None:
        self.spf = SpfFacts(self.domain)
        self.dmarc = DmarcFacts(record_name(self.domain))
        self.mx = MxFacts(self.domain)

    @property
    def has_errors(self) -> bool:
        return has_errors(self.findings)

    @property
    def status(self) -> ReportStatus:
        if self.has_errors:
            return ReportStatus.ERROR
        return ReportStatus.WARNING if self.findings else ReportStatus.OK

    def to_json(self) -> dict[str, Any]:
        mail_from: dict[str, Any] | None = None
        if self.mail_from is not None:
            mail_from = {
                "domain": self.mail_from,
                "spf": self.mail_from_spf.to_json() if self.mail_from_spf else None,
                "mx": self.mail_from_mx.to_json() if self.mail_from_mx else None,
            }
        more = [{"domain": name, "spf": spf.to_json(), "mx": mx.to_json()}
                for name, (spf, mx) in self.more_mail_from.items()]
        return {
            "domain": self.domain,
            "status": self.status,
            "errors": sum(1 for f in self.findings if f.is_error),
            "warnings": sum(1 for f in self.findings if not f.is_error),
            "elapsed_s": round(self.elapsed, 3),
            "timed_out": self.timed_out,
            "questions": self.questions,
            "parked": self.parked,
            **({} if self.bulk is None else {"bulk_sender": [b.to_json() for b in self.bulk]}),
            "spf": self.spf.to_json(),
            "dmarc": self.dmarc.to_json(),
            "mx": self.mx.to_json(),
            "mail_from": mail_from,
            **({"more_mail_from": more} if more else {}),
            "dkim": [d.to_json() for d in self.dkim],
            "ip": None if self.ip is None else {
                "address": self.ip, "results": [r.to_json() for r in self.ip_results]},
            "findings": [f.to_json() for f in self.findings],
        }
