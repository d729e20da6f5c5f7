"""The lookup budget over an in-memory DNS: costs, running totals, faults."""

from __future__ import annotations

import asyncio

from mailzone.dns.memory import MemoryResolver
from mailzone.dns.resolver import Answer, RdType
from mailzone.spf.budget import static_cost, walk, walk_sync
from mailzone.spf.check import check_host_sync
from mailzone.spf.parser import parse

TXT = RdType.TXT


def dns(records: dict[str, list[str]], **extra: dict[RdType, list[str]]) -> MemoryResolver:
    resolver = MemoryResolver({name: {TXT: values} for name, values in records.items()})
    for name, by_type in extra.items():
        for rdtype, values in by_type.items():
            resolver.add(name.replace("_", "."), rdtype, values)
    return resolver


PROVIDER = {
    "example.org": ["v=spf1 include:_spf.example.net mx ~all", "site-verification=abc"],
    "_spf.example.net": ["v=spf1 include:_n1.example.net include:_n2.example.net ~all"],
    "_n1.example.net": ["v=spf1 ip4:192.0.2.0/25 ~all"],
    "_n2.example.net": ["v=spf1 ip6:2001:db8::/32 a:relay.example.net ~all"],
}


def test_costs_running_totals_and_ip_literals_by_owner() -> None:
    resolver = dns(PROVIDER)
    resolver.add("example.org", RdType.MX, ["10 mail.example.org"])
    resolver.add("relay.example.net", RdType.A, ["192.0.2.200"])
    budget = walk_sync(resolver, domain="example.org")
    # include, (include, include, a inside), mx
    assert budget.total == 5
    assert [(t.term, t.cost, t.total) for t in budget.terms] == [
        ("include:_spf.example.net", 1, 1),
        ("include:_n1.example.net", 1, 2),
        ("ip4:192.0.2.0/25", 0, 2),
        ("~all", 0, 2),
        ("include:_n2.example.net", 1, 3),
        ("ip6:2001:db8::/32", 0, 3),
        ("a:relay.example.net", 1, 4),
        ("~all", 0, 4),
        ("~all", 0, 4),
        ("mx", 1, 5),
        ("~all", 0, 5),
    ]
    assert {(ip.domain, ip.own) for ip in budget.ip_literals} == {
        ("_n1.example.net", False), ("_n2.example.net", False)}
    assert budget.findings() == []


def test_budget_agrees_with_evaluation_for_a_non_matching_client() -> None:
    # A client that matches nothing makes check_host() evaluate the whole tree: the
    # lookups it counts must equal the budget's total.
    resolver = dns(PROVIDER)
    resolver.add("example.org", RdType.MX, ["10 mail.example.org"])
    resolver.add("relay.example.net", RdType.A, ["192.0.2.200"])
    budget = walk_sync(resolver, domain="example.org")
    outcome = check_host_sync("198.51.100.7", "example.org", "app@example.org", resolver)
    assert outcome.result.value == "softfail"
    assert outcome.lookups == budget.total


def test_over_the_limit_names_where_the_budget_goes() -> None:
    records = {"example.org": ["v=spf1 include:big.example.net include:small.example.net -all"],
               "big.example.net": ["v=spf1 " + " ".join(
                   f"include:n{i}.example.net" for i in range(9)) + " -all"],
               "small.example.net": ["v=spf1 ip4:192.0.2.1 -all"]}
    records.update({f"n{i}.example.net": ["v=spf1 ip4:192.0.2.9 -all"] for i in range(9)})
    budget = walk_sync(dns(records), domain="example.org")
    assert budget.total == 11
    (finding,) = [f for f in budget.findings() if f.code == "spf-lookup-limit"]
    assert finding.is_error
    assert "include:big.example.net (10)" in finding.message
    assert "11" in finding.message


def test_loops_missing_records_and_void_lookups() -> None:
    resolver = dns({
        "example.org": ["v=spf1 include:loop-a.example.org include:gone.example.org "
                        "a:void1.example.org a:void2.example.org mx:void3.example.org -all"],
        "loop-a.example.org": ["v=spf1 include:loop-b.example.org -all"],
        "loop-b.example.org": ["v=spf1 include:loop-a.example.org -all"],
    })
    budget = walk_sync(resolver, domain="example.org")
    codes = sorted(f.code for f in budget.findings())
    assert codes == ["spf-include-missing", "spf-loop", "spf-void-limit"]
    assert budget.loops == ["example.org -> loop-a.example.org -> loop-b.example.org -> "
                            "loop-a.example.org"]
    assert budget.missing == ["gone.example.org"]
    assert len(budget.void_lookups) == 3


def test_duplicate_include_across_the_tree() -> None:
    resolver = dns({
        "example.org": ["v=spf1 include:shared.example.net include:p.example.net -all"],
        "p.example.net": ["v=spf1 include:shared.example.net -all"],
        "shared.example.net": ["v=spf1 ip4:192.0.2.1 -all"],
    })
    budget = walk_sync(resolver, domain="example.org")
    assert budget.total == 3
    assert [f.code for f in budget.findings()] == ["spf-duplicate-include"]


def test_record_text_walk_marks_own_ip_literals() -> None:
    budget = walk_sync(dns(PROVIDER), domain="example.org",
                           record="v=spf1 ip4:192.0.2.10 include:_n1.example.net -all")
    assert [(ip.term, ip.own) for ip in budget.ip_literals] == [
        ("ip4:192.0.2.10", True), ("ip4:192.0.2.0/25", False)]


def test_redirect_beside_all_costs_nothing_and_macros_are_not_followed() -> None:
    budget = walk_sync(dns({}), domain="example.org",
                           record="v=spf1 exists:%{i}.bl.example.org redirect=x.example.org "
                                  "-all")
    assert budget.total == 1
    assert budget.terms[0].note.startswith("depends on macros")


def test_static_cost_from_known_include_costs() -> None:
    record = parse("v=spf1 include:_spf.google.com include:amazonses.com mx "
                   "include:unknown.example.net ~all")
    # Costs as the catalogue counts them: the include itself and its tree.
    costs = {"_spf.google.com": 4, "amazonses.com": 1}
    assert static_cost(record, costs) == 4 + 1 + 1 + 1


class SlowResolver:
    """A resolver that takes a little while, and counts questions in flight."""

    def __init__(self, inner: MemoryResolver) -> None:
        self.inner = inner
        self.in_flight = 0
        self.most_in_flight = 0

    async def resolve(self, name: str, rdtype: RdType) -> Answer:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await asyncio.sleep(0.01)
            return self.inner.answer(name, rdtype)
        finally:
            self.in_flight -= 1


def test_a_live_walk_asks_for_a_level_of_the_tree_at_once() -> None:
    resolver = dns(PROVIDER)
    resolver.add("relay.example.net", RdType.A, ["192.0.2.200"])
    slow = SlowResolver(resolver)
    budget = asyncio.run(walk(slow, domain="example.org"))
    offline = walk_sync(resolver, domain="example.org")
    # _n1 and _n2 are asked together; the answers and the budget do not change.
    assert slow.most_in_flight >= 2
    assert budget.to_json() == offline.to_json()


def test_broken_include_targets_are_permerrors_and_the_root_is_judged_apart() -> None:
    resolver = dns({
        "example.org": ["v=spf1 include:two.example.net include:bad.example.net -all"],
        "two.example.net": ["v=spf1 -all", "v=spf1 ~all"],
        "bad.example.net": ["v=spf1 ip4:192.0.2.300 -all"],
    })
    budget = walk_sync(resolver, domain="example.org")
    assert sorted(f.code for f in budget.findings()) == ["spf-multiple-records", "spf-syntax"]
    assert budget.root_findings() == []
    missing = walk_sync(resolver, domain="nothing.example.org")
    assert [f.code for f in missing.root_findings()] == ["spf-missing"]
    assert missing.findings() == []  # the root is not an include that is missing
    multiple = walk_sync(resolver, domain="two.example.net")
    assert [f.code for f in multiple.root_findings()] == ["spf-multiple-records"]
