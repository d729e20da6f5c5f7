"""1. Live audit: ``mailzone check`` against checkdmarc, on NSD, on the same domains.

The generated internet of ``tests/internet/generate.py`` (1,000 customer
domains and the providers they share) is served by NSD on port 53 of a free
loopback address: checkdmarc takes name server addresses only, no port. Each
tool runs as its command line would for a user, as a child process, on the
same domain list; its wall time gives domains per second.

Queries: NSD's own counter (``num.queries``) before and after each timed run
gives the queries each tool sent. The distinct (name, type) questions are
``mailzone check``'s own count (its JSON summary), and for checkdmarc a
separate, untimed run through ``checkdmarc_questions.py``, which records every
query dnspython sends for it.

``mailzone check`` is given the full list (MAIL FROM domain and DKIM selectors
per domain: it checks more than checkdmarc does); checkdmarc gets the names
and its defaults (SPF, DMARC, MX, NS, SOA, DNSSEC, MTA-STS, TLS-RPT, BIMI; no
SMTP TLS probing).
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Sequence
from contextlib import suppress
from pathlib import Path

from bench.common import (
    BENCH,
    PROJECT_BIN,
    PROJECT_PYTHON,
    BenchError,
    Child,
    Row,
    Section,
    Settings,
    Stat,
    child_env,
    interleaved,
    log,
    pairwise,
    run_child,
    verdict,
)
from tests.internet.generate import generate
from tests.nsd import NsdServer

#: Processes for the timed runs: the machine's cores (``mailzone check --jobs``).
JOBS = max(1, os.cpu_count() or 1)
TARGET_RATIO = 20.0
TARGET_QUERIES = 1.05
#: mailzone's time at most this many times the floor's.
TARGET_FLOOR = 2.5
#: --format jsonl's peak memory at 10x the domains: at most this much more.
TARGET_JSONL_GROWTH = 0.10
#: A small list for the warm-up run of each tool (imports, page cache, NSD's first answers).
WARMUP_DOMAINS = 40


def free_loopback_53() -> str:
    """A loopback address whose port 53 is free for UDP and TCP."""
    for second in range(53, 60):
        for last in range(1, 40):
            address = f"127.{second}.0.{last}"
            try:
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                    udp.bind((address, 53))
                    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                        tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                        tcp.bind((address, 53))
            except OSError:
                continue
            return address
    raise BenchError("no loopback address with a free port 53 (127.53-59.0.1-39)")


def run(settings: Settings) -> Section:
    section = Section("Live audit")
    work = settings.work / "audit"
    domains = settings.audit_domains
    log(f"audit: generating {domains} domains")
    internet = generate(work / "zones", domains)
    listing = internet.write_list(work / "domains.txt")
    names = work / "names.txt"
    names.write_text("\n".join(spec.name for spec in internet.domains) + "\n")
    warm_list = internet.write_list(work / "warm.txt", internet.domains[:WARMUP_DOMAINS])
    warm_names = work / "warm-names.txt"
    warm_names.write_text("\n".join(s.name for s in internet.domains[:WARMUP_DOMAINS]) + "\n")

    address = free_loopback_53()
    log(f"audit: NSD on {address}:53 serving {len(internet.zones)} zones")
    with NsdServer(work / "zones", work / "nsd", address=address, port=53,
                   verbosity=0) as server:
        # One process (--jobs 1, the default), and as many as the machine has cores.
        single: list[str | Path] = [PROJECT_BIN / "mailzone", "check", "--nameserver",
                                    f"{address}:53", "--format", "json", "--no-progress"]
        mailzone: list[str | Path] = [*single, "--jobs", str(JOBS)]
        checkdmarc = settings.peer_bin("checkdmarc")
        peer_argv: list[str | Path] | None = (
            None if checkdmarc is None else [checkdmarc, "-n", address, "-f", "json"])
        env = child_env()

        sent: dict[str, list[int]] = {"ours": [], "peer": []}
        summaries: list[dict[str, object]] = []
        rss: dict[str, list[int]] = {"ours": [], "peer": []}

        def ours(listing: Path = listing, record: bool = True,
                 argv: list[str | Path] = mailzone) -> float:
            before = server.query_count()
            out = work / "mailzone.json"
            child = run_child([*argv, "--file", listing], stdout=out,
                              stderr=work / "mailzone.err", env=env, ok=(0, 1))
            if record:
                sent["ours"].append(server.query_count() - before)
                summaries.append(json.loads(out.read_text())["summary"])
                rss["ours"].append(child.max_rss_kib)
            return child.seconds

        def peer(names: Path = names, record: bool = True) -> float:
            assert peer_argv is not None
            before = server.query_count()
            child = run_child([*peer_argv, names], stdout=work / "checkdmarc.json",
                              stderr=work / "checkdmarc.err", env=env)
            if record:
                sent["peer"].append(server.query_count() - before)
                rss["peer"].append(child.max_rss_kib)
            return child.seconds

        for _ in range(settings.warmup):
            ours(warm_list, record=False)
            if peer_argv is not None:
                peer(warm_names, record=False)
        log(f"audit: {settings.audit_runs} interleaved runs of {domains} domains")
        mine, theirs = interleaved(settings.audit_runs, ours,
                                   peer if peer_argv is not None else None)
        _check_reports(work / "mailzone.json", domains)
        one_process = [ours(argv=single, record=False) for _ in range(settings.audit_runs)]
        _check_reports(work / "mailzone.json", domains)
        small_jsonl = _jsonl_run(single, listing, work, env)
        floor_out = work / "floor.json"
        run_child([PROJECT_PYTHON, BENCH / "audit_floor.py", address, listing, floor_out,
                   str(settings.audit_runs)], stderr=work / "floor.err", env=env, ok=(0,))
        floor = json.loads(floor_out.read_text())
        peer_questions = None
        if peer_argv is not None and settings.peers_python is not None:
            _check_peer_output(work / "checkdmarc.json", domains)
            out = work / "checkdmarc-questions.json"
            run_child([settings.peers_python, BENCH / "checkdmarc_questions.py", out,
                       "-n", address, "-f", "json", names],
                      stdout=work / "checkdmarc-counted.json",
                      stderr=work / "checkdmarc-counted.err", env=env)
            peer_questions = json.loads(out.read_text())

    ours_rate = Stat.of([domains / s for s in mine])
    summary = summaries[-1]
    dns = summary["dns"]
    assert isinstance(dns, dict)
    distinct = int(dns["distinct_questions"])
    ours_sent = Stat.of([float(n) for n in sent["ours"]])
    per_distinct = Stat.of([n / distinct for n in sent["ours"]])
    row = Row("1. Live audit", f"domains/s, {domains} domains over NSD (wall time of the CLI, "
              f"--jobs {JOBS}: the machine's cores)", ours_rate.show())
    section.rows.append(row)
    single_rate = Stat.of([domains / s for s in one_process])
    single_row = Row("1. Live audit", "the same with one process (--jobs 1, the default), "
                     "measured after the pairs", single_rate.show())
    section.rows.append(single_row)
    q_row = Row("1. Live audit", "queries sent (NSD) / distinct names+types",
                f"{ours_sent.median:.0f} / {distinct} = {per_distinct.median:.3f}",
                target=f"≤ {TARGET_QUERIES}",
                status=verdict(per_distinct.high <= TARGET_QUERIES))
    section.raw.update({"domains": domains, "ours_seconds": mine, "ours_queries": sent["ours"],
                        "ours_distinct": distinct, "ours_summary": summary,
                        "nameserver": f"{address}:53"})
    if theirs:
        peer_rate = Stat.of([domains / s for s in theirs])
        ratio = pairwise(theirs, mine)  # our rate over theirs = their time over ours
        row.peer = peer_rate.show()
        row.ratio = ratio.show("x")
        row.target = f"≥ {TARGET_RATIO:g}x"
        row.status = verdict(ratio.median >= TARGET_RATIO)
        single_row.ratio = (f"{single_rate.median / peer_rate.median:.2f}x (medians, "
                            "not pair by pair)")
        peer_sent = Stat.of([float(n) for n in sent["peer"]])
        if peer_questions is not None:
            pd = int(peer_questions["distinct"])
            q_row.peer = f"{peer_sent.median:.0f} / {pd} = {peer_sent.median / pd:.3f}"
        section.raw.update({"peer_seconds": theirs, "peer_queries": sent["peer"],
                            "peer_questions": peer_questions})
    section.rows.append(q_row)
    floor_seconds = Stat.of(floor["seconds"])
    over_floor = Stat.of(mine).median / floor_seconds.median
    single_over_floor = Stat.of(one_process).median / floor_seconds.median
    section.rows.append(Row(
        "1. Live audit", f"floor: the {floor['questions']} distinct questions through a "
        "minimal asyncio UDP client (s); mailzone's run over it",
        f"{floor_seconds.show(' s')}; mailzone {over_floor:.1f}x the floor "
        f"(--jobs 1: {single_over_floor:.1f}x)",
        target=f"≤ {TARGET_FLOOR:g}x the floor", status=verdict(over_floor <= TARGET_FLOOR)))
    section.raw["one_process_seconds"] = one_process
    section.raw["floor"] = floor
    ours_rss = Stat.of([kib / 1024 for kib in rss["ours"]])
    rss_row = Row("1. Live audit", f"peak memory, {domains} domains: --format json (the "
                  f"largest of the {JOBS} processes); --format jsonl (one process)",
                  f"{ours_rss.show(' MiB')}; jsonl "
                  f"{small_jsonl.max_rss_kib / 1024:.0f} MiB")
    if rss["peer"]:
        rss_row.peer = Stat.of([kib / 1024 for kib in rss["peer"]]).show(" MiB")
    section.rows.append(rss_row)
    _large(settings, section, mailzone, single,
           Stat.of([domains / s for s in theirs]).median if theirs else None, small_jsonl)
    section.notes.append(
        f"Live audit: NSD 4 on {address}:53, {len(internet.zones)} zones. mailzone check "
        f"(concurrency 32, its default) checked SPF with the include tree, DMARC, MX, the "
        f"MAIL FROM domain and {sum(len(s.selectors) for s in internet.domains)} DKIM "
        f"selectors; it asked {dns['questions_by_domains']} questions for the domains, "
        f"{distinct} distinct, and sent {sent['ours'][-1]} queries "
        f"({dns.get('tcp_retries', 0)} again over TCP after truncation). "
        + ("" if peer_questions is None else
           f"checkdmarc (serial, its only mode) sent {sent['peer'][-1]} queries for "
           f"{peer_questions['distinct']} distinct questions "
           f"({peer_questions['repeated']} questions sent more than once)."))
    return section


def _jsonl_run(mailzone: Sequence[str | Path], listing: Path, work: Path,
               env: dict[str, str]) -> Child:
    """One ``--format jsonl`` run of ``listing`` (its wall time and peak memory)."""
    argv = [str(part) for part in mailzone]
    argv[argv.index("json")] = "jsonl"
    out = work / f"{listing.stem}.jsonl"
    child = run_child([*argv, "--file", listing], stdout=out, stderr=work / "jsonl.err",
                      env=env, ok=(0, 1))
    last = out.read_text().splitlines()[-1]
    if json.loads(last).get("type") != "summary":
        raise BenchError(f"mailzone check --format jsonl did not end with its summary: {last}")
    return child


def _large(settings: Settings, section: Section, mailzone: Sequence[str | Path],
           single: Sequence[str | Path], peer_rate: float | None, small_jsonl: Child) -> None:
    """The row at ten times the domains: mailzone alone, json and jsonl, their memory."""
    domains = settings.audit_domains * 10
    work = settings.work / "audit-large"
    log(f"audit: generating {domains} domains")
    internet = generate(work / "zones", domains)
    listing = internet.write_list(work / "domains.txt")
    address = free_loopback_53()
    env = child_env()
    with NsdServer(work / "zones", work / "nsd", address=address, port=53,
                   verbosity=0) as server:
        argv = [str(part) for part in mailzone]
        argv[argv.index("--nameserver") + 1] = f"{address}:53"
        one = [str(part) for part in single]
        one[one.index("--nameserver") + 1] = f"{address}:53"
        log(f"audit: {domains} domains, --format json and --format jsonl")
        before = server.query_count()
        large = run_child([*argv, "--file", listing], stdout=work / "mailzone.json",
                          stderr=work / "mailzone.err", env=env, ok=(0, 1))
        sent = server.query_count() - before
        _check_reports(work / "mailzone.json", domains)
        summary = json.loads((work / "mailzone.json").read_text())["summary"]
        large_jsonl = _jsonl_run(one, listing, work, env)  # one process: the run's memory
    distinct = int(summary["dns"]["distinct_questions"])
    peer = "" if peer_rate is None else (
        f"checkdmarc at its {settings.audit_domains} rate: {domains / peer_rate:.0f} s "
        f"({peer_rate:.3g} domains/s)")
    rate = domains / large.seconds
    section.rows.append(Row(
        "1. Live audit", f"{domains} domains over NSD, --format json --jobs {JOBS} (mailzone "
        "alone): domains/s; queries sent / distinct",
        f"{rate:.3g} domains/s ({large.seconds:.1f} s); "
        f"{sent} / {distinct} = {sent / distinct:.3f}", peer=peer,
        ratio="" if peer_rate is None else f"{rate / peer_rate:.2f}x"))
    growth = large_jsonl.max_rss_kib / small_jsonl.max_rss_kib - 1
    section.rows.append(Row(
        "1. Live audit", f"peak memory, {domains} domains: --format json (the largest "
        f"process); --format jsonl, one process (against {settings.audit_domains} domains)",
        f"{large.max_rss_kib / 1024:.0f} MiB; jsonl {large_jsonl.max_rss_kib / 1024:.0f} MiB "
        f"against {small_jsonl.max_rss_kib / 1024:.0f} MiB ({growth:+.1%})",
        target=f"jsonl within {TARGET_JSONL_GROWTH:.0%}",
        status=verdict(growth <= TARGET_JSONL_GROWTH)))
    section.raw["large"] = {"domains": domains, "seconds": large.seconds,
                            "max_rss_kib": large.max_rss_kib, "queries": sent,
                            "distinct": distinct, "jsonl_seconds": large_jsonl.seconds,
                            "jsonl_max_rss_kib": large_jsonl.max_rss_kib,
                            "small_jsonl_max_rss_kib": small_jsonl.max_rss_kib}


def _check_reports(path: Path, domains: int) -> None:
    data = json.loads(path.read_text())
    if len(data["domains"]) != domains:
        raise BenchError(f"mailzone check reported {len(data['domains'])} of {domains} domains")
    timed_out = data["summary"]["timed_out"]
    if timed_out:
        raise BenchError(f"mailzone check: {timed_out} domains timed out")


def _check_peer_output(path: Path, domains: int) -> None:
    text = path.read_text()
    data = None
    with suppress(json.JSONDecodeError):
        data = json.loads(text)
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list) or len(data) != domains:
        raise BenchError(f"checkdmarc did not report {domains} domains: {text[:300]}")
