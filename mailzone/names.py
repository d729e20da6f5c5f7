"""Domain names as the configuration, the rules and the audit accept them.

One check for "is this a fully qualified domain name we can work with",
shared by the stack config, the sender-address rule, DMARC report URIs and
``mailzone check``. (``check_host()`` has its own, looser test: RFC 7208 4.3
only asks for a multi-label name of 1-63 octet labels.)
"""

from __future__ import annotations

import ipaddress
import re

# A host-name label (RFC 1123): letters, digits and inner hyphens, 1 to 63 of them.
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
# With underscores, as names that only hold records use them (_spf, _dmarc, _domainkey).
_RECORD_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")


def domain_problem(name: str, *, underscores: bool = False) -> str | None:
    """Why ``name`` is not a fully qualified domain name, or None when it is.

    The reason reads after the name ("'localhost' is not a domain: a single
    label: ..."). ``underscores`` accepts ``_`` in labels, for names that only
    hold records (``_spf.example.net``). A trailing dot is allowed.
    """
    text = name[:-1] if name.endswith(".") else name
    try:
        ipaddress.ip_address(text)
    except ValueError:
        pass
    else:
        return "an IP address, not a domain name"
    if not text:
        return "an empty name"
    if len(text) > 253:
        return "longer than 253 characters"
    labels = text.split(".")
    if len(labels) < 2:
        return "a single label: give the full domain, such as example.org"
    pattern = _RECORD_LABEL if underscores else _LABEL
    for label in labels:
        if not pattern.match(label.lower()):
            allowed = "letters, digits, '-'" + (" and '_'" if underscores else "")
            return (f"an invalid label {label!r} ({allowed}, 1 to 63 characters, not "
                    "starting or ending with '-')")
    return None


def is_host_label(label: str) -> bool:
    """One host-name label: letters, digits and inner hyphens, 1 to 63 of them."""
    return _LABEL.match(label.lower()) is not None


def ip_literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address when ``host`` is an IP literal (``192.0.2.1``, ``[192.0.2.1]``,
    ``[IPv6:2001:db8::1]``, ``2001:db8::1``), else None."""
    text = host.strip().rstrip(".")
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    if text[:5].lower() == "ipv6:":
        text = text[5:]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None
