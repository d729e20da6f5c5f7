"""Where a command's answers come from: a directory of zone files, or live DNS."""

from __future__ import annotations

from pathlib import Path

from mailzone.dns.resolver import DEFAULT_RETRIES, DEFAULT_TIMEOUT, Resolver
from mailzone.errors import UsageError


def open_resolver(
    zones: str | None = None,
    nameserver: str | None = None,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    retries: int = DEFAULT_RETRIES,
    concurrency: int = 32,
) -> Resolver:
    """The resolver the command line asked for: a zone directory, or live DNS.

    Live DNS asks ``nameserver`` (``HOST[:PORT]``) when given, else the system's
    resolvers. The implementations are imported here, on demand, so that code
    which only parses records never loads dnspython's resolver.
    """
    if zones is not None and nameserver is not None:
        raise UsageError("--zones and --nameserver exclude each other: pick one")
    if zones is not None:
        from mailzone.dns.zonedir import ZoneDirResolver

        return ZoneDirResolver(Path(zones))
    from mailzone.dns.live import LiveResolver

    return LiveResolver(nameserver=nameserver, timeout=timeout, retries=retries,
                        concurrency=concurrency)
