"""``mailzone check`` against NSD serving the generated internet (tests/internet).

One NSD serves the whole module; a run of every domain is made once
(in-process, JSON) and its report and NSD's query counter are checked from
several sides. Fault tests start servers of their own: one stopped mid-run, a
port where nothing answers, a zone that fails to load (SERVFAIL), answers
larger than 512 octets (truncated, asked again over TCP).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mailzone.audit.run import Audit
from mailzone.cli.check import read_domain_list
from mailzone.cli.main import main
from mailzone.dns.capped import DEFAULT_QUERY_CAP
from mailzone.dns.live import LiveResolver
from tests.conftest import StartNsd
from tests.internet.generate import GOOD_KINDS, SES_SENDER_IP, Internet, generate
from tests.nsd import NsdServer

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class World:
    internet: Internet
    server: NsdServer
    listing: Path


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    base = tmp_path_factory.mktemp("check-world")
    internet = generate(base / "zones")
    listing = internet.write_list(base / "domains.txt")
    with NsdServer(base / "zones", base / "nsd") as server:
        yield World(internet, server, listing)


def run_cli(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = main(["check", *argv])
    return status, out.getvalue()


@dataclass
class FullRun:
    status: int
    data: dict[str, Any]
    nsd_queries: int
    nsd_truncated: int
    nsd_tcp: int


@pytest.fixture(scope="module")
def full_run(world: World) -> FullRun:
    before = world.server.stats()
    status, out = run_cli("--file", str(world.listing), "--nameserver", world.server.nameserver,
                          "--ip", SES_SENDER_IP, "--format", "json")
    after = world.server.stats()
    return FullRun(status, json.loads(out),
                   int(after["num.queries"] - before["num.queries"]),
                   int(after["num.truncated"] - before["num.truncated"]),
                   int(after["num.tcp"] - before["num.tcp"]))


def _errors(report: dict[str, Any]) -> set[str]:
    return {f["code"] for f in report["findings"] if f["severity"] == "error"}


def test_every_domain_gets_what_its_kind_says(world: World, full_run: FullRun) -> None:
    data = full_run.data
    assert data["schema_version"] == 2
    reports = {r["domain"]: r for r in data["domains"]}
    assert list(reports) == [spec.name for spec in world.internet.domains]
    for spec in world.internet.domains:
        report = reports[spec.name]
        assert _errors(report) - {"check-ip-result"} == spec.errors(), (spec.name, report)
        assert report["spf"]["status"] == spec.spf_status(), (spec.name, report["spf"])
    assert full_run.status == 1
    summary = data["summary"]
    assert summary["exit_status"] == 1
    assert summary["with_errors"] == sum(1 for r in reports.values() if r["errors"])
    assert summary["timed_out"] == 0


def test_faults_say_what_happened(world: World, full_run: FullRun) -> None:
    reports = {r["domain"]: r for r in full_run.data["domains"]}
    refused = reports[world.internet.of_kind("refusedinclude")[0].name]
    [dns_error] = [f for f in refused["findings"] if f["code"] == "spf-dns-error"]
    assert "_spf.outside.invalid TXT: REFUSED from" in dns_error["message"]
    bomb = reports[world.internet.of_kind("bomb")[0].name]
    # Capped per area: the SPF walk, DMARC, MX, the MAIL FROM's SPF and MX, each selector.
    areas = 5 + len(world.internet.of_kind("bomb")[0].selectors)
    assert bomb["questions"] <= DEFAULT_QUERY_CAP * areas
    assert "check-query-cap" in _errors(bomb)
    loop = reports[world.internet.of_kind("loop")[0].name]
    assert loop["spf"]["loops"] and "loop-a." in loop["spf"]["loops"][0]


def test_each_question_is_sent_once_per_run(full_run: FullRun) -> None:
    dns = full_run.data["summary"]["dns"]
    distinct = dns["distinct_questions"]
    # The resolver's own count and NSD's agree on what was sent.
    assert dns["queries_sent"] == full_run.nsd_queries
    # Many domains share the providers' records, yet each question went out once
    # (a truncated answer is asked again over TCP: that is the only repeat).
    assert dns["questions_by_domains"] > 1.1 * distinct
    assert full_run.nsd_queries <= 1.05 * distinct
    assert dns["retries"] == 0
    assert dns["tcp_retries"] == full_run.nsd_tcp == full_run.nsd_truncated >= 1
    print(f"\nqueries: NSD received {full_run.nsd_queries}, resolver sent "
          f"{dns['queries_sent']} ({dns['tcp_retries']} over TCP), distinct questions "
          f"{distinct}, asked by the domains {dns['questions_by_domains']}: "
          f"{full_run.nsd_queries / distinct:.3f} per distinct question")


def test_a_run_leaves_no_reference_cycles_behind(world: World) -> None:
    # ``mailzone check`` lets the cyclic collector run seldom: what a domain's checks
    # leave must go by reference counting alone, whatever the domain's faults (DNS
    # errors raised in its engines, loops, caps, truncation), or memory grows with
    # the list. The collector finds what each finished domain left behind.
    targets = read_domain_list(world.listing.read_text(), "domains.txt")

    async def cycles_per_report() -> list[int]:
        found: list[int] = []
        run = Audit(LiveResolver(world.server.nameserver))
        async for _ in run.run(targets):
            found.append(gc.collect())
        return found

    enabled = gc.isenabled()
    gc.disable()
    try:
        gc.collect()
        found = asyncio.run(cycles_per_report())
    finally:
        if enabled:
            gc.enable()
    assert len(found) == len(targets) > 30
    assert sum(found) < len(found) // 4, found  # was about 60 objects per domain


def _without_times(data: Any) -> Any:
    """A report or summary less what differs from run to run (its times)."""
    if isinstance(data, dict):
        return {key: _without_times(value) for key, value in data.items()
                if key not in ("elapsed_s",)}
    if isinstance(data, list):
        return [_without_times(value) for value in data]
    return data


@pytest.mark.parametrize("jobs", [2, 3])
def test_jobs_share_the_domains_and_give_the_same_reports(
        world: World, full_run: FullRun, jobs: int) -> None:
    status, out = run_cli("--file", str(world.listing), "--nameserver",
                          world.server.nameserver, "--ip", SES_SENDER_IP, "--format", "json",
                          "--jobs", str(jobs))
    data = json.loads(out)
    assert status == full_run.status
    assert _without_times(data["domains"]) == _without_times(full_run.data["domains"])
    alone, shared = full_run.data["summary"], data["summary"]
    assert _without_times({**shared, "dns": {}}) == _without_times({**alone, "dns": {}})
    # The distinct questions are the run's, counted once across the processes; each
    # process sends the questions that domains checked by two processes ask (the providers').
    assert shared["dns"]["distinct_questions"] == alone["dns"]["distinct_questions"]
    assert shared["dns"]["questions_by_domains"] == alone["dns"]["questions_by_domains"]
    assert shared["dns"]["processes"] == jobs
    assert alone["dns"]["queries_sent"] <= shared["dns"]["queries_sent"]
    assert shared["dns"]["queries_per_distinct_question"] <= 1.15


def test_jobs_stream_every_line_and_render_text(world: World) -> None:
    good = [s for s in world.internet.domains if s.kind in GOOD_KINDS]
    listing = world.internet.write_list(world.listing.with_name("good-jobs.txt"), good)
    base = ("--file", str(listing), "--nameserver", world.server.nameserver)
    _, alone = run_cli(*base, "--format", "jsonl")
    status, shared = run_cli(*base, "--format", "jsonl", "--jobs", "2")
    assert status == 0
    lines = [json.loads(line) for line in shared.splitlines()]
    assert [line["type"] for line in lines] == ["domain"] * len(good) + ["summary"]
    by_domain = {line["domain"]: _without_times(line) for line in lines[:-1]}
    assert by_domain == {line["domain"]: _without_times(line)
                         for line in map(json.loads, alone.splitlines()[:-1])}
    _, text_alone = run_cli(*base)
    _, text_shared = run_cli(*base, "--jobs", "2")
    # The same table, in the list's order; only the summary line's figures differ.
    assert text_shared.splitlines()[:-3] == text_alone.splitlines()[:-3]
    assert f"{len(good)} domains: 0 with errors" in text_shared


@pytest.mark.parametrize("jobs", ["0", "-1"])
def test_bad_jobs_is_a_usage_error(world: World, jobs: str,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    status, out = run_cli("example.com", "--nameserver", world.server.nameserver,
                          "--jobs", jobs)
    assert (status, out) == (2, "")
    assert f"bad --jobs {jobs}: give 1 or more" in capsys.readouterr().err


def _group_alive(group: int) -> bool:
    """Whether a process of the group is still there after a second's grace."""
    for _ in range(10):
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return False
        time.sleep(0.1)
    return True


def test_ctrl_c_stops_every_process(tmp_path: Path) -> None:
    # A server that never answers: the run waits until it is stopped.
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.0.0.1", 0))
    listing = tmp_path / "list.txt"
    listing.write_text("".join(f"d{n}.example.com\n" for n in range(8)))
    child = subprocess.Popen(
        [sys.executable, "-m", "mailzone.cli.main", "check", "--file", str(listing),
         "--nameserver", f"127.0.0.1:{silent.getsockname()[1]}", "--timeout", "30",
         "--jobs", "2", "--format", "json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)}, start_new_session=True,
        # A runner that ignores SIGINT (a background CI job) passes that on: not here.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        time.sleep(1.5)
        os.killpg(child.pid, signal.SIGINT)  # as a terminal's Ctrl-C: the whole group
        out, err = child.communicate(timeout=10)
        left_behind = _group_alive(child.pid)
    finally:
        silent.close()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGKILL)  # whatever happened, nothing is left
        child.wait()
    assert child.returncode == 130
    assert out == ""  # nothing partial
    assert err.strip().endswith("interrupted (Ctrl-C); no file was changed")
    assert "Traceback" not in err
    assert not left_behind, "a process of the run outlived it"


def test_answers_over_512_octets_come_whole_over_tcp(world: World, full_run: FullRun) -> None:
    spec = world.internet.of_kind("oversized")[0]
    report = next(r for r in full_run.data["domains"] if r["domain"] == spec.name)
    assert report["spf"]["size"] > 512
    assert report["spf"]["txt_answer_octets"] > 1232  # over the EDNS buffer offered, too
    assert len(report["spf"]["ip_literals"]["own"]) == report["spf"]["record"].count("ip4:")
    assert full_run.nsd_truncated >= 1


def test_predicted_results_for_an_address(world: World, full_run: FullRun) -> None:
    for report in full_run.data["domains"]:
        spec = world.internet.spec(report["domain"])
        results = {r["identity"]: r["result"] for r in report["ip"]["results"]}
        if spec.kind in GOOD_KINDS and spec.mail_from:
            assert results == {spec.mail_from: "pass", spec.name: "pass"}
        if spec.kind.spf_status == "permerror":
            assert results[spec.name] == "permerror", report["domain"]


def test_subprocess_streams_json_lines(world: World) -> None:
    good = [s for s in world.internet.domains if s.kind in GOOD_KINDS]
    listing = world.internet.write_list(world.listing.with_name("good.txt"), good)
    result = subprocess.run(
        [sys.executable, "-m", "mailzone.cli.main", "check", "--file", str(listing),
         "--nameserver", world.server.nameserver, "--format", "jsonl"],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert all(line["schema_version"] == 2 for line in lines)
    assert [line["type"] for line in lines] == ["domain"] * len(good) + ["summary"]
    assert sorted(line["domain"] for line in lines[:-1]) == sorted(s.name for s in good)
    assert all(line["status"] == "ok" for line in lines[:-1])
    assert lines[-1]["exit_status"] == 0 and lines[-1]["clean"] == len(good)


def test_text_output_for_one_domain(world: World) -> None:
    spec = world.internet.of_kind("good")[0]
    status, out = run_cli(spec.name, "--nameserver", world.server.nameserver,
                          "--ip", SES_SENDER_IP, "--mail-from-subdomain", "mail",
                          "--dkim-selector", "sel1")
    assert status == 0
    assert f"{spec.name}  ok" in out
    assert "include:_spf.workspace.example" in out  # the include tree
    assert f"MAIL FROM mail.{spec.name}" in out
    assert "DKIM sel1  ok  rsa 2048 bits" in out
    assert f"SPF for {SES_SENDER_IP} as mail.{spec.name}: pass" in out
    assert "1 domain: 0 with errors, 0 with warnings only, 1 clean" in out


def test_stack_domains_with_their_mail_from(world: World, tmp_path: Path) -> None:
    good = world.internet.of_kind("good")[0].name
    stack = tmp_path / "Pulumi.audit.yaml"
    stack.write_text(f"""\
config:
  aws:region: eu-west-1
  mailzone:domains:
    - domain: {good}
      dns: {{provider: route53}}
      senders: [{{include: _spf.workspace.example, lookups: 3}}, {{include: ses.example}}]
      spfAll: "-all"
      dmarc: {{policy: reject, rua: ["mailto:dmarc@{good}"]}}
      ses: {{mailFromSubdomain: mail}}
""")
    status, out = run_cli("--stack", str(stack), "--nameserver", world.server.nameserver,
                          "--format", "json")
    assert status == 0
    [report] = json.loads(out)["domains"]
    assert report["mail_from"]["domain"] == f"mail.{good}"
    assert report["mail_from"]["mx"]["status"] == "ok"
    assert [f["code"] for f in report["findings"]] == ["dkim-not-checked"]


# -- faults ---------------------------------------------------------------------------------


def test_a_server_stopped_mid_run(world: World, nsd_factory: StartNsd) -> None:
    server = nsd_factory(world.internet.directory)
    good = [s for s in world.internet.domains if s.kind in GOOD_KINDS]
    listing = world.internet.write_list(world.listing.with_name("stop.txt"), good)
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "mailzone.cli.main", "check", "--file", str(listing),
         "--nameserver", server.nameserver, "--format", "jsonl", "--concurrency", "1",
         "--timeout", "0.2", "--retries", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert process.stdout is not None
    lines: list[dict[str, Any]] = []
    try:
        for raw in process.stdout:
            lines.append(json.loads(raw))
            if len(lines) == 3:
                # Three domains streamed while the run goes on: pull the server away.
                assert process.poll() is None
                server.stop()
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    elapsed = time.monotonic() - started
    assert process.returncode == 1
    domains = [line for line in lines if line["type"] == "domain"]
    assert [d["domain"] for d in domains] == [s.name for s in good]  # concurrency 1: in order
    assert all(d["status"] == "ok" for d in domains[:3])
    # The run goes on while the server stops: a domain or two may finish meanwhile.
    # From the first that failed on, every domain failed, and said why.
    statuses = [d["spf"]["status"] for d in domains]
    first = statuses.index("temperror")
    assert 3 <= first <= 8, statuses
    for report in domains[first:]:
        assert report["spf"]["status"] == "temperror", report["domain"]
        assert "spf-dns-error" in _errors(report)
        messages = " ".join(f["message"] for f in report["findings"])
        assert "connection refused" in messages or "timed out" in messages
    assert lines[-1]["type"] == "summary"
    assert lines[-1]["with_errors"] == sum(1 for d in domains if d["errors"])
    assert lines[-1]["with_errors"] >= len(domains) - 4
    assert elapsed < 60


@pytest.fixture
def silent_port() -> Iterator[str]:
    """A loopback UDP port where a socket is bound and never answers."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sink:
        sink.bind(("127.0.0.1", 0))
        yield f"127.0.0.1:{sink.getsockname()[1]}"


def test_a_port_where_nothing_answers(world: World, silent_port: str) -> None:
    names = [s.name for s in world.internet.domains[:4]]
    started = time.monotonic()
    status, out = run_cli(*names, "--nameserver", silent_port, "--timeout", "0.3",
                          "--retries", "1", "--ip", SES_SENDER_IP, "--format", "json")
    elapsed = time.monotonic() - started
    assert status == 1
    data = json.loads(out)
    for report in data["domains"]:
        assert report["spf"]["status"] == "temperror"
        assert _errors(report) == {"spf-dns-error", "check-dns-error", "check-ip-result"}
        assert [r["result"] for r in report["ip"]["results"]] == ["temperror"]
        assert all(f"no answer from {silent_port}" in f["message"] and "timed out" in f["message"]
                   for f in report["findings"] if f["code"] != "check-ip-result")
    assert data["summary"]["dns"]["retries"] == data["summary"]["dns"]["distinct_questions"]
    # Every question waits 2 x 0.3 s, side by side: far from 4 domains x 5 questions x 0.6 s.
    assert elapsed < 4


def test_the_time_bound_per_domain(world: World, silent_port: str) -> None:
    names = [s.name for s in world.internet.domains[:6]]
    started = time.monotonic()
    status, out = run_cli(*names, "--nameserver", silent_port, "--timeout", "5",
                          "--retries", "3", "--domain-timeout", "0.5", "--format", "json")
    elapsed = time.monotonic() - started
    assert status == 1
    data = json.loads(out)
    assert data["summary"]["timed_out"] == len(names)
    for report in data["domains"]:
        assert report["timed_out"] and _errors(report) == {"check-timeout"}
        assert report["spf"]["status"] == "temperror"
        assert report["dmarc"]["status"] == report["mx"]["status"] == "timeout"
        assert 0.45 < report["elapsed_s"] < 1.5
    assert elapsed < 3


def test_servfail_from_a_zone_that_did_not_load(world: World, nsd_factory: StartNsd,
                                                 tmp_path: Path) -> None:
    zones = tmp_path / "zones"
    shutil.copytree(world.internet.directory, zones)
    (zones / "broken.example.zone").write_text(
        "$ORIGIN broken.example.\n$TTL 300\n"
        "@ SOA ns1 hostmaster 1 7200 3600 1209600 300\n@ NS ns1\nns1 A 192.0.2.53\n"
        '_spf TXT "v=spf1 ip4:192.0.2.0/24 -all"\n'
        "bad A 192.0.2.999\n"  # not an address: NSD does not load the zone
    )
    (zones / "servfail.test.zone").write_text(
        "$ORIGIN servfail.test.\n$TTL 300\n"
        "@ SOA ns1 hostmaster 1 7200 3600 1209600 300\n@ NS ns1\nns1 A 192.0.2.53\n"
        '@ TXT "v=spf1 include:_spf.broken.example -all"\n@ MX 10 mx\nmx A 192.0.2.25\n'
        '_dmarc TXT "v=DMARC1; p=reject; rua=mailto:d@servfail.test"\n'
    )
    server = nsd_factory(zones)
    status, out = run_cli("servfail.test", "--nameserver", server.nameserver,
                          "--format", "json")
    assert status == 1
    [report] = json.loads(out)["domains"]
    assert report["spf"]["status"] == "temperror"
    assert _errors(report) == {"spf-dns-error"}
    assert "_spf.broken.example TXT: SERVFAIL from" in report["findings"][0]["message"]
