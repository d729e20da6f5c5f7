"""``mailzone plan --live``: NSD serving the same zones gives the same plan as ``--zones``."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from mailzone.cli.main import main
from mailzone.dns.authoritative import AuthoritativeResolver
from mailzone.dns.live import LiveResolver
from mailzone.dns.zonedir import ZoneDirResolver
from mailzone.plan.build import build_plan, plan_offline
from mailzone.stack.config import load_stack_config
from tests.conftest import StartNsd
from tests.unit.plan.fixtures import ROOT, zone, zone_dir

SNAPSHOT = ROOT / "examples" / "zones"

pytestmark = pytest.mark.slow


def plan_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    status = main(["plan", *argv, "--format", "json"])
    data = json.loads(capsys.readouterr().out)
    data.pop("source")
    data.pop("lock")
    return status, data


def test_the_bundled_snapshot_served_by_nsd_gives_the_same_plan(
        nsd_factory: StartNsd, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    server = nsd_factory(SNAPSHOT)
    stack = tmp_path / "Pulumi.dev.yaml"
    shutil.copy(ROOT / "Pulumi.dev.yaml", stack)
    offline_lock, live_lock = tmp_path / "offline.lock.json", tmp_path / "live.lock.json"
    offline_status, offline = plan_json(capsys, "--stack", str(stack), "--zones",
                                        str(SNAPSHOT), "--lock", str(offline_lock))
    queries = server.query_count()
    live_status, live = plan_json(capsys, "--stack", str(stack), "--live", "--nameserver",
                                  server.nameserver, "--lock", str(live_lock))
    assert server.query_count() > queries  # the live plan really asked NSD
    assert live_status == offline_status == 2
    assert live == offline
    assert live_lock.read_text() == offline_lock.read_text()


def test_every_case_gives_the_same_plan_live_and_offline(
        nsd_factory: StartNsd, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    zones = zone_dir(tmp_path / "zones", {
        # Route 53: an SPF update, a kept token and a value that would be lost.
        "example.com": zone("example.com",
                            '@ TXT "v=spf1 include:_spf.google.com ip4:192.0.2.25 ~all"',
                            '@ TXT "site-verification=kept"', '@ TXT "stray=lost"'),
        # Cloudflare: a second v=spf1 value stays beside the stack's; an IP literal MX.
        "example.net": zone("example.net", '@ TXT "v=spf1 include:sendgrid.net -all"',
                            '@ TXT "v=spf1 ip4:192.0.2.10 -all"',
                            "bounce MX 10 feedback-smtp.eu-west-1.amazonses.com.",
                            "bounce MX 20 192.0.2.7."),
        # A CNAME where the MAIL FROM records go; DMARC published, not managed.
        "example.org": zone("example.org", "bounce CNAME elsewhere.example.org.",
                            '_dmarc TXT "v=DMARC1; p=none"'),
    })
    stack = tmp_path / "Pulumi.cases.yaml"
    domains: list[dict[str, Any]] = [
        {"domain": "example.com", "dns": {"provider": "route53"},
         "senders": ["amazon-ses", "google-workspace", "mendix"],
         "keepTxt": ["site-verification=kept"],
         "dmarc": {"policy": "quarantine", "rua": ["mailto:dmarc@example.com"]}},
        {"domain": "example.net",
         "dns": {"provider": "cloudflare", "zoneId": "0123456789abcdef0123456789abcdef"},
         "senders": ["sendgrid", "mailgun"], "spfAll": "-all",
         "ses": {"mailFromSubdomain": "bounce"}},
        {"domain": "example.org", "dns": {"provider": "route53"}, "senders": ["amazon-ses"],
         "ses": {"mailFromSubdomain": "bounce"}},
    ]
    stack.write_text(yaml.safe_dump({"config": {"aws:region": "eu-west-1",
                                                "mailzone:domains": domains}}))
    server = nsd_factory(zones)
    offline_status, offline = plan_json(capsys, "--stack", str(stack), "--zones", str(zones),
                                        "--no-lock")
    live_status, live = plan_json(capsys, "--stack", str(stack), "--live", "--nameserver",
                                  server.nameserver, "--no-lock")
    assert live_status == offline_status == 1
    codes = {f["code"] for d in offline["domains"] for f in d["findings"]}
    assert {"plan-value-lost", "spf-multiple-records", "spf-ip-literal",
            "mail-host-ip-literal", "plan-cname-conflict", "plan-include-unresolved",
            "dmarc-policy-none"} <= codes
    assert live == offline


def test_each_domains_authoritative_servers_are_asked(
        nsd_factory: StartNsd, tmp_path: Path) -> None:
    # The domains' zones name their server 127.0.0.1 (the test's NSD); the port is
    # the test server's, as a real deployment's would be 53.
    zones = shutil.copytree(SNAPSHOT, tmp_path / "zones")
    for name in ("example.org.zone", "example.net.zone"):
        path = zones / name
        path.write_text(path.read_text().replace("192.0.2.53", "127.0.0.1")
                        .replace("192.0.2.54", "127.0.0.1"))
    server = nsd_factory(zones)
    stack = load_stack_config(ROOT / "Pulumi.dev.yaml")
    asked: list[str] = []

    def authoritative(address: str) -> LiveResolver:
        asked.append(address)
        return LiveResolver(nameserver=f"{address}:{server.port}", timeout=2.0)

    recursive = LiveResolver(nameserver=server.nameserver, timeout=2.0)
    resolver = AuthoritativeResolver(recursive, [d.domain for d in stack.domains],
                                     authoritative)
    live = asyncio.run(build_plan(stack, resolver, concurrency=8))
    offline = plan_offline(stack, ZoneDirResolver(zones))
    assert asked == ["127.0.0.1"]
    assert live.to_json() == offline.to_json()
    assert live.exit_status == 2


def test_a_live_plan_of_many_domains_shows_a_progress_bar_on_a_terminal(
        nsd_factory: StartNsd, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from mailzone.cli import plan as cli_plan

    server = nsd_factory(SNAPSHOT)
    stack = tmp_path / "Pulumi.dev.yaml"
    shutil.copy(ROOT / "Pulumi.dev.yaml", stack)
    monkeypatch.setattr(cli_plan, "PROGRESS_FROM", 2)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    status = main(["plan", "--stack", str(stack), "--live", "--nameserver", server.nameserver,
                   "--no-lock"])
    out, err = capsys.readouterr()
    assert status == 2
    assert "planning" in err and "2/2" in err
    assert "SPF diff  lookups 4 -> 6 of 10" in out


def test_a_server_that_never_answers_is_bounded_and_never_no_changes(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A port that takes queries and answers none: every domain's plan ends at its time
    bound with its records unknown (an error), and no heading says 'no changes'."""
    import socket

    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.0.0.1", 0))
    port = silent.getsockname()[1]
    stack = tmp_path / "Pulumi.dev.yaml"
    shutil.copy(ROOT / "Pulumi.dev.yaml", stack)
    try:
        status = main(["plan", "--stack", str(stack), "--live", "--nameserver",
                       f"127.0.0.1:{port}", "--timeout", "0.2", "--domain-timeout", "1",
                       "--no-lock", "--format", "json"])
        plan = json.loads(capsys.readouterr().out)
        main(["plan", "--stack", str(stack), "--live", "--nameserver", f"127.0.0.1:{port}",
              "--timeout", "0.2", "--domain-timeout", "1", "--no-lock"])
        text = capsys.readouterr().out
    finally:
        silent.close()
    assert status == 1
    for domain in plan["domains"]:
        assert {r["action"] for r in domain["records"]} <= {"unknown", "known-after-apply"}
        assert "plan-dns-error" in {f["code"] for f in domain["findings"]}
    assert "no changes" not in text
    assert "Exit 1: errors" in text
