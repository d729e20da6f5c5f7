"""``mailzone check`` on the command line: usage, domain lists, formats, exit status.

DNS here comes from the generated internet's zone files (``--zones``); the
same command against NSD is in tests/integration/test_check.py.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailzone.cli.check import _lines, _PackedLines, read_domain_list
from mailzone.cli.main import main
from mailzone.errors import UsageError
from tests.internet.generate import GOOD_KINDS, Internet, generate

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def internet(tmp_path_factory: pytest.TempPathFactory) -> Internet:
    return generate(tmp_path_factory.mktemp("internet"))


def check(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(["check", *argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.mark.parametrize(("argv", "message"), [
    ([], "no domains to check"),
    (["localhost"], "'localhost' is not a domain to check: a single label"),
    (["example.com", "--ip", "192.0.2.300"], "--ip '192.0.2.300' is not an IPv4 or IPv6"),
    (["example.com", "--concurrency", "0"], "--concurrency 0: give 1 or more"),
    (["example.com", "--timeout", "0"], "--timeout 0: give a number of seconds above 0"),
    (["example.com", "--domain-timeout", "-1"], "--domain-timeout -1"),
    (["example.com", "--max-queries", "0"], "--max-queries 0"),
    (["example.com", "--retries", "-1"], "--retries -1"),
    (["example.com", "--mail-from-subdomain", "a.b"], "give one label"),
    (["--file", "/nonexistent/domains.txt"], "cannot read --file /nonexistent/domains.txt"),
    (["example.com", "--file", "-"], "not both"),
    (["--file", "-", "--stack", "dev"], "exclude each other"),
    (["--stack", "/nonexistent/Pulumi.x.yaml"], "cannot read the stack settings"),
    (["example.com", "--nameserver", "ns..example.com"], "is neither an IP address nor a host"),
    (["example.com", "--dkim-selector", "a b"], "--dkim-selector 'a b' is not a DKIM selector"),
    (["example.com", "--dkim-selector", ""], "--dkim-selector '' is not a DKIM selector"),
])
def test_bad_usage_exits_2_and_says_why(capsys: pytest.CaptureFixture[str], argv: list[str],
                                        message: str) -> None:
    status, out, err = check(capsys, *argv)
    assert status == 2
    assert out == ""
    assert message in err


@pytest.mark.parametrize("argv", [
    ["example.com", "--format", "xml"],
    ["example.com", "--zones", "z", "--nameserver", "192.0.2.53"],
    ["example.com", "--concurrency", "many"],
])
def test_argument_errors_exit_2(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["check", *argv])
    assert info.value.code == 2


def test_domain_lists() -> None:
    targets = read_domain_list(
        "# our domains\n\nexample.com  mail-from=bounce.example.com dkim=s1,s2\n"
        "Example.ORG.   # trailing comment\nexample.net dkim=k1 dkim=k2\n", "list.txt")
    assert [(t.domain, t.mail_from, t.dkim_selectors, t.origin) for t in targets] == [
        ("example.com", "bounce.example.com", ("s1", "s2"), "list.txt:3"),
        ("example.org", None, (), "list.txt:4"),
        ("example.net", None, ("k1", "k2"), "list.txt:5"),
    ]
    with pytest.raises(UsageError, match=r"list.txt:2: 'selector=s1' is not understood"):
        read_domain_list("example.com\nexample.org selector=s1\n", "list.txt")
    with pytest.raises(UsageError, match=r"list.txt:1: 'bounce' is not a domain to check"):
        read_domain_list("example.com mail-from=bounce\n", "list.txt")
    # Selectors from a file are held to the rule --dkim-selector is: no path, no space.
    with pytest.raises(UsageError, match=r"list.txt:2: dkim='\.\./x' is not a DKIM selector"):
        read_domain_list("example.com\nexample.org dkim=s1,../x\n", "list.txt")
    with pytest.raises(UsageError, match=r"list.txt:1: dkim='' is not a DKIM selector"):
        read_domain_list("example.com dkim=s1,,s2\n", "list.txt")


def test_offline_json_and_exit_status(capsys: pytest.CaptureFixture[str],
                                      internet: Internet) -> None:
    good = [s for s in internet.domains if s.kind in GOOD_KINDS]
    bad = internet.of_kind("loop")[0]
    status, out, _ = check(capsys, *(s.name for s in good), "--zones", str(internet.directory),
                           "--format", "json")
    assert status == 0
    data = json.loads(out)
    assert data["schema_version"] == 2
    assert [d["domain"] for d in data["domains"]] == [s.name for s in good]
    assert data["summary"]["clean"] == len(good) and data["summary"]["exit_status"] == 0
    assert data["summary"]["dns"]["source"] == f"zones:{internet.directory}"
    status, out, _ = check(capsys, bad.name, "--zones", str(internet.directory),
                           "--format", "json")
    assert status == 1
    assert json.loads(out)["summary"]["domains_with_code"] == {"spf-loop": 1}


def test_selectors_and_mail_from_from_the_options_and_the_list(
        capsys: pytest.CaptureFixture[str], internet: Internet,
        monkeypatch: pytest.MonkeyPatch) -> None:
    spec = internet.of_kind("good")[0]
    other = internet.of_kind("relay")[0]
    monkeypatch.setattr(sys, "stdin", io.StringIO(
        f"{spec.name} dkim={spec.selectors[1]}\n{other.name} mail-from={other.mail_from}\n"
        f"{spec.name}\n"))
    status, out, err = check(capsys, "--file", "-", "--zones", str(internet.directory),
                             "--dkim-selector", "sel1", "--mail-from-subdomain", "mail",
                             "--format", "json")
    assert status == 0
    assert f"{spec.name} is listed twice (<stdin>:1 and <stdin>:3); checked once" in err
    first, second = json.loads(out)["domains"]
    assert [d["selector"] for d in first["dkim"]] == [spec.selectors[1], "sel1"]
    assert first["mail_from"]["domain"] == f"mail.{spec.name}"
    assert second["mail_from"]["domain"] == other.mail_from


@given(st.text(alphabet=st.sampled_from("ab #\t\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")))
def test_a_list_is_read_line_by_line_as_splitlines_numbers_it(text: str) -> None:
    # One line at a time (no list of them all), numbered as splitlines numbers them:
    # a line number in an error must be the line a user sees in an editor.
    lines = [line.strip() for line in _lines(text)]
    expected = [line.strip() for line in text.splitlines()]
    assert lines[:len(expected)] == expected
    assert not any(lines[len(expected):])  # at most an empty last one more


def test_jsonl_one_line_per_domain_then_the_summary(capsys: pytest.CaptureFixture[str],
                                                    internet: Internet) -> None:
    names = [s.name for s in internet.domains[:6]]
    status, out, _ = check(capsys, *names, "--zones", str(internet.directory),
                           "--format", "jsonl", "--concurrency", "3")
    assert status == 1
    lines = [json.loads(line) for line in out.splitlines()]
    assert [line["type"] for line in lines] == ["domain"] * 6 + ["summary"]
    assert sorted(line["domain"] for line in lines[:-1]) == sorted(names)
    assert lines[-1]["with_errors"] == sum(1 for line in lines[:-1] if line["errors"])


def test_json_is_one_document_as_json_dumps_writes_it(capsys: pytest.CaptureFixture[str],
                                                     internet: Internet) -> None:
    # The reports are encoded as they finish and the document is put together from them:
    # the text must be what json.dumps gives for the whole, domains in the input's order.
    names = [s.name for s in internet.domains[:6]]
    status, out, _ = check(capsys, *names, "--zones", str(internet.directory),
                           "--format", "json", "--concurrency", "3")
    assert status == 1
    document = json.loads(out)
    assert out == json.dumps(document) + "\n"
    assert list(document) == ["schema_version", "domains", "summary"]
    assert [d["domain"] for d in document["domains"]] == names
    summary = document["summary"]
    assert summary["domains"] == 6
    assert summary["with_errors"] == sum(1 for d in document["domains"] if d["errors"])
    assert summary["clean"] == sum(1 for d in document["domains"] if d["status"] == "ok")
    codes: dict[str, int] = {}
    for domain in document["domains"]:
        for code in dict.fromkeys(f["code"] for f in domain["findings"]):
            codes[code] = codes.get(code, 0) + 1
    assert summary["domains_with_code"] == dict(sorted(codes.items()))


def test_text_for_many_domains_is_a_table_and_the_findings(
        capsys: pytest.CaptureFixture[str], internet: Internet) -> None:
    names = [s.name for s in internet.domains[:4]]
    status, out, _ = check(capsys, *names, "--zones", str(internet.directory))
    assert status == 1
    assert "mailzone check" in out
    for name in names:
        assert name in out
    assert "spf-lookup-limit" in out  # the findings of the faulty ones
    assert "4 domains: 2 with errors, 0 with warnings only, 2 clean" in out
    assert "include tree" not in out and "└── include:" not in out  # trees: --tree only


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_on_a_terminal_only(capsys: pytest.CaptureFixture[str],
                                         internet: Internet,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    names = [s.name for s in internet.domains[:3]]
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    status = main(["check", *names, "--zones", str(internet.directory), "--format", "json"])
    out = capsys.readouterr().out
    assert status == 1
    assert json.loads(out)["summary"]["domains"] == 3  # stdout stays JSON
    assert "checking" in terminal.getvalue()
    quiet = Terminal()
    monkeypatch.setattr(sys, "stderr", quiet)
    main(["check", *names, "--zones", str(internet.directory), "--format", "json",
          "--no-progress"])
    assert quiet.getvalue() == ""


@pytest.mark.slow
def test_the_command_loads_nothing_heavy_until_it_runs() -> None:
    code = ("import sys; from mailzone.cli.main import build_parser; build_parser(); "
            "print(sorted(m for m in ('mailzone.audit.run', 'dns.resolver', 'dns.asyncquery', "
            "'rich', 'pydantic', 'pulumi') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=ROOT, check=True, timeout=60)
    assert result.stdout.strip() == "[]"


@pytest.mark.slow
def test_jsonl_redirected_keeps_every_line_while_the_bar_is_on_the_terminal(
        tmp_path: Path) -> None:
    """stderr a terminal, stdout a file: the bar goes to the terminal, every line to the
    file (rich's live display used to capture stdout and print the lines on the terminal)."""
    import os
    import pty

    domains = ["example.com", "example.net", "example.org"]
    out_path = tmp_path / "out.jsonl"
    leader, follower = pty.openpty()
    with out_path.open("w") as out:
        done = subprocess.run(
            [sys.executable, "-m", "mailzone.cli", "check", *domains, "--zones",
             str(ROOT / "tests" / "zones"), "--format", "jsonl"],
            stdout=out, stderr=follower, stdin=subprocess.DEVNULL, cwd=ROOT, timeout=60,
            env={**os.environ, "COLUMNS": "100", "TERM": "xterm"})
    os.close(follower)
    terminal = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        terminal += chunk
    os.close(leader)
    lines = [json.loads(line) for line in out_path.read_text().splitlines()]
    assert [line["type"] for line in lines] == ["domain"] * 3 + ["summary"]
    assert sorted(line["domain"] for line in lines[:3]) == domains
    assert done.returncode in (0, 1)
    assert b'"type":"domain"' not in terminal  # no line went to the terminal
    assert b"checking" in terminal  # the bar was there


def test_a_list_that_is_not_utf8_is_one_line_naming_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    listing = tmp_path / "domains.txt"
    listing.write_bytes(b"example.com\n\xff\n")
    assert main(["check", "--file", str(listing), "--zones", str(ROOT / "tests" / "zones")]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "Traceback" not in err
    assert err.strip() == (f"mailzone: {listing}: the --file list of domains is not UTF-8 "
                           "text (byte 0xff on line 2): save the file as UTF-8")


def test_a_byte_order_mark_is_not_part_of_the_first_domain(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    listing = tmp_path / "domains.txt"
    listing.write_bytes("\ufeffexample.com\n".encode())
    status = main(["check", "--file", str(listing), "--zones", str(ROOT / "tests" / "zones"),
                   "--format", "json"])
    assert status in (0, 1)
    assert [d["domain"] for d in json.loads(capsys.readouterr().out)["domains"]] == [
        "example.com"]


@pytest.mark.slow
def test_a_reader_that_goes_away_stops_the_command_quietly(tmp_path: Path) -> None:
    internet = generate(tmp_path / "zones")
    listing = internet.write_list(tmp_path / "domains.txt")
    process = subprocess.Popen(
        [sys.executable, "-m", "mailzone.cli", "check", "--file", str(listing), "--zones",
         str(internet.directory), "--format", "jsonl"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, cwd=ROOT)
    assert process.stdout is not None and process.stderr is not None
    assert process.stdout.read(10)  # like | head -c 10
    process.stdout.close()
    err = process.stderr.read().decode()
    assert process.wait(timeout=60) == 141
    assert err == ""


def test_control_characters_from_dns_are_shown_not_obeyed(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    zones = tmp_path / "zones"
    zones.mkdir()
    (zones / "example.com.zone").write_text(
        "$ORIGIN example.com.\n$TTL 3600\n@ SOA ns1 h 1 7200 3600 1209600 300\n@ NS ns1\n"
        "ns1 A 192.0.2.53\n@ MX 0 .\n@ TXT \"v=spf1 -all\"\n"
        "_dmarc TXT \"v=DMARC1; p=reject; rua=mailto:d@example.com; x=\\027]0;owned\\007\"\n")
    main(["check", "example.com", "--zones", str(zones)])
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out
    assert "\\x1b]0;owned\\x07" in out


def test_an_international_name_is_checked_as_its_a_label_and_shown_in_both_forms(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    zones = tmp_path / "zones"
    zones.mkdir()
    (zones / "xn--bcher-kva.example.zone").write_text(
        "$ORIGIN xn--bcher-kva.example.\n$TTL 3600\n@ SOA ns1 h 1 7200 3600 1209600 300\n"
        "@ NS ns1\nns1 A 192.0.2.53\n@ MX 0 .\n@ TXT \"v=spf1 -all\"\n"
        "_dmarc TXT \"v=DMARC1; p=reject; rua=mailto:d@xn--bcher-kva.example\"\n")
    assert main(["check", "bücher.example", "--zones", str(zones), "--format", "json"]) == 0
    (report,) = json.loads(capsys.readouterr().out)["domains"]
    assert report["domain"] == "xn--bcher-kva.example" and report["spf"]["status"] == "ok"
    main(["check", "bücher.example", "--zones", str(zones)])
    assert "xn--bcher-kva.example (bücher.example)" in capsys.readouterr().out


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(
    ["a", "b", " ", "#", "\n", "\r", "\r\n", "\x0b", "\x0c", "\x1c", "\x85", "\u2028", "é"]),
    max_size=60).map("".join), st.integers(1, 4))
def test_a_packed_list_reads_back_line_for_line(text: str, group: int) -> None:
    # Small groups, so that their ends fall everywhere, \r\n and the last line included.
    packed = _PackedLines(text, group)
    assert list(packed) == list(_lines(text))
    assert len(packed.groups) == -(-len(list(_lines(text))) // group)
