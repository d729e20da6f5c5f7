"""The pack's ``Analyze`` and ``AnalyzeStack`` handlers alone: in-process, no gRPC (project Python).

    .venv/bin/python bench/policy_inprocess.py COUNT RUNS OUT.json

``policies/__main__.py`` is run as ``python -m pulumi.policy`` runs it, but
with the SDK's gRPC server replaced by a stand-in, so the SDK's servicer (the
object gRPC would call) is captured. It is configured as the CLI configures
it, then its ``Analyze`` is called for each resource and ``AnalyzeStack``
once, directly. The difference from the figures over gRPC is what the
transport costs; this is what the pack itself costs.
"""

from __future__ import annotations

import json
import os
import runpy
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def servicer() -> Any:
    import pulumi_policy.policy as sdk

    captured: dict[str, Any] = {}

    class _NoServer:
        def add_insecure_port(self, address: str) -> int:
            return 0

        def start(self) -> None:
            pass

        def stop(self, grace: object) -> None:
            pass

    def _stop_serving(seconds: float) -> None:
        raise KeyboardInterrupt

    sdk.grpc.server = lambda *args, **kwargs: _NoServer()
    sdk.analyzer_pb2_grpc.add_AnalyzerServicer_to_server = (
        lambda found, server: captured.setdefault("servicer", found))
    sdk.time.sleep = _stop_serving
    os.environ.update({"PULUMI_PROJECT": "mailzone", "PULUMI_STACK": "dev",
                       "PULUMI_ORGANIZATION": "organization", "PULUMI_DRY_RUN": "true",
                       "PULUMI_CONFIG": json.dumps({"aws:region": "us-east-1"})})
    cwd = os.getcwd()
    os.chdir(ROOT / "policies")
    sys.argv = ["pulumi.policy", "127.0.0.1:1", "."]
    try:
        runpy.run_module("pulumi.policy", run_name="__main__")
    except SystemExit:
        pass
    finally:
        os.chdir(cwd)
    return captured["servicer"]


def main() -> int:
    from google.protobuf import empty_pb2
    from pulumi.runtime.proto import analyzer_pb2

    from bench.b_policy import WARMUP_RESOURCES, resources
    from tests.policies.harness import default_configuration, to_struct, urn

    count, runs, out = int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
    pack = servicer()
    pack.Configure(default_configuration(pack.GetAnalyzerInfo(empty_pb2.Empty(), None)), None)
    items = resources(count)
    options = analyzer_pb2.AnalyzerResourceOptions()
    requests = [analyzer_pb2.AnalyzeRequest(type=t, properties=to_struct(p), urn=urn(t, n),
                                            name=n, options=options) for t, n, p in items]
    stack = analyzer_pb2.AnalyzeStackRequest(resources=[
        analyzer_pb2.AnalyzerResource(type=t, properties=to_struct(p), urn=urn(t, n), name=n,
                                      options=options) for t, n, p in items])
    for request in requests[:WARMUP_RESOURCES]:
        pack.Analyze(request, None)
    analyze: list[float] = []
    analyze_stack: list[float] = []
    for _ in range(runs):
        started = time.perf_counter()
        for request in requests:
            pack.Analyze(request, None)
        analyze.append((time.perf_counter() - started) / count)
        started = time.perf_counter()
        pack.AnalyzeStack(stack, None)
        analyze_stack.append(time.perf_counter() - started)
    out.write_text(json.dumps({"analyze_per_resource": analyze, "analyze_stack": analyze_stack}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
