"""Every command's exit-code contract, on every path a user can take to an error.

``plan`` exits 1 for anything that is not a plan (2 means changes there); ``check``
and the ``spf`` commands exit 2 for bad usage or input. Each ``--help`` states the
contract. Run through ``main`` as the console script runs it.
"""

from __future__ import annotations

import pytest

from mailzone.cli import contract
from mailzone.cli.main import main

ROOT_STACK = "Pulumi.dev.yaml"

USAGE_ERRORS = [
    # (argv, expected status)
    (["plan", "--formt", "markdown"], 1),  # a misspelt option
    (["plan", "extra"], 1),  # a stray argument
    (["plan", "--format", "bogus"], 1),  # a bad choice
    (["plan", "--concurrency", "many"], 1),  # not a number
    (["plan", "--zones", "examples/zones", "--live"], 1),  # options that exclude each other
    (["plan", "--stack", "/nonexistent/Pulumi.x.yaml"], 1),  # an unreadable stack file
    (["check", "--bogus", "example.com"], 2),
    (["check", "--timeout", "soon", "example.com"], 2),
    (["check", "--format", "xml", "example.com"], 2),
    (["check", "--zones", "/nonexistent", "example.com"], 2),
    (["check", "--timeout", "nan", "--zones", "tests/zones", "example.com"], 2),
    (["check", "--dkim-selector", "", "--zones", "tests/zones", "example.com"], 2),
    (["check", "--dkim-selector", "../x", "--zones", "tests/zones", "example.com"], 2),
    (["check", "--dkim-selector", "a b", "--zones", "tests/zones", "example.com"], 2),
    (["check", "--mail-from-subdomain", "", "--zones", "tests/zones", "example.com"], 2),
    (["check", "", "--zones", "tests/zones"], 2),
    (["check", "x" * 300 + ".example", "--zones", "tests/zones"], 2),
    (["spf", "tree", "", "--zones", "tests/zones"], 2),
    (["spf", "tree", "example.com", "--zones", "tests/zones", "--timeout", "nan"], 2),
    (["spf", "lint", "v=spf1 -all", "--domain", ""], 2),
    (["plan", "--zones", "examples/zones", "--timeout", "2"], 1),  # --timeout needs --live
    (["plan", "--live", "--domain-timeout", "0"], 1),
    (["plan", "--unsafe-share", "150"], 1),
    (["spf", "lint"], 2),
    (["spf", "lint", "v=spf1 -all", "--bogus"], 2),
    (["spf", "lint", "v=spf1 -all", "extra"], 2),
    (["spf", "tree"], 2),
    (["spf", "eval", "--ip", "not-an-address", "--sender", "a@example.com"], 2),
    (["spf", "eval", "--sender", "a@example.com"], 2),
    (["spf"], 2),
    (["spf", "walk"], 2),
    ([], 2),
    (["--bogus"], 2),
    (["deploy"], 2),
]


def run(argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as exc:  # argparse's own exits (usage errors, --help)
        return int(exc.code or 0)


@pytest.mark.parametrize(("argv", "status"), USAGE_ERRORS, ids=[" ".join(a) or "(none)"
                                                                  for a, _ in USAGE_ERRORS])
def test_every_error_path_exits_as_the_contract_says(
        argv: list[str], status: int, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(argv) == status
    out, err = capsys.readouterr()
    assert out == ""  # nothing on stdout but the requested output
    assert err.strip() and "Traceback" not in err
    assert len(err.strip().splitlines()[-1]) < 300  # one line that names the problem


def test_plan_exits_2_for_changes_and_0_for_none(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["plan", "--stack", ROOT_STACK, "--zones", "examples/zones", "--no-lock"]) == 2
    capsys.readouterr()


@pytest.mark.parametrize(("argv", "expected"), [
    (["--help"], contract.TOP),
    (["plan", "--help"], contract.PLAN),
    (["check", "--help"], contract.CHECK),
    (["spf", "--help"], contract.SPF_JUDGE),
    (["spf", "lint", "--help"], contract.SPF_JUDGE),
    (["spf", "tree", "--help"], contract.SPF_JUDGE),
    (["spf", "eval", "--help"], contract.SPF_EVAL),
])
def test_every_help_ends_with_its_exit_statuses(
        argv: list[str], expected: contract.ExitContract,
        capsys: pytest.CaptureFixture[str]) -> None:
    assert run(argv) == 0
    out = capsys.readouterr().out
    table = out[out.index("exit status:"):]
    for code, meaning in expected.statuses:
        assert f"  {code} " in table
        assert meaning.split()[0] in table


def test_the_usage_status_is_the_contracts_own() -> None:
    assert contract.PLAN.usage == 1
    assert {c.usage for c in (contract.CHECK, contract.SPF_JUDGE, contract.SPF_EVAL,
                              contract.TOP)} == {2}
    for each in (contract.PLAN, contract.CHECK, contract.SPF_JUDGE, contract.SPF_EVAL):
        assert each.usage in dict(each.statuses)
