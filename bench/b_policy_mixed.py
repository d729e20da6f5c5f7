"""3b. Policy pack over a mixed stack: every DNS provider and application runtime it reads.

The stack is ``tests/policies/mixed_stack.py``: rounds of one sending domain on one DNS
provider (SPF, DMARC, MX: Google Cloud DNS, Azure DNS, DigitalOcean, NS1, DNSimple)
and one application on one runtime (Kubernetes objects, Lambda, ECS, App Runner,
Elastic Beanstalk, Batch, Cloud Run, App Service, Docker), with planted violations.
``Analyze`` is called for every resource in turn, as the engine does, then
``AnalyzeStack`` once; the rows say whether every planted violation was found and
nothing else, and the time per resource.
"""

from __future__ import annotations

import time
from collections import defaultdict

from bench.b_policy import TARGET_PER_RESOURCE_MS
from bench.common import Row, Section, Settings, Stat, log, verdict

MIXED_RESOURCES = 500
SMOKE_RESOURCES = 100


def run(settings: Settings) -> Section:
    from pulumi.runtime.proto import analyzer_pb2

    from tests.policies.harness import Pack, to_struct, urn
    from tests.policies.mixed_stack import mixed_stack

    section = Section("Policy pack, mixed stack")
    stack = mixed_stack(SMOKE_RESOURCES if settings.smoke else MIXED_RESOURCES)
    count = len(stack.resources)
    options = analyzer_pb2.AnalyzerResourceOptions()
    requests = [analyzer_pb2.AnalyzeRequest(type=t, properties=to_struct(p), urn=urn(t, n),
                                            name=n, options=options)
                for t, n, p in stack.resources]
    stack_request = analyzer_pb2.AnalyzeStackRequest(resources=[
        analyzer_pb2.AnalyzerResource(type=t, properties=to_struct(p), urn=urn(t, n), name=n,
                                      options=options)
        for t, n, p in stack.resources])
    log(f"policy-mixed: Analyze x {count} and AnalyzeStack, {settings.runs} runs")
    per_resource: list[float] = []
    stack_seconds: list[float] = []
    found: dict[str, set[str]] = defaultdict(set)
    pack = Pack()
    try:
        # The planted violations are the settings and record rules'; the bulk-sender bar
        # (advisory) is not planted, so it is left out of the count.
        pack.configure({"bulk-sender": "disabled"})
        for _ in range(settings.runs):
            found.clear()
            started = time.perf_counter()
            responses = [pack.stub.Analyze(request) for request in requests]
            per_resource.append((time.perf_counter() - started) / count)
            started = time.perf_counter()
            responses.append(pack.stub.AnalyzeStack(stack_request))
            stack_seconds.append(time.perf_counter() - started)
            for response in responses:
                for diagnostic in response.diagnostics:
                    found[diagnostic.urn].add(diagnostic.policyName)
    finally:
        pack.close()
    missed = sum(1 for u, want in stack.expected.items() if want and found.get(u) != want)
    false = sum(1 for u, want in stack.expected.items() if not want and found.get(u))
    per = Stat.of([s * 1000 for s in per_resource])
    whole = Stat.of(stack_seconds)
    section.rows += [
        Row("3b. Mixed stack", f"Analyze, ms per resource ({count} resources, every provider "
            "and runtime, one call each)",
            per.show(" ms"), target=f"< {TARGET_PER_RESOURCE_MS:g} ms",
            status=verdict(per.median < TARGET_PER_RESOURCE_MS)),
        Row("3b. Mixed stack", f"AnalyzeStack, one call with {count} resources",
            f"{whole.show(' s')}; {whole.median / count * 1000:.3f} ms per resource",
            target=f"< {TARGET_PER_RESOURCE_MS:g} ms per resource",
            status=verdict(whole.median / count * 1000 < TARGET_PER_RESOURCE_MS)),
        Row("3b. Mixed stack", f"planted violations found ({stack.planted} resources planted)",
            f"{stack.planted - missed} found, {missed} missed, {false} false positives",
            target="all found, none false", status=verdict(missed == 0 and false == 0)),
    ]
    section.raw.update({"resources": count, "planted": stack.planted, "missed": missed,
                        "false_positives": false, "analyze_seconds_per_resource": per_resource,
                        "analyze_stack_seconds": stack_seconds})
    return section
