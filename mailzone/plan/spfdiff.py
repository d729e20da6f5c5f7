"""SPF in a plan: the terms a change adds and removes, and the lookup budget before and after.

``Walks`` walks each record text's include tree once (``mailzone.spf.budget.trace``)
inside the plan's engine; includes the catalogue knows only by their cost are
counted at that cost (``settle_uncaptured``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from mailzone.dns.exchange import Exchange
from mailzone.errors import SpfSyntaxError
from mailzone.findings import Finding
from mailzone.mail import catalogue
from mailzone.plan.model import SpfDiff, SpfTerm
from mailzone.registry import PLAN_INCLUDE_UNRESOLVED
from mailzone.spf.budget import Budget, Node, NodeStatus, trace


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
        if node is budget.root or node.status not in (NodeStatus.MISSING, NodeStatus.DNS_ERROR):
            continue
        sender = catalogue.by_include(node.domain)
        if sender is None or sender.tree:
            continue
        extra = max(sender.lookup_cost - 1, 0)
        reason = node.detail
        node.status = NodeStatus.CATALOGUE
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


class Walks:
    """Budgets walked inside a plan's engine, each record text walked once per domain
    it depends on (once in all when it has no a, mx, ptr or macro)."""

    def __init__(self) -> None:
        self.cache: dict[tuple[str, str | None], tuple[Budget, list[Finding]]] = {}
        # Include trees walked ahead of the plan (side by side, live): see build_plan.
        self.includes: dict[str, Budget] = {}

    @staticmethod
    def _domain_free(text: str) -> bool:
        """True when the walk of ``text`` does not depend on the domain it is at."""
        lowered = text.lower()
        return "%" not in lowered and not any(
            term.lstrip("+-~?").split(":")[0].split("/")[0] in ("a", "mx", "ptr")
            for term in lowered.split()[1:]
        )

    def record(self, text: str, domain: str) -> Exchange[tuple[Budget, list[Finding]]]:
        """The budget of ``text`` at ``domain`` and the findings of its tree (the
        engine's and ``settle_uncaptured``'s). Raises ``SpfSyntaxError``."""
        key = (text, None if self._domain_free(text) else domain)
        cached = self.cache.get(key)
        if cached is None:
            budget = yield from trace(domain=domain, record=text)
            notes = settle_uncaptured(budget)
            cached = (budget, [*notes, *budget.findings()])
            self.cache[key] = cached
        budget, findings = cached
        return budget, [f.at(domain) for f in findings]

    def include(self, include: str) -> Exchange[Budget]:
        known = self.includes.get(include)
        if known is not None:
            return known
        return (yield from trace(domain=include))


def spf_diff(
    walks: Walks, name: str, before_values: Sequence[str], after: str
) -> Exchange[tuple[SpfDiff, list[Finding]]]:
    """The SPF diff at ``name`` and the findings of the tree after the plan."""
    before = before_values[0] if before_values else None
    notes: list[str] = []
    if len(before_values) > 1:
        notes.append(f"{len(before_values)} v=spf1 values are published now (a permerror); "
                     "the plan leaves one")
    after_budget, findings = yield from walks.record(after, name)
    after_terms = term_lookups(after_budget)
    before_budget: Budget | None = None
    before_terms: list[tuple[str, int | None]] = []
    if before is not None:
        try:
            before_budget, _ = yield from walks.record(before, name)
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
    ), findings
