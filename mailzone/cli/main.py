"""The ``mailzone`` command line.

Each command's exit statuses are its ``ExitContract`` (``mailzone.cli.contract``):
its parser exits with the contract's usage status on bad usage, ``main`` maps
errors to it, and its ``--help`` prints it. Each command group lives in its own
module and imports what it needs only when it runs: ``mailzone --help`` must
stay fast and never touch Pulumi.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from mailzone import __version__
from mailzone.cli.contract import TOP, ExitContract
from mailzone.errors import ExitStatus, MailzoneError, clip


class _Formatter(argparse.HelpFormatter):
    """argparse's wrapping, except for the exit-status table, which keeps its lines."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if text.startswith(("examples:", "exit status:")):
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)


class Parser(argparse.ArgumentParser):
    """A parser that exits, on bad usage, with its command's contract (``contract``)
    and prints that contract at the end of its ``--help``."""

    def __init__(self, *args: Any, contract: ExitContract = TOP,
                 examples: Sequence[str] = (), **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        shown = "".join(f"\n  {example}" for example in examples)
        kwargs.setdefault("epilog", (f"examples:{shown}\n\n" if examples else "")
                          + contract.epilog())
        super().__init__(*args, **kwargs)
        self.contract = contract
        # The innermost parser that took part wins: main() reads both after parsing.
        self.set_defaults(contract=contract, command_parser=self)

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise SystemExit(self.contract.usage)


def build_parser() -> argparse.ArgumentParser:
    from mailzone.cli import check as cli_check
    from mailzone.cli import plan as cli_plan
    from mailzone.cli import spf as cli_spf

    parser = Parser(
        prog="mailzone",
        description="Mail DNS for applications that send from their own domains: "
        "SPF, DKIM, DMARC and Amazon SES.",
    )
    parser.add_argument("--version", action="version", version=f"mailzone {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    commands.required = True
    for module in (cli_spf, cli_plan, cli_check):
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; its exit status follows the command's contract (``contract``)."""
    parser = build_parser()
    args, extras = parser.parse_known_args(argv)
    if extras:
        # Left over by the command's parser: its usage error, with its exit status.
        args.command_parser.error(f"unrecognized arguments: {' '.join(extras)}")
    contract: ExitContract = args.contract
    try:
        status: int = args.run(args)
        sys.stdout.flush()
    except MailzoneError as exc:
        # One line that names the input by a short prefix of it, never all of it.
        sys.stderr.write(f"mailzone: {clip(str(exc))}\n")
        # Bad input is the command's usage status (1 for plan, where 2 means changes).
        return contract.usage if exc.exit_status == ExitStatus.USAGE else exc.exit_status
    except KeyboardInterrupt:
        # One line that says what stopped. Files are only ever replaced whole
        # (textfile.write_text), so an interrupted run changed none.
        prog = args.command_parser.prog
        start = "\n" if sys.stderr.isatty() else ""  # past the terminal's echoed ^C
        sys.stderr.write(f"{start}{prog}: interrupted (Ctrl-C); no file was changed\n")
        return ExitStatus.INTERRUPTED
    except BrokenPipeError:
        # The reader went away (| head): stop quietly. Point stdout at /dev/null so the
        # interpreter's own flush at exit does not fail on the closed pipe again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return ExitStatus.PIPE_CLOSED
    return status


if __name__ == "__main__":
    raise SystemExit(main())
