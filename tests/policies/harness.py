"""Drive the policy pack exactly as the Pulumi CLI does, over its gRPC Analyzer protocol.

The CLI (``NewPolicyAnalyzer`` in pulumi's ``analyzer_plugin.go``) starts a
Python pack through the ``pulumi-analyzer-policy-python`` shim, which runs
``python3 -u -m pulumi.policy <engine address> .`` with the pack directory as
the working directory and PULUMI_PROJECT / PULUMI_STACK / PULUMI_DRY_RUN /
PULUMI_ORGANIZATION / PULUMI_CONFIG in the environment. ``pulumi.policy`` runs
``__main__.py``; ``PolicyPack`` serves gRPC on 127.0.0.1 and prints the port as
the first line of stdout. The engine then calls ``GetAnalyzerInfo``, reconciles
the policy config (every policy gets its default enforcement level and its
schema's defaults, overlaid with the user's config: ``ReconcilePolicyPackConfig``)
and sends it with ``Configure``; it calls ``Analyze`` for every resource and
``AnalyzeStack`` once at the end, with properties marshalled as protobuf
Structs: unknowns as the string sentinel, secrets as signature objects.

``Pack`` does the same, with a real (if silent) Engine gRPC server at the
address it passes.
"""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from concurrent import futures
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc, engine_pb2_grpc, plugin_pb2

ROOT = Path(__file__).resolve().parents[2]
PACK_DIR = ROOT / "policies"

# What the engine sends for a value not known during preview (sdk/go/common/resource/
# plugin/rpc.go: computed values are marshalled as the UnknownStringValue sentinel).
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
_SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d"
_SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"

PROJECT = "mailzone"
STACK = "dev"

_LEVELS = {
    "advisory": analyzer_pb2.ADVISORY,
    "mandatory": analyzer_pb2.MANDATORY,
    "remediate": analyzer_pb2.REMEDIATE,
    "disabled": analyzer_pb2.DISABLED,
}
LEVEL_NAMES = {v: k for k, v in _LEVELS.items()}


def secret(value: Any) -> dict[str, Any]:
    """A value as the engine marshals a secret (KeepSecrets)."""
    return {_SECRET_SIG_KEY: _SECRET_SIG, "value": value}


def to_struct(props: Mapping[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(dict(props))
    return struct


def default_configuration(info: analyzer_pb2.AnalyzerInfo) -> analyzer_pb2.ConfigureAnalyzerRequest:
    """What the CLI sends with ``Configure`` when the user configures nothing: every
    policy at its own level, with its schema's defaults."""
    request = analyzer_pb2.ConfigureAnalyzerRequest()
    for policy in info.policies:
        entry = request.policyConfig[policy.name]
        entry.enforcementLevel = policy.enforcementLevel
        schema = json_format.MessageToDict(policy.configSchema.properties)
        entry.properties.update({k: v["default"] for k, v in schema.items() if "default" in v})
    return request


def urn(type_token: str, name: str) -> str:
    return f"urn:pulumi:{STACK}::{PROJECT}::{type_token}::{name}"


@dataclass(frozen=True)
class Diagnostic:
    policy: str
    message: str
    level: str
    urn: str

    def __str__(self) -> str:
        return f"[{self.level}] {self.policy}: {self.message}"


class _SilentEngine(engine_pb2_grpc.EngineServicer):
    """The engine's log service, for the address the pack is given. Records logs."""

    def __init__(self) -> None:
        self.logs: list[str] = []

    def Log(self, request: Any, context: Any) -> empty_pb2.Empty:
        self.logs.append(request.message)
        return empty_pb2.Empty()


class Pack:
    """A running policy pack process and a client for it."""

    def __init__(self, *, python: str = sys.executable, timeout: float = 30.0) -> None:
        self.engine = _SilentEngine()
        self._engine_server = grpc.server(futures.ThreadPoolExecutor(max_workers=1))
        engine_pb2_grpc.add_EngineServicer_to_server(self.engine, self._engine_server)
        engine_port = self._engine_server.add_insecure_port("127.0.0.1:0")
        self._engine_server.start()
        env = {
            **os.environ,
            "PULUMI_PROJECT": PROJECT,
            "PULUMI_STACK": STACK,
            "PULUMI_ORGANIZATION": "organization",
            "PULUMI_DRY_RUN": "true",
            "PULUMI_CONFIG": json.dumps({"aws:region": "us-east-1"}),
        }
        started = time.perf_counter()
        self.process = subprocess.Popen(
            [python, "-u", "-m", "pulumi.policy", f"127.0.0.1:{engine_port}", "."],
            cwd=PACK_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.port = self._read_port(timeout)
        self.startup_seconds = time.perf_counter() - started
        self.channel = grpc.insecure_channel(f"127.0.0.1:{self.port}")
        grpc.channel_ready_future(self.channel).result(timeout=timeout)
        self.stub = analyzer_pb2_grpc.AnalyzerStub(self.channel)
        self._info: analyzer_pb2.AnalyzerInfo | None = None

    def _read_port(self, timeout: float) -> int:
        assert self.process.stdout is not None
        selector = selectors.DefaultSelector()
        selector.register(self.process.stdout, selectors.EVENT_READ)
        if not selector.select(timeout):
            self.close()
            raise RuntimeError(f"the pack printed no port within {timeout}s")
        line = self.process.stdout.readline().decode().strip()
        if not line.isdigit():
            stderr = self.process.stderr.read().decode() if self.process.stderr else ""
            self.close()
            raise RuntimeError(f"the pack did not print a port: {line!r}\n{stderr}")
        return int(line)

    def close(self) -> None:
        if getattr(self, "channel", None) is not None:
            self.channel.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()
        self._engine_server.stop(0)

    # --- the protocol ------------------------------------------------------------

    def info(self) -> analyzer_pb2.AnalyzerInfo:
        if self._info is None:
            self._info = self.stub.GetAnalyzerInfo(empty_pb2.Empty())
        return self._info

    def plugin_info(self) -> plugin_pb2.PluginInfo:
        return self.stub.GetPluginInfo(empty_pb2.Empty())

    def configure(self, config: Mapping[str, Mapping[str, Any] | str] | None = None) -> None:
        """Reconcile ``config`` with the pack's defaults as the CLI does and send it.

        ``config`` maps a policy name to its properties, optionally with an
        ``enforcementLevel`` key, or directly to an enforcement level.
        """
        config = config or {}
        unknown = set(config) - {p.name for p in self.info().policies}
        if unknown:
            raise KeyError(f"no such policies: {sorted(unknown)}")
        request = analyzer_pb2.ConfigureAnalyzerRequest()
        for policy in self.info().policies:
            level = policy.enforcementLevel
            schema = json_format.MessageToDict(policy.configSchema.properties)
            properties = {k: v["default"] for k, v in schema.items() if "default" in v}
            given = config.get(policy.name)
            if isinstance(given, str):
                level = _LEVELS[given]
            elif given is not None:
                for key, value in given.items():
                    if key == "enforcementLevel":
                        level = _LEVELS[value]
                    else:
                        properties[key] = value
            entry = request.policyConfig[policy.name]
            entry.enforcementLevel = level
            entry.properties.update(properties)
        self.stub.Configure(request)

    def analyze(
        self,
        type_token: str,
        props: Mapping[str, Any],
        *,
        name: str = "subject",
        config: Mapping[str, Mapping[str, Any] | str] | None = None,
    ) -> list[Diagnostic]:
        """``Analyze`` one resource (after ``Configure`` with ``config``)."""
        self.configure(config)
        request = analyzer_pb2.AnalyzeRequest(
            type=type_token,
            properties=to_struct(props),
            urn=urn(type_token, name),
            name=name,
            options=analyzer_pb2.AnalyzerResourceOptions(),
        )
        return _diagnostics(self.stub.Analyze(request))

    def analyze_stack(
        self,
        resources: Sequence[tuple[str, str, Mapping[str, Any]]],
        *,
        config: Mapping[str, Mapping[str, Any] | str] | None = None,
    ) -> list[Diagnostic]:
        """``AnalyzeStack`` over (type token, name, properties) triples."""
        self.configure(config)
        request = analyzer_pb2.AnalyzeStackRequest(resources=[
            analyzer_pb2.AnalyzerResource(
                type=type_token,
                properties=to_struct(props),
                urn=urn(type_token, name),
                name=name,
                options=analyzer_pb2.AnalyzerResourceOptions(),
            )
            for type_token, name, props in resources
        ])
        return _diagnostics(self.stub.AnalyzeStack(request))


def _diagnostics(response: analyzer_pb2.AnalyzeResponse) -> list[Diagnostic]:
    return [
        Diagnostic(d.policyName, d.message, LEVEL_NAMES[d.enforcementLevel], d.urn)
        for d in response.diagnostics
    ]


def of(diagnostics: Sequence[Diagnostic], policy: str) -> list[Diagnostic]:
    return [d for d in diagnostics if d.policy == policy]
