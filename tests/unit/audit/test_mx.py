"""The MX area's judges, as pure functions of answers, and its batched engine."""

from __future__ import annotations

from mailzone.audit.model import MxFacts, MxStatus
from mailzone.audit.mx import judge_hosts, judge_mx, mx_area
from mailzone.dns.exchange import run
from mailzone.dns.memory import MemoryResolver
from mailzone.dns.resolver import Answer, RdType
from mailzone.errors import DnsError

MX, A, AAAA = RdType.MX, RdType.A, RdType.AAAA


def test_missing_null_and_hosts() -> None:
    facts = MxFacts("example.com")
    assert judge_mx(facts, Answer("example.com", MX), mail_from=False) == []
    assert facts.status is MxStatus.MISSING
    bounce = MxFacts("bounce.example.com")
    codes = [f.code for f in judge_mx(bounce, Answer("x", MX), mail_from=True)]
    assert codes == ["mx-mail-from-missing"]
    null = MxFacts("example.com")
    found = judge_mx(null, Answer("x", MX, ("0 .", "10 mx.example.com")), mail_from=False)
    assert null.status is MxStatus.NULL and [f.code for f in found] == ["mx-null-mixed"]
    assert null.hosts == ["mx.example.com"]  # what the null MX wrongly stands beside
    root = MxFacts("example.com")
    (finding,) = judge_mx(root, Answer("x", MX, ("10 ",)), mail_from=False)
    assert root.status is MxStatus.OK and root.hosts == []
    assert finding.code == "mx-host-void" and "'0 .'" in finding.message
    ok = MxFacts("example.com")
    judge_mx(ok, Answer("x", MX, ("20 b.example.com", "10 a.example.com")), mail_from=False)
    assert ok.status is MxStatus.OK and ok.hosts == ["a.example.com", "b.example.com"]


def test_each_exchange_from_its_addresses() -> None:
    facts = MxFacts("example.com", hosts=["192.0.2.7", "a.example.com", "b.example.com",
                                          "c.example.com"])
    found = judge_hosts(facts, {
        "a.example.com": ["192.0.2.1"], "b.example.com": [],
        "c.example.com": DnsError("c.example.com", "A", "timed out")})
    assert [f.code for f in found] == ["mx-ip-literal", "mx-host-void", "check-dns-error"]
    assert facts.addresses == {"a.example.com": ["192.0.2.1"], "b.example.com": []}


def test_the_engine_asks_aaaa_only_for_exchanges_without_a() -> None:
    asked: list[tuple[str, RdType]] = []

    class Recording(MemoryResolver):
        def answer(self, name: str, rdtype: RdType) -> Answer:
            asked.append((name, rdtype))
            return super().answer(name, rdtype)

    resolver = Recording({
        "example.com": {MX: ["10 a.example.com", "20 b.example.com"]},
        "a.example.com": {A: ["192.0.2.1"]},
        "b.example.com": {AAAA: ["2001:db8::25"]},
    })
    facts, findings = MxFacts("example.com"), []
    run(mx_area(facts, findings, mail_from=False), resolver)
    assert findings == []
    assert facts.addresses == {"a.example.com": ["192.0.2.1"], "b.example.com": ["2001:db8::25"]}
    assert asked == [("example.com", MX), ("a.example.com", A), ("b.example.com", A),
                     ("b.example.com", AAAA)]
