"""`mailzone spf lint|eval|tree` against NSD and against the same zone files.

The cases are generated from the zones themselves: every name that publishes a
v=spf1 record, evaluated for addresses taken from the zones' own ip4/ip6 terms
and A records plus outsiders. Answers over live DNS (NSD on loopback) and
over the zone files must be identical.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from mailzone.cli.main import main
from mailzone.dns.live import LiveResolver
from mailzone.dns.resolver import RdType
from mailzone.dns.zonedir import ZoneDirResolver
from mailzone.spf.check import SpfResult, check_identity, check_identity_sync
from mailzone.spf.parser import is_spf
from tests.conftest import StartNsd
from tests.nsd import NsdServer

pytestmark = pytest.mark.slow
ZONES = Path(__file__).resolve().parent.parent / "zones"


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, object]]:
    status = main(argv)
    out = capsys.readouterr().out
    return status, json.loads(out)


def spf_names() -> list[str]:
    zones = ZoneDirResolver(ZONES)
    names = []
    for zone in zones.zones:
        for name in zones.names_in(zone):
            if any(is_spf(v) for v in zones.records_at(name).get(RdType.TXT, ())):
                names.append(name)
    return sorted(names)


def addresses() -> list[str]:
    """Inside and outside every network and host the zones mention, v4 and v6."""
    zones = ZoneDirResolver(ZONES)
    found: set[str] = {"198.51.100.200", "2001:db8:ffff::1"}
    for zone in zones.zones:
        for name in zones.names_in(zone):
            records = zones.records_at(name)
            found.update(records.get(RdType.A, ()))
            found.update(records.get(RdType.AAAA, ()))
            for txt in records.get(RdType.TXT, ()):
                for term in txt.split():
                    if term.lstrip("+-~?")[:4] in ("ip4:", "ip6:"):
                        try:
                            net = ipaddress.ip_network(term.split(":", 1)[1], strict=False)
                        except ValueError:
                            continue
                        found.add(str(net.network_address))
                        found.add(str(net.broadcast_address + 1) if net.version == 4
                                  else str(net.broadcast_address))
    return sorted(found)


NAMES = spf_names()


def test_the_zones_hold_enough_cases() -> None:
    # The comparison below is only as good as the cases; keep the zones rich.
    assert len(NAMES) >= 12
    assert len(addresses()) >= 12


@pytest.mark.parametrize("name", NAMES)
def test_tree_is_the_same_live_and_from_files(
    name: str, nsd: NsdServer, capsys: pytest.CaptureFixture[str]
) -> None:
    files_status, files = run(["spf", "tree", name, "--zones", str(ZONES), "--json"], capsys)
    live_status, live = run(["spf", "tree", name, "--nameserver", nsd.nameserver, "--json"],
                            capsys)
    assert live == files
    assert live_status == files_status
    assert files["schema_version"] == 2
    assert files["domain"] == name


def test_every_evaluation_is_the_same_live_and_from_files(nsd: NsdServer) -> None:
    """check_host() for every name and address, through one resolver of each kind."""
    pairs = [(name, ip) for name in NAMES for ip in addresses()]
    files = ZoneDirResolver(ZONES)

    async def live_results() -> list[SpfResult]:
        live = LiveResolver(nameserver=nsd.nameserver, timeout=2.0)
        return list(await asyncio.gather(*(
            check_identity(ip, f"app@{name}", live, helo="mta.example.org")
            for name, ip in pairs)))

    live = asyncio.run(live_results())
    offline = [check_identity_sync(ip, f"app@{name}", files, helo="mta.example.org")
               for name, ip in pairs]
    served = ipaddress.ip_network("192.0.2.0/24")  # the one reverse zone the tests serve
    for (name, ip), on_air, on_disk in zip(pairs, live, offline, strict=True):
        if ipaddress.ip_address(ip) in served:
            assert on_air == on_disk, (name, ip)
        else:
            # NSD refuses a PTR question for a reverse zone it does not serve (a DNS
            # error: no match, nothing counted), the files say NXDOMAIN (a void lookup
            # of a ptr term, RFC 7208 4.6.4): the evaluation is otherwise the same.
            assert replace(on_air, void_lookups=0) == replace(on_disk, void_lookups=0), (
                name, ip)
    # The comparison means something only if the zones give varied outcomes.
    assert {r.result.value for r in offline} >= {"pass", "softfail", "fail", "permerror"}


@pytest.mark.parametrize("name", NAMES)
def test_eval_command_is_the_same_live_and_from_files(
    name: str, nsd: NsdServer, capsys: pytest.CaptureFixture[str]
) -> None:
    common = ["spf", "eval", "--ip", "192.0.2.1", "--sender", f"app@{name}", "--json"]
    files_status, files = run([*common, "--zones", str(ZONES)], capsys)
    live_status, live = run([*common, "--nameserver", nsd.nameserver], capsys)
    assert live == files
    assert files_status == live_status == 0
    assert set(files) >= {"schema_version", "result", "explanation", "lookups", "void_lookups"}


def test_lint_with_the_tree_live_and_from_files(
    nsd: NsdServer, capsys: pytest.CaptureFixture[str]
) -> None:
    record = "v=spf1 include:_spf.example.net include:toomany.example.com ip4:192.0.2.1 ~all"
    files_status, files = run(["spf", "lint", record, "--domain", "example.org", "--zones",
                               str(ZONES), "--json"], capsys)
    live_status, live = run(["spf", "lint", record, "--domain", "example.org", "--nameserver",
                             nsd.nameserver, "--json"], capsys)
    assert live == files
    assert files_status == live_status == 1
    codes = {f["code"] for f in files["findings"]}  # type: ignore[attr-defined]
    assert "spf-ip-literal" in codes
    lookups = files["lookups"]
    assert isinstance(lookups, dict)
    assert lookups["total"] == len([t for t in lookups["terms"] if t["cost"]])


def test_the_console_script_exit_codes(nsd: NsdServer) -> None:
    script = [sys.executable, "-m", "mailzone.cli.main"]
    good = subprocess.run([*script, "spf", "lint", "v=spf1 include:_spf.example.net ~all"],
                          capture_output=True, text=True)
    assert good.returncode == 0, good.stderr
    bad = subprocess.run([*script, "spf", "lint", "v=spf1 ip4:192.0.2.1 -all"],
                         capture_output=True, text=True)
    assert bad.returncode == 1
    assert "spf-ip-literal" in bad.stdout
    usage = subprocess.run([*script, "spf", "eval", "--ip", "not-an-ip", "--sender",
                            "a@example.org", "--nameserver", nsd.nameserver],
                           capture_output=True, text=True)
    assert usage.returncode == 2
    assert "not-an-ip" in usage.stderr
    tree = subprocess.run([*script, "spf", "tree", "example.org", "--nameserver",
                           nsd.nameserver], capture_output=True, text=True)
    assert tree.returncode == 0, tree.stderr
    assert "_spf.example.net" in tree.stdout


def _bomb_zone(directory: Path) -> Path:
    """bomb.example: ten includes, each of ten, each of ten missing names (1,110 terms)."""
    from mailzone.dns.txt import quote_txt

    def record(targets: list[str]) -> str:
        return quote_txt("v=spf1 " + " ".join(f"include:{t}.bomb.example" for t in targets)
                         + " -all")

    lines = ["$ORIGIN bomb.example.", "$TTL 3600", "@ SOA ns1 h 1 7200 3600 1209600 300",
             "@ NS ns1", "ns1 A 192.0.2.53", f"@ TXT {record([f'a{i}' for i in range(10)])}"]
    for i in range(10):
        lines.append(f"a{i} TXT {record([f'b{i}{j}' for j in range(10)])}")
        lines += [f"b{i}{j} TXT {record([f'c{i}{j}{k}' for k in range(10)])}" for j in range(10)]
    directory.mkdir()
    (directory / "bomb.example.zone").write_text("\n".join(lines) + "\n")
    return directory


@pytest.mark.parametrize("command", [["spf", "tree", "bomb.example"],
                                     ["spf", "lint", "v=spf1 include:bomb.example -all",
                                      "--domain", "example.com"]])
def test_a_lookup_bomb_stops_at_the_query_cap_as_check_does(
        command: list[str], tmp_path: Path, nsd_factory: StartNsd,
        capsys: pytest.CaptureFixture[str]) -> None:
    server = nsd_factory(_bomb_zone(tmp_path / "zones"))
    before = server.query_count()
    status, data = run([*command, "--nameserver", server.nameserver, "--json"], capsys)
    asked = server.query_count() - before
    codes = [f["code"] for f in data["findings"]]  # type: ignore[union-attr,index]
    assert status == 1
    assert "check-query-cap" in codes
    assert asked <= 100 + 5  # the cap, plus retries at most (before: 1,111 queries)
    # Lifted, the whole tree is walked, and its 1,000 missing names are one finding.
    status, data = run([*command, "--nameserver", server.nameserver, "--json",
                        "--max-queries", "5000"], capsys)
    missing = [f for f in data["findings"] if f["code"] == "spf-include-missing"]  # type: ignore[union-attr,index]
    assert "check-query-cap" not in [f["code"] for f in data["findings"]]  # type: ignore[union-attr,index]
    assert len(missing) == 1 and missing[0]["message"].startswith("1,000 include")
