"""The command line's shape: exit codes, usage errors, and a light start-up path."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from mailzone.cli.main import main


def test_start_up_path_imports_no_pulumi_and_no_resolver() -> None:
    # docs/design.md: the CLI must start fast; nothing on its path imports pulumi_aws or
    # pulumi_cloudflare. Building the parser (all commands) is what --help does.
    probe = (
        "import sys; from mailzone.cli.main import build_parser; build_parser(); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('pulumi', 'pulumi_aws', 'pulumi_cloudflare', 'rich', 'dns', 'asyncio', 'pydantic')))"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            check=True).stdout
    assert json.loads(loaded.replace("'", '"')) == []


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["spf", "lint"])
    assert caught.value.code == 2
    assert "RECORD" in capsys.readouterr().err
    with pytest.raises(SystemExit) as caught:
        main(["spf", "eval", "--ip", "192.0.2.1", "--sender", "a@example.org",
              "--zones", "z", "--nameserver", "192.0.2.53"])
    assert caught.value.code == 2


def test_eval_rejects_a_bad_address_with_the_input_named(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status = main(["spf", "eval", "--ip", "192.0.2.999", "--sender", "a@example.org",
                   "--zones", "tests/zones"])
    assert status == 2
    assert "192.0.2.999" in capsys.readouterr().err


def test_a_missing_zone_directory_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["spf", "tree", "example.org", "--zones", "no/such/dir"])
    assert status == 2
    assert "no/such/dir" in capsys.readouterr().err


def test_lint_json_shape(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["spf", "lint", "v=spf1 include:_spf.example.net ip4:192.0.2.1 -all",
                   "--json"])
    data = json.loads(capsys.readouterr().out)
    assert status == 1
    assert data["schema_version"] == 1
    assert [f["code"] for f in data["findings"]] == ["spf-ip-literal"]
    assert data["lookups"]["total"] == 1
