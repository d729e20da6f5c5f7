"""Each command's exit statuses, stated once: its parser, ``main`` and its ``--help`` read them.

``mailzone plan`` follows ``terraform plan -detailed-exitcode``: 2 means changes,
so everything that is not a plan (bad usage included) is 1 there. The other
commands keep the usual 0 (clean), 1 (error findings), 2 (bad usage or input).
Interrupted runs exit 130 everywhere.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import Final

from mailzone.errors import ExitStatus


@dataclass(frozen=True, slots=True)
class ExitContract:
    """What a command's exit statuses mean; ``usage`` is the one for bad usage or input."""

    usage: int
    statuses: tuple[tuple[int, str], ...]

    def epilog(self) -> str:
        """The table ``--help`` ends with, wrapped to 78 columns."""
        width = max(len(str(code)) for code, _ in self.statuses)
        indent = " " * (width + 4)
        lines = [textwrap.fill(meaning, 78, initial_indent=f"  {code:<{width}}  ",
                               subsequent_indent=indent)
                 for code, meaning in self.statuses]
        return "exit status:\n" + "\n".join(lines)


_INTERRUPTED = (int(ExitStatus.INTERRUPTED), "interrupted (Ctrl-C)")
_PIPE = (int(ExitStatus.PIPE_CLOSED), "standard output was closed early (| head): stopped "
                                      "quietly")

TOP: Final = ExitContract(ExitStatus.USAGE, (
    (ExitStatus.OK, "success"),
    (ExitStatus.USAGE, "bad usage: no command, or an unknown one"),
))
PLAN: Final = ExitContract(1, (
    (0, "no changes"),
    (2, "changes: the plan ran and DNS would change"),
    (1, "errors: an error finding, or bad usage or input (a wrong option, a bad stack "
        "file, zone directory or lock): anything that is not a plan"),
    _INTERRUPTED,
    _PIPE,
))
CHECK: Final = ExitContract(ExitStatus.USAGE, (
    (ExitStatus.OK, "no domain has an error finding (warnings allowed)"),
    (ExitStatus.FINDINGS, "some domain has an error finding"),
    (ExitStatus.USAGE, "bad usage or input: a wrong option, a name that is not a domain, an "
                       "unreadable --file, --zones or stack file"),
    (ExitStatus.WORKER_FAILED, "a --jobs process failed or was killed: the run is incomplete"),
    _INTERRUPTED,
    _PIPE,
))
SPF_JUDGE: Final = ExitContract(ExitStatus.USAGE, (
    (ExitStatus.OK, "no error finding"),
    (ExitStatus.FINDINGS, "an error finding"),
    (ExitStatus.USAGE, "bad usage or input (a wrong option, an unreadable --zones directory)"),
    _INTERRUPTED,
    _PIPE,
))
SPF_EVAL: Final = ExitContract(ExitStatus.USAGE, (
    (ExitStatus.OK, "the evaluation ran, whatever its result (pass, fail, permerror, ...)"),
    (ExitStatus.USAGE, "bad usage or input (an --ip that is not an address, say)"),
    _INTERRUPTED,
    _PIPE,
))
