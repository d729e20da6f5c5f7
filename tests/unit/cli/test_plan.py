"""``mailzone plan`` on the command line, and the bundled snapshot ``make plan`` uses."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from mailzone.cli.main import main
from tests.unit.plan.fixtures import EXAMPLES, ROOT, provider_zones_module, zone, zone_dir

DEV_STACK = ROOT / "Pulumi.dev.yaml"
SNAPSHOT = EXAMPLES / "zones"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(["plan", *argv])
    out, err = capsys.readouterr()
    return status, out, err


def dev_stack(tmp_path: Path) -> Path:
    """The dev stack file, copied so that the lock is written beside the copy."""
    path = tmp_path / "Pulumi.dev.yaml"
    shutil.copy(DEV_STACK, path)
    return path


def write_stack(path: Path, domains: list[dict[str, object]]) -> Path:
    path.write_text(yaml.safe_dump({"config": {"aws:region": "eu-west-1",
                                               "mailzone:domains": domains}}))
    return path


# -- the bundled snapshot (make plan) ----------------------------------------------------


def test_the_snapshots_provider_zones_are_the_catalogues_records() -> None:
    assert provider_zones_module().stale(SNAPSHOT) == []


def test_the_snapshots_provider_check_notices_a_changed_file(tmp_path: Path) -> None:
    module = provider_zones_module()
    copy = shutil.copytree(SNAPSHOT, tmp_path / "zones")
    path = copy / "sendgrid.net.zone"
    path.write_text(path.read_text().replace("ip4:167.89.0.0/17 ", ""))
    assert module.stale(copy) == [f"{path} is missing or out of date"]


def test_make_plan_shows_creates_an_spf_update_a_kept_token_and_findings(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stack = dev_stack(tmp_path)
    status, out, _ = run(capsys, "--stack", str(stack), "--zones", str(SNAPSHOT))
    assert status == 2
    assert "+ create  bounce.example.org MX" in out
    assert "~ update  example.org TXT" in out
    assert "SPF diff  lookups 4 -> 6 of 10" in out
    assert "- ip4:192.0.2.25" in out and "+ include:amazonses.com" in out
    assert "site-verification=Zm9yLWV4YW1wbGUtb3JnLW9ubHk  (kept: keepTxt)" in out
    assert "plan-include-unresolved" in out and "dmarc-policy-none" in out
    assert "Exit 2: changes." in out
    assert (tmp_path / "mailzone.lock.json").exists()


def test_the_committed_lock_matches_the_snapshot(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stack = dev_stack(tmp_path)
    lock = tmp_path / "mailzone.lock.json"
    shutil.copy(ROOT / "mailzone.lock.json", lock)
    before = lock.read_text()
    status, out, _ = run(capsys, "--stack", str(stack), "--zones", str(SNAPSHOT))
    assert status == 2
    assert "CHANGED" not in out and "plan-include-changed" not in out
    assert lock.read_text() == before


def test_json_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stack = dev_stack(tmp_path)
    status, out, _ = run(capsys, "--stack", str(stack), "--zones", str(SNAPSHOT),
                         "--format", "json")
    data = json.loads(out)
    assert status == data["exit_status"] == 2
    assert data["schema_version"] == 2
    assert data["stack"] == "dev" and data["changes"] is True and data["errors"] is False
    assert data["summary"]["create"] == 2 and data["summary"]["known-after-apply"] == 3
    org = next(d for d in data["domains"] if d["domain"] == "example.org")
    spf = next(r for r in org["records"] if r["key"] == "spf")
    assert spf["action"] == "update"
    assert spf["spf"]["lookups_before"] == 4 and spf["spf"]["lookups_after"] == 6
    assert spf["spf"]["removed"] == ["ip4:192.0.2.25"]
    assert {"value": "site-verification=Zm9yLWV4YW1wbGUtb3JnLW9ubHk", "status": "kept",
            "note": "keepTxt"} in spf["values"]
    assert {f["code"] for f in org["findings"]} == {"plan-include-unresolved"}
    includes = {i["include"]: i for i in data["includes"]}
    assert includes["_spf.google.com"]["lookups"] == 4
    assert includes["_spf.mendix.com"]["resolved"] is False
    assert data["lock"] == {"path": str(tmp_path / "mailzone.lock.json"), "written": True}


def test_markdown_output_for_a_pull_request(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stack = dev_stack(tmp_path)
    status, out, _ = run(capsys, "--stack", str(stack), "--zones", str(SNAPSHOT),
                         "--format", "markdown", "--no-lock")
    assert status == 2
    assert out.startswith("### mailzone plan: stack `dev`")
    assert "| action | name | type | values |" in out
    assert "SPF `example.org`: lookups **4 → 6** of 10" in out
    assert "```diff\n- ip4:192.0.2.25\n+ include:amazonses.com   # 1 lookup\n" in out
    assert "`plan-include-unresolved`" in out
    assert not (tmp_path / "mailzone.lock.json").exists()  # --no-lock


# -- exit status ---------------------------------------------------------------------


def test_no_changes_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    zones = zone_dir(tmp_path / "zones", {"example.com": zone(
        "example.com", '@ TXT "v=spf1 include:amazonses.com -all"',
        '_dmarc TXT "v=DMARC1; p=reject; rua=mailto:dmarc@example.com"')})
    stack = write_stack(tmp_path / "Pulumi.ci.yaml", [{
        "domain": "example.com", "dns": {"provider": "route53"}, "senders": ["amazon-ses"],
        "spfAll": "-all", "dmarc": {"policy": "reject", "rua": ["mailto:dmarc@example.com"]},
    }])
    status, out, _ = run(capsys, "--stack", str(stack), "--zones", str(zones))
    assert status == 0
    assert "Exit 0: no changes." in out
    # A domain with nothing to show takes one line.
    assert "example.com  route53  no changes, 2 unchanged\n" in out
    assert "├──" not in out
    status, out, _ = run(capsys, "--stack", str(stack), "--zones", str(zones),
                         "--format", "markdown")
    assert status == 0
    assert "No changes and no findings: example.com (route53)" in out
    assert "####" not in out


def test_errors_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    zones = zone_dir(tmp_path / "zones", {"example.com": zone(
        "example.com", '@ TXT "site-verification=would-be-lost"')})
    stack = write_stack(tmp_path / "Pulumi.ci.yaml", [{
        "domain": "example.com", "dns": {"provider": "route53"}, "senders": ["amazon-ses"]}])
    status, out, _ = run(capsys, "--stack", str(stack), "--zones", str(zones))
    assert status == 1
    assert "plan-value-lost" in out and "LOST: not in keepTxt" in out


def test_a_bad_config_exits_1_and_prints_every_problem(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stack = write_stack(tmp_path / "Pulumi.bad.yaml", [
        {"domain": "example.com", "dns": {"provider": "route53"}, "senders": ["sendgird"]},
        {"domain": "example.org", "dns": {"provider": "route53"}, "spfAll": "+all"},
    ])
    status, out, err = run(capsys, "--stack", str(stack), "--zones", str(SNAPSHOT))
    assert status == 1 and out == ""
    assert "2 problems; nothing was planned" in err
    assert "domains[0].senders[0]: unknown sender 'sendgird'; did you mean 'sendgrid'?" in err
    assert "domains[1].spfAll:" in err
    assert not (tmp_path / "mailzone.lock.json").exists()


def test_a_bad_config_in_json_is_json(tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    stack = write_stack(tmp_path / "Pulumi.bad.yaml", [
        {"domain": "example.com", "dns": {"provider": "route53"}, "senders": ["sendgird"]}])
    status, out, _ = run(capsys, "--stack", str(stack), "--zones", str(SNAPSHOT),
                         "--format", "json")
    data = json.loads(out)
    assert status == data["exit_status"] == 1
    assert data["config_errors"][0]["path"] == "domains[0].senders[0]"


@pytest.mark.parametrize("argv", [
    ["--nameserver", "192.0.2.53"],
    ["--zones", "does-not-exist"],
    ["--stack", "does-not-exist"],
])
def test_usage_and_input_problems_exit_1(
        argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(capsys, *argv)
    assert status == 1
    assert err.startswith("mailzone plan: ")


def test_argument_errors_exit_1_not_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["plan", "--format", "xml"])
    assert exit_info.value.code == 1
    with pytest.raises(SystemExit) as exit_info:
        main(["plan", "--zones", "a", "--live"])
    assert exit_info.value.code == 1


def test_the_default_snapshot_is_examples_zones_beside_the_stack_file(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stack = dev_stack(tmp_path)
    status, _, err = run(capsys, "--stack", str(stack))
    assert status == 1 and "no zone snapshot" in err and "--live" in err
    shutil.copytree(SNAPSHOT, tmp_path / "examples" / "zones")
    status, out, _ = run(capsys, "--stack", str(stack))
    assert status == 2 and "examples/zones" in out


def test_a_corrupt_lock_file_exits_1_naming_the_fix(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stack = dev_stack(tmp_path)
    (tmp_path / "mailzone.lock.json").write_text("{")
    status, _, err = run(capsys, "--stack", str(stack), "--zones", str(SNAPSHOT))
    assert status == 1 and "--no-lock" in err and "delete" not in err


@pytest.mark.slow
def test_the_command_module_imports_nothing_heavy() -> None:
    code = ("import sys, mailzone.cli.plan; "
            "print(sorted(m for m in ('rich', 'pydantic', 'dns.resolver', 'yaml', "
            "'mailzone.plan.build') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, cwd=ROOT)
    assert result.stdout.strip() == "[]"


def test_files_that_cannot_be_read_or_written_are_one_line_and_exit_1(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stack = tmp_path / "Pulumi.bytes.yaml"
    stack.write_bytes(b"config:\n  mailzone:domains: \"\xff\"\n")
    assert main(["plan", "--stack", str(stack), "--zones", str(EXAMPLES), "--no-lock"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and "Traceback" not in err
    assert f"{stack}: the stack file is not UTF-8 text (byte 0xff on line 2)" in err
    dev = ROOT / "Pulumi.dev.yaml"
    blocked = tmp_path / "no-such-dir" / "mailzone.lock.json"
    assert main(["plan", "--stack", str(dev), "--zones", str(EXAMPLES), "--lock",
                 str(blocked)]) == 1
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    assert f"{blocked}: cannot write the include lock" in err and "--no-lock" in err
    assert not blocked.parent.exists()


@pytest.mark.parametrize("fmt", ["json", "markdown"])
def test_a_plan_that_cannot_be_made_is_still_a_document(
        fmt: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lock = tmp_path / "mailzone.lock.json"
    lock.write_text("{not json")
    dev = ROOT / "Pulumi.dev.yaml"
    assert main(["plan", "--stack", str(dev), "--zones", str(EXAMPLES), "--lock", str(lock),
                 "--format", fmt]) == 1
    out, err = capsys.readouterr()
    assert "is not JSON" in err and "delete" not in err  # never advise deleting the lock
    if fmt == "json":
        document = json.loads(out)
        assert document["exit_status"] == 1 and "is not JSON" in document["error"]
    else:
        assert out.startswith("### mailzone plan: stack") and "**No plan:" in out
    assert lock.read_text() == "{not json"  # left as it was


HOSTILE = "site=\x1b]0;owned\x07 `x` <!-- y --> a|b \x1b[2J"


def _hostile_stack(tmp_path: Path) -> tuple[Path, Path]:
    """A Route 53 domain whose apex publishes a value with terminal escapes, backticks,
    an HTML comment and a pipe: the plan shows it as a value it would lose."""
    quoted = HOSTILE.replace("\x1b", "\\027").replace("\x07", "\\007")
    zones = zone_dir(tmp_path / "zones", {"example.com": zone(
        "example.com", '@ TXT "v=spf1 include:amazonses.com -all"', f'@ TXT "{quoted}"')})
    stack = tmp_path / "Pulumi.hostile.yaml"
    stack.write_text("config:\n  mailzone:domains:\n    - domain: example.com\n"
                     "      dns: {provider: route53}\n      senders: [amazon-ses]\n")
    return stack, zones


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_control_characters_from_dns_are_shown_not_obeyed(
        fmt: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stack, zones = _hostile_stack(tmp_path)
    status, out, _ = run(capsys, "--stack", str(stack), "--zones", str(zones), "--no-lock",
                         "--format", fmt)
    assert status == 1  # the value would be lost
    assert "\x1b" not in out and "\x07" not in out
    assert "\\x1b]0;owned\\x07" in out
    if fmt == "markdown":
        # The cell holds the value as a code span that copies back to the value.
        cell = next(line for line in out.splitlines()
                    if "owned" in line and line.startswith("|"))
        assert "``site=\\x1b]0;owned\\x07 `x` <!-- y --> a\\|b \\x1b[2J``" in cell


def test_a_snapshot_without_a_domains_zone_says_so(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The providers' zones, but none of the stack's own domains (example.org, example.net).
    empty = tmp_path / "providers-only"
    empty.mkdir()
    for path in SNAPSHOT.glob("*.zone"):
        if path.name not in ("example.org.zone", "example.net.zone"):
            (empty / path.name).write_text(path.read_text())
    stack = dev_stack(tmp_path)
    status, out, _ = run(capsys, "--stack", str(stack), "--zones", str(empty), "--no-lock",
                         "--format", "json")
    plan = json.loads(out)
    assert status == 1  # every record would look new: that is not a plan to trust
    missing = {d["domain"]: [f for f in d["findings"] if f["code"] == "plan-no-snapshot"]
               for d in plan["domains"]}
    assert all(len(found) == 1 and found[0]["severity"] == "error"
               for found in missing.values()), missing
    status, out, _ = run(capsys, "--stack", str(stack), "--zones", str(empty), "--no-lock",
                         "--format", "json", "--allow-missing")
    plan = json.loads(out)
    assert status == 2
    severities = {f["severity"] for d in plan["domains"] for f in d["findings"]
                  if f["code"] == "plan-no-snapshot"}
    assert severities == {"warning"}


def test_bind_style_db_file_names_are_read_as_zone_files(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bind = tmp_path / "bind"
    bind.mkdir()
    for path in SNAPSHOT.glob("*.zone"):
        (bind / f"db.{path.name[:-len('.zone')]}").write_text(path.read_text())
    stack = dev_stack(tmp_path)
    _, as_zone, _ = run(capsys, "--stack", str(stack), "--zones", str(SNAPSHOT), "--no-lock",
                        "--format", "json")
    _, as_db, _ = run(capsys, "--stack", str(stack), "--zones", str(bind), "--no-lock",
                      "--format", "json")
    first, second = json.loads(as_zone), json.loads(as_db)
    first.pop("source"), second.pop("source")
    assert first == second
