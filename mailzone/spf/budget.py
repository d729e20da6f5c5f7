"""The lookup budget: what an SPF record's include/redirect tree costs.

RFC 7208 4.6.4 allows 10 DNS-querying terms (include, a, mx, ptr, exists,
redirect) across a whole evaluation and 2 void lookups. A receiver stops at
the first match, so the budget counts the worst case: every term of the tree
evaluated. ``walk`` resolves the tree through any resolver and reports every
term's cost with a running total, void lookups, loops, records that do not
exist, and the IP literals in the record itself versus in third parties'
includes. ``static_cost`` computes the same total offline from known costs of
includes (the sender catalogue's).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from typing import Final, NamedTuple

from mailzone.dns.exchange import Exchange, Outcome, Question, ask_all, run, run_async
from mailzone.dns.resolver import Answer, RdType, Resolver, SyncResolver, normalize_name
from mailzone.errors import DnsError, QueryCapReached, SpfSyntaxError
from mailzone.findings import LISTED, Finding, listing
from mailzone.registry import (
    CHECK_QUERY_CAP,
    SPF_DNS_ERROR,
    SPF_DUPLICATE_INCLUDE,
    SPF_INCLUDE_MISSING,
    SPF_IP_LITERAL,
    SPF_LOOKUP_LIMIT,
    SPF_LOOP,
    SPF_MISSING,
    SPF_MULTIPLE_RECORDS,
    SPF_MX_LIMIT,
    SPF_SYNTAX,
    SPF_VOID_LIMIT,
)
from mailzone.spf.check import RFC_LIMITS
from mailzone.spf.parser import is_spf, parse
from mailzone.spf.terms import TEXTS_KEPT, Kind, Mechanism, Modifier, Record


class TermCost(NamedTuple):
    """One term of one record in the tree, and what the budget stands at after it.

    A named tuple: one is made for every term of every tree (a frozen dataclass's
    construction showed in the audit's profile). Its equality takes in ``child``, the
    subtree, and a term with a child cannot be hashed: nothing keys on terms."""

    domain: str  # the record this term is in
    term: str
    cost: int  # 1 for a DNS-querying term, else 0
    total: int  # the running total after this term
    depth: int
    note: str = ""  # void answer, loop, missing record, ...
    child: Node | None = None  # the include's or redirect's record


class NodeStatus(StrEnum):
    """What became of one record of the tree."""

    OK = "ok"
    MISSING = "missing"  # the name publishes no SPF record
    MULTIPLE = "multiple"  # more than one (permerror)
    SYNTAX = "syntax"
    LOOP = "loop"  # the target is already on the path
    DNS_ERROR = "dns-error"
    CATALOGUE = "catalogue"  # not resolvable here, counted at the catalogue's cost (plan)


@dataclass(slots=True)
class Node:
    """A record in the tree: the root, an include target or a redirect target."""

    domain: str
    via: str  # the term that led here ("" for the root)
    depth: int
    record: str | None = None
    status: NodeStatus = NodeStatus.OK
    detail: str = ""
    terms: list[TermCost] = field(default_factory=list)
    children: list[Node] = field(default_factory=list)
    cost: int = 0  # the lookups of this record and everything below it

    def to_json(self) -> dict[str, object]:
        return {
            "domain": self.domain,
            "via": self.via,
            "record": self.record,
            "status": self.status,
            "detail": self.detail,
            "cost": self.cost,
            "terms": [
                {"term": t.term, "cost": t.cost, "total": t.total, "note": t.note}
                for t in self.terms
            ],
            "children": [child.to_json() for child in self.children],
        }


@dataclass(frozen=True, slots=True)
class IpLiteral:
    domain: str
    term: str
    own: bool  # in the record under check (or a name under its domain), not a third party's


@dataclass(slots=True)
class Budget:
    root: Node
    limit: int = RFC_LIMITS.lookups
    void_limit: int = RFC_LIMITS.void_lookups
    total: int = 0
    void_lookups: list[str] = field(default_factory=list)
    loops: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    dns_errors: list[str] = field(default_factory=list)
    # Questions not asked because the caller's cap of questions was reached (a lookup
    # bomb): the caller reports those, not as DNS failures.
    capped: list[str] = field(default_factory=list)
    cap: int | None = None  # the cap that stopped the walk, when one did
    mx_over_limit: list[str] = field(default_factory=list)
    ip_literals: list[IpLiteral] = field(default_factory=list)
    includes: dict[str, int] = field(default_factory=dict)  # include target -> occurrences

    @property
    def terms(self) -> list[TermCost]:
        """Every term of the tree in evaluation order."""
        # A stack, not a recursive inner function: that would refer to itself through
        # its closure, a cycle holding the whole list until the cyclic collector runs.
        out: list[TermCost] = []
        stack = [iter(self.root.terms)]
        while stack:
            term = next(stack[-1], None)
            if term is None:
                stack.pop()
                continue
            out.append(term)
            if term.child is not None:
                stack.append(iter(term.child.terms))
        return out

    def findings(self) -> list[Finding]:
        found: list[Finding] = []
        where = self.root.domain
        if self.total > self.limit:
            heavy = sorted(self.root.children, key=lambda n: -n.cost)[:3]
            # What each include costs the record: the include itself and its tree.
            spent = ", ".join(f"{n.via} ({1 + n.cost})" for n in heavy)
            found.append(SPF_LOOKUP_LIMIT.error(
                f"the tree needs {self.total} DNS-querying terms; receivers stop at "
                f"{self.limit} and return permerror. Most is spent in: {spent}. "
                "Remove senders you no longer use, or move some to a subdomain.",
                where,
            ))
        if len(self.void_lookups) > self.void_limit:
            found.append(SPF_VOID_LIMIT.error(
                f"{len(self.void_lookups)} lookups return nothing "
                f"({', '.join(self.void_lookups)}); receivers allow {self.void_limit}. "
                "Remove the terms that point at names without records.",
                where,
            ))
        for loop in self.loops:
            found.append(SPF_LOOP.error(f"include loop: {loop}", where))
        # The record under check itself: root_findings() says so.
        missing = [name for name in self.missing if name != self.root.domain]
        if len(missing) > LISTED:
            found.append(SPF_INCLUDE_MISSING.error(
                f"{len(missing):,} include or redirect targets publish no SPF record "
                f"({listing(missing)}); each is a permerror. Fix the names or remove the "
                "terms.",
                where,
            ))
            missing = []
        for name in missing:
            found.append(SPF_INCLUDE_MISSING.error(
                f"{name} publishes no SPF record; an include of it is a permerror. "
                "Fix the name or remove the term.",
                where,
            ))
        for node in self.nodes():
            if node is self.root:
                continue
            if node.status is NodeStatus.MULTIPLE:
                found.append(SPF_MULTIPLE_RECORDS.error(
                    f"{node.via}: {node.domain} publishes {node.detail}; the include "
                    "is a permerror",
                    where,
                ))
            elif node.status is NodeStatus.SYNTAX:
                found.append(SPF_SYNTAX.error(
                    f"{node.via}: {node.detail}; the include is a permerror", where))
        for failure in self.dns_errors:
            found.append(SPF_DNS_ERROR.error(f"DNS lookup failed: {failure}", where))
        for name in self.mx_over_limit:
            found.append(SPF_MX_LIMIT.error(
                f"{name} has more than 10 MX names; an mx term for it is a permerror",
                where,
            ))
        for ip in self.ip_literals:
            # The record's own literals are its lint's; a record of the domain's own
            # further down the tree (an include under the same domain) is ours to fix too.
            if ip.own and ip.domain != self.root.domain:
                found.append(SPF_IP_LITERAL.error(
                    f"'{ip.term}' in {ip.domain}, a record of your own included by "
                    f"{self.root.domain}, hard-codes a mail server address: authorise "
                    "senders with include:",
                    ip.domain,
                ))
        if self.capped:
            found.append(CHECK_QUERY_CAP.error(
                f"the include tree of {where} needed more than {self.cap} DNS questions, "
                "so the walk stopped there (the lookup count is what it reached). A tree "
                "that large is a lookup bomb: receivers stop after 10 lookups with "
                "permerror",
                where,
            ))
        for target, count in self.includes.items():
            if count > 1:
                found.append(SPF_DUPLICATE_INCLUDE.warning(
                    f"include:{target} is evaluated {count} times in the tree; each costs "
                    "lookups again. Keep one.",
                    where,
                ))
        return found

    def nodes(self) -> list[Node]:
        """Every record of the tree, root first."""
        out: list[Node] = []
        stack = [self.root]
        while stack:
            node = stack.pop()
            out.append(node)
            stack.extend(reversed(node.children))
        return out

    def root_findings(self) -> list[Finding]:
        """What is wrong with the published record itself, when the walk began at a domain."""
        root = self.root
        if root.status is NodeStatus.MISSING:
            return [SPF_MISSING.error(
                f"{root.domain} publishes no SPF record ({root.detail}): receivers get none. "
                "Publish 'v=spf1 include:<your sender> -all'",
                root.domain,
            )]
        if root.status is NodeStatus.MULTIPLE:
            return [SPF_MULTIPLE_RECORDS.error(
                          f"{root.domain} publishes {root.detail}: merge them into one",
                          root.domain)]
        if root.status is NodeStatus.SYNTAX:
            return [SPF_SYNTAX.error(f"{root.detail}: receivers return permerror",
                          root.domain)]
        return []

    def to_json(self, *, flat_terms: bool = True) -> dict[str, object]:
        """The budget as ``mailzone spf tree --json`` gives it; ``flat_terms=False``
        leaves out the flat term list (the tree holds the same terms, in order)."""
        data: dict[str, object] = {
            "total": self.total,
            "limit": self.limit,
            "void_lookups": self.void_lookups,
            "loops": self.loops,
            "missing": self.missing,
            "dns_errors": self.dns_errors,
            "capped": self.capped,
            "ip_literals": [
                {"domain": ip.domain, "term": ip.term, "own": ip.own} for ip in self.ip_literals
            ],
        }
        if flat_terms:
            data["terms"] = [
                {"domain": t.domain, "term": t.term, "cost": t.cost, "total": t.total,
                 "depth": t.depth, "note": t.note}
                for t in self.terms
            ]
        data["tree"] = self.root.to_json()
        return data


def _own(domain: str, root: str) -> bool:
    return domain == root or domain.endswith("." + root)


class _Step(NamedTuple):
    """What the walk reads of one term of a record, worked out once per record text."""

    term: Mechanism | Modifier
    text: str
    cost: int  # 1 for a term that costs a DNS lookup (RFC 7208 4.6.4)
    kind: Kind | None  # None for a modifier
    target: str | None  # the literal domain it names, if any
    current_domain: bool  # a or mx without a domain: the current domain is the target
    child_needed: bool  # include and redirect: the target's record is walked
    macros_unfollowed: bool  # costs a lookup, names a domain, but only through macros
    rdtype: RdType | None  # what the prefetch asks of the target


_PREFETCHED: Final = {Kind.INCLUDE: RdType.TXT, Kind.MX: RdType.MX, Kind.A: RdType.A}


@lru_cache(maxsize=TEXTS_KEPT)  # by record text: providers' records recur in every tree
def _plan(text: str) -> tuple[_Step, ...]:
    """What the walk reads of a record that parses (``parse`` has it cached)."""
    record = parse(text)
    terms: list[Mechanism | Modifier] = list(record.mechanisms)
    if record.redirect is not None and record.all is None:
        terms.append(record.redirect)  # redirect applies only where no "all" ends it
    return tuple(_step(term) for term in terms)


def _step(term: Mechanism | Modifier) -> _Step:
    if isinstance(term, Modifier):
        literal = term.value.literal()
        return _Step(term, str(term), 1, None,
                     normalize_name(literal) if literal is not None else None, False, True,
                     literal is None, RdType.TXT)
    kind = term.kind
    literal = term.domain.literal() if term.domain is not None else None
    cost = 1 if term.costs_lookup else 0
    return _Step(term, str(term), cost, kind,
                 normalize_name(literal) if literal is not None else None,
                 term.domain is None and kind in (Kind.A, Kind.MX), kind is Kind.INCLUDE,
                 bool(cost) and term.domain is not None and literal is None,
                 _PREFETCHED.get(kind))


class _Walker:
    """Walks one tree, asking its questions through the exchange (``mailzone.dns.exchange``).

    Each record's targets are asked as one batch before its terms are read, so a
    live walk pays one round trip per level of the tree rather than one per name;
    ``known`` holds the batch's outcomes for the reads that follow.
    """

    def __init__(self, budget: Budget, root_domain: str) -> None:
        self.budget = budget
        self.root_domain = root_domain
        self.known: dict[Question, Outcome] = {}

    def _failed(self, exc: DnsError) -> None:
        if isinstance(exc, QueryCapReached):
            if str(exc) not in self.budget.capped:  # a question may be refused twice
                self.budget.capped.append(str(exc))
            self.budget.cap = exc.cap
        else:
            self.budget.dns_errors.append(str(exc))

    def ask(self, name: str, rdtype: RdType) -> Exchange[Answer]:
        outcome = self.known.pop((name, rdtype), None)
        if outcome is None:
            (outcome,) = yield ((name, rdtype),)
        if isinstance(outcome, DnsError):
            raise outcome.fresh()
        return outcome

    def record_of(self, node: Node) -> Exchange[Record | None]:
        try:
            answer = yield from self.ask(node.domain, RdType.TXT)
        except DnsError as exc:
            node.status, node.detail = NodeStatus.DNS_ERROR, str(exc)
            self._failed(exc)
            return None
        records = [text for text in answer.records if is_spf(text)]
        if not records:
            node.status = NodeStatus.MISSING
            node.detail = "no such name" if answer.nxdomain else "no SPF record"
            self.budget.missing.append(node.domain)
            return None
        if len(records) > 1:
            node.status = NodeStatus.MULTIPLE
            node.detail = f"{len(records)} SPF records (permerror)"
            return None
        node.record = records[0]
        return self.parse(node, records[0])

    def parse(self, node: Node, text: str) -> Record | None:
        try:
            return parse(text)
        except SpfSyntaxError as exc:
            node.status, node.detail = NodeStatus.SYNTAX, exc.describe()
            return None

    def visit(self, node: Node, path: tuple[str, ...]) -> Exchange[None]:
        """Walk ``node``'s record (its text parses: ``record_of`` said so)."""
        assert node.record is not None
        planned = _plan(node.record)
        domain = node.domain
        # Each term's target: its own (literal) one, or the current domain (a, mx).
        targets = [domain if step.current_domain else step.target for step in planned]
        yield from self.prefetch(planned, targets, path)
        budget = self.budget
        for step, target in zip(planned, targets, strict=True):
            cost = step.cost
            budget.total += cost
            note = ""
            kind = step.kind
            if kind is Kind.IP4 or kind is Kind.IP6:
                budget.ip_literals.append(
                    IpLiteral(domain, step.text, _own(domain, self.root_domain)))
            if target is None and step.macros_unfollowed:
                note = "depends on macros: not followed"
            elif target is not None and (kind is Kind.A or kind is Kind.MX):
                assert isinstance(step.term, Mechanism)
                note = yield from self.probe(step.term, target)
            child = Node(target, step.text, node.depth + 1) if (
                step.child_needed and target is not None) else None
            node.terms.append(TermCost(domain, step.text, cost, budget.total,
                                       node.depth, note, child))
            node.cost += cost
            if child is not None and target is not None:
                node.children.append(child)
                if target in path:
                    child.status = NodeStatus.LOOP
                    child.detail = " -> ".join((*path, target))
                    budget.loops.append(child.detail)
                    continue
                budget.includes[target] = budget.includes.get(target, 0) + 1
                child_record = yield from self.record_of(child)
                if child_record is not None:
                    yield from self.visit(child, (*path, target))
                node.cost += child.cost

    def prefetch(self, planned: tuple[_Step, ...], targets: list[str | None],
                 path: tuple[str, ...]) -> Exchange[None]:
        """Ask for a record's targets all at once (one round trip per level, live)."""
        questions: dict[Question, None] = {}
        for step, target in zip(planned, targets, strict=True):
            if target is None or target in path or step.rdtype is None:
                continue
            questions[(target, step.rdtype)] = None
        if len(questions) > 1:
            asked = list(questions)
            outcomes = yield from ask_all(asked)
            self.known.update(zip(asked, outcomes, strict=True))

    def probe(self, term: Mechanism, target: str) -> Exchange[str]:
        """Resolve an a/mx target to see void answers and the 10-name cap."""
        rdtype = RdType.MX if term.kind is Kind.MX else RdType.A
        try:
            answer = yield from self.ask(target, rdtype)
            if answer.void and rdtype is RdType.A:
                answer = yield from self.ask(target, RdType.AAAA)
        except DnsError as exc:
            self._failed(exc)
            return f"DNS error: {exc.reason}"
        if answer.void:
            self.budget.void_lookups.append(f"{term}")
            return "void: " + ("no such name" if answer.nxdomain else "no records")
        if rdtype is RdType.MX and len(answer.records) > RFC_LIMITS.mx_names:
            self.budget.mx_over_limit.append(target)
            return f"{len(answer.records)} MX names (over 10)"
        return ""


def trace(
    *,
    domain: str | None = None,
    record: str | None = None,
    limit: int = RFC_LIMITS.lookups,
) -> Exchange[Budget]:
    """The walk as an engine: the tree of ``domain``'s published record, or of ``record``
    (as if at ``domain``). Run it with ``walk``/``walk_sync``, or inside another engine.

    Raises ``SpfSyntaxError`` when ``record`` itself does not parse; problems
    further down the tree are reported in the budget, not raised.
    """
    if domain is None and record is None:
        raise ValueError("walk needs a domain or a record")
    name = normalize_name(domain) if domain else "(record)"
    root = Node(name, "", 0)
    budget = Budget(root, limit=limit)
    walker = _Walker(budget, name)
    parsed: Record | None
    if record is not None:
        parsed = parse(record)
        root.record = record
    else:
        parsed = yield from walker.record_of(root)
    if parsed is not None:
        yield from walker.visit(root, (name,))
    return budget


async def walk(
    resolver: Resolver,
    *,
    domain: str | None = None,
    record: str | None = None,
    limit: int = RFC_LIMITS.lookups,
) -> Budget:
    """``trace`` through any resolver, under asyncio."""
    return await run_async(trace(domain=domain, record=record, limit=limit), resolver)


def walk_sync(
    resolver: SyncResolver,
    *,
    domain: str | None = None,
    record: str | None = None,
    limit: int = RFC_LIMITS.lookups,
) -> Budget:
    """``trace`` through a resolver that answers at once (memory, zone files)."""
    return run(trace(domain=domain, record=record, limit=limit), resolver)


@dataclass(frozen=True, slots=True)
class StaticCost:
    """A record's lookups computed offline from known include costs."""

    total: int
    parts: tuple[tuple[str, int], ...]  # (term, lookups) for every term that costs any
    unknown_includes: tuple[str, ...]  # include/redirect terms counted at their minimum


def static_costs(record: Record, include_costs: Mapping[str, int]) -> StaticCost:
    """The lookups of ``record`` given what each include costs, offline.

    ``include_costs`` maps an include (or redirect) target to what writing
    ``include:<target>`` costs in all: the include itself plus every
    DNS-querying term of the target's tree (the sender catalogue's
    ``lookup_cost``). A target missing from the map, or written with macros, is
    counted at its minimum, the include itself, and listed as unknown.
    """
    terms: list[Mechanism | Modifier] = list(record.mechanisms)
    if record.redirect is not None and record.all is None:
        terms.append(record.redirect)
    parts: list[tuple[str, int]] = []
    unknown: list[str] = []
    for term in terms:
        if isinstance(term, Mechanism) and not term.costs_lookup:
            continue
        cost = 1
        if isinstance(term, Modifier) or term.kind is Kind.INCLUDE:
            spec = term.value if isinstance(term, Modifier) else term.domain
            literal = spec.literal() if spec is not None else None
            known = include_costs.get(normalize_name(literal)) if literal is not None else None
            if known is None:
                unknown.append(str(term))
            else:
                cost = max(known, 1)
        parts.append((str(term), cost))
    return StaticCost(sum(cost for _, cost in parts), tuple(parts), tuple(unknown))


def static_cost(record: Record, include_costs: Mapping[str, int]) -> int:
    """The lookup total of ``static_costs``."""
    return static_costs(record, include_costs).total
