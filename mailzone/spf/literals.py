"""IP literals in an SPF record: ``ip4:``/``ip6:`` terms, and addresses written
where a domain belongs (``a:192.0.2.1``, ``redirect=192.0.2.1``).

The scan is tolerant: it reads terms even from a record the grammar rejects,
so an address is reported whatever else is wrong with the record.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import lru_cache

from mailzone.names import ip_literal
from mailzone.spf.terms import TEXTS_KEPT

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
_DOMAIN_TERMS = frozenset({"a", "mx", "include", "exists", "ptr"})
_QUALIFIERS = "+-~?"


@dataclass(frozen=True, slots=True)
class IpTerm:
    term: str
    network: IPNetwork


def split_term(term: str) -> tuple[str, str]:
    """(name, argument) of a term: ``-ip4:192.0.2.0/24`` -> ``("ip4", "192.0.2.0/24")``."""
    body = term.lstrip(_QUALIFIERS)
    for i, ch in enumerate(body):
        if ch in ":/=":
            return body[:i].lower(), body[i + 1 :] if ch in ":=" else body[i:]
    return body.lower(), ""


# The records of a stack repeat (one SPF text for many domains) and the lint, the house
# rule and the pack each scan the same text: each distinct text is scanned once. The
# answer is a tuple of frozen terms, so the callers that share it cannot change it.
@lru_cache(maxsize=TEXTS_KEPT)
def ip_literal_terms(text: str) -> tuple[IpTerm, ...]:
    """Every term of a record that names an IP address, grammar or no grammar."""
    out: list[IpTerm] = []
    for term in text.split()[1:]:
        name, argument = split_term(term)
        if name in ("ip4", "ip6"):
            try:
                out.append(IpTerm(term, ipaddress.ip_network(argument, strict=False)))
            except ValueError:
                continue  # not an address at all: the grammar check reports it
        elif name in _DOMAIN_TERMS or name == "redirect":
            host = argument.split("/", 1)[0] if not argument.startswith("[") else argument
            address = ip_literal(host.split("]/", 1)[0] + ("]" if "]/" in host else ""))
            if address is not None:
                out.append(IpTerm(term, ipaddress.ip_network(address)))
    return tuple(out)
