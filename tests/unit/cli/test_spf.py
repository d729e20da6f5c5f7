"""``mailzone spf tree`` and ``lint`` over the tests' zone files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mailzone.cli.main import main

ZONES = Path(__file__).resolve().parents[2] / "zones"


def tree(capsys: pytest.CaptureFixture[str], domain: str) -> tuple[int, list[str]]:
    status = main(["spf", "tree", domain, "--zones", str(ZONES), "--json"])
    data = json.loads(capsys.readouterr().out)
    return status, [f["code"] for f in data["findings"]]


def test_tree_judges_the_published_record_itself_as_check_does(
        capsys: pytest.CaptureFixture[str]) -> None:
    status, codes = tree(capsys, "big.example.com")  # 40 ip4 terms in its own record
    assert status == 1 and "spf-ip-literal" in codes
    main(["check", "big.example.com", "--zones", str(ZONES), "--format", "json"])
    checked = json.loads(capsys.readouterr().out)["domains"][0]
    assert "spf-ip-literal" in {f["code"] for f in checked["findings"]}


def test_quoted_strings_as_providers_show_them_are_linted_joined(
        capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["spf", "lint", '"v=spf1 include:amazonses.com " "-all"', "--json"])
    out, err = capsys.readouterr()
    data = json.loads(out)
    assert status == 0 and data["findings"] == []
    assert data["record"] == "v=spf1 include:amazonses.com -all"
    assert "joined 2 quoted strings" in err
