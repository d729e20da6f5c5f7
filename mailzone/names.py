"""Domain names as the configuration, the rules and the audit accept them.

One check for "is this a fully qualified domain name we can work with",
shared by the stack config, the sender-address rule, DMARC report URIs and
``mailzone check``. (``check_host()`` has its own, looser test: RFC 7208 4.3
only asks for a multi-label name of 1-63 octet labels.)
"""

from __future__ import annotations

import ipaddress
import re

import idna

# A host-name label (RFC 1123): letters, digits and inner hyphens, 1 to 63 of them.
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
# With underscores, as names that only hold records use them (_spf, _dmarc, _domainkey).
_RECORD_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")


def to_ascii(name: str) -> str:
    """``name`` in the form DNS carries: each label with non-ASCII characters as its
    A-label (``bücher.example`` -> ``xn--bcher-kva.example``), after UTS 46 mapping
    (nontransitional: ``ß`` stays ``ß``, as browsers and registries do). ASCII names
    are returned as given. Raises ``ValueError`` saying why a name is not one.
    """
    if name.isascii():
        return name
    trailing = "." if name.endswith((".", "。")) else ""
    try:
        mapped = idna.uts46_remap(name.rstrip(".。"), std3_rules=False, transitional=False)
        labels = [label if label.isascii() else idna.alabel(label).decode("ascii")
                  for label in mapped.split(".")]
    except (idna.IDNAError, UnicodeError) as exc:
        raise ValueError(f"not a valid international name ({exc})") from None
    return ".".join(labels) + trailing


def to_unicode(name: str) -> str:
    """The U-label form of ``name`` for people (``xn--bcher-kva.example`` -> ``bücher.example``);
    the name as given when it has no A-label or one that does not decode."""
    if "xn--" not in name.lower():
        return name
    try:
        return ".".join(idna.ulabel(label) if label.lower().startswith("xn--")
                        else label for label in name.split("."))
    except (idna.IDNAError, UnicodeError):
        return name


def display(name: str) -> str:
    """Both forms when they differ: ``xn--bcher-kva.example (bücher.example)``."""
    unicode = to_unicode(name)
    return name if unicode == name else f"{name} ({unicode})"


def domain_problem(name: str, *, underscores: bool = False) -> str | None:
    """Why ``name`` is not a fully qualified domain name, or None when it is.

    The reason reads after the name ("'localhost' is not a domain: a single
    label: ..."). ``underscores`` accepts ``_`` in labels, for names that only
    hold records (``_spf.example.net``). A trailing dot is allowed. An international
    name is judged in its A-label form (``to_ascii``).
    """
    try:
        name = to_ascii(name)
    except ValueError as exc:
        return str(exc)
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
    if ":" not in text and not text[:1].isdigit():
        # Neither IPv6 (it has a colon) nor IPv4 (it starts with a digit): a host name,
        # the common case, told without the exception ipaddress raises for it.
        return None
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def is_under(name: str, domain: str) -> bool:
    """Whether ``name`` is ``domain`` or a name below it (case and trailing dots aside)."""
    name, domain = name.rstrip(".").lower(), domain.rstrip(".").lower()
    return bool(domain) and (name == domain or name.endswith("." + domain))
