"""``mailzone check``: audit the mail DNS the world sees, for one domain or thousands.

    mailzone check DOMAIN... | --file FILE | --stack NAME
        [--nameserver HOST[:PORT] | --zones DIR] [--concurrency N] [--timeout S]
        [--retries N] [--domain-timeout S] [--max-queries N] [--ip ADDR]
        [--dkim-selector S]... [--mail-from-subdomain LABEL]
        [--format text|json|jsonl] [--tree] [--no-progress]

The checks are ``mailzone.audit.run``'s; this module reads the arguments, builds
the targets and prints. Exit status: 0 when no domain has an error finding,
1 when one does, 2 for bad usage (a bad option, domain, list or stack file).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mailzone.cli import contract
from mailzone.cli.options import NAMESERVER_HELP, checked_count, checked_seconds
from mailzone.dns.resolver import DEFAULT_RETRIES, DEFAULT_TIMEOUT
from mailzone.errors import ExitStatus

if TYPE_CHECKING:
    from rich.console import Console

    from mailzone.audit.model import DomainReport, Target
    from mailzone.audit.run import Audit
    from mailzone.cli.workers import ReportTally

EXIT_OK = ExitStatus.OK
EXIT_ERRORS = ExitStatus.FINDINGS
#: One label of a DKIM selector (RFC 6376 3.1: sub-domain syntax; '_' as providers use).
_SELECTOR_LABEL = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?")
#: A tree per domain is printed without --tree up to this many domains.
TREES_UP_TO = 1
#: The progress bar shows from this many domains, on a terminal.
PROGRESS_FROM = 2
#: Text output to a file or a pipe is this wide.
OUTPUT_WIDTH = 120


def register(commands: Any) -> None:
    check = commands.add_parser(
        "check",
        help="audit published SPF, DMARC, MX, MAIL FROM and DKIM live, for many domains",
        description="Audit what the world sees of each domain's mail DNS: SPF (one record, "
        "its lint, the lookup budget through the live include tree, void lookups, loops, IP "
        "literals, size), DMARC (syntax, policy, authorised report destinations), MX (or a "
        "null MX with v=spf1 -all), the MAIL FROM domain's MX and SPF, DKIM keys, and with "
        "--ip the SPF result for mail from that address. DNS faults become findings.",
        contract=contract.CHECK,
        examples=(
            "mailzone check example.com --dkim-selector s1 --profile bulk-sender",
            "mailzone check --file domains.txt --format jsonl > audit.jsonl",
            "mailzone check example.net --zones examples/zones",
        ),
    )
    check.add_argument("domains", nargs="*", metavar="DOMAIN", help="domains to check")
    check.add_argument(
        "--file", metavar="FILE",
        help="read domains from FILE ('-' for standard input): one per line, optionally "
        "followed by mail-from=NAME and dkim=SEL[,SEL...]; '#' starts a comment")
    check.add_argument(
        "--stack", metavar="NAME",
        help="check the domains of a stack (Pulumi.NAME.yaml, or a path to the file): "
        "their MAIL FROM domains come from its config; DOMAIN arguments pick some of them")
    source = check.add_mutually_exclusive_group()
    source.add_argument("--nameserver", metavar="HOST[:PORT]",
                        help=f"ask this DNS server, {NAMESERVER_HELP} (default: the system's "
                        "resolvers)")
    source.add_argument("--zones", metavar="DIR",
                        help="answer from a directory of BIND zone files instead of DNS")
    check.add_argument("--concurrency", type=int, default=32, metavar="N",
                       help="domains checked at once (default 32; with --jobs, by each "
                       "process)")
    check.add_argument("--jobs", type=int, default=1, metavar="N",
                       help="processes that share the domains (default 1): on a machine "
                       "with cores to spare, 2 or more finish a long list sooner; each "
                       "process asks its own questions, so one that domains of two shares "
                       "ask is sent twice")
    check.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="S",
                       help=f"seconds to wait for each DNS answer (default {DEFAULT_TIMEOUT:g}, "
                       "as every command)")
    check.add_argument("--retries", type=int, default=DEFAULT_RETRIES, metavar="N",
                       help="times a DNS query is sent again after a timeout "
                       f"(default {DEFAULT_RETRIES})")
    check.add_argument("--domain-timeout", type=float, default=None, metavar="S",
                       help="seconds allowed for all the checks of one domain (default 30)")
    check.add_argument("--max-queries", type=int, default=None, metavar="N",
                       help="distinct DNS questions one check of a domain may ask: a larger "
                       "include tree is a lookup bomb (default 100)")
    check.add_argument("--ip", metavar="ADDR",
                       help="also predict the SPF result for mail sent from this address")
    check.add_argument("--dkim-selector", action="append", default=[], metavar="S",
                       dest="dkim_selectors",
                       help="check the DKIM key of this selector (repeat for several; for "
                       "SES Easy DKIM, the three tokens)")
    check.add_argument("--mail-from-subdomain", metavar="LABEL",
                       help="the MAIL FROM domain is LABEL.<domain> for domains that do not "
                       "name theirs")
    check.add_argument("--format", choices=("text", "json", "jsonl"), default="text",
                       help="text for people (default), json for programs, jsonl to stream "
                       "one JSON object per domain as each finishes")
    check.add_argument("--profile", choices=("bulk-sender",), default=None,
                       help="also hold each sender to a profile: bulk-sender is the bar "
                       "Google, Yahoo and Microsoft set for senders of 5,000+ messages a day "
                       "(SPF and DKIM pass, DMARC at least p=none with rua, SPF or DKIM "
                       "aligned); a sender short of it is an error")
    check.add_argument("--tree", action="store_true",
                       help="print each domain's SPF include tree (default: when checking "
                       "one domain)")
    check.add_argument("--no-progress", action="store_true",
                       help="no progress bar, even on a terminal")
    check.set_defaults(run=run_check)


# -- targets ------------------------------------------------------------------------------



def _checked_domain(name: str, where: str) -> str:
    from mailzone.dns.resolver import normalize_name
    from mailzone.errors import UsageError
    from mailzone.names import domain_problem, to_ascii

    problem = domain_problem(name, underscores=True)
    if problem is not None:
        raise UsageError(f"{where}{name!r} is not a domain to check: {problem}")
    return normalize_name(to_ascii(name))


def _checked_selector(selector: str, where: str) -> str:
    """``selector`` when it is a DKIM selector, else a ``UsageError`` after ``where``."""
    from mailzone.errors import UsageError

    if not selector or not all(_SELECTOR_LABEL.fullmatch(x) for x in selector.split(".")):
        raise UsageError(f"{where}{selector!r} is not a DKIM selector: DNS labels of "
                         "letters, digits, '-' and '_' (RFC 6376 3.1)")
    return selector


def read_domain_list(text: str, source: str) -> list[Target]:
    """The targets of a ``--file`` list (see ``--help``); ``UsageError`` names the line."""
    return list(_domain_list(_lines(text), source))


def _domain_list(lines: Iterable[str], source: str, *, checked: bool = False
                 ) -> Iterator[Target]:
    """``read_domain_list`` over the list's lines (``_lines``), one target at a time;
    ``checked``: they were read before, so their names and selectors are known good and
    only converted."""
    from mailzone.audit.model import Target
    from mailzone.dns.resolver import normalize_name
    from mailzone.errors import UsageError
    from mailzone.names import to_ascii

    def domain_of(name: str, where: str) -> str:
        return normalize_name(to_ascii(name)) if checked else _checked_domain(name, where)

    for number, raw in enumerate(lines, start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        where = f"{source}:{number}: "
        first, *fields = line.split()
        domain = domain_of(first, where)
        mail_from: str | None = None
        selectors: list[str] = []
        for item in fields:
            key, eq, value = item.partition("=")
            if key == "mail-from" and eq and value:
                mail_from = domain_of(value, where)
            elif key == "dkim" and eq and value:
                selectors += value.split(",") if checked else [
                    _checked_selector(s, f"{where}dkim=") for s in value.split(",")]
            else:
                raise UsageError(
                    f"{where}{item!r} is not understood: a line is 'DOMAIN "
                    "[mail-from=NAME] [dkim=SEL[,SEL...]]'")
        yield Target(domain, mail_from, tuple(selectors), origin=f"{source}:{number}")


#: A line and its end, where ``str.splitlines`` ends lines (the last may be empty).
_LINE = re.compile(r".*?(?:\r\n|[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]|\Z)", re.DOTALL)


def _lines(text: str) -> Iterator[str]:
    """The lines of ``text`` as ``splitlines`` numbers them, one at a time (a list of
    all 10,000 lines of a list would be a second copy of it); each keeps its end."""
    for match in _LINE.finditer(text):
        yield match.group()


class _PackedLines:
    """A list's lines, kept compressed between its readings (the run reads it again as it
    takes the domains): its text was the one part of a run that grew with the list.

    The lines are packed in groups, each group's text compressed on its own, so that
    reading them again holds one group at a time. A group ends after a line's end,
    never inside a ``\r\n``, so the lines read back are ``_lines(text)``'s.
    """

    def __init__(self, text: str, group: int = 512) -> None:
        """``group``: the lines compressed together."""
        import zlib

        self.groups: list[bytes] = []
        batch: list[str] = []
        for line in _lines(text):
            batch.append(line)
            if len(batch) == group:
                self.groups.append(zlib.compress("".join(batch).encode("utf-8"), 1))
                batch = []
        if batch:
            self.groups.append(zlib.compress("".join(batch).encode("utf-8"), 1))

    def __iter__(self) -> Iterator[str]:
        import zlib

        last = len(self.groups) - 1
        for index, group in enumerate(self.groups):
            lines = list(_lines(zlib.decompress(group).decode("utf-8")))
            if index < last:
                lines.pop()  # the empty "line" _lines finds at the end of any text
            yield from lines


class _Targets:
    """A run's targets, made again one at a time as the run takes them: 10,000 domains
    keep the text of their list, not 10,000 targets (the list was checked whole first)."""

    def __init__(self, make: Callable[[], Iterator[Target]], count: int) -> None:
        self.make = make
        self.count = count

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[Target]:
        return self.make()


def _targets(args: argparse.Namespace) -> _Targets:
    from dataclasses import replace

    from mailzone.audit.model import Target
    from mailzone.errors import UsageError
    from mailzone.textfile import BOM, FileProblem, read_text

    if args.file is not None and args.stack is not None:
        raise UsageError("--file and --stack exclude each other: pick one list of domains")
    if args.file is not None and args.domains:
        raise UsageError("give domains as arguments or with --file, not both")
    listed: Callable[[bool], Iterator[Target]]  # checked: read whole before
    if args.file is not None:
        if args.file == "-":
            text, source = sys.stdin.read().removeprefix(BOM), "<stdin>"
        else:
            try:
                text = read_text(args.file, what="the --file list of domains")
            except FileNotFoundError:
                raise UsageError(f"cannot read --file {args.file}: no such file") from None
            except FileProblem as exc:
                raise UsageError(str(exc)) from None
            source = args.file

        packed: _PackedLines | None = None

        def listed(checked: bool) -> Iterator[Target]:
            nonlocal text, packed
            if packed is None:  # the first reading: the text itself, then packed
                try:
                    yield from _domain_list(_lines(text), source)
                finally:
                    packed, text = _PackedLines(text), ""
                return
            yield from _domain_list(packed, source, checked=checked)
    else:
        given = _stack_targets(args) if args.stack is not None else [
            Target(_checked_domain(d, ""), origin="argument") for d in args.domains]

        def listed(checked: bool) -> Iterator[Target]:
            return iter(given)
    # The whole list is checked before anything runs; then only its repeats are kept
    # (by position: the first one's origin is looked up again when there are repeats).
    first: dict[str, int] = {}
    repeats: dict[int, int] = {}  # position of a repeat -> position of the first
    for position, target in enumerate(listed(False)):
        if target.domain in first:
            repeats[position] = first[target.domain]
        else:
            first[target.domain] = position
    if not first:
        raise UsageError("no domains to check: give DOMAIN arguments, --file FILE or "
                         "--stack NAME")
    count = len(first)
    del first
    repeated: list[str] = []
    if repeats:
        wanted = set(repeats.values())
        named: dict[int, Target] = {position: target for position, target in enumerate(listed(True))
                                    if position in wanted or position in repeats}
        repeated = [f"mailzone check: {named[position].domain} is listed twice "
                    f"({named[first_at].origin} and {named[position].origin}); checked once\n"
                    for position, first_at in repeats.items()]
    from mailzone.names import is_host_label

    extra = tuple(_checked_selector(s, "--dkim-selector ") for s in args.dkim_selectors)
    label = args.mail_from_subdomain
    if label is not None and not is_host_label(label):
        raise UsageError(f"--mail-from-subdomain {label!r}: give one label, such as 'mail'")

    def completed(target: Target) -> Target:
        mail_from = target.mail_from
        if mail_from is None and label:
            mail_from = _checked_domain(f"{label.strip('.')}.{target.domain}",
                                        "--mail-from-subdomain: ")
        selectors = tuple(dict.fromkeys((*target.dkim_selectors, *extra)))
        if mail_from == target.mail_from and selectors == target.dkim_selectors:
            return target
        return replace(target, mail_from=mail_from, dkim_selectors=selectors)

    messages = iter(repeated)
    if label:  # the MAIL FROM names it makes are checked before the run, in order
        for position, target in enumerate(listed(True)):
            if position in repeats:
                sys.stderr.write(next(messages))
            else:
                completed(target)
    for message in messages:
        sys.stderr.write(message)

    def targets() -> Iterator[Target]:
        for position, target in enumerate(listed(True)):
            if position not in repeats:
                yield completed(target)

    return _Targets(targets, count)


def _stack_targets(args: argparse.Namespace) -> list[Target]:
    from mailzone.audit.model import Target
    from mailzone.errors import UsageError
    from mailzone.stack.config import load_stack_config, stack_path

    path = stack_path(args.stack)
    stack = load_stack_config(path)
    targets = [
        Target(d.domain.rstrip(".").lower(), d.mail_from_domain, (),
               ses_identity=d.ses is not None, origin=f"{path}:domains[{i}]",
               more_mail_from=d.mail_from_domains[1:],
               dkim_zones=tuple(dict.fromkeys(s.dkim_zone for s in d.ses_identities)))
        for i, d in enumerate(stack.domains)
    ]
    if args.domains:
        wanted = [_checked_domain(d, "") for d in args.domains]
        known = {t.domain: t for t in targets}
        missing = [d for d in wanted if d not in known]
        if missing:
            raise UsageError(f"{', '.join(missing)} not in the stack {path} "
                             f"(it has {', '.join(known)})")
        targets = [known[d] for d in wanted]
    return targets


# -- the run ---------------------------------------------------------------------------------


def _options(args: argparse.Namespace) -> Any:
    import ipaddress

    from mailzone.audit.model import DEFAULT_DOMAIN_TIMEOUT, AuditOptions, Profile
    from mailzone.dns.capped import DEFAULT_QUERY_CAP
    from mailzone.errors import UsageError

    checked_count("--concurrency", args.concurrency, 1)
    checked_seconds("--timeout", args.timeout)
    checked_count("--retries", args.retries, 0)
    domain_timeout = checked_seconds("--domain-timeout", DEFAULT_DOMAIN_TIMEOUT
                                     if args.domain_timeout is None else args.domain_timeout)
    cap = checked_count("--max-queries", DEFAULT_QUERY_CAP if args.max_queries is None
                        else args.max_queries, 1)
    if args.ip is not None:
        try:
            ipaddress.ip_address(args.ip)
        except ValueError:
            raise UsageError(f"--ip {args.ip!r} is not an IPv4 or IPv6 address") from None
    profile = None if args.profile is None else Profile(args.profile)
    return AuditOptions(ip=args.ip, domain_timeout=domain_timeout, query_cap=cap,
                        profile=profile)


def _resolver(args: argparse.Namespace) -> Any:
    from mailzone.dns.source import open_resolver

    return open_resolver(args.zones, args.nameserver, timeout=args.timeout,
                         retries=args.retries, concurrency=max(32, args.concurrency))


#: Allocations between two runs of the cyclic collector's youngest generation during
#: the audit (Python's default: 700).
_YOUNG_COLLECTION_EVERY = 50_000


def run_check(args: argparse.Namespace) -> int:
    import asyncio
    import gc
    import time

    from mailzone.audit.run import Audit
    from mailzone.cli.workers import check_jobs

    check_jobs(args.jobs)
    options = _options(args)
    targets = _targets(args)
    resolver = _resolver(args)
    audit = Audit(resolver, options)
    tally = _Tally()
    jobs = min(args.jobs, len(targets))
    started = time.perf_counter()
    # The audit makes millions of objects that live for a moment and form no reference
    # cycles (test_check holds it to that): the cyclic collector, which would traverse
    # them and everything start-up made again and again, runs seldom, over young objects.
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(_YOUNG_COLLECTION_EVERY, *threshold[1:])
    try:
        if jobs > 1:
            kept, counts = _run_in_workers(jobs, audit, targets, args, tally)
        else:
            kept = asyncio.run(_run(audit, targets, args, tally))
            counts = _Counts(audit.distinct_questions, audit.asked, _stats_of(audit))
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()
    del targets
    elapsed = time.perf_counter() - started
    summary = _summary(counts, tally, elapsed, args)
    if args.format == "json":
        _print_json_document([text for _, text in sorted(kept.json)], summary)
    elif args.format == "jsonl":
        _jsonl({"type": "summary", **summary})
    else:
        _render_text(sorted(kept.reports, key=lambda r: r.index), summary, args)
    return EXIT_ERRORS if tally.with_errors else EXIT_OK


class _Tally:
    """What the summary says of the domains, counted as their reports come in: a run
    streamed as JSON lines keeps no report once it is written."""

    def __init__(self) -> None:
        self.domains = 0
        self.with_errors = 0
        self.with_warnings_only = 0
        self.timed_out = 0
        self.codes: dict[str, int] = {}

    def add(self, report: DomainReport) -> None:
        self.add_tally(self.of(report))

    @staticmethod
    def of(report: DomainReport) -> ReportTally:
        """What the summary counts of a report (sent alone by a ``--jobs`` process)."""
        return (report.has_errors, bool(report.findings), report.timed_out,
                tuple(dict.fromkeys(finding.code for finding in report.findings)))

    def add_tally(self, tally: ReportTally) -> None:
        has_errors, has_findings, timed_out, report_codes = tally
        self.domains += 1
        if has_errors:
            self.with_errors += 1
        elif has_findings:
            self.with_warnings_only += 1
        self.timed_out += timed_out
        codes = self.codes
        for code in report_codes:
            codes[code] = codes.get(code, 0) + 1


@dataclass
class _Counts:
    """The run's DNS counts for the summary: one audit's, or the workers' added up."""

    distinct_questions: int
    asked: int
    stats: dict[str, int] | None  # the live resolver's (LiveStats), None for zone files
    processes: int = 1


def _stats_of(audit: Audit) -> dict[str, int] | None:
    from dataclasses import asdict, is_dataclass

    stats = getattr(audit.resolver, "stats", None)
    if stats is None or not is_dataclass(stats) or isinstance(stats, type):
        return None
    return asdict(stats)


class _Kept:
    """What a run keeps for its output: the reports (text), their JSON (json), or none."""

    def __init__(self) -> None:
        self.reports: list[DomainReport] = []
        self.json: list[tuple[int, str]] = []


class _Progress:
    """The progress bar on a terminal (stderr), for runs long enough to want one."""

    def __init__(self, args: argparse.Namespace, total: int) -> None:
        self.bar: Any = None
        self.task: Any = None
        if not args.no_progress and total >= PROGRESS_FROM and sys.stderr.isatty():
            from mailzone.cli.output import progress_bar

            self.bar = progress_bar("checking")
            self.bar.start()
            self.task = self.bar.add_task("", total=total, errors=0)

    def advance(self, domain: str, errors: int) -> None:
        if self.bar is not None:
            self.bar.update(self.task, advance=1, description=domain, errors=errors)

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def _written(report: DomainReport, form: str) -> Any:
    """What the output keeps of a report: the JSON line (jsonl), the report's compact
    JSON text (json: not the report and its include trees), or the report (text)."""
    from mailzone.cli.output import SCHEMA_VERSION, encode_json, encode_json_line

    if form == "jsonl":
        return encode_json_line({"schema_version": SCHEMA_VERSION, "type": "domain",
                                 **report.to_json()}) + "\n"
    if form == "json":
        return encode_json(report.to_json())
    return report


def _keep(kept: _Kept, form: str, index: int, written: Any) -> None:
    if form == "jsonl":
        sys.stdout.write(written)
        sys.stdout.flush()
    elif form == "json":
        kept.json.append((index, written))
    else:
        kept.reports.append(written)


async def _run(audit: Audit, targets: _Targets, args: argparse.Namespace,
               tally: _Tally) -> _Kept:
    kept = _Kept()
    progress = _Progress(args, len(targets))
    try:
        async for report in audit.run(targets, concurrency=args.concurrency):
            tally.add(report)
            _keep(kept, args.format, report.index, _written(report, args.format))
            progress.advance(report.domain, tally.with_errors)
    finally:
        progress.stop()
    return kept


def _run_in_workers(jobs: int, audit: Audit, targets: _Targets, args: argparse.Namespace,
                    tally: _Tally) -> tuple[_Kept, _Counts]:
    """``_run`` in ``jobs`` forked processes (``mailzone.cli.workers``)."""
    import asyncio

    from mailzone.cli.workers import Sent, run_shared

    form = args.format

    def work(mine: Iterator[Target], send: Callable[[Sent], None]) -> None:
        async def go() -> None:
            async for report in audit.run(mine, concurrency=args.concurrency):
                send((report.index, report.domain, _Tally.of(report),
                      _written(report, form)))

        asyncio.run(go())

    def finish() -> tuple[dict[str, int], int, Any]:
        return _stats_of(audit) or {}, audit.asked, audit.distinct_hashes()

    kept = _Kept()
    progress: _Progress | None = None

    def forked() -> None:  # the bar's thread starts once no process is left to fork
        nonlocal progress
        progress = _Progress(args, len(targets))

    def take(index: int, domain: str, report_tally: ReportTally, written: Any) -> None:
        tally.add_tally(report_tally)
        if form == "text":
            written.index = index
        _keep(kept, form, index, written)
        if progress is not None:
            progress.advance(domain, tally.with_errors)

    try:
        totals = run_shared(jobs, targets, work, finish, take,
                            audit.count_distinct_hashes, forked)
    finally:
        if progress is not None:
            progress.stop()
    return kept, _Counts(audit.distinct_questions, totals.asked, totals.stats or None, jobs)


def _print_json_document(domains: list[str], summary: dict[str, Any]) -> None:
    """``print_json({"domains": [...], "summary": summary})`` with the domains already
    encoded (``json.dumps`` of each): the same text, piped, without the reports."""
    import json

    from mailzone.cli.output import SCHEMA_VERSION, print_json

    if sys.stdout.isatty():  # indented, for people: read back and printed as a whole
        print_json({"domains": [json.loads(text) for text in domains], "summary": summary})
        return
    write = sys.stdout.write  # piece by piece: the document is never held whole
    write(f'{{"schema_version": {json.dumps(SCHEMA_VERSION)}, "domains": [')
    for index, text in enumerate(domains):
        write(f", {text}" if index else text)
    write(f'], "summary": {json.dumps(summary)}}}\n')


def _jsonl(data: dict[str, Any]) -> None:
    from mailzone.cli.output import SCHEMA_VERSION, encode_json_line

    sys.stdout.write(encode_json_line({"schema_version": SCHEMA_VERSION, **data}) + "\n")
    sys.stdout.flush()


def _summary(counts: _Counts, tally: _Tally, elapsed: float,
             args: argparse.Namespace) -> dict[str, Any]:
    distinct = counts.distinct_questions
    dns: dict[str, Any] = {
        "source": f"zones:{args.zones}" if args.zones is not None else
        f"live:{args.nameserver or 'system resolvers'}",
        "distinct_questions": distinct,
        "questions_by_domains": counts.asked,
    }
    stats = counts.stats
    if stats is not None:
        dns.update({
            "queries_sent": stats["queries"],
            "retries": stats["retries"],
            "tcp_retries": stats["tcp_retries"],
            "questions_sent": stats["questions"],
            "cache_hits": stats["cache_hits"],
            "failed_questions": stats["failures"],
            "queries_per_distinct_question": round(
                stats["queries"] / distinct, 3) if distinct else None,
        })
    if args.jobs > 1:
        dns["processes"] = counts.processes
    return {
        "domains": tally.domains,
        "with_errors": tally.with_errors,
        "with_warnings_only": tally.with_warnings_only,
        "clean": tally.domains - tally.with_errors - tally.with_warnings_only,
        "timed_out": tally.timed_out,
        "domains_with_code": dict(sorted(tally.codes.items())),
        "elapsed_s": round(elapsed, 3),
        "dns": dns,
        "exit_status": EXIT_ERRORS if tally.with_errors else EXIT_OK,
    }


# -- text ----------------------------------------------------------------------------------

_SPF_STYLE = {"ok": "green", "none": "red", "permerror": "bold red", "temperror": "magenta",
              "unchecked": "dim"}
_STATUS_STYLE = {"ok": "green", "warning": "yellow", "error": "bold red"}


def _render_text(reports: list[DomainReport], summary: dict[str, Any],
                 args: argparse.Namespace) -> None:
    from mailzone.cli.output import console

    out = console()
    if not out.is_terminal:
        # A file or a CI log: wide enough that the tables do not fold.
        from rich.console import Console

        out = Console(highlight=False, width=max(out.width, OUTPUT_WIDTH))
    trees = args.tree or len(reports) <= TREES_UP_TO
    if trees:
        for report in reports:
            _render_domain(out, report)
    out.print(_summary_table(reports))
    if not trees:
        for report in reports:
            if report.findings:
                out.print(_findings_table(report))
    if any(report.bulk is not None for report in reports):
        out.print(_bulk_table(reports))
    out.print(_footer(summary))


def _bulk_table(reports: list[DomainReport]) -> Any:
    """Each sender of each domain against the bulk-sender bar, one column a requirement."""
    from rich.table import Table

    from mailzone.mail.bulk import BAR, BAR_AS_OF
    from mailzone.names import display

    mark = {True: "[green]met[/]", False: "[bold red]not met[/]", None: "[magenta]unknown[/]"}
    table = Table(title="bulk-sender bar (Google and Yahoo 2024-02, Microsoft 2025-05; as of "
                  f"{BAR_AS_OF.isoformat()})", title_justify="left")
    table.add_column("domain")
    table.add_column("sender")
    for rule in BAR:
        table.add_column(rule.requirement.value)
    for report in reports:
        for bar in report.bulk or ():
            table.add_row(display(report.domain), bar.name,
                          *(mark[v.met] for v in bar.verdicts))
        if report.bulk == []:
            who = "(parked: sends no mail)" if report.parked else "(no catalogue sender in SPF)"
            table.add_row(display(report.domain), who, *(mark[None] for _ in BAR))
    table.caption = "; ".join(f"{rule.requirement}: {rule.wording}" for rule in BAR)
    return table


def _render_domain(out: Console, report: DomainReport) -> None:
    from rich.text import Text
    from rich.tree import Tree

    from mailzone.cli.output import printable
    from mailzone.cli.render import budget_tree
    from mailzone.names import display

    style = _STATUS_STYLE[report.status]
    out.print(Text.assemble((display(report.domain), "bold"), "  ", (report.status, style)))
    spf = report.spf
    if spf.budget is not None:
        out.print(budget_tree(spf.budget))
    else:
        out.print(Text(f"SPF {spf.status}: {printable(spf.reason)}",
                       style=_SPF_STYLE.get(spf.status, "")))
    details = Tree(Text("records", style="bold"))
    _detail_lines(details, report)
    out.print(details)
    if report.findings:
        out.print(_findings_table(report))


def _detail_lines(tree: Any, report: DomainReport) -> None:
    from rich.text import Text

    from mailzone.audit.model import DkimStatus
    from mailzone.cli.output import printable

    dmarc = report.dmarc
    if dmarc.record is not None:
        node = tree.add(Text.assemble("DMARC ", (dmarc.source or "", "bold"), "  ",
                                      (printable(dmarc.record), "dim")))
        for dest, ok in dmarc.destinations.items():
            state = {True: ("authorised", "green"), False: ("not authorised", "red"),
                     None: ("unknown", "magenta")}[ok]
            node.add(Text.assemble(f"reports to {printable(dest)}: ", state))
    else:
        tree.add(Text(f"DMARC {dmarc.status}", style="red"))
    tree.add(_mx_line("MX", report.mx))
    if report.mail_from is not None:
        node = tree.add(Text.assemble("MAIL FROM ", (report.mail_from, "bold")))
        if report.mail_from_mx is not None:
            node.add(_mx_line("MX", report.mail_from_mx))
        if report.mail_from_spf is not None:
            mf = report.mail_from_spf
            node.add(Text.assemble("SPF ", (mf.status, _SPF_STYLE.get(mf.status, "")),
                                   f"  {printable(mf.record or mf.reason)}"))
    for other, (spf, mx) in report.more_mail_from.items():
        node = tree.add(Text.assemble("MAIL FROM ", (other, "bold")))
        node.add(_mx_line("MX", mx))
        node.add(Text.assemble("SPF ", (spf.status, _SPF_STYLE.get(spf.status, "")),
                               f"  {printable(spf.record or spf.reason)}"))
    for dkim in report.dkim:
        style = "green" if dkim.status is DkimStatus.OK else "red"
        key = f"  {dkim.key_type} {dkim.key_bits} bits" if dkim.key_bits else ""
        tree.add(Text.assemble("DKIM ", (dkim.selector, "bold"), "  ",
                               (dkim.status, style), key))
    for result in report.ip_results:
        style = "green" if result.result == "pass" else "bold red"
        tree.add(Text.assemble(f"SPF for {report.ip} as {result.identity}: ",
                               (result.result, style), f"  {printable(result.reason)}"))


def _mx_line(label: str, mx: Any) -> Any:
    from rich.text import Text

    from mailzone.audit.model import MxStatus

    if mx.status is MxStatus.OK:
        return Text.assemble(f"{label} ", (", ".join(mx.hosts), "green"))
    if mx.status is MxStatus.NULL:
        return Text.assemble(f"{label} ", ("null (0 .): takes no mail", "cyan"))
    return Text(f"{label} {mx.status}", style="red")


def _mail_from_cell(report: DomainReport) -> str:
    if report.mail_from is None:
        return "-"
    spf = report.mail_from_spf.status if report.mail_from_spf else "unchecked"
    mx = report.mail_from_mx.status if report.mail_from_mx else "unchecked"
    if spf == "ok" and mx == "ok":
        return "ok"
    return " ".join(part for part in (f"SPF {spf}" if spf != "ok" else "",
                                      f"MX {mx}" if mx != "ok" else "") if part)


def _summary_table(reports: list[DomainReport]) -> Any:
    from rich import box
    from rich.table import Table

    from mailzone.audit.model import DkimStatus, MxStatus
    from mailzone.cli.output import escape
    from mailzone.names import display

    table = Table(title="mailzone check", box=box.SIMPLE_HEAD, expand=False, pad_edge=False)
    table.add_column("domain", overflow="fold", min_width=12)
    table.add_column("SPF", no_wrap=True)
    table.add_column("lookups", no_wrap=True)
    table.add_column("DMARC", no_wrap=True)
    table.add_column("MX", no_wrap=True)
    table.add_column("MAIL FROM", overflow="fold")
    table.add_column("DKIM", no_wrap=True)
    table.add_column("err", justify="right", no_wrap=True)
    table.add_column("warn", justify="right", no_wrap=True)
    for report in reports:
        spf = report.spf
        lookups = "" if spf.budget is None else f"{spf.budget.total}/{spf.budget.limit}"
        if spf.budget is not None and spf.budget.void_lookups:
            lookups += f" void {len(spf.budget.void_lookups)}"
        dmarc = report.dmarc
        dkim = "-"
        if report.dkim:
            good = sum(1 for d in report.dkim if d.status is DkimStatus.OK)
            dkim = f"{good}/{len(report.dkim)}"
        mx = report.mx
        errors = sum(1 for f in report.findings if f.is_error)
        warnings = len(report.findings) - errors
        table.add_row(
            escape(display(report.domain)),
            f"[{_SPF_STYLE.get(spf.status, '')}]{spf.status}[/]",
            lookups,
            # What receivers apply to the domain's own mail (t=y: under test).
            escape((dmarc.applied_policy + (" (t=y)" if dmarc.testing else ""))
                   if dmarc.applied_policy else dmarc.status),
            escape(f"{len(mx.hosts)} host" + ("s" if len(mx.hosts) != 1 else "")
                   if mx.status is MxStatus.OK else mx.status),
            escape(_mail_from_cell(report)),
            dkim,
            f"[bold red]{errors}[/]" if errors else "0",
            f"[yellow]{warnings}[/]" if warnings else "0",
        )
    return table


def _findings_table(report: DomainReport) -> Any:
    from rich.table import Table

    from mailzone.cli.output import SEVERITY_STYLE, escape

    table = Table(title=f"{report.domain}: {report.status}", title_justify="left",
                  expand=False)
    table.add_column("severity", no_wrap=True)
    table.add_column("code", no_wrap=True)
    table.add_column("where", overflow="fold")
    table.add_column("message", overflow="fold")
    for finding in sorted(report.findings, key=lambda f: (not f.is_error, f.code)):
        style = SEVERITY_STYLE[finding.severity]
        table.add_row(f"[{style}]{finding.severity.value}[/]", finding.code,
                      escape(finding.where), escape(finding.message))
    return table


def _footer(summary: dict[str, Any]) -> str:
    dns = summary["dns"]
    text = (f"{summary['domains']} domain{'s' if summary['domains'] != 1 else ''}: "
            f"{summary['with_errors']} with errors, {summary['with_warnings_only']} with "
            f"warnings only, {summary['clean']} clean; {summary['elapsed_s']:g} s.")
    if "queries_sent" in dns:
        text += (f" DNS: {dns['queries_sent']} queries sent, {dns['distinct_questions']} "
                 f"distinct questions, {dns['questions_by_domains']} asked by the domains.")
    return text

