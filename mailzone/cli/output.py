"""Output shared by the commands: JSON for programs, rich tables and trees for people.

rich is imported only when something is printed for people, so ``--json``
runs and ``--help`` stay fast.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from mailzone.findings import Finding, Severity

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress
    from rich.table import Table

# 2: DMARC per RFC 9989 (check's dmarc facts lost pct, gained the tree walk, the
# organisational domain, np, t and the policy applied).
SCHEMA_VERSION = 2

# The reports are trees of dicts and lists made afresh, never cyclic: the encoder need
# not keep a table of the containers it is in (about a sixth of its time on them).
#: A value as compact JSON, as ``json.dumps`` writes it.
encode_json = json.JSONEncoder(check_circular=False).encode
#: A value as one JSON line, without the spaces after separators.
encode_json_line = json.JSONEncoder(check_circular=False, separators=(",", ":")).encode


def print_json(data: dict[str, Any]) -> None:
    """JSON with ``schema_version``: indented on a terminal, compact when piped to a
    program (the compact form uses the C encoder, many times faster on large reports)."""
    payload = {"schema_version": SCHEMA_VERSION, **data}
    indent = 2 if sys.stdout.isatty() else None
    sys.stdout.write(json.dumps(payload, indent=indent) + "\n")


_console: Console | None = None


def console() -> Console:
    global _console
    if _console is None:
        from rich.console import Console

        _console = Console(highlight=False)
    return _console


def error_console() -> Console:
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def progress_bar(verb: str) -> Progress:
    """A progress bar on standard error: done/total, elapsed, time left, errors so far.

    Standard output is never touched: rich's Live display would otherwise capture
    what the command writes there and print it on the terminal, so a redirected
    ``--format jsonl`` would lose its lines. It captures only when standard output
    is the same terminal, to keep the bar whole. Tasks carry an ``errors`` field.
    """
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(
        TextColumn(verb), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        TextColumn("left"), TimeRemainingColumn(), TextColumn("{task.fields[errors]} with errors"),
        TextColumn("{task.description}"),
        console=error_console(), transient=True,
        redirect_stdout=sys.stdout.isatty(), redirect_stderr=False,
    )


SEVERITY_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow"}


def findings_table(findings: Iterable[Finding], *, title: str | None = None) -> Table:
    from rich.table import Table

    table = Table(title=title, show_lines=False, expand=False)
    table.add_column("severity", no_wrap=True)
    table.add_column("code", no_wrap=True)
    table.add_column("message")
    for finding in findings:
        style = SEVERITY_STYLE[finding.severity]
        table.add_row(f"[{style}]{finding.severity.value}[/]", finding.code,
                      escape(finding.message))
    return table


# What a terminal would act on rather than show: C0 and C1 controls (ESC starts colour,
# cursor and title sequences), DEL, and the marks that reorder text (bidi controls).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` as a terminal or a page shows it: every control character written as an
    escape (``\\x1b``), so a value from DNS cannot clear a screen or retitle a window."""
    return _CONTROL.sub(_escaped, text)


def escape(text: str) -> str:
    """Text that comes from users or DNS, ready for rich: controls escaped
    (``printable``) and rich markup escaped."""
    from rich.markup import escape as rich_escape

    return rich_escape(printable(text))
