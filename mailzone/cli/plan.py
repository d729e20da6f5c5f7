"""``mailzone plan``: the stack's desired records against what is published now.

    mailzone plan [--stack NAME] [--zones DIR | --live [--nameserver HOST[:PORT]]]
                  [--format text|json|markdown] [--lock FILE | --no-lock]

Exit status, like ``terraform plan -detailed-exitcode``: 0 no changes, 2
changes, 1 errors (error findings, a bad config, an unreadable zone directory,
a bad command line). The core is ``mailzone.plan.build``; this module reads the
inputs, prints, and writes the lock file.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mailzone.cli import contract
from mailzone.cli.options import NAMESERVER_HELP, checked_count, checked_seconds
from mailzone.dns.resolver import DEFAULT_TIMEOUT

if TYPE_CHECKING:
    from rich.console import Console, RenderableType

    from mailzone.findings import Finding
    from mailzone.plan.model import DomainPlan, Plan, SpfDiff

#: Live plans of at least this many domains show a progress bar (on a terminal).
PROGRESS_FROM = 10
#: The snapshot used when neither --zones nor --live is given, beside the stack file.
DEFAULT_ZONES = Path("examples") / "zones"


def register(commands: Any) -> None:
    plan = commands.add_parser(
        "plan",
        help="what the stack would change in published DNS, and the policy findings",
        description="Compare the desired records of a stack (Pulumi.<stack>.yaml) with the "
        "records published now, read from a directory of zone files (offline) or from live "
        "DNS, and judge the result with the policy pack's rules.",
        contract=contract.PLAN,
        examples=(
            "mailzone plan --stack dev --zones examples/zones",
            "mailzone plan --stack prod --zones snapshot/ --format markdown",
            "mailzone plan --stack prod --live --format json > plan.json",
        ),
    )
    plan.add_argument("--stack", default="dev", metavar="NAME",
                      help="the stack: reads Pulumi.NAME.yaml in the current directory "
                      "(or give the file's path); default dev")
    source = plan.add_mutually_exclusive_group()
    source.add_argument("--zones", metavar="DIR", type=Path,
                        help="read what is published from this directory of <zone>.zone "
                        "files (default: examples/zones beside the stack file)")
    source.add_argument("--live", action="store_true",
                        help="read what is published from live DNS: each domain's "
                        "authoritative servers, or --nameserver")
    plan.add_argument("--allow-unsafe", action="store_true",
                      help="a plan that removes or replaces too much of what is published "
                      "is a warning, not an error (plan-unsafe)")
    plan.add_argument("--unsafe-share", type=float, default=30.0, metavar="PCT",
                      help="the share of the published values at the managed names a plan "
                      "may remove or replace before it is unsafe (default 30)")
    plan.add_argument("--allow-missing", action="store_true",
                      help="offline: a domain with no zone in the snapshot is a warning, not "
                      "an error (plan-no-snapshot)")
    plan.add_argument("--nameserver", metavar="HOST[:PORT]",
                      help=f"with --live: ask this server for everything, {NAMESERVER_HELP}")
    plan.add_argument("--timeout", type=float, default=None, metavar="S",
                      help=f"with --live: seconds per DNS query (default {DEFAULT_TIMEOUT:g}, "
                      "as every command)")
    plan.add_argument("--domain-timeout", type=float, default=None, metavar="S",
                      help="with --live: seconds allowed for one domain's plan; past it its "
                      "records are unknown, an error (default 30, as mailzone check)")
    plan.add_argument("--concurrency", type=int, default=32, metavar="N",
                      help="with --live: domains planned at once (default 32)")
    plan.add_argument("--format", choices=("text", "json", "markdown"), default="text",
                      help="text for people (default), json for programs, markdown for a "
                      "pull-request comment")
    lock = plan.add_mutually_exclusive_group()
    lock.add_argument("--lock", metavar="FILE", type=Path,
                      help="the include lock (default: mailzone.lock.json beside the stack "
                      "file)")
    lock.add_argument("--no-lock", action="store_true",
                      help="neither read nor write the include lock")
    plan.set_defaults(run=run_plan)



def run_plan(args: argparse.Namespace) -> int:
    from mailzone.errors import ConfigError, MailzoneError
    from mailzone.plan.lock import LockFileError
    from mailzone.plan.model import PlanExit

    try:
        return _run(args)
    except ConfigError as exc:
        _problems(exc.problems, args)
        return PlanExit.ERRORS
    except (MailzoneError, LockFileError) as exc:
        _failure_document(args, str(exc))
        sys.stderr.write(f"mailzone plan: {exc}\n")
        return PlanExit.ERRORS


def _problems(problems: list[tuple[str, str]], args: argparse.Namespace) -> None:
    count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
    _failure_document(args, f"the stack config has {count}; nothing was planned",
                      [(p, m) for p, m in problems])
    sys.stderr.write(f"mailzone plan: the stack config has {count}; nothing was planned:\n")
    for path, message in problems:
        sys.stderr.write(f"  {path}: {message}\n" if path else f"  {message}\n")


def _failure_document(args: argparse.Namespace, error: str,
                      problems: list[tuple[str, str]] | None = None) -> None:
    """A plan that could not be made, as the document ``--format`` asked for: a program
    reading the JSON, or the pull-request comment, says why instead of nothing."""
    if args.format == "json":
        from mailzone.cli.output import print_json
        from mailzone.plan.model import PlanExit

        document: dict[str, Any] = {"stack": args.stack, "exit_status": int(PlanExit.ERRORS),
                                    "error": error}
        if problems is not None:
            document["config_errors"] = [{"path": p, "message": m} for p, m in problems]
        print_json(document)
    elif args.format == "markdown":
        lines = [f"### mailzone plan: stack {_cell(args.stack)}", "",
                 f"**No plan: {_md_text(error)}.** Exit 1.", ""]
        lines += [f"- {_cell(p)}: {_md_text(m)}" if p else f"- {_md_text(m)}"
                  for p, m in problems or ()]
        sys.stdout.write("\n".join(lines).rstrip() + "\n")


def _guard(args: argparse.Namespace) -> Any:
    from mailzone.errors import UsageError
    from mailzone.plan.guard import UnsafeGuard

    if not 0 <= args.unsafe_share <= 100:
        raise UsageError(f"--unsafe-share {args.unsafe_share}: give a percentage, 0 to 100")
    return UnsafeGuard(share=args.unsafe_share / 100, allow=args.allow_unsafe)


def _run(args: argparse.Namespace) -> int:
    from mailzone.audit.model import DEFAULT_DOMAIN_TIMEOUT
    from mailzone.errors import UsageError
    from mailzone.plan.build import plan_offline
    from mailzone.plan.lock import lock_path_for, read_lock, write_lock
    from mailzone.stack.config import load_stack_config

    for option, value in (("--nameserver", args.nameserver), ("--timeout", args.timeout),
                          ("--domain-timeout", args.domain_timeout)):
        if value is not None and not args.live:
            raise UsageError(f"{option} goes with --live (the zones are read from files "
                             "otherwise)")
    args.timeout = checked_seconds("--timeout", DEFAULT_TIMEOUT if args.timeout is None
                                   else args.timeout)
    args.domain_timeout = checked_seconds("--domain-timeout", DEFAULT_DOMAIN_TIMEOUT
                                          if args.domain_timeout is None
                                          else args.domain_timeout)
    checked_count("--concurrency", args.concurrency, 1)
    from mailzone.stack.config import stack_path

    path = stack_path(args.stack)
    stack = load_stack_config(path)
    lock_path = None if args.no_lock else (args.lock or lock_path_for(path))
    previous = read_lock(lock_path) if lock_path is not None else None
    if args.live:
        plan = _plan_live(args, stack, previous)
    else:
        from mailzone.dns.zonedir import ZoneDirResolver

        zones = args.zones
        if zones is None:
            zones = path.parent / DEFAULT_ZONES
            if not zones.is_dir():
                raise UsageError(f"no zone snapshot at {zones}: give --zones DIR (offline) "
                                 "or --live")
        from mailzone.plan.build import snapshot_findings

        resolver = ZoneDirResolver(zones)
        source = f"zones:{zones}"
        notes = snapshot_findings(stack, resolver.zone_of, source=source,
                                  allow_missing=args.allow_missing)
        plan = plan_offline(stack, resolver, source=source, previous_lock=previous,
                            notes=notes, guard=_guard(args))
    written = False
    if lock_path is not None:
        written = write_lock(lock_path, plan.lock)
    lock_note = ("" if lock_path is None else
                 f"{lock_path} ({'updated' if written else 'unchanged'})")
    if args.format == "json":
        from mailzone.cli.output import print_json

        print_json({**plan.to_json(), "lock": {"path": None if lock_path is None
                                               else str(lock_path), "written": written}})
    elif args.format == "markdown":
        sys.stdout.write(markdown(plan))
    else:
        render_text(plan, lock_note)
    return plan.exit_status


def _plan_live(args: argparse.Namespace, stack: Any, previous: Any) -> Plan:
    import asyncio

    from mailzone.dns.authoritative import AuthoritativeResolver
    from mailzone.dns.live import LiveResolver
    from mailzone.plan.build import build_plan

    if args.nameserver is not None:
        resolver: Any = LiveResolver(nameserver=args.nameserver, timeout=args.timeout)
        source = f"live:{args.nameserver}"
    else:
        recursive = LiveResolver(timeout=args.timeout)
        resolver = AuthoritativeResolver(
            recursive, [d.domain for d in stack.domains],
            lambda address: LiveResolver(nameserver=address, timeout=args.timeout),
        )
        source = "live:authoritative"
    count = len(stack.domains)
    if count < PROGRESS_FROM or args.format != "text" or not sys.stderr.isatty():
        return asyncio.run(build_plan(stack, resolver, source=source, previous_lock=previous,
                                      concurrency=args.concurrency,
                                      domain_timeout=args.domain_timeout,
                                      guard=_guard(args)))
    from mailzone.cli.output import progress_bar

    errors = 0
    with progress_bar("planning") as progress:
        task = progress.add_task("", total=count, errors=0)

        def advance(domain: DomainPlan) -> None:
            nonlocal errors
            errors += domain.errors
            progress.update(task, advance=1, description=domain.domain, errors=errors)

        return asyncio.run(build_plan(stack, resolver, source=source, previous_lock=previous,
                                      concurrency=args.concurrency, progress=advance,
                                      domain_timeout=args.domain_timeout,
                                      guard=_guard(args)))


# -- text ---------------------------------------------------------------------------------

_ACTION_STYLE = {
    "create": ("+ create", "green"),
    "update": ("~ update", "yellow"),
    "unchanged": ("= unchanged", "dim"),
    "known-after-apply": ("+ create (known after apply)", "cyan"),
    "unknown": ("? unknown", "magenta"),
}
_VALUE_STYLE = {
    "add": ("+", "green", ""),
    "remove": ("-", "red", ""),
    "unchanged": ("=", "dim", ""),
    "kept": ("=", "dim", "kept: keepTxt"),
    "unmanaged": ("·", "dim", "not managed here, left alone"),
    "lost": ("-", "bold red", "LOST: not in keepTxt"),
    "known-after-apply": ("+", "cyan", ""),
}


Pieces = list[tuple[str, str]]  # (text, rich style) of one line


class _Branch:
    """A tree of one-line labels, drawn with guide lines.

    Not rich's ``Tree``: its layout costs milliseconds per domain, too slow for
    plans of thousands of domains. Output that is not a terminal is written as
    plain text without going through rich at all.
    """

    def __init__(self, label: Pieces) -> None:
        self.label = label
        self.children: list[_Branch] = []

    def add(self, *pieces: tuple[str, str]) -> _Branch:
        child = _Branch(list(pieces))
        self.children.append(child)
        return child

    def lines(self) -> list[Pieces]:
        out: list[Pieces] = [self.label]
        self._lines(out, "")
        return out

    def _lines(self, out: list[Pieces], prefix: str) -> None:
        for index, child in enumerate(self.children):
            last = index == len(self.children) - 1
            out.append([(prefix + ("└── " if last else "├── "), "dim"), *child.label])
            child._lines(out, prefix + ("    " if last else "│   "))


def _emit(out: Console, lines: list[Pieces]) -> None:
    from mailzone.cli.output import printable  # every piece may hold a value from DNS

    if out.color_system is None:
        out.file.write("".join("".join(printable(text) for text, _ in line) + "\n"
                               for line in lines))
        return
    from rich.text import Text

    text = Text()
    for index, line in enumerate(lines):
        if index:
            text.append("\n")
        for piece, style in line:
            text.append(printable(piece), style=style or None)
    out.print(text, soft_wrap=True)


def render_text(plan: Plan, lock_note: str = "", out: Console | None = None) -> None:
    from mailzone.cli.output import console

    out = out or console()
    _emit(out, [[("mailzone plan", "bold"), (f"  stack {plan.stack}  ", ""),
                 (plan.source, "dim")]])
    quiet = [d for d in plan.domains if not d.changes and not d.findings]
    for domain in plan.domains:
        if domain in quiet:
            continue
        _emit(out, [[], *domain_tree(domain).lines()])
    if quiet:
        _emit(out, [[], *(_heading(domain) for domain in quiet)])
    if plan.includes:
        out.print()
        out.print(_includes_table(plan))
    _emit(out, [[], [(summary_line(plan), _SUMMARY_STYLE[plan.exit_status])]])
    if lock_note:
        _emit(out, [[(f"include lock: {lock_note}", "dim")]])


_SUMMARY_STYLE = {0: "bold green", 1: "bold red", 2: "bold yellow"}


def _heading(domain: DomainPlan) -> Pieces:
    from mailzone.plan.model import Action

    # "no changes" only when every record was read: an unknown record may change.
    parts = [] if domain.changes or domain.count(Action.UNKNOWN) else ["no changes"]
    for action, label in ((Action.CREATE, "to create"), (Action.UPDATE, "to update"),
                          (Action.UNCHANGED, "unchanged"),
                          (Action.KNOWN_AFTER_APPLY, "known after apply"),
                          (Action.UNKNOWN, "unknown")):
        count = domain.count(action)
        if count:
            parts.append(f"{count} {label}")
    from mailzone.names import display

    return [(display(domain.domain), "bold"), (f"  {domain.provider}  ", ""),
            (", ".join(parts), "cyan")]


def domain_tree(domain: DomainPlan) -> _Branch:
    """The domain's records as a tree: each record, its values, and its SPF diff."""
    tree = _Branch(_heading(domain))
    notes: list[str] = []
    for record in domain.records:
        label, style = _ACTION_STYLE[record.action.value]
        branch = tree.add((label, style), ("  ", ""), (record.name, "bold"),
                          (f" {record.type}", ""))
        for value in record.values:
            sign, value_style, note = _VALUE_STYLE[value.status.value]
            if note:
                branch.add((f"{sign} {value.value}", value_style),
                           (f"  ({note})", "italic dim"))
            else:
                branch.add((f"{sign} {value.value}", value_style))
        if record.spf is not None:
            _spf_tree(branch, record.spf)
        if record.note and record.changes and record.note not in notes:
            notes.append(record.note)
    for note in notes:
        tree.add((f"note: {note}", "dim"))
    if domain.findings:
        errors = sum(1 for f in domain.findings if f.is_error)
        branch = tree.add(("findings", "bold"), (
            f"  {errors} error{'s' if errors != 1 else ''}, "
            f"{len(domain.findings) - errors} warning"
            f"{'s' if len(domain.findings) - errors != 1 else ''}", ""))
        for finding in domain.findings:
            branch.add(*_finding(finding))
    return tree


def _finding(finding: Finding) -> Pieces:
    from mailzone.cli.output import SEVERITY_STYLE

    where = f" ({finding.where})" if finding.where else ""
    return [(finding.severity.value, SEVERITY_STYLE[finding.severity]),
            (f" {finding.code}", "bold"), (where, "dim"), (f": {finding.message}", "")]


def _spf_tree(parent: _Branch, spf: SpfDiff) -> None:
    before = "none" if spf.lookups_before is None else str(spf.lookups_before)
    after = "?" if spf.lookups_after is None else str(spf.lookups_after)
    over = spf.lookups_after is not None and spf.lookups_after > spf.limit
    tree = parent.add(("SPF diff", "bold"), ("  lookups ", ""),
                      (f"{before} -> {after}", "bold red" if over else "bold green"),
                      (f" of {spf.limit}", ""))
    styles = {"+": "green", "-": "red", "=": "dim"}
    for term in spf.terms:
        if term.lookups:
            tree.add((f"{term.change} {term.term}", styles[term.change]),
                     (f"  {term.lookups} lookup{'s' if term.lookups != 1 else ''}", "cyan"))
        else:
            tree.add((f"{term.change} {term.term}", styles[term.change]))
    for note in spf.notes:
        tree.add((note, "yellow"))


def _includes_table(plan: Plan) -> RenderableType:
    from rich.table import Table
    from rich.text import Text

    from mailzone.mail import catalogue

    table = Table(title=f"sender includes (catalogue as of {catalogue.AS_OF.isoformat()})",
                  title_justify="left", box=None, header_style="bold", pad_edge=False)
    table.add_column("include", no_wrap=True)
    table.add_column("lookups", justify="right")
    table.add_column("catalogue", justify="right")
    table.add_column("lock")
    table.add_column("used by", overflow="fold")
    for include in plan.includes:
        if not include.resolved:
            lock = Text("unresolved: previous entry kept" if include.previous
                        else "unresolved", style="yellow")
        elif include.changed:
            lock = Text(f"CHANGED (was {include.previous.lookups if include.previous else '?'}"
                        " lookups)", style="bold yellow")
        elif include.previous is None:
            lock = Text("new", style="cyan")
        else:
            lock = Text("unchanged", style="dim")
        table.add_row(
            include.include,
            "?" if include.lookups is None else str(include.lookups),
            "-" if include.catalogue_lookups is None else str(include.catalogue_lookups),
            lock,
            ", ".join(include.domains),
        )
    return table


def summary_line(plan: Plan) -> str:
    counts = plan.summary()
    parts = [f"{counts['create']} to create", f"{counts['update']} to update",
             f"{counts['unchanged']} unchanged"]
    if counts["known-after-apply"]:
        parts.append(f"{counts['known-after-apply']} known after apply")
    if counts["unknown"]:
        parts.append(f"{counts['unknown']} unknown")
    findings = (f"{counts['errors']} error{'s' if counts['errors'] != 1 else ''}, "
                f"{counts['warnings']} warning{'s' if counts['warnings'] != 1 else ''}")
    verdict = {0: "no changes", 1: "errors", 2: "changes"}[plan.exit_status]
    return f"Plan: {', '.join(parts)}; {findings}. Exit {plan.exit_status}: {verdict}."


# -- markdown -----------------------------------------------------------------------------

_MD_ACTION = {
    "create": "🆕 create",
    "update": "✏️ update",
    "unchanged": "unchanged",
    "known-after-apply": "🆕 known after apply",
    "unknown": "❓ unknown",
}
_MD_VALUE = {
    "add": "+", "remove": "-", "unchanged": "=", "kept": "= (keepTxt)",
    "unmanaged": "· (unmanaged)", "lost": "**LOST**", "known-after-apply": "+ (after apply)",
}


def _cell(text: str) -> str:
    """A value as a code span in a table cell: copied from the page, it is the value.

    Controls are escaped (``printable``); the fence is one backtick longer than the
    longest run in the value, so backticks stay; ``|`` is escaped, as GitHub's tables
    need even inside code spans. ``<`` and ``<!--`` are literal inside a code span.
    """
    from mailzone.cli.output import printable

    text = printable(text).replace("|", "\\|")
    runs = [len(run) for run in re.findall("`+", text)]
    fence = "`" * (max(runs, default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _md_text(text: str) -> str:
    """Prose from a message, with what markdown or HTML would act on escaped."""
    from mailzone.cli.output import printable

    text = printable(text)
    for char in "\\`*_[]<>|":
        text = text.replace(char, "\\" + char)
    return text


def markdown(plan: Plan) -> str:
    """The plan as a pull-request comment (GitHub-flavoured markdown)."""
    lines = [f"### mailzone plan: stack `{plan.stack}`", "", f"**{summary_line(plan)}**", "",
             f"Source: `{plan.source}`", ""]
    quiet = [d for d in plan.domains if not d.changes and not d.findings]
    for domain in plan.domains:
        if domain in quiet:
            continue
        lines += [f"#### {domain.domain} ({domain.provider})", ""]
        lines += ["| action | name | type | values |", "|---|---|---|---|"]
        for record in domain.records:
            values = "<br>".join(f"{_MD_VALUE[v.status.value]} {_cell(v.value)}"
                                 for v in record.values)
            lines.append(f"| {_MD_ACTION[record.action.value]} | {_cell(record.name)} "
                         f"| {record.type} | {values} |")
        lines.append("")
        for record in domain.records:
            if record.spf is not None:
                lines += _markdown_spf(record.spf)
        notes = list(dict.fromkeys(r.note for r in domain.records if r.note and r.changes))
        lines += [line for note in notes for line in (f"> {note}", "")]
        if domain.findings:
            for finding in domain.findings:
                mark = "❌" if finding.is_error else "⚠️"
                where = f" ({finding.where})" if finding.where else ""
                lines.append(f"- {mark} `{finding.code}`{where}: {finding.message}")
            lines.append("")
    if quiet:
        lines += ["No changes and no findings: " + ", ".join(
            f"{d.domain} ({d.provider})" for d in quiet), ""]
    if plan.includes:
        lines += ["<details><summary>Sender includes and the lock</summary>", "",
                  "| include | lookups | catalogue | lock |", "|---|---|---|---|"]
        for include in plan.includes:
            state = ("unresolved" if not include.resolved else "**changed**"
                     if include.changed else "new" if include.previous is None
                     else "unchanged")
            lines.append(
                f"| `{include.include}` | "
                f"{'?' if include.lookups is None else include.lookups} | "
                f"{'-' if include.catalogue_lookups is None else include.catalogue_lookups} | "
                f"{state} |")
        lines += ["", "</details>", ""]
    return "\n".join(lines) + "\n"


def _markdown_spf(spf: SpfDiff) -> list[str]:
    before = "none" if spf.lookups_before is None else str(spf.lookups_before)
    lines = [f"SPF `{spf.name}`: lookups **{before} → {spf.lookups_after}** of {spf.limit}",
             "", "```diff"]
    for term in spf.terms:
        sign = {"+": "+", "-": "-", "=": " "}[term.change]
        cost = f"   # {term.lookups} lookup{'s' if term.lookups != 1 else ''}" if (
            term.lookups) else ""
        lines.append(f"{sign} {term.term}{cost}")
    lines += ["```", ""]
    lines += [f"> {note}" for note in spf.notes]
    return lines


__all__ = ["markdown", "register", "render_text", "run_plan", "summary_line"]
