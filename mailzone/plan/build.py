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

The plan is written as engines that yield their DNS questions
(``mailzone.dns.exchange``): every record set a domain is compared with is asked
in one batch, then judged (``values``, ``spfdiff``, ``pack``). ``plan_offline``
runs them through a zone directory with no event loop; ``build_plan`` through
live DNS, several domains at once.

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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from mailzone import providers
from mailzone.dns.exchange import Exchange, Outcome, Question, ask_all, run, run_async
from mailzone.dns.resolver import Answer, RdType, Resolver, SyncResolver
from mailzone.dns.zonedir import FILE_NAMES
from mailzone.errors import DnsError, SpfSyntaxError
from mailzone.findings import Finding, Severity, unique
from mailzone.mail import catalogue
from mailzone.mail.discovery import discovery_from, walk_targets
from mailzone.mail.dmarc import record_name
from mailzone.plan.guard import DEFAULT_GUARD, UnsafeGuard, apex_unsafe, unsafe_findings
from mailzone.plan.lock import Lock, LockEntry, describe_change
from mailzone.plan.model import (
    Action,
    DomainPlan,
    IncludeReport,
    Plan,
    PlannedValue,
    RecordPlan,
    SpfDiff,
    ValueStatus,
)
from mailzone.plan.pack import pack_findings
from mailzone.plan.spfdiff import Walks, spf_diff, tree_records
from mailzone.plan.values import plan_values, record_action
from mailzone.registry import (
    PLAN_CNAME_CONFLICT,
    PLAN_DNS_ERROR,
    PLAN_INCLUDE_CHANGED,
    PLAN_INCLUDE_COST,
    PLAN_NO_SNAPSHOT,
    PLAN_VALUE_LOST,
    REGISTRY,
    Face,
)
from mailzone.spf.budget import trace
from mailzone.spf.parser import is_spf
from mailzone.stack.config import DomainConfig, StackConfig, domain_warnings
from mailzone.stack.desired import DesiredRecord, desired_records

# -- one domain ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Published:
    """What is published at one name and type, as the plan compares it."""

    values: tuple[str, ...] = ()
    cname: str | None = None  # the name is a CNAME: it can hold nothing else
    failure: str | None = None  # the records could not be read


def _questions(name: str, rdtype: str) -> tuple[Question, Question]:
    return (name, RdType.CNAME), (name, RdType(rdtype))


def published(cname: Outcome, answer: Outcome) -> Published:
    """The published record set, from the outcomes of the CNAME and the type's question."""
    for outcome in (cname, answer):
        if isinstance(outcome, DnsError):
            return Published(failure=str(outcome))
    assert isinstance(cname, Answer) and isinstance(answer, Answer)
    if cname.records:
        return Published(cname=cname.records[0])
    return Published(answer.records)


def plan_domain(
    domain: DomainConfig,
    walks: Walks,
    *,
    config_findings: Sequence[Finding] = (),
    guard: UnsafeGuard = DEFAULT_GUARD,
) -> Exchange[DomainPlan]:
    """The plan of one validated domain, as an engine (``mailzone.dns.exchange``).

    Fetch first: every record set the domain's desired records are compared with
    is asked in one batch. Judge after: each record's plan is a function of what
    was fetched, then the SPF trees are walked for the values that change.
    """
    provider = domain.dns.provider
    desired = desired_records(domain)
    known = [r for r in desired if r.known]
    questions: list[Question] = []
    for record in known:
        questions += _questions(str(record.name), record.type)
    # Where receivers look for the policy: the RFC 9989 tree walk, as check walks it
    # (the stack's own record, when it manages one, stands in for the first name).
    walk_names = walk_targets(domain.domain)
    questions += [(record_name(name), RdType.TXT) for name in walk_names]
    outcomes = iter((yield from ask_all(questions)))
    fetched = {(str(r.name), r.type): published(next(outcomes), next(outcomes)) for r in known}
    walk = discovery_from(domain.domain, [next(outcomes) for _ in walk_names])
    records: list[RecordPlan] = []
    findings: list[Finding] = []
    for record in desired:
        if not record.known:
            records.append(_known_after_apply(record))
            continue
        got = fetched[(str(record.name), record.type)]
        records.append((yield from _plan_record(record, provider, got, walks, findings)))
    findings += pack_findings(domain, records, walk)
    findings += apex_unsafe(domain.domain, records, guard)
    # The config's findings that a plan reports: config-no-dmarc is left to the plan's
    # own dmarc-missing, which says it with what is published.
    kept_config = REGISTRY.select(config_findings, face=Face.PLAN)
    return DomainPlan(domain.domain, provider, tuple(records),
                      tuple(unique([*kept_config, *findings])))


def _known_after_apply(record: DesiredRecord) -> RecordPlan:
    return RecordPlan(
        key=record.key, owner=record.owner, name=str(record.name), type=record.type,
        ttl=record.ttl, action=Action.KNOWN_AFTER_APPLY,
        values=tuple(PlannedValue(str(v), ValueStatus.KNOWN_AFTER_APPLY,
                                  "computed by the provider when the resource is created")
                     for v in record.values),
        note="names and values are known after apply: the plan cannot compare them",
    )


def _plan_record(
    record: DesiredRecord,
    provider: str,
    got: Published,
    walks: Walks,
    findings: list[Finding],
) -> Exchange[RecordPlan]:
    name = str(record.name)
    values = [str(v) for v in record.values]
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
        spf, tree_findings = yield from spf_diff(walks, name, before, new_spf[0])
        findings.extend(tree_findings)
    elif record.type == "TXT":
        for text in values:
            if is_spf(text):
                _, tree_findings = yield from walks.record(text, name)
                findings.extend(tree_findings)
    if record.type == "TXT":
        # Another SPF record left at the name (a provider of one record per value) is
        # what receivers will also read: its tree is judged too, as check judges it.
        for value in planned:
            if value.status is ValueStatus.UNMANAGED and is_spf(value.value):
                try:
                    _, tree_findings = yield from walks.record(value.value, name)
                except SpfSyntaxError:
                    continue  # its grammar is the pack's rules' to report
                findings.extend(tree_findings)
    note = ""
    if action is Action.UPDATE:
        note = providers.provider(provider).replace_note(
            any(v.status is ValueStatus.REMOVE for v in planned))
    return RecordPlan(record.key, record.owner, name, record.type, record.ttl, action,
                      tuple(planned), spf, note)


# -- includes and the lock ------------------------------------------------------------------


def resolve_includes(
    stack_domains: Sequence[DomainConfig],
    walks: Walks,
    previous: Lock | None,
) -> Exchange[tuple[list[IncludeReport], dict[str, list[Finding]], Lock]]:
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
        budget = yield from walks.include(include)
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


def _warnings(stack: StackConfig) -> dict[str, list[Finding]]:
    return {d.domain: domain_warnings(d, index, record=False)
            for index, d in enumerate(stack.domains)}


def snapshot_findings(
    stack: StackConfig, zone_of: Callable[[str], str | None], *, source: str,
    allow_missing: bool = False,
) -> dict[str, list[Finding]]:
    """``plan-no-snapshot`` for each domain no zone of the snapshot covers: compared with
    nothing, every record would look new, and a value published there that ``pulumi up``
    would delete could not be seen (``plan-value-lost``)."""
    found: dict[str, list[Finding]] = {}
    for domain in stack.domains:
        if zone_of(domain.domain) is not None:
            continue
        severity = Severity.WARNING if allow_missing else Severity.ERROR
        found[domain.domain] = [PLAN_NO_SNAPSHOT.finding(
            severity,
            f"{source or 'the snapshot'} has no zone for {domain.domain}: the plan compares "
            "with nothing, so every record looks new and a published value `pulumi up` "
            f"would delete cannot be seen. Add its zone ({FILE_NAMES}), or plan --live"
            + ("" if allow_missing else "; --allow-missing makes this a warning"),
            domain.domain,
        )]
    return found


def plan_stack(
    stack: StackConfig,
    *,
    source: str = "",
    previous_lock: Lock | None = None,
    progress: ProgressCallback | None = None,
    notes: Mapping[str, Sequence[Finding]] | None = None,
    guard: UnsafeGuard = DEFAULT_GUARD,
) -> Exchange[Plan]:
    """The plan of a validated stack, one domain after another, as an engine.

    ``notes``: findings about a domain made before planning it (``snapshot_findings``).
    """
    walks = Walks()
    reports, include_findings, lock = yield from resolve_includes(stack.domains, walks,
                                                                  previous_lock)
    warnings = _warnings(stack)
    for name, extra in (notes or {}).items():
        warnings[name] = [*extra, *warnings.get(name, [])]
    domains: list[DomainPlan] = []
    for domain in stack.domains:
        plan = yield from plan_domain(
            domain, walks,
            config_findings=[*warnings[domain.domain], *include_findings.get(domain.domain, [])],
            guard=guard)
        if progress is not None:
            progress(plan)
        domains.append(plan)
    return Plan(stack.stack, source, tuple(domains), tuple(reports), lock,
                tuple(unsafe_findings(domains, guard)))


def plan_offline(
    stack: StackConfig,
    resolver: SyncResolver,
    *,
    source: str = "",
    previous_lock: Lock | None = None,
    progress: ProgressCallback | None = None,
    notes: Mapping[str, Sequence[Finding]] | None = None,
    guard: UnsafeGuard = DEFAULT_GUARD,
) -> Plan:
    """The plan of a stack through a resolver that answers at once (a zone directory)."""
    return run(plan_stack(stack, source=source, previous_lock=previous_lock,
                          progress=progress, notes=notes, guard=guard), resolver)


def unfinished(domain: DomainConfig, seconds: float,
               config_findings: Sequence[Finding]) -> DomainPlan:
    """The plan of a domain whose answers did not all come within ``seconds``: every
    record unknown, and said so (a plan that cannot say what changes is no plan)."""
    records = tuple(
        _known_after_apply(r) if not r.known else RecordPlan(
            r.key, r.owner, str(r.name), r.type, r.ttl, Action.UNKNOWN,
            tuple(PlannedValue(str(v), ValueStatus.ADD) for v in r.values))
        for r in desired_records(domain))
    finding = PLAN_DNS_ERROR.error(
        f"the records of {domain.domain} were not all read within {seconds:g} s: the plan "
        "cannot say what changes there. Check the name servers, or raise --domain-timeout",
        domain.domain)
    kept = REGISTRY.select(config_findings, face=Face.PLAN)
    return DomainPlan(domain.domain, domain.dns.provider, records,
                      tuple(unique([*kept, finding])))


async def build_plan(
    stack: StackConfig,
    resolver: Resolver,
    *,
    source: str = "",
    previous_lock: Lock | None = None,
    concurrency: int = 1,
    progress: ProgressCallback | None = None,
    domain_timeout: float | None = None,
    guard: UnsafeGuard = DEFAULT_GUARD,
) -> Plan:
    """The plan of a stack through any resolver; up to ``concurrency`` domains at once.

    The same engines as ``plan_offline``: the senders' include trees are walked side by
    side first, then each domain's questions go out in batches, domains side by side.
    ``domain_timeout`` bounds each domain's plan (then its records are unknown, an
    error). ``progress`` is called once per domain.
    """
    walks = Walks()
    includes = sorted({s.include for d in stack.domains for s in d.senders})
    budgets = await asyncio.gather(*(run_async(trace(domain=i), resolver) for i in includes))
    walks.includes.update(zip(includes, budgets, strict=True))
    reports, include_findings, lock = await run_async(
        resolve_includes(stack.domains, walks, previous_lock), resolver)
    warnings = _warnings(stack)
    semaphore = asyncio.Semaphore(max(concurrency, 1))

    async def one(domain: DomainConfig) -> DomainPlan:
        found = [*warnings[domain.domain], *include_findings.get(domain.domain, [])]
        async with semaphore:
            try:
                plan = await asyncio.wait_for(
                    run_async(plan_domain(domain, walks, config_findings=found, guard=guard),
                              resolver),
                    domain_timeout)
            except TimeoutError:
                assert domain_timeout is not None
                plan = unfinished(domain, domain_timeout, found)
        if progress is not None:
            progress(plan)
        return plan

    domains = await asyncio.gather(*(one(d) for d in stack.domains))
    return Plan(stack.stack, source, tuple(domains), tuple(reports), lock,
                tuple(unsafe_findings(domains, guard)))
