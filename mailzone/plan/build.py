"""``mailzone plan``: what the world's DNS will see change, before any ``pulumi up``.

``pulumi preview --diff`` compares the program with Pulumi's state. A plan
compares each domain's desired records (``desired.desired_records``, the
function the components use) with the records published now, read through any
``Resolver`` (a directory of zone files, or live DNS), and judges the result
with the rules of the policy pack.

Per domain, per name and type, a ``RecordPlan`` says what happens
(``Action``) and what becomes of every value (``ValueStatus``). How a record
set is written depends on the DNS provider, exactly as the components write it:

- Route 53 holds every value of a name and type in one record set, and the
  component writes the whole set: its values plus ``keepTxt``. A published
  value of the same kind as a managed one (another ``v=spf1``, another DMARC
  record, another MX) is replaced (``remove``); any other published value that
  is not in ``keepTxt`` would be deleted (``lost``), which is an error
  (``plan-value-lost``): add it to ``keepTxt`` or remove it first on purpose.
- Cloudflare holds one record per value. The stack's record takes over the
  published value of its kind (updated in place: ``remove`` then ``add``);
  other values are other records, left alone (``unmanaged``). A second
  ``v=spf1`` value left at the name is an error (``spf-multiple-records``).
- Names and values the provider computes at apply time (the Easy DKIM tokens)
  are ``known-after-apply``: the plan cannot compare them, and they do not
  count as a change on their own.

An SPF value that is created or updated carries an ``SpfDiff``: the terms
added and removed, each term's lookups, and the lookup budget before and after
against RFC 7208's 10, walked through the same resolver.

Findings under each domain: the config's warnings, the plan's own
(``plan-*`` codes, below), the SPF engine's tree findings, and every rule of
the policy pack, called through the same core functions, over the records as
they will be once the plan is applied.

The include lock
----------------
The plan resolves every sender's include tree and compares it with the lock
of the last plan (``mailzone.plan.lock``): a provider whose record changed gets a
warning (``plan-include-changed``) with the lookups before and after. An
include that cannot be resolved keeps its previous entry; includes the plan
does not use stay in the lock (another stack beside the same file may use them).

Exit status (``Plan.exit_status``): 0 no changes, 2 changes, 1 errors.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache, partial
from typing import Any

from mailzone import providers
from mailzone.dns.resolver import RdType, Resolver, normalize_name, run_sync
from mailzone.dns.txt import split_txt
from mailzone.errors import DnsError, SpfSyntaxError
from mailzone.findings import Finding, Severity, has_errors, unique
from mailzone.mail import catalogue
from mailzone.mail.dmarc import is_dmarc_record, validate_dmarc
from mailzone.plan.lock import Lock, LockEntry, describe_change
from mailzone.providers import RecordSets
from mailzone.registry import (
    PLAN_CNAME_CONFLICT,
    PLAN_DNS_ERROR,
    PLAN_INCLUDE_CHANGED,
    PLAN_INCLUDE_COST,
    PLAN_INCLUDE_UNRESOLVED,
    PLAN_VALUE_LOST,
    REGISTRY,
    SPF_VALID_POLICY,
    Face,
)
from mailzone.rules.coverage import check_dmarc_present
from mailzone.rules.mailhost import check_mx_exchange
from mailzone.rules.records import DnsRecord, check_single_spf, spf_values
from mailzone.rules.ses import MailFromDomain, SesIdentity, check_ses_identities
from mailzone.rules.spfpolicy import (
    check_include_only,
    check_lookup_budget,
    check_spf_ip_literals,
)
from mailzone.spf.budget import Budget, Node, walk
from mailzone.spf.check import RFC_LIMITS
from mailzone.spf.lint import lint_record
from mailzone.spf.parser import is_spf
from mailzone.stack.config import DomainConfig, StackConfig, domain_warnings
from mailzone.stack.desired import DesiredRecord, desired_records

LOOKUP_LIMIT = RFC_LIMITS.lookups

EXIT_NO_CHANGES = 0
EXIT_ERRORS = 1
EXIT_CHANGES = 2




class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    KNOWN_AFTER_APPLY = "known-after-apply"
    UNKNOWN = "unknown"  # the current records could not be read


class ValueStatus(StrEnum):
    ADD = "add"  # written by the plan, not published now
    REMOVE = "remove"  # published now, replaced by a value of the plan
    UNCHANGED = "unchanged"  # managed, published as desired
    KEPT = "kept"  # a keepTxt value, published, still there after the plan
    UNMANAGED = "unmanaged"  # published, not managed here, left alone
    LOST = "lost"  # published, not in keepTxt: `pulumi up` would delete it (an error)
    KNOWN_AFTER_APPLY = "known-after-apply"


# Which statuses mean a value is at the name after the plan is applied.
_AFTER = frozenset({ValueStatus.ADD, ValueStatus.UNCHANGED, ValueStatus.KEPT,
                    ValueStatus.UNMANAGED})
# The order values are listed in: what goes, what comes, what stays.
_ORDER = (ValueStatus.REMOVE, ValueStatus.LOST, ValueStatus.ADD, ValueStatus.UNCHANGED,
          ValueStatus.KEPT, ValueStatus.UNMANAGED, ValueStatus.KNOWN_AFTER_APPLY)
_CHANGING = frozenset({ValueStatus.ADD, ValueStatus.REMOVE, ValueStatus.LOST})


@dataclass(frozen=True, slots=True)
class PlannedValue:
    value: str
    status: ValueStatus
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"value": self.value, "status": self.status.value}
        if self.note:
            data["note"] = self.note
        return data


@dataclass(frozen=True, slots=True)
class SpfTerm:
    """One term of an SPF diff: ``change`` is ``+`` (added), ``-`` (removed) or ``=``."""

    term: str
    change: str
    lookups: int | None  # what the term costs with its tree (None: not known)

    def to_json(self) -> dict[str, Any]:
        return {"term": self.term, "change": self.change, "lookups": self.lookups}


@dataclass(frozen=True, slots=True)
class SpfDiff:
    """An SPF value created or updated: terms and the lookup budget before and after."""

    name: str
    before: str | None
    after: str
    terms: tuple[SpfTerm, ...]
    lookups_before: int | None
    lookups_after: int | None
    limit: int = LOOKUP_LIMIT
    notes: tuple[str, ...] = ()
    budget_before: Budget | None = field(default=None, compare=False, repr=False)
    budget_after: Budget | None = field(default=None, compare=False, repr=False)

    @property
    def added(self) -> list[str]:
        return [t.term for t in self.terms if t.change == "+"]

    @property
    def removed(self) -> list[str]:
        return [t.term for t in self.terms if t.change == "-"]

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "before": self.before,
            "after": self.after,
            "added": self.added,
            "removed": self.removed,
            "terms": [t.to_json() for t in self.terms],
            "lookups_before": self.lookups_before,
            "lookups_after": self.lookups_after,
            "limit": self.limit,
            "notes": list(self.notes),
        }


@dataclass(frozen=True, slots=True)
class RecordPlan:
    """One desired record set against what is published at its name and type."""

    key: str
    owner: str
    name: str
    type: str
    ttl: int
    action: Action
    values: tuple[PlannedValue, ...]
    spf: SpfDiff | None = None
    note: str = ""

    @property
    def changes(self) -> bool:
        return self.action in (Action.CREATE, Action.UPDATE)

    def after(self) -> list[str]:
        """The values at the name once the plan is applied (known ones)."""
        return [v.value for v in self.values if v.status in _AFTER]

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "key": self.key,
            "owner": self.owner,
            "name": self.name,
            "type": self.type,
            "ttl": self.ttl,
            "action": self.action.value,
            "values": [v.to_json() for v in self.values],
            "spf": None if self.spf is None else self.spf.to_json(),
        }
        if self.note:
            data["note"] = self.note
        return data


@dataclass(frozen=True, slots=True)
class DomainPlan:
    domain: str
    provider: str
    records: tuple[RecordPlan, ...]
    findings: tuple[Finding, ...]

    @property
    def changes(self) -> bool:
        return any(r.changes for r in self.records)

    @property
    def errors(self) -> bool:
        return has_errors(self.findings)

    def count(self, action: Action) -> int:
        return sum(1 for r in self.records if r.action is action)

    def to_json(self) -> dict[str, Any]:
        return {
            "domain": self.domain,
            "provider": self.provider,
            "changes": self.changes,
            "records": [r.to_json() for r in self.records],
            "findings": [f.to_json() for f in self.findings],
        }


@dataclass(frozen=True, slots=True)
class IncludeReport:
    """An include of the stack as resolved by this plan."""

    include: str
    domains: tuple[str, ...]
    resolved: bool
    lookups: int | None  # the cost of `include:<include>` in all (None: unresolved)
    catalogue_lookups: int | None
    records: Mapping[str, str]
    previous: LockEntry | None
    changed: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "include": self.include,
            "domains": list(self.domains),
            "resolved": self.resolved,
            "lookups": self.lookups,
            "catalogue_lookups": self.catalogue_lookups,
            "previous_lookups": None if self.previous is None else self.previous.lookups,
            "changed": self.changed,
            "records": dict(sorted(self.records.items())),
        }


# -- the plan -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Plan:
    stack: str
    source: str
    domains: tuple[DomainPlan, ...]
    includes: tuple[IncludeReport, ...]
    lock: Lock
    findings: tuple[Finding, ...] = ()  # findings not about one domain

    @property
    def all_findings(self) -> list[Finding]:
        return [*self.findings, *(f for d in self.domains for f in d.findings)]

    @property
    def errors(self) -> bool:
        return has_errors(self.all_findings)

    @property
    def changes(self) -> bool:
        return any(d.changes for d in self.domains)

    @property
    def exit_status(self) -> int:
        if self.errors:
            return EXIT_ERRORS
        return EXIT_CHANGES if self.changes else EXIT_NO_CHANGES

    def summary(self) -> dict[str, int]:
        counts = {a.value: 0 for a in Action}
        for domain in self.domains:
            for record in domain.records:
                counts[record.action.value] += 1
        values = [v for d in self.domains for r in d.records for v in r.values]
        findings = self.all_findings
        return {
            "domains": len(self.domains),
            **counts,
            "lost": sum(1 for v in values if v.status is ValueStatus.LOST),
            "errors": sum(1 for f in findings if f.severity is Severity.ERROR),
            "warnings": sum(1 for f in findings if f.severity is Severity.WARNING),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "source": self.source,
            "exit_status": self.exit_status,
            "changes": self.changes,
            "errors": self.errors,
            "summary": self.summary(),
            "domains": [d.to_json() for d in self.domains],
            "includes": [i.to_json() for i in self.includes],
            "findings": [f.to_json() for f in self.findings],
        }


# -- value kinds and statuses ---------------------------------------------------------


def _kind(rdtype: str, value: str) -> str:
    """What a value is for: one managed value replaces published values of its kind."""
    if rdtype == "TXT":
        if is_spf(value):
            return "spf"
        if is_dmarc_record(value):
            return "dmarc"
        return "txt"
    return rdtype


def _same_value(rdtype: str, a: str, b: str) -> bool:
    if rdtype in ("MX", "CNAME"):
        return normalize_name(a) == normalize_name(b)
    return a == b


def _index_of(rdtype: str, values: Sequence[str], value: str) -> int | None:
    for index, candidate in enumerate(values):
        if _same_value(rdtype, candidate, value):
            return index
    return None


def plan_values(
    provider_name: str,
    rdtype: str,
    desired: Sequence[str],
    keep: Sequence[str],
    published: Sequence[str],
) -> list[PlannedValue]:
    """What becomes of every value at one name and type (see the module's docstring)."""
    provider = providers.provider(provider_name)
    whole_set = provider.record_sets is RecordSets.WHOLE_SET
    remaining = list(published)
    out: list[PlannedValue] = []
    missing: list[str] = []
    for value in desired:
        index = _index_of(rdtype, remaining, value)
        if index is None:
            missing.append(value)
            out.append(PlannedValue(value, ValueStatus.ADD))
        else:
            remaining.pop(index)
            out.append(PlannedValue(value, ValueStatus.UNCHANGED))
    for value in keep:
        index = _index_of(rdtype, remaining, value)
        if index is not None:
            remaining.pop(index)
            out.append(PlannedValue(value, ValueStatus.KEPT, "keepTxt"))
        elif whole_set:
            out.append(PlannedValue(value, ValueStatus.ADD, "keepTxt"))
    replaced_kinds = [_kind(rdtype, v) for v in missing]
    for value in remaining:
        kind = _kind(rdtype, value)
        if whole_set:
            if kind in replaced_kinds or kind in (_kind(rdtype, v) for v in desired):
                out.append(PlannedValue(value, ValueStatus.REMOVE))
            else:
                out.append(PlannedValue(
                    value, ValueStatus.LOST,
                    f"{provider.title} writes the whole record set: add it to keepTxt to "
                    "keep it"))
        elif kind in replaced_kinds:
            replaced_kinds.remove(kind)  # one record per value: updated in place
            out.append(PlannedValue(value, ValueStatus.REMOVE))
        else:
            out.append(PlannedValue(value, ValueStatus.UNMANAGED))
    return sorted(out, key=lambda v: _ORDER.index(v.status))


def record_action(values: Sequence[PlannedValue]) -> Action:
    if not any(v.status in _CHANGING for v in values):
        return Action.UNCHANGED
    ours_published = any(
        v.status in (ValueStatus.UNCHANGED, ValueStatus.KEPT, ValueStatus.REMOVE,
                     ValueStatus.LOST)
        for v in values
    )
    return Action.UPDATE if ours_published else Action.CREATE


# -- SPF budgets ---------------------------------------------------------------------


def _ancestors(root: Node, target: Node) -> list[Node] | None:
    """The nodes from ``root`` down to ``target``'s parent, or None when not below."""
    for child in root.children:
        if child is target:
            return [root]
        below = _ancestors(child, target)
        if below is not None:
            return [root, *below]
    return None


def _nodes(node: Node) -> Iterable[Node]:
    yield node
    for child in node.children:
        yield from _nodes(child)


def settle_uncaptured(budget: Budget) -> list[Finding]:
    """Count catalogue includes whose records the source could not give at their cost.

    The catalogue records some includes' costs without their records (see
    ``catalogue``); a zone snapshot cannot serve them, and a server may refuse
    them. Such a node (status ``missing`` or ``dns-error``) is counted at the
    catalogue's cost instead of being a missing include, with a warning. The
    budget is changed in place; the warnings are returned.
    """
    found: list[Finding] = []
    for node in list(_nodes(budget.root)):
        if node is budget.root or node.status not in ("missing", "dns-error"):
            continue
        sender = catalogue.by_include(node.domain)
        if sender is None or sender.tree:
            continue
        extra = max(sender.lookup_cost - 1, 0)
        reason = node.detail
        node.status = "catalogue"
        node.detail = (f"not resolvable here ({reason}): counted at the catalogue's "
                       f"{sender.lookup_cost} as of {catalogue.AS_OF.isoformat()}")
        node.cost += extra
        for ancestor in _ancestors(budget.root, node) or ():
            ancestor.cost += extra
        budget.total += extra
        budget.missing = [m for m in budget.missing if m != node.domain]
        budget.dns_errors = [e for e in budget.dns_errors
                             if not e.startswith(f"{node.domain} ")]
        found.append(PLAN_INCLUDE_UNRESOLVED.warning(
            f"include:{node.domain} ({sender.name}) gave no SPF record from this source; the "
            f"catalogue holds its cost ({sender.lookup_cost} as of "
            f"{catalogue.AS_OF.isoformat()}) but not its records, so that cost was used. "
            f"Check it live: mailzone spf tree {node.domain}",
            budget.root.domain,
        ))
    return found


def term_lookups(budget: Budget) -> list[tuple[str, int]]:
    """(term, lookups with its tree) for every term of the root record."""
    return [(t.term, t.cost + (t.child.cost if t.child is not None else 0))
            for t in budget.root.terms]


def tree_records(budget: Budget) -> dict[str, str]:
    """name -> SPF text for every record the walk read."""
    return {n.domain: n.record for n in _nodes(budget.root) if n.record is not None}


class _Walks:
    """Budgets walked through one resolver, each record text walked once."""

    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver
        self.cache: dict[tuple[str, str | None], tuple[Budget, list[Finding]]] = {}

    @staticmethod
    def _domain_free(text: str) -> bool:
        """True when the walk of ``text`` does not depend on the domain it is at."""
        lowered = text.lower()
        return "%" not in lowered and not any(
            term.lstrip("+-~?").split(":")[0].split("/")[0] in ("a", "mx", "ptr")
            for term in lowered.split()[1:]
        )

    async def record(self, text: str, domain: str) -> tuple[Budget, list[Finding]]:
        """The budget of ``text`` at ``domain`` and the findings of its tree (the
        engine's and ``settle_uncaptured``'s). Raises ``SpfSyntaxError``."""
        key = (text, None if self._domain_free(text) else domain)
        cached = self.cache.get(key)
        if cached is None:
            budget = await walk(self.resolver, domain=domain, record=text)
            notes = settle_uncaptured(budget)
            cached = (budget, [*notes, *budget.findings()])
            self.cache[key] = cached
        budget, findings = cached
        return budget, [f.at(domain) for f in findings]

    async def include(self, include: str) -> Budget:
        return await walk(self.resolver, domain=include)


async def spf_diff(
    walks: _Walks, name: str, before_values: Sequence[str], after: str
) -> tuple[SpfDiff, list[Finding]]:
    """The SPF diff at ``name`` and the findings of the tree after the plan."""
    before = before_values[0] if before_values else None
    notes: list[str] = []
    if len(before_values) > 1:
        notes.append(f"{len(before_values)} v=spf1 values are published now (a permerror); "
                     "the plan leaves one")
    after_budget, findings = await walks.record(after, name)
    after_terms = term_lookups(after_budget)
    before_budget: Budget | None = None
    before_terms: list[tuple[str, int | None]] = []
    if before is not None:
        try:
            before_budget, _ = await walks.record(before, name)
        except SpfSyntaxError as exc:
            notes.append(f"the published record does not parse: {exc.describe()}")
            before_terms = [(t, None) for t in before.split()[1:]]
        else:
            before_terms = list(term_lookups(before_budget))
    kept_names = {t for t, _ in after_terms}
    terms = [SpfTerm(t, "-", c) for t, c in before_terms if t not in kept_names]
    before_names = {t for t, _ in before_terms}
    terms += [SpfTerm(t, "=" if t in before_names else "+", c) for t, c in after_terms]
    return SpfDiff(
        name=name,
        before=before,
        after=after,
        terms=tuple(terms),
        lookups_before=None if before_budget is None else before_budget.total,
        lookups_after=after_budget.total,
        notes=tuple(notes),
        budget_before=before_budget,
        budget_after=after_budget,
    ), findings


# -- the rules of the policy pack -------------------------------------------------------


def _mx_host(value: str) -> str:
    parts = value.split()
    return parts[-1] if parts else value


def _dns_record(record: RecordPlan) -> DnsRecord:
    if record.action is Action.KNOWN_AFTER_APPLY:
        return DnsRecord(None, record.type, (None,), where=record.key, label=record.owner)
    values: list[str] = record.after()
    if record.type == "MX":
        values = [_mx_host(v) for v in values]
    return DnsRecord(record.name, record.type, tuple(values), where=record.name,
                     label=record.owner)


def spf_rule_findings(
    text: str, *, name: str, label: str, include_costs: Mapping[str, int]
) -> list[Finding]:
    """The pack's SPF rules (with their default config) for one SPF value at ``name``."""
    found = check_spf_ip_literals(text, name=name, label=label, where=name)
    lint = lint_record(text, domain=name, strings=split_txt(text))
    found += [f for f in REGISTRY.select(lint, policy=SPF_VALID_POLICY.name) if f.is_error]
    found += check_lookup_budget(text, include_costs=include_costs, name=name, label=label,
                                 where=name)
    found += check_include_only(text, name=name, label=label, where=name)
    return found


@lru_cache(maxsize=4096)
def _spf_rules_clean(text: str, include_costs: tuple[tuple[str, int], ...]) -> bool:
    """Whether ``spf_rule_findings`` finds nothing in ``text`` (at any name: the rules
    judge the text; the name only appears in messages). Thousands of domains share
    a handful of record texts, so the rules run once per text."""
    return not spf_rule_findings(text, name="", label="", include_costs=dict(include_costs))


def pack_findings(
    domain: DomainConfig,
    records: Sequence[RecordPlan],
    published_dmarc: Sequence[str],
) -> list[Finding]:
    """The policy pack's rules, with their default config, over the records after the plan.

    ``published_dmarc`` are the DMARC values published at ``_dmarc.<domain>``
    when the stack does not manage that record. The SMTP settings rules
    (``smtp-port-not-25``, ``mail-host-not-ip`` on settings) judge an
    application's settings, which a stack config does not hold; the sender
    rule is part of the config's validation.
    """
    dns_records = [_dns_record(r) for r in records]
    costs = {s.include: s.lookups for s in domain.senders}
    found: list[Finding] = []
    for record in dns_records:
        name = record.fqdn or ""
        label = record.label
        for text in spf_values(record):
            if _spf_rules_clean(text, tuple(sorted(costs.items()))):
                continue
            found += spf_rule_findings(text, name=name, label=label, include_costs=costs)
        if record.type_upper == "MX":
            for exchange in record.known_values():
                found += check_mx_exchange(exchange, name=name, label=label, where=name)
    found += check_single_spf(dns_records)
    dmarc_name = f"_dmarc.{domain.domain}"
    dmarc_values = [v for r in dns_records if r.fqdn == dmarc_name for v in r.known_values()]
    if domain.dmarc is None:
        for text in published_dmarc:
            found += validate_dmarc(text, domain.domain)
        dmarc_values = list(published_dmarc)
    else:
        for text in dmarc_values:
            found += [f for f in validate_dmarc(text, domain.domain) if f.is_error]
    dmarc_names = [dmarc_name] if any(is_dmarc_record(v) for v in dmarc_values) else []
    found += check_dmarc_present({domain.domain: (domain.domain, domain.domain)}, dmarc_names)
    if domain.ses is not None:
        identity = SesIdentity(domain.domain, where=domain.domain, label="SesDomainIdentity")
        mail_from = domain.mail_from_domain
        mail_froms = [] if mail_from is None else [
            MailFromDomain(domain.domain, mail_from, where=mail_from, label="SesDomainIdentity")]
        found += check_ses_identities([identity], mail_froms, dns_records)
    return found


# -- one domain ------------------------------------------------------------------------


@dataclass(slots=True)
class _Published:
    values: list[str]
    cname: str | None = None
    failure: str | None = None


async def _published(resolver: Resolver, name: str, rdtype: str) -> _Published:
    try:
        cname = await resolver.resolve(name, RdType.CNAME)
        if cname.records:
            return _Published([], cname=cname.records[0])
        answer = await resolver.resolve(name, RdType(rdtype))
    except DnsError as exc:
        return _Published([], failure=str(exc))
    return _Published(list(answer.records))


async def plan_domain(
    domain: DomainConfig,
    resolver: Resolver,
    walks: _Walks,
    *,
    config_findings: Sequence[Finding] = (),
) -> DomainPlan:
    """The plan of one validated domain against what ``resolver`` says is published."""
    provider = domain.dns.provider
    desired = desired_records(domain)
    records: list[RecordPlan] = []
    findings: list[Finding] = []
    for record in desired:
        records.append(await _plan_record(record, provider, resolver, walks, findings))
    published_dmarc: list[str] = []
    if domain.dmarc is None:
        got = await _published(resolver, f"_dmarc.{domain.domain}", "TXT")
        published_dmarc = [v for v in got.values if is_dmarc_record(v)]
    findings += pack_findings(domain, records, published_dmarc)
    # The config's findings that a plan reports (its dmarc-missing says config-no-dmarc).
    kept_config = REGISTRY.select(config_findings, face=Face.PLAN)
    return DomainPlan(domain.domain, provider, tuple(records),
                      tuple(unique([*kept_config, *findings])))


async def _plan_record(
    record: DesiredRecord,
    provider: str,
    resolver: Resolver,
    walks: _Walks,
    findings: list[Finding],
) -> RecordPlan:
    if not record.known:
        return RecordPlan(
            key=record.key, owner=record.owner, name=str(record.name), type=record.type,
            ttl=record.ttl, action=Action.KNOWN_AFTER_APPLY,
            values=tuple(PlannedValue(str(v), ValueStatus.KNOWN_AFTER_APPLY,
                                      "computed by the provider when the resource is created")
                         for v in record.values),
            note="names and values are known after apply: the plan cannot compare them",
        )
    name = str(record.name)
    values = [str(v) for v in record.values]
    got = await _published(resolver, name, record.type)
    if got.failure is not None:
        findings.append(PLAN_DNS_ERROR.error(
            f"the {record.type} records at {name} could not be read ({got.failure}); the "
            "plan cannot say what changes there. Retry, or give --nameserver",
            name,
        ))
        return RecordPlan(record.key, record.owner, name, record.type, record.ttl,
                          Action.UNKNOWN, tuple(PlannedValue(v, ValueStatus.ADD)
                                                for v in values))
    if got.cname is not None:
        findings.append(PLAN_CNAME_CONFLICT.error(
            f"{name} is a CNAME to {got.cname}: a name with a CNAME can hold no other "
            f"record (RFC 1034 3.6.2), so the {record.type} record cannot be written. "
            "Remove the CNAME first, or manage the records at its target",
            name,
        ))
    planned = plan_values(provider, record.type, values, record.keep, got.values)
    for value in planned:
        if value.status is ValueStatus.LOST:
            findings.append(PLAN_VALUE_LOST.error(
                f"{name} {record.type} {value.value!r} is published now and `pulumi up` "
                f"would delete it: {providers.provider(provider).title} writes the whole record "
                "set. If it must stay "
                "(a site verification token, say), add it to keepTxt; if it should go, "
                "remove it first on purpose",
                name,
            ))
    action = record_action(planned)
    spf: SpfDiff | None = None
    new_spf = [v.value for v in planned if v.status is ValueStatus.ADD and is_spf(v.value)]
    if record.type == "TXT" and new_spf:
        before = [v.value for v in planned
                  if v.status is ValueStatus.REMOVE and is_spf(v.value)]
        spf, tree_findings = await spf_diff(walks, name, before, new_spf[0])
        findings.extend(tree_findings)
    elif record.type == "TXT":
        for text in values:
            if is_spf(text):
                _, tree_findings = await walks.record(text, name)
                findings.extend(tree_findings)
    note = ""
    if action is Action.UPDATE:
        note = providers.provider(provider).replace_note(
            any(v.status is ValueStatus.REMOVE for v in planned))
    return RecordPlan(record.key, record.owner, name, record.type, record.ttl, action,
                      tuple(planned), spf, note)


# -- includes and the lock ------------------------------------------------------------------


async def resolve_includes(
    stack_domains: Sequence[DomainConfig],
    walks: _Walks,
    previous: Lock | None,
) -> tuple[list[IncludeReport], dict[str, list[Finding]], Lock]:
    """Resolve every sender include, compare with ``previous``; the new lock.

    Returns the reports, the findings per domain, and the lock to store.
    """
    users: dict[str, list[str]] = {}
    for domain in stack_domains:
        for sender in domain.senders:
            users.setdefault(sender.include, []).append(domain.domain)
    old = dict(previous.includes) if previous is not None else {}
    new: dict[str, LockEntry] = dict(old)
    reports: list[IncludeReport] = []
    per_domain: dict[str, list[Finding]] = {}
    for include, domains in sorted(users.items()):
        budget = await walks.include(include)
        resolved = budget.root.record is not None
        entry = catalogue.by_include(include)
        catalogue_cost = entry.lookup_cost if entry is not None else None
        found: list[Finding] = []
        records = tree_records(budget)
        lookups = 1 + budget.total if resolved else None
        before = old.get(include)
        changed = False
        if resolved and lookups is not None:
            if before is not None and (dict(before.records) != records
                                       or before.lookups != lookups):
                changed = True
                found.append(PLAN_INCLUDE_CHANGED.warning(
                    f"include:{include} changed since the last plan "
                    f"({describe_change(before, records, lookups)}). Check the budgets "
                    "below; the lock records the new tree",
                    include,
                ))
            if catalogue_cost is not None and lookups != catalogue_cost and (
                    entry is not None and entry.tree):
                found.append(PLAN_INCLUDE_COST.warning(
                    f"include:{include} costs {lookups} lookups as resolved, the catalogue "
                    f"says {catalogue_cost} (as of {catalogue.AS_OF.isoformat()}): the offline "
                    "budget (config validation, the policy pack) counts the catalogue's figure",
                    include,
                ))
            new[include] = LockEntry(lookups, records)
        reports.append(IncludeReport(include, tuple(domains), resolved, lookups,
                                     catalogue_cost, records, before, changed))
        for domain_name in domains:
            per_domain.setdefault(domain_name, []).extend(
                f.at(f"include:{include}") for f in found)
    return reports, per_domain, Lock(new)


# -- the stack -------------------------------------------------------------------------------


ProgressCallback = Callable[[DomainPlan], None]


async def build_plan(
    stack: StackConfig,
    resolver: Resolver,
    *,
    source: str = "",
    previous_lock: Lock | None = None,
    concurrency: int = 1,
    progress: ProgressCallback | None = None,
) -> Plan:
    """The plan of a validated stack against ``resolver``.

    With ``concurrency`` 1 the coroutine never suspends on its own, so an
    offline resolver can drive it with ``run_sync`` (see ``plan_offline``);
    above 1, domains are planned concurrently and an event loop is needed.
    ``progress`` is called once per domain planned.
    """
    walks = _Walks(resolver)
    reports, include_findings, lock = await resolve_includes(stack.domains, walks,
                                                             previous_lock)
    warnings_by_domain = {d.domain: domain_warnings(d, index)
                          for index, d in enumerate(stack.domains)}

    async def one(domain: DomainConfig) -> DomainPlan:
        plan = await plan_domain(
            domain, resolver, walks,
            config_findings=[*warnings_by_domain[domain.domain],
                             *include_findings.get(domain.domain, [])],
        )
        if progress is not None:
            progress(plan)
        return plan

    if concurrency <= 1:
        domains = [await one(d) for d in stack.domains]
    else:
        domains = await _gather_limited([partial(one, d) for d in stack.domains],
                                        concurrency)
    return Plan(stack.stack, source, tuple(domains), tuple(reports), lock)


async def _gather_limited(
    jobs: Sequence[Callable[[], Awaitable[DomainPlan]]], limit: int
) -> list[DomainPlan]:
    semaphore = asyncio.Semaphore(limit)

    async def run(job: Callable[[], Awaitable[DomainPlan]]) -> DomainPlan:
        async with semaphore:
            return await job()

    return list(await asyncio.gather(*(run(job) for job in jobs)))


def plan_offline(
    stack: StackConfig,
    resolver: Resolver,
    *,
    source: str = "",
    previous_lock: Lock | None = None,
    progress: ProgressCallback | None = None,
) -> Plan:
    """``build_plan`` for a resolver that answers at once (a zone directory)."""
    return run_sync(build_plan(stack, resolver, source=source, previous_lock=previous_lock,
                               progress=progress))


__all__ = [
    "Action",
    "DomainPlan",
    "IncludeReport",
    "Plan",
    "PlannedValue",
    "RecordPlan",
    "SpfDiff",
    "SpfTerm",
    "ValueStatus",
    "build_plan",
    "pack_findings",
    "plan_domain",
    "plan_offline",
    "plan_values",
]
