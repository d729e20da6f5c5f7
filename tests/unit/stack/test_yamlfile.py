"""Stack files read within bounds: a 'billion laughs' or a huge file is refused in one line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from mailzone.errors import ConfigError
from mailzone.stack import yamlfile
from mailzone.stack.yamlfile import MAX_NODES, load_yaml

ROOT = Path(__file__).resolve().parents[3]


def laughs(levels: int, *, where: str = "keepTxt") -> str:
    """Aliases of aliases: nine copies of the level below, ``levels`` deep (9**levels)."""
    lines = ['  a0: &a0 ["lol"]']
    lines += [f"  a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]"
              for i in range(1, levels + 1)]
    return ("anchors:\n" + "\n".join(lines) + "\nconfig:\n  mailzone:domains:\n"
            "    - domain: example.com\n      dns: {provider: route53}\n"
            f"      {where}: *a{levels}\n")


def test_plain_yaml_and_a_few_aliases_load() -> None:
    assert load_yaml("a: 1\nb: [x, y]\n", source="s.yaml") == {"a": 1, "b": ["x", "y"]}
    small = load_yaml(laughs(2), source="s.yaml")
    assert len(small["config"]["mailzone:domains"][0]["keepTxt"]) == 9
    assert load_yaml("", source="s.yaml") is None


def test_aliases_that_expand_past_the_bound_are_refused_before_any_value_is_built() -> None:
    with pytest.raises(ConfigError) as refused:
        load_yaml(laughs(30), source="Pulumi.bomb.yaml")
    ((path, message),) = refused.value.problems
    assert path == "Pulumi.bomb.yaml"
    assert "billion laughs" in message and f"{MAX_NODES:,}" in message


def test_a_file_over_the_size_bound_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yamlfile, "MAX_BYTES", 100)
    with pytest.raises(ConfigError, match="Split the stack"):
        load_yaml("a: " + "x" * 200, source="big.yaml")


def test_invalid_yaml_is_one_line_naming_the_file() -> None:
    with pytest.raises(ConfigError) as refused:
        load_yaml("a: [1, 2\nb: 3\n", source="bad.yaml")
    ((path, message),) = refused.value.problems
    assert path == "bad.yaml" and message.startswith("not valid YAML: ") and "\n" not in message


@pytest.mark.slow
@pytest.mark.parametrize("command", [["plan", "--zones", "examples/zones", "--no-lock"],
                                     ["check", "--zones", "examples/zones"]])
def test_the_commands_refuse_a_bomb_in_one_line_within_a_memory_bound(
        tmp_path: Path, command: list[str]) -> None:
    stack = tmp_path / "Pulumi.bomb.yaml"
    stack.write_text(laughs(30))
    limit = ("import resource; resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30)); "
             "import sys; from mailzone.cli.main import main; sys.exit(main(sys.argv[1:]))")
    done = subprocess.run([sys.executable, "-c", limit, *command[:1], "--stack", str(stack),
                           *command[1:]], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == (1 if command[0] == "plan" else 2), done.stderr
    assert "Traceback" not in done.stderr and "MemoryError" not in done.stderr
    assert "billion laughs" in done.stderr and str(stack) in done.stderr
    assert done.stdout == ""
