"""3. Policy pack: ``Analyze`` per resource and one ``AnalyzeStack``, over gRPC, as the CLI calls.

The pack runs as the Pulumi CLI runs it (``tests/policies/harness.py``:
``python -m pulumi.policy`` in ``policies/``, the port read from its stdout,
the policy config reconciled and sent with ``Configure``). The resources are
DNS records in the providers' shapes (Route 53 and Cloudflare), ten per domain
(apex SPF with a verification token, DMARC, the MAIL FROM MX and SPF, three
Easy DKIM CNAMEs, and a Cloudflare domain's SPF, DMARC and MX); one SPF record
in fifty hard-codes an address, so the pack reports violations as it works.

Per resource: ``Analyze`` is called for every resource in turn, one call at a
time, as the engine does during a preview, and the total is divided by the
count. ``AnalyzeStack``: one call with every resource. Start-up: from process
start to the port on stdout (``Pack.startup_seconds``), then ``GetAnalyzerInfo``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

from bench.common import (
    BENCH,
    PROJECT_PYTHON,
    Row,
    Section,
    Settings,
    Stat,
    log,
    pairwise,
    run_child,
    verdict,
)

TARGET_PER_RESOURCE_MS = 1.0
#: Analyze over gRPC against the round trip of the cheapest call: the limit a pack can reach.
TARGET_ROUND_TRIPS = 1.3
#: AnalyzeStack with 10x the resources: at most this many times the time (linear, and a margin).
TARGET_GROWTH = 11.0
TARGET_STARTUP_S = 1.0
WARMUP_RESOURCES = 200
#: Calls of the cheapest RPC (GetPluginInfo) that measure the round trip alone.
FLOOR_CALLS = 1000
R53 = "aws:route53/record:Record"
CF6 = "cloudflare:index/dnsRecord:DnsRecord"
ZONE_ID = "Z0123456789EXAMPLE"
CF_ZONE_ID = "023e105f4ecef8ad9ca31a8372d0c353"


def _r53(name: str, rdtype: str, *records: str) -> dict[str, Any]:
    return {"name": name, "type": rdtype, "zoneId": ZONE_ID, "ttl": 300,
            "records": list(records), "allowOverwrite": False}


def _cf(name: str, rdtype: str, content: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": rdtype, "content": content, "zoneId": CF_ZONE_ID,
            "ttl": 1, "proxied": False, **extra}


def resources(count: int) -> list[tuple[str, str, Mapping[str, Any]]]:
    """``count`` DNS record resources: (type token, name, properties)."""
    out: list[tuple[str, str, Mapping[str, Any]]] = []
    index = 0
    while len(out) < count:
        d = f"app{index:05d}.example.com"
        c = f"web{index:05d}.example.net"
        spf = "v=spf1 include:amazonses.com include:_spf.google.com ~all"
        if index % 50 == 7:
            spf = "v=spf1 include:amazonses.com ip4:192.0.2.10 ~all"
        token = f"{index:05d}abcdefghijklmnopqrstuvwxyz2"
        batch: list[tuple[str, str, Mapping[str, Any]]] = [
            (R53, f"{d}-spf", _r53(d, "TXT", spf, f"site-verification=tok{index:05d}")),
            (R53, f"{d}-dmarc", _r53(f"_dmarc.{d}", "TXT",
                                     f"v=DMARC1; p=reject; rua=mailto:dmarc@{d}")),
            (R53, f"{d}-mf-mx", _r53(f"bounce.{d}", "MX",
                                     "10 feedback-smtp.eu-west-1.amazonses.com")),
            (R53, f"{d}-mf-spf", _r53(f"bounce.{d}", "TXT", "v=spf1 include:amazonses.com -all")),
            *[(R53, f"{d}-dkim-{k}", _r53(f"{token}{k}._domainkey.{d}", "CNAME",
                                          f"{token}{k}.dkim.amazonses.com")) for k in range(3)],
            (CF6, f"{c}-spf", _cf(c, "TXT", "v=spf1 include:sendgrid.net include:mailgun.org "
                                            "-all")),
            (CF6, f"{c}-dmarc", _cf(f"_dmarc.{c}", "TXT", "v=DMARC1; p=quarantine")),
            (CF6, f"{c}-mx", _cf(c, "MX", f"mx1.{c}", priority=10)),
        ]
        out.extend(batch)
        index += 1
    return out[:count]


def run(settings: Settings) -> Section:
    import grpc  # type: ignore[import-untyped]
    from google.protobuf import empty_pb2
    from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

    from tests.policies.harness import Pack, to_struct, urn

    section = Section("Policy pack")
    count = settings.policy_resources
    items = resources(count)
    requests = [analyzer_pb2.AnalyzeRequest(type=t, properties=to_struct(p), urn=urn(t, n),
                                            name=n,
                                            options=analyzer_pb2.AnalyzerResourceOptions())
                for t, n, p in items]
    stack_request = analyzer_pb2.AnalyzeStackRequest(resources=[
        analyzer_pb2.AnalyzerResource(type=t, properties=to_struct(p), urn=urn(t, n), name=n,
                                      options=analyzer_pb2.AnalyzerResourceOptions())
        for t, n, p in items])

    log(f"policy: pack start-up, {settings.warmup} + {settings.runs} runs")
    startups: list[float] = []
    for index in range(settings.warmup + settings.runs):
        pack = Pack()
        try:
            pack.info()
            if index >= settings.warmup:
                startups.append(pack.startup_seconds)
        finally:
            pack.close()

    log(f"policy: Analyze x {count} and AnalyzeStack, {settings.runs} runs")
    per_resource: list[float] = []
    stack_seconds: list[float] = []
    tenth_seconds: list[float] = []
    tenth = max(1, count // 10)
    tenth_request = analyzer_pb2.AnalyzeStackRequest(resources=stack_request.resources[:tenth])
    floor: list[float] = []
    violations = 0
    stack_violations = 0
    pack = Pack()
    try:
        pack.configure()
        options = [("grpc.max_receive_message_length", 400 * 1024 * 1024),
                   ("grpc.max_send_message_length", 400 * 1024 * 1024)]
        channel = grpc.insecure_channel(f"127.0.0.1:{pack.port}", options=options)
        stub = analyzer_pb2_grpc.AnalyzerStub(channel)
        for request in requests[:WARMUP_RESOURCES]:
            stub.Analyze(request)
        stub.AnalyzeStack(analyzer_pb2.AnalyzeStackRequest(
            resources=stack_request.resources[:WARMUP_RESOURCES]))
        empty = empty_pb2.Empty()
        for _ in range(settings.runs):
            started = time.perf_counter()
            for _ in range(FLOOR_CALLS):
                stub.GetPluginInfo(empty)
            floor.append((time.perf_counter() - started) / FLOOR_CALLS)
            found = 0
            started = time.perf_counter()
            for request in requests:
                found += len(stub.Analyze(request).diagnostics)
            per_resource.append((time.perf_counter() - started) / count)
            violations = found
            started = time.perf_counter()
            response = stub.AnalyzeStack(stack_request)
            stack_seconds.append(time.perf_counter() - started)
            stack_violations = len(response.diagnostics)
            started = time.perf_counter()
            stub.AnalyzeStack(tenth_request)
            tenth_seconds.append(time.perf_counter() - started)
        channel.close()
    finally:
        pack.close()

    log("policy: the handlers alone, in-process")
    alone_out = settings.work / "policy-inprocess.json"
    run_child([PROJECT_PYTHON, BENCH / "policy_inprocess.py", str(count), str(settings.runs),
               alone_out], stderr=settings.work / "policy-inprocess.err")
    alone = json.loads(alone_out.read_text())
    per_alone = Stat.of([s * 1000 for s in alone["analyze_per_resource"]])
    stack_alone = Stat.of(alone["analyze_stack"])
    per = Stat.of([s * 1000 for s in per_resource])
    trip = Stat.of([s * 1000 for s in floor])
    stack = Stat.of(stack_seconds)
    tenth_stack = Stat.of(tenth_seconds)
    start = Stat.of(startups)
    trips = pairwise(per_resource, floor)  # each run's Analyze over the same run's round trip
    growth = pairwise(stack_seconds, tenth_seconds)
    section.rows += [
        Row("3. Policy pack", f"Analyze, ms per resource ({count} DNS records, one call each)",
            per.show(" ms"), ratio=f"{trips.show('x')} the round trip",
            target=f"< {TARGET_PER_RESOURCE_MS:g} ms; ≤ {TARGET_ROUND_TRIPS:g}x the round trip",
            status=verdict(per.median < TARGET_PER_RESOURCE_MS
                           and trips.median <= TARGET_ROUND_TRIPS)),
        Row("3. Policy pack", "gRPC round trip alone (GetPluginInfo, the same client and pack)",
            trip.show(" ms")),
        Row("3. Policy pack", "Analyze handler alone, in-process without gRPC, ms per resource",
            per_alone.show(" ms")),
        Row("3. Policy pack", f"AnalyzeStack, one call with {count} resources",
            f"{stack.show(' s')}; {stack.median / count * 1000:.3f} ms per resource",
            target=f"< {TARGET_PER_RESOURCE_MS:g} ms per resource",
            status=verdict(stack.median / count * 1000 < TARGET_PER_RESOURCE_MS)),
        Row("3. Policy pack", f"AnalyzeStack with a tenth of them ({tenth}): how it grows",
            f"{tenth_stack.show(' s')}; 10x the resources take "
            f"{stack.median / tenth_stack.median:.1f}x the time",
            ratio=f"{growth.show('x')} (the whole stack over a tenth)",
            target=f"≤ {TARGET_GROWTH:g}x", status=verdict(growth.median <= TARGET_GROWTH)),
        Row("3. Policy pack", "AnalyzeStack handler alone, in-process without gRPC",
            stack_alone.show(" s")),
        Row("3. Policy pack", "pack start-up (process start → port printed)", start.show(" s"),
            target=f"< {TARGET_STARTUP_S:g} s", status=verdict(start.median < TARGET_STARTUP_S)),
    ]
    section.notes.append(
        f"Policy pack: Analyze reported {violations} violations over {count} resources, "
        f"AnalyzeStack {stack_violations}; request message {stack_request.ByteSize():,} "
        "bytes.")
    section.raw.update({"resources": count, "analyze_seconds_per_resource": per_resource,
                        "analyze_stack_seconds": stack_seconds,
                        "analyze_stack_tenth_seconds": tenth_seconds, "startup_seconds": startups,
                        "round_trip_seconds": floor, "in_process": alone,
                        "violations": violations, "stack_violations": stack_violations})
    return section
