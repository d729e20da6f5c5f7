"""The RFC 9989 DNS tree walk: which names it asks, the policy and organisational domain."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailzone.dns.exchange import run
from mailzone.dns.memory import MemoryResolver
from mailzone.dns.resolver import Answer, RdType
from mailzone.errors import DnsError
from mailzone.mail.discovery import (
    MAX_WALK_QUERIES,
    Discovery,
    discover,
    discover_all,
    discovery_from,
    walk_targets,
)
from mailzone.mail.dmarc import Policy

TXT = RdType.TXT


walk = Discovery.over


@pytest.mark.parametrize(("domain", "targets"), [
    ("com", ("com",)),
    ("example.com", ("example.com", "com")),
    ("Mail.Example.COM.", ("mail.example.com", "example.com", "com")),
    ("a.b.example.com", ("a.b.example.com", "b.example.com", "example.com", "com")),
    # Five labels and more: straight to four labels, then one at a time (RFC 9989).
    ("a.b.c.example.com", ("a.b.c.example.com", "b.c.example.com", "c.example.com",
                           "example.com", "com")),
    ("x.y.z.a.b.c.example.com", ("x.y.z.a.b.c.example.com", "b.c.example.com",
                                 "c.example.com", "example.com", "com")),
])
def test_walk_targets(domain: str, targets: tuple[str, ...]) -> None:
    assert walk_targets(domain) == targets


@given(st.lists(st.from_regex(r"[a-z0-9]{1,10}", fullmatch=True), min_size=1, max_size=30))
def test_a_walk_never_asks_more_than_the_rfc_allows(labels: list[str]) -> None:
    targets = walk_targets(".".join(labels))
    assert 1 <= len(targets) <= MAX_WALK_QUERIES
    assert targets[-1] == labels[-1] and targets[0] == ".".join(labels)
    assert len(set(targets)) == len(targets)


def test_the_domain_s_own_record_applies_with_p() -> None:
    found = walk("example.com", {"example.com": ["v=DMARC1; p=reject; sp=none"]})
    assert found.source == "example.com" and not found.inherited
    assert found.policy() is Policy.REJECT
    assert found.organisation == "example.com"


def test_a_subdomain_gets_its_ancestor_s_sp_or_np() -> None:
    published = {"example.com": ["v=DMARC1; p=reject; sp=quarantine; np=none"]}
    found = walk("a.b.example.com", published)
    assert found.source == "example.com" and found.inherited
    assert found.policy() is Policy.QUARANTINE
    assert found.policy(exists=False) is Policy.NONE
    assert found.organisation == "example.com"


def test_an_intermediate_record_never_reaches_the_names_below_it() -> None:
    published = {"mail.parked.test": ["v=DMARC1; p=none"],
                 "parked.test": ["v=DMARC1; p=reject; sp=reject; np=reject"]}
    found = walk("a.mail.parked.test", published)
    assert found.organisation == "parked.test" and found.source == "parked.test"
    assert found.policy() is Policy.REJECT
    # A public suffix's record applies when the organisational domain has none.
    suffix = walk("mail.brand.example", {"example": ["v=DMARC1; p=quarantine; psd=y"]})
    assert suffix.source == "example" and suffix.policy() is Policy.QUARANTINE
    # A record receivers apply no DMARC for (no valid p=, no rua=) gives no policy.
    assert walk("example.com", {"example.com": ["v=DMARC1; p=rejct"]}).policy() is None


def test_a_record_more_than_four_labels_up_is_never_read() -> None:
    published = {"b.c.d.example.com": ["v=DMARC1; p=reject"],
                 "example.com": ["v=DMARC1; p=none"]}
    found = walk("a.b.c.d.example.com", published)  # 6 labels: next is c.d.example.com
    assert found.source == "example.com" and found.policy() is Policy.NONE


def test_other_values_are_ignored_and_several_records_discarded() -> None:
    published = {"mail.example.com": ["google-site-verification=x", "v=DMARC1; p=none",
                                      "v=DMARC1; p=reject"],
                 "example.com": ["v=DMARC1; p=quarantine"]}
    found = walk("mail.example.com", published)
    assert found.source == "example.com"
    assert [f.code for f in found.findings()] == ["dmarc-multiple"]
    alone = walk("example.com", {"example.com": ["v=DMARC1; p=none", "v=DMARC1; p=reject"]})
    assert alone.policy_level is None and alone.multiple
    assert " v=DMARC1" not in [f.code for f in alone.findings()]
    discarded = walk("example.com", {"example.com": [" v=DMARC1; p=reject"]})
    assert discarded.policy_level is None and not discarded.multiple
    assert [f.code for f in discarded.findings()] == ["dmarc-syntax"]


def test_the_organisational_domain_by_psd() -> None:
    # psd=n: the name with it is an organisational domain, and the walk stops there.
    split = {"shop.example.com": ["v=DMARC1; p=reject; psd=n"],
             "example.com": ["v=DMARC1; p=none"]}
    assert walk("a.shop.example.com", split).organisation == "shop.example.com"
    # psd=y: a public suffix; the organisational domain is one label below it.
    suffix = {"example": ["v=DMARC1; p=reject; psd=y"]}
    assert walk("mail.brand.example", suffix).organisation == "brand.example"
    assert walk("mail.brand.example", suffix).policy() is Policy.REJECT
    # Neither: the name with the fewest labels that has a record.
    plain = {"example.com": ["v=DMARC1; p=none"], "mail.example.com": ["v=DMARC1; p=reject"]}
    assert walk("x.mail.example.com", plain).organisation == "example.com"
    # A record between the domain and its organisational domain applies to its own
    # name only (RFC 9989, "DMARC Policy Discovery"): example.com's applies here.
    assert walk("x.mail.example.com", plain).source == "example.com"
    assert walk("x.mail.example.com", plain).policy() is Policy.NONE
    assert walk("mail.example.com", plain).source == "mail.example.com"
    # No record anywhere: the domain itself.
    assert walk("mail.example.com", {}).organisation == "mail.example.com"


def test_failures_below_the_top_level_domain_leave_the_policy_unknown() -> None:
    error = DnsError("_dmarc.example.com", "TXT", "timed out")
    found = discovery_from("mail.example.com", [Answer("_dmarc.mail.example.com", TXT), error,
                                                Answer("_dmarc.com", TXT)])
    assert found.unknown is error and found.policy_level is None
    own = discovery_from("example.com", [error, Answer("_dmarc.com", TXT)])
    assert own.unknown is error
    # A failure past the record that applies changes nothing.
    later = discovery_from("mail.example.com", [
        Answer("_dmarc.mail.example.com", TXT, ("v=DMARC1; p=reject",)), error,
        Answer("_dmarc.com", TXT)])
    assert later.unknown is None and later.policy() is Policy.REJECT
    # The top-level domain, refused: no record there, said in stopped_at.
    refused = DnsError("_dmarc.com", "TXT", "REFUSED")
    top = discovery_from("example.com", [Answer("_dmarc.example.com", TXT), refused])
    assert top.unknown is None and top.policy_level is None
    assert top.stopped_at is not None and top.stopped_at.error is refused


def test_replacing_a_level_is_what_a_plan_will_publish() -> None:
    found = walk("example.com", {"example.com": ["v=DMARC1; p=none"]})
    planned = found.replacing("example.com", ["v=DMARC1; p=reject"])
    assert planned.policy() is Policy.REJECT and found.policy() is Policy.NONE


def test_the_engine_asks_every_name_of_every_walk_in_one_batch() -> None:
    asked: list[tuple[str, RdType]] = []

    class Counting(MemoryResolver):
        def answer(self, name: str, rdtype: RdType) -> Answer:
            asked.append((name, rdtype))
            return super().answer(name, rdtype)

    resolver = Counting({"_dmarc.example.com": {TXT: ["v=DMARC1; p=reject"]}})
    walks, _ = run(discover_all(["mail.example.com", "example.com"]), resolver)
    assert [w.source for w in walks] == ["example.com", "example.com"]
    assert asked == [("_dmarc.mail.example.com", TXT), ("_dmarc.example.com", TXT),
                              ("_dmarc.com", TXT), ("_dmarc.example.com", TXT),
                              ("_dmarc.com", TXT)]
    assert run(discover("example.com"), resolver).policy() is Policy.REJECT


# What RFC 9989 has receivers apply, written out by hand (not derived from the module):
# (published _dmarc records by name, the From domain, its policy, and for a name under
# it that does not exist).
POLICY_TABLE = [
    ({"example.com": ["v=DMARC1; p=reject"]}, "example.com", "reject", "reject"),
    ({"example.com": ["v=DMARC1; p=reject; sp=none"]}, "a.example.com", "none", "none"),
    ({"example.com": ["v=DMARC1; p=reject; sp=quarantine; np=reject"]}, "a.example.com",
     "quarantine", "reject"),
    ({"example.com": ["v=DMARC1; p=none; np=reject; rua=mailto:d@example.com"]},
     "example.com", "none", "reject"),
    ({"example.com": ["v=DMARC1; sp=reject; rua=mailto:d@example.com"]}, "a.example.com",
     "none", "none"),  # no p=, a valid rua=: p=none throughout
    ({"example.com": ["v=DMARC1; p=reject; sp=bad; rua=mailto:d@example.com"]},
     "example.com", "none", "none"),  # an invalid sp=: p=none throughout
    ({"example.com": ["v=DMARC1; p=bad"]}, "example.com", None, None),  # no rua=: no DMARC
    ({"example.com": ["v=DMARC1; p=reject; pct=10"]}, "example.com", "reject", "reject"),
    ({"example.com": ["v=DMARC1; p=quarantine"], "mail.example.com": ["v=DMARC1; p=none"]},
     "x.mail.example.com", "quarantine", "quarantine"),  # the intermediate record is skipped
    ({"example.com": ["v=DMARC1; p=none"], "shop.example.com": ["v=DMARC1; p=reject; psd=n"]},
     "x.shop.example.com", "reject", "reject"),  # psd=n: shop is an organisational domain
    ({"example.com": ["v=DMARC1; p=none", "v=DMARC1; p=reject"]}, "example.com", None, None),
    ({"example": ["v=DMARC1; p=reject; psd=y"]}, "mail.brand.example", "reject", "reject"),
]


@pytest.mark.parametrize(("published", "domain", "policy", "nonexistent"), POLICY_TABLE)
def test_the_policy_receivers_apply(published: dict[str, list[str]], domain: str,
                                    policy: str | None, nonexistent: str | None) -> None:
    found = walk(domain, published)
    got = found.policy()
    assert (got.value if got else None) == policy
    missing = walk(f"nx.{domain}", published).policy(exists=False)
    assert (missing.value if missing else None) == nonexistent
