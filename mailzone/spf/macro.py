"""Macro expansion (RFC 7208 section 7).

Expansion needs the identities of the check (sender, current domain, client
IP, HELO name) and, for ``%{p}`` only, DNS: the caller passes ``validated_name``,
which answers ``%{p}`` however its evaluation asks DNS (``mailzone.spf.check``).
A macro-string that is plain text is returned as it is.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable
from typing import NamedTuple
from urllib.parse import quote

from mailzone.spf.terms import Escape, IPAddress, Macro, MacroString

MAX_DOMAIN_LENGTH = 253


class MacroContext(NamedTuple):
    """What the macro letters stand for during one check (one per record evaluated:
    a named tuple, the cheapest immutable value to build)."""

    sender: str  # local-part@domain, postmaster substituted when the local-part is empty
    domain: str  # the current domain (d)
    ip: IPAddress
    helo: str = "unknown"
    receiver: str = "unknown"

    @property
    def local_part(self) -> str:
        return self.sender.rpartition("@")[0] or "postmaster"

    @property
    def sender_domain(self) -> str:
        return self.sender.rpartition("@")[2]


def ip_for_i(ip: IPAddress) -> str:
    """``%{i}``: dotted quad, or 32 dot-separated nibbles for IPv6 (7.3)."""
    if isinstance(ip, ipaddress.IPv4Address):
        return str(ip)
    # Upper-case nibbles, as in the RFC's own example (7.4); DNS ignores case anyway.
    return ".".join(ip.exploded.replace(":", "").upper())


def ip_for_c(ip: IPAddress) -> str:
    """``%{c}``: the address as people write it (exp text only)."""
    return str(ip)


def expand(
    spec: MacroString,
    context: MacroContext,
    validated_name: Callable[[], str] | None = None,
) -> str:
    """Expand a macro-string. ``validated_name`` answers ``%{p}`` (default: ``unknown``)."""
    plain = spec.literal()
    if plain is not None:
        return plain
    out: list[str] = []
    for part in spec.parts:
        if isinstance(part, str):
            out.append(part)
        elif isinstance(part, Escape):
            out.append(part.expansion)
        else:
            out.append(_expand_macro(part, context, validated_name))
    return "".join(out)


def _expand_macro(
    macro: Macro,
    context: MacroContext,
    validated_name: Callable[[], str] | None,
) -> str:
    letter = macro.letter.lower()
    value: str
    if letter == "s":
        value = context.sender
    elif letter == "l":
        value = context.local_part
    elif letter == "o":
        value = context.sender_domain
    elif letter == "d":
        value = context.domain
    elif letter == "i":
        value = ip_for_i(context.ip)
    elif letter == "p":
        value = validated_name() if validated_name else "unknown"
    elif letter == "v":
        value = "in-addr" if isinstance(context.ip, ipaddress.IPv4Address) else "ip6"
    elif letter == "h":
        value = context.helo
    elif letter == "c":
        value = ip_for_c(context.ip)
    elif letter == "r":
        value = context.receiver
    else:  # "t"; the parser admits no other letter
        value = str(int(time.time()))
    value = transform(value, macro)
    if macro.letter.isupper():
        # RFC 3986 unreserved characters stay; everything else is %-escaped (7.3).
        value = quote(value, safe="-._~")
    return value


def transform(value: str, macro: Macro) -> str:
    """Split on the delimiters, reverse, keep the right-most parts, join with dots (7.3)."""
    if macro.digits is None and not macro.reverse and not macro.delimiters:
        return value
    delimiters = macro.delimiters or "."
    parts = [value]
    for delimiter in delimiters:
        parts = [piece for part in parts for piece in part.split(delimiter)]
    if macro.reverse:
        parts.reverse()
    if macro.digits is not None and macro.digits < len(parts):
        parts = parts[-macro.digits:]
    return ".".join(parts)


def truncate_domain(name: str) -> str:
    """Drop left-hand labels until the name fits 253 characters (7.3)."""
    while len(name) > MAX_DOMAIN_LENGTH and "." in name:
        name = name.split(".", 1)[1]
    return name
