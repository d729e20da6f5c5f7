"""Rich renderings of the engine's results, for people at a terminal."""

from __future__ import annotations

from rich.text import Text
from rich.tree import Tree

from mailzone.spf.budget import Budget, Node, NodeStatus

_STATUS_STYLE = {NodeStatus.OK: "green", NodeStatus.MISSING: "red", NodeStatus.MULTIPLE: "red",
                 NodeStatus.SYNTAX: "red", NodeStatus.LOOP: "red", NodeStatus.DNS_ERROR: "magenta",
                 NodeStatus.CATALOGUE: "yellow"}


def budget_tree(budget: Budget) -> Tree:
    """The include tree: each record, each term with its cost and the running total."""
    over = budget.total > budget.limit
    style = "bold red" if over else "bold green"
    title = Text.assemble((budget.root.domain, "bold"), "  lookups ",
                          (f"{budget.total} of {budget.limit}", style))
    if budget.void_lookups:
        title.append(f"  void {len(budget.void_lookups)} of {budget.void_limit}",
                     style="red" if len(budget.void_lookups) > budget.void_limit else "yellow")
    tree = Tree(title)
    _add_terms(tree, budget.root)
    own = [ip for ip in budget.ip_literals if ip.own]
    third = [ip for ip in budget.ip_literals if not ip.own]
    if own:
        tree.add(Text(f"IP literals in the domain's own records: {', '.join(i.term for i in own)}",
                      style="red"))
    if third:
        tree.add(Text(f"IP literals inside third-party includes: {len(third)} "
                      f"(in {', '.join(sorted({i.domain for i in third}))})", style="dim"))
    return tree


def _add_terms(branch: Tree, node: Node) -> None:
    if node.status is not NodeStatus.OK:
        branch.add(Text(f"{node.status}: {node.detail}", style=_STATUS_STYLE.get(node.status,
                                                                                "red")))
    # A provider's address list is summarised: it costs nothing and is not ours to fix.
    literals = [t for t in node.terms if t.term.lstrip("+-~?")[:4] in ("ip4:", "ip6:")]
    summarise = node.depth > 0 and len(literals) > 2
    if summarise:
        branch.add(Text(f"{len(literals)} ip4/ip6 terms  0", style="dim"))
    for term in node.terms:
        if summarise and term in literals:
            continue
        label = Text(term.term)
        if term.cost:
            label.append(f"  +{term.cost} = {term.total}", style="cyan")
        else:
            label.append("  0", style="dim")
        if term.note:
            label.append(f"  ({term.note})", style="yellow")
        child_branch = branch.add(label)
        child = term.child
        if child is not None:
            heading = Text(child.domain, style="bold")
            heading.append(f"  cost {child.cost}", style="cyan")
            if child.record and node.depth == 0 and len(child.record) <= 80:
                heading.append(f"  {child.record}", style="dim")
            sub = child_branch.add(heading)
            _add_terms(sub, child)
