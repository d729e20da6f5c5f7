"""Every case of the RFC 7208 test suite through our check_host().

Target: all 203 cases. A case listing several results accepts any of them;
a case with an explanation must produce it (DEFAULT standing for none).
"""

from __future__ import annotations

import asyncio

import pytest

from mailzone.spf.check import check_identity, check_identity_sync
from tests.rfc7208_suite import Case, SuiteResolver, cases

CASES = list(cases())


def test_the_whole_suite_is_here() -> None:
    # The suite's header and the issue both count 203 cases; a short read would hide failures.
    assert len(CASES) == 203
    assert len({(c.scenario, c.name) for c in CASES}) == 203


@pytest.mark.parametrize("case", CASES, ids=[f"{c.name}" for c in CASES])
def test_case(case: Case) -> None:
    resolver = SuiteResolver(case.resolver_data)
    outcome = check_identity_sync(case.host, case.mailfrom, resolver, helo=case.helo)

    assert outcome.result.value in case.results, (
        f"{case.scenario} / {case.name} (RFC 7208 {case.spec}): got {outcome.result.value} "
        f"({outcome.reason}), expected {' or '.join(case.results)}"
    )
    if case.explanation is not None:
        assert (outcome.explanation or "DEFAULT") == case.explanation


@pytest.mark.parametrize("case", CASES, ids=[f"{c.name}" for c in CASES])
def test_case_through_the_async_face(case: Case) -> None:
    """The async face runs the same evaluation, replayed as each answer comes in: it
    must end exactly where the synchronous face, which asks the resolver directly, ends."""
    resolver = SuiteResolver(case.resolver_data)
    direct = check_identity_sync(case.host, case.mailfrom, resolver, helo=case.helo)
    replayed = asyncio.run(check_identity(case.host, case.mailfrom, resolver, helo=case.helo))
    assert replayed == direct
