"""The project's exceptions: one hierarchy, so callers can catch ``MailzoneError``.

Like dnspython's ``DNSException``, every error a user can cause (a bad record,
a bad config, an unreachable server) is a ``MailzoneError``; anything else
escaping the core is a bug.
"""

from __future__ import annotations

import re
from enum import IntEnum
from typing import ClassVar


class ExitStatus(IntEnum):
    """The command line's exit statuses (``mailzone plan`` reads 2 as "changes")."""

    OK = 0
    FINDINGS = 1  # errors were found (plan: errors of any kind)
    USAGE = 2  # bad usage or input (plan: changes)
    WORKER_FAILED = 70  # EX_SOFTWARE: a check --jobs process failed or was killed
    INTERRUPTED = 130
    PIPE_CLOSED = 141  # 128 + SIGPIPE: standard output was closed early (| head)


class MailzoneError(Exception):
    """Base of every error the core raises on purpose.

    ``exit_status`` is what the command line exits with when the error reaches
    it: defined here, once per type, and nowhere else.
    """

    exit_status: ClassVar[ExitStatus] = ExitStatus.USAGE


class RecordSyntaxError(MailzoneError):
    """A DNS record's text does not follow its grammar.

    ``position`` is the 0-based offset in ``text`` where the problem starts.
    """

    def __init__(self, message: str, text: str = "", position: int = 0) -> None:
        self.message = message
        self.text = text
        self.position = position
        super().__init__(self.describe())

    def describe(self) -> str:
        if not self.text:
            return self.message
        return f"{self.message} (at character {self.position + 1} of {self.text!r})"

    def caret(self) -> str:
        """The record with a caret under the offending character, for terminals."""
        return f"{self.text}\n{' ' * self.position}^"


class SpfSyntaxError(RecordSyntaxError):
    """An SPF record (or a part of one) does not follow the RFC 7208 ABNF."""


class DmarcSyntaxError(RecordSyntaxError):
    """A TXT value is not a DMARC record (RFC 9989, General Record Format)."""


class DnsError(MailzoneError):
    """A DNS question could not be answered (timeout, SERVFAIL, REFUSED, no server).

    Per RFC 7208 this makes ``check_host()`` return temperror. ``NXDOMAIN`` and
    empty answers are not errors: they are answers (see ``resolver.Answer``).
    """

    def __init__(self, name: str, rdtype: str, reason: str) -> None:
        self.name = name
        self.rdtype = rdtype
        self.reason = reason
        super().__init__(f"{name} {rdtype}: {reason}")

    def fresh(self) -> DnsError:
        """The same error as a new object, to raise where a stored one is needed.

        Raising the stored object would tie it to the raising frame (its traceback holds
        the frame, whose variables hold the error): a reference cycle per raise, which
        only the cyclic collector frees, and a traceback that grows with every raise.
        """
        return type(self)(self.name, self.rdtype, self.reason)


class QueryCapReached(DnsError):
    """A question was not asked: the checks of one domain reached their cap of questions.

    A cap exists for lookup bombs (include trees built to explode); reaching it is
    a finding of its own, never an ordinary DNS failure.
    """

    def __init__(self, name: str, rdtype: str, cap: int) -> None:
        self.cap = cap
        super().__init__(name, rdtype,
                         f"not asked: this domain's checks reached the cap of {cap} DNS questions")

    def fresh(self) -> QueryCapReached:
        return QueryCapReached(self.name, self.rdtype, self.cap)


class ZoneFileError(MailzoneError):
    """A zone file in a zone directory cannot be read or parsed."""


#: A value quoted in a message is cut to this many characters: a message names the
#: value, it does not repeat a megabyte of it.
QUOTE_LIMIT = 60
MESSAGE_LIMIT = 1000
_LONG = QUOTE_LIMIT + 1
# A quote opens a value only where no letter precedes it: the apostrophe of "server's"
# or "domain's" is prose, and must not pair with a later quote into one long "value".
_QUOTED = re.compile(rf"(?<!\w)'(?:[^'\\]|\\.){{{_LONG},}}'"
                     rf"|(?<!\w)\"(?:[^\"\\]|\\.){{{_LONG},}}\"")


def clip(message: str) -> str:
    """``message`` with every quoted value over ``QUOTE_LIMIT`` characters cut to a prefix,
    and the whole cut at ``MESSAGE_LIMIT``."""
    message = _QUOTED.sub(lambda m: m.group(0)[:QUOTE_LIMIT] + "…" + m.group(0)[0], message)
    return message if len(message) <= MESSAGE_LIMIT else message[:MESSAGE_LIMIT] + "…"


class ConfigError(MailzoneError):
    """The stack configuration is invalid. ``problems`` holds every (path, message), each
    clipped (``clip``): values from the config are quoted by a short prefix only."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        problems = [(clip(path), clip(message)) for path, message in problems]
        self.problems = problems
        lines = [f"{path}: {message}" if path else message for path, message in problems]
        super().__init__("\n".join(lines))


class UsageError(MailzoneError):
    """The command line was used wrongly (exit status 2)."""


class WorkerFailed(MailzoneError):
    """A process of ``mailzone check --jobs`` failed or was killed: the run is incomplete."""

    exit_status: ClassVar[ExitStatus] = ExitStatus.WORKER_FAILED
