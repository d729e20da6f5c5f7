"""A mixed stack of 500+ resources over every provider and runtime, through the gRPC
Analyzer: per-resource ``Analyze`` and ``AnalyzeStack`` find every planted violation
and report nothing on the clean resources."""

from __future__ import annotations

from collections import defaultdict

import pytest

from tests.policies.harness import Pack
from tests.policies.mixed_stack import mixed_stack
from tests.policies.shapes import DNS_PROVIDERS, RUNTIMES

pytestmark = pytest.mark.slow


def test_every_planted_violation_is_found_and_nothing_else(pack: Pack) -> None:
    stack = mixed_stack(500)
    assert len(stack.resources) >= 500 and stack.planted >= 90
    tokens = {t for t, _n, _p in stack.resources}
    assert {t for (t, _b), _mx in DNS_PROVIDERS.values()} <= tokens
    assert {t for t, _b, _p in RUNTIMES.values()} <= tokens
    found: dict[str, set[str]] = defaultdict(set)
    # The stack plants violations of the settings and record rules; whether its senders
    # meet the bulk-sender bar is tests/policies/test_bulk_sender_policy.py's business.
    config = {"bulk-sender": "disabled"}
    for token, name, props in stack.resources:
        for diagnostic in pack.analyze(token, props, name=name, config=config):
            found[diagnostic.urn].add(diagnostic.policy)
    for diagnostic in pack.analyze_stack(stack.resources, config=config):
        found[diagnostic.urn].add(diagnostic.policy)
    assert "" not in found, found[""]  # every violation names its resource
    wrong = {u: (sorted(found.get(u, set())), sorted(want))
             for u, want in stack.expected.items() if found.get(u, set()) != want}
    assert wrong == {}
    assert set(found) <= set(stack.expected)
