"""The options several commands share, stated once: their help and their checks.

Light on purpose: every command's parser imports it, and ``--help`` must stay fast.
"""

from __future__ import annotations

from mailzone.errors import UsageError

#: ``--nameserver``'s help, as ``dns.live.parse_nameserver`` reads the value.
NAMESERVER_HELP = ("by address or host name, on port 53 unless :PORT follows")


def checked_seconds(option: str, value: float) -> float:
    """``value`` when it is a finite number of seconds above 0, else a ``UsageError``."""
    if not 0 < value < float("inf"):
        raise UsageError(f"{option} {value:g}: give a number of seconds above 0")
    return value


def checked_count(option: str, value: int, minimum: int) -> int:
    """``value`` when it is ``minimum`` or more, else a ``UsageError``."""
    if value < minimum:
        raise UsageError(f"{option} {value}: give {minimum} or more")
    return value
