"""The command line's shape: exit codes, usage errors, and a light start-up path."""

from __future__ import annotations

import argparse
import json
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mailzone.cli.main import build_parser, main


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
    assert data["schema_version"] == 2
    assert [f["code"] for f in data["findings"]] == ["spf-ip-literal"]
    assert data["lookups"]["total"] == 1


def _leaf_parsers() -> list[argparse.ArgumentParser]:
    """Every command a user can run (the parsers with no subcommands of their own)."""
    found: list[argparse.ArgumentParser] = []
    pending = [build_parser()]
    while pending:
        parser = pending.pop()
        children = [action for action in parser._actions
                    if isinstance(action, argparse._SubParsersAction)]
        if not children:
            found.append(parser)
        for action in children:
            pending.extend(action.choices.values())
    return found


LEAVES = _leaf_parsers()
REPO = Path(__file__).resolve().parents[3]


def test_every_command_is_reached() -> None:
    assert sorted(parser.prog for parser in LEAVES) == [
        "mailzone check", "mailzone plan", "mailzone spf eval", "mailzone spf lint",
        "mailzone spf tree"]


@pytest.mark.parametrize("parser", LEAVES, ids=lambda parser: parser.prog)
def test_every_help_describes_explains_and_shows_examples(
        parser: argparse.ArgumentParser) -> None:
    assert parser.description and len(parser.description) > 40
    unexplained = [action.dest for action in parser._actions
                   if not action.help and not isinstance(action, argparse._HelpAction)]
    assert unexplained == []
    text = parser.format_help()
    examples = text.partition("\nexamples:\n")[2].partition("\n\n")[0].splitlines()
    assert 2 <= len(examples) <= 3, text
    assert all(line.startswith(f"  {parser.prog}") for line in examples), examples
    assert "\nexit status:\n" in text


@pytest.mark.parametrize(
    "example",
    [line.strip() for parser in LEAVES
     for line in parser.format_help().partition("\nexamples:\n")[2].partition("\n\n")[0]
     .splitlines() if "--zones examples/" in line],
)
def test_offline_examples_run_as_shown(example: str) -> None:
    # Run from the repository, as the README's reader would: every offline example
    # runs and ends with a status its contract gives to a run, never a usage error.
    argv = shlex.split(example)[1:]
    done = subprocess.run([sys.executable, "-m", "mailzone.cli", *argv], cwd=REPO,
                          capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert done.stderr.count("Traceback") == 0
    # A run: plan's 0 (no changes) or 2 (changes), the others' 0 or 1 (findings).
    assert done.returncode in ((0, 2) if argv[0] == "plan" else (0, 1)), done.stderr
    assert "error:" not in done.stderr
    assert done.stdout.strip(), "an example prints what it was run for"


@pytest.mark.parametrize("command", [
    ["spf", "lint", "v=spf1 ip4:192.0.2.1 -all"],
    ["spf", "eval", "--ip", "192.0.2.25", "--sender", "a@example.org", "--zones",
     "examples/zones"],
    ["spf", "tree", "example.net", "--zones", "examples/zones"],
])
def test_spf_json_is_an_alias_of_format_json(
        command: list[str], capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    outputs = []
    for flag in (["--json"], ["--format", "json"], ["--format", "text"]):
        status = main([*command, *flag])
        outputs.append((status, capsys.readouterr().out))
    assert outputs[0] == outputs[1]
    assert isinstance(json.loads(outputs[0][1]), dict)
    assert outputs[2][0] == outputs[0][0]
    assert not outputs[2][1].lstrip().startswith("{")


def test_ctrl_c_says_in_one_line_what_was_interrupted() -> None:
    # check --file - waits on its standard input: interrupt it there, as a user would.
    process = subprocess.Popen([sys.executable, "-m", "mailzone.cli", "check", "--file", "-"],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    assert process.stdin is not None and process.stderr is not None
    process.stdin.write("example.com\n")
    process.stdin.flush()
    time.sleep(1.0)  # past start-up, into the read
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 130
    assert out == ""
    assert err == "mailzone check: interrupted (Ctrl-C); no file was changed\n"
