"""The ``mailzone`` command line.

Exit status: 0 success (no error findings; plan: no changes), 1 errors found
(plan: errors), 2 bad usage or input (plan: changes, like
``terraform plan -detailed-exitcode``). Each command group lives in its own
module and imports what it needs only when it runs: ``mailzone --help`` must
stay fast and never touch Pulumi.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from types import ModuleType

from mailzone import __version__
from mailzone.errors import ExitStatus, MailzoneError

EXIT_OK = ExitStatus.OK
EXIT_FINDINGS = ExitStatus.FINDINGS
EXIT_USAGE = ExitStatus.USAGE


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise SystemExit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    from mailzone.cli import spf as cli_spf

    parser = _Parser(
        prog="mailzone",
        description="Mail DNS for applications that send from their own domains: "
        "SPF, DKIM, DMARC and Amazon SES.",
    )
    parser.add_argument("--version", action="version", version=f"mailzone {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True
    cli_spf.register(commands)
    for module in _optional_commands():
        module.register(commands)
    return parser


def _optional_commands() -> list[ModuleType]:
    """Command groups built in other modules (plan, check), when present."""
    import importlib

    found: list[ModuleType] = []
    for name in ("mailzone.cli.plan", "mailzone.cli.check"):
        try:
            found.append(importlib.import_module(name))
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
    return found


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        status: int = args.run(args)
    except MailzoneError as exc:
        sys.stderr.write(f"mailzone: {exc}\n")
        return exc.exit_status
    except KeyboardInterrupt:
        return ExitStatus.INTERRUPTED
    return status


if __name__ == "__main__":
    raise SystemExit(main())
