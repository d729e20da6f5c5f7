"""The pack's parked-domain policy, through its gRPC Analyzer: a null MX and what goes with it."""

from __future__ import annotations

import pytest

from tests.policies.harness import UNKNOWN, Pack, of
from tests.policies.shapes import CF6, R53, cf6, r53

pytestmark = pytest.mark.slow

POLICY = "parked-domain"
LOCKDOWN = "v=DMARC1; p=reject; sp=reject; np=reject"


def parked(dmarc: str | None = LOCKDOWN, spf: str = "v=spf1 -all",
           *mx: str) -> list[tuple[str, str, dict[str, object]]]:
    stack: list[tuple[str, str, dict[str, object]]] = [
        (R53, "spf", r53("example.com", "TXT", spf)),
        (R53, "mx", r53("example.com", "MX", "0 .", *mx)),
    ]
    if dmarc is not None:
        stack.append((R53, "dmarc", r53("_dmarc.example.com", "TXT", dmarc)))
    return stack


def codes(pack: Pack, stack: list[tuple[str, str, dict[str, object]]]) -> list[str]:
    return [d.message.rsplit("[", 1)[1].rstrip("]") for d in of(pack.analyze_stack(stack),
                                                              POLICY)]


def test_the_lockdown_set_passes(pack: Pack) -> None:
    assert codes(pack, parked()) == []
    assert codes(pack, parked("v=DMARC1; p=reject; np=reject; rua=mailto:d@example.com")) == []


def test_a_parked_domain_without_the_whole_dmarc_set_is_rejected(pack: Pack) -> None:
    found = of(pack.analyze_stack(parked("v=DMARC1; p=reject; np=none")), POLICY)
    assert len(found) == 1 and found[0].level == "mandatory"
    assert found[0].urn.endswith("::mx")
    assert "lacks np=reject (it is none)" in found[0].message
    # sp and np fall back to p (RFC 9989): p=reject alone locks the domain down.
    assert codes(pack, parked("v=DMARC1; p=reject")) == []
    assert codes(pack, parked("v=DMARC1; p=reject; sp=none")) == ["parked-incomplete"]
    assert codes(pack, parked(None)) == ["parked-incomplete"]
    elsewhere = pack.analyze_stack(parked(None),
                                   config={POLICY: {"externalDomains": ["example.com"]}})
    assert of(elsewhere, POLICY) == []


def test_a_parked_domain_that_also_sends_or_takes_mail_is_rejected(pack: Pack) -> None:
    assert codes(pack, parked(LOCKDOWN, "v=spf1 include:amazonses.com -all")) == ["mx-null-spf"]
    assert codes(pack, parked(LOCKDOWN, "v=spf1 -all", "10 mx.example.com")) == [
        "mx-null-mixed"]


def test_cloudflare_and_a_parent_s_record(pack: Pack) -> None:
    stack = [
        (CF6, "spf", cf6("shop.example.org", "TXT", '"v=spf1 -all"')),
        (CF6, "mx", cf6("shop.example.org", "MX", ".", priority=0)),
        (CF6, "dmarc", cf6("_dmarc.example.org", "TXT", '"v=DMARC1; p=none; sp=quarantine"')),
    ]
    found = of(pack.analyze_stack(stack), POLICY)
    assert len(found) == 1 and "sp (which applies to it)=reject (it is quarantine)" in (
        found[0].message)


def test_unknown_values_are_not_judged(pack: Pack) -> None:
    assert codes(pack, [*parked(None), (R53, "dmarc", r53(UNKNOWN, "TXT", LOCKDOWN))]) == []
    assert codes(pack, parked(LOCKDOWN, UNKNOWN)) == []

