"""Zone-file fixtures for the plan tests: a stack, a zone directory, a plan.

Each test writes the domains' zones as published "now" into a temporary
directory beside the providers' zones generated from the catalogue (the same
files as ``examples/zones``), and plans a stack config against it.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

from mailzone.dns.zonedir import ZoneDirResolver
from mailzone.plan.build import plan_offline
from mailzone.plan.lock import Lock
from mailzone.plan.model import DomainPlan, Plan, RecordPlan
from mailzone.stack.config import StackConfig, parse_domains

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = ROOT / "examples"


def provider_zones_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("provider_zones",
                                                  EXAMPLES / "provider_zones.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def zone(origin: str, *lines: str) -> str:
    """A zone file for ``origin`` with an SOA, an NS and ``lines``."""
    head = [
        f"$ORIGIN {origin}.",
        "$TTL 3600",
        f"@ SOA ns1.{origin}. hostmaster.{origin}. 1 7200 3600 1209600 300",
        f"@ NS ns1.{origin}.",
        "ns1 A 192.0.2.53",
    ]
    return "\n".join([*head, *lines]) + "\n"


def zone_dir(directory: Path, zones: dict[str, str], *, providers: bool = True) -> Path:
    """Write ``zones`` (origin -> text) and the catalogue's provider zones."""
    directory.mkdir(parents=True, exist_ok=True)
    if providers:
        for origin, text in provider_zones_module().provider_zones().items():
            (directory / f"{origin}.zone").write_text(text)
    for origin, text in zones.items():
        (directory / f"{origin}.zone").write_text(text)
    return directory


def stack(*domains: dict[str, Any], region: str | None = "eu-west-1") -> StackConfig:
    return StackConfig(path=Path("Pulumi.test.yaml"), stack="test",
                       domains=parse_domains(list(domains), default_region=region),
                       aws_region=region)


def plan(directory: Path, config: StackConfig, lock: Lock | None = None) -> Plan:
    return plan_offline(config, ZoneDirResolver(directory), source="zones:test",
                        previous_lock=lock)


def domain(result: Plan, name: str) -> DomainPlan:
    return next(d for d in result.domains if d.domain == name)


def record(result: Plan, domain_name: str, key: str) -> RecordPlan:
    return next(r for r in domain(result, domain_name).records if r.key == key)


def statuses(record_plan: RecordPlan) -> dict[str, str]:
    return {v.value: v.status.value for v in record_plan.values}


def codes(domain_plan: DomainPlan) -> list[str]:
    return [f.code for f in domain_plan.findings]


ROUTE53 = {"provider": "route53"}
CLOUDFLARE = {"provider": "cloudflare", "zoneId": "0123456789abcdef0123456789abcdef"}
