"""Start program runs under the mock engine (``runner.py``), one process each, and read them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
MAIN = ROOT / "__main__.py"
PROGRAMS = Path(__file__).resolve().parent / "programs"
SECRET_SIG = "4dabf18193072939515e22adb298388d"


def stack_config(path: Path) -> dict[str, Any]:
    """The ``config:`` of a ``Pulumi.<stack>.yaml`` file."""
    document = yaml.safe_load(path.read_text())
    config: dict[str, Any] = document["config"]
    return config


def engine_config(config: Mapping[str, Any]) -> dict[str, str]:
    """Config values as the engine hands them to a program: structured values as JSON."""
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()}


@dataclass
class Resource:
    urn: str
    type: str
    name: str
    parent: str
    custom: bool
    provider: str
    inputs: dict[str, Any]


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    resources: list[Resource] = field(default_factory=list)
    invokes: list[dict[str, Any]] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    error: dict[str, Any] | None = None

    def of_type(self, type_: str) -> list[Resource]:
        return [r for r in self.resources if r.type == type_]

    def by_urn(self) -> dict[str, Resource]:
        return {r.urn: r for r in self.resources}

    def named(self, type_: str, name: str) -> Resource:
        [found] = [r for r in self.of_type(type_) if r.name == name]
        return found

    def parent_of(self, resource: Resource) -> Resource | None:
        return self.by_urn().get(resource.parent)

    def ancestors(self, resource: Resource) -> Iterator[Resource]:
        current = self.parent_of(resource)
        while current is not None:
            yield current
            current = self.parent_of(current)


class Pending:
    """A program run in progress; ``result()`` waits for it."""

    def __init__(self, config: Mapping[str, Any], program: Path, stack: str) -> None:
        self.dir = tempfile.TemporaryDirectory(prefix="mailzone-mock-")
        self.request = Path(self.dir.name) / "request.json"
        self.result_path = Path(self.dir.name) / "result.json"
        self.request.write_text(json.dumps({
            "config": engine_config(config), "program": str(program), "stack": stack,
        }))
        env = {k: v for k, v in os.environ.items() if not k.startswith("PULUMI_")}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.components.runner", str(self.request),
             str(self.result_path)],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        self._run: Run | None = None

    def result(self, timeout: float = 240) -> Run:
        if self._run is None:
            stdout, stderr = self.process.communicate(timeout=timeout)
            if not self.result_path.exists():
                raise AssertionError(f"the runner failed:\n{stdout}\n{stderr}")
            data = json.loads(self.result_path.read_text())
            self._run = Run(
                returncode=self.process.returncode,
                stdout=stdout,
                stderr=stderr,
                resources=[Resource(**r) for r in data["resources"]],
                invokes=data["invokes"],
                outputs=data["outputs"],
                error=data["error"],
            )
            self.dir.cleanup()
        return self._run


    def close(self) -> None:
        """Stop the run if nobody read it, and remove its files."""
        if self._run is None:
            self.process.kill()
            self.process.communicate()
            self.dir.cleanup()


def start(config: Mapping[str, Any], program: Path = MAIN, stack: str = "dev") -> Pending:
    return Pending(config, program, stack)


def unquote_strings(text: str) -> list[str]:
    """The character-strings of ``"a" "b"`` (backslash escapes undone); strict."""
    strings: list[str] = []
    i = 0
    while i < len(text):
        if text[i] != '"':
            raise AssertionError(f"expected a quoted string at {i} of {text!r}")
        i += 1
        current = ""
        while text[i] != '"':
            if text[i] == "\\":
                i += 1
            current += text[i]
            i += 1
        strings.append(current)
        i += 1
        if i < len(text):
            if text[i] != " ":
                raise AssertionError(f"expected a space at {i} of {text!r}")
            i += 1
    return strings


def contains_secret(value: Any) -> bool:
    if isinstance(value, dict):
        return value.get(SECRET_SIG) is not None or any(contains_secret(v) for v in value.values())
    if isinstance(value, list):
        return any(contains_secret(v) for v in value)
    return False
