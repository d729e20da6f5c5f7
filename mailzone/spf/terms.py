"""The parts of an SPF record (RFC 7208 section 12), as immutable values.

A record is a version and a sequence of terms; a term is a directive (an
optional qualifier and a mechanism) or a modifier. Domain-specs and
explain-strings are macro-strings (section 7), kept as parsed parts so the
evaluator can expand them and the formatter can write them back.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from typing import Final

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

VERSION = "v=spf1"

#: The distinct record texts each of the SPF package's per-text caches keeps (the
#: parser's, the lint's, the literal scan's, the budget's plans): the texts of the domains
#: in flight and the providers'. A larger bound only makes a long audit's memory grow,
#: as the texts kept fill it slowly (bench/README.md, "Memory").
TEXTS_KEPT: Final = 256


class Qualifier(StrEnum):
    PASS = "+"
    FAIL = "-"
    SOFTFAIL = "~"
    NEUTRAL = "?"


class Kind(StrEnum):
    """The eight mechanisms."""

    ALL = "all"
    INCLUDE = "include"
    A = "a"
    MX = "mx"
    PTR = "ptr"
    IP4 = "ip4"
    IP6 = "ip6"
    EXISTS = "exists"


# Mechanisms and modifiers that cost a DNS-querying term (RFC 7208 4.6.4).
LOOKUP_KINDS = frozenset({Kind.INCLUDE, Kind.A, Kind.MX, Kind.PTR, Kind.EXISTS})


@dataclass(frozen=True, slots=True)
class Macro:
    """A macro-expand: ``%{<letter><digits>[r]<delimiters>}``.

    ``letter`` keeps its case: an upper-case letter means the expansion is
    URL-escaped (RFC 7208 7.3).
    """

    letter: str
    digits: int | None = None
    reverse: bool = False
    delimiters: str = ""

    def __str__(self) -> str:
        digits = "" if self.digits is None else str(self.digits)
        return f"%{{{self.letter}{digits}{'r' if self.reverse else ''}{self.delimiters}}}"


@dataclass(frozen=True, slots=True)
class Escape:
    """``%%``, ``%_`` or ``%-``: a literal ``%``, a space, or ``%20``."""

    char: str  # "%", "_" or "-"

    @property
    def expansion(self) -> str:
        return {"%": "%", "_": " ", "-": "%20"}[self.char]

    def __str__(self) -> str:
        return f"%{self.char}"


MacroPart = str | Macro | Escape


@dataclass(frozen=True, slots=True)
class MacroString:
    """A domain-spec or explain-string: literal text, macros and escapes."""

    parts: tuple[MacroPart, ...]

    @property
    def has_macros(self) -> bool:
        return any(isinstance(part, Macro) for part in self.parts)

    @property
    def letters(self) -> set[str]:
        return {part.letter.lower() for part in self.parts if isinstance(part, Macro)}

    def literal(self) -> str | None:
        """The text when there is nothing to expand, else None."""
        if any(not isinstance(part, str) for part in self.parts):
            return None
        return "".join(part for part in self.parts if isinstance(part, str))

    def __str__(self) -> str:
        return "".join(str(part) for part in self.parts)


@dataclass(frozen=True, slots=True)
class Mechanism:
    """A directive: ``[qualifier] mechanism``.

    ``domain`` is the domain-spec of ``include``, ``exists``, ``a``, ``mx`` and
    ``ptr`` (None where the current domain applies). ``address`` and the CIDR
    lengths belong to ``ip4``/``ip6`` (one length) and ``a``/``mx`` (both).
    ``explicit_qualifier`` only remembers whether the ``+`` was written.
    """

    kind: Kind
    qualifier: Qualifier = Qualifier.PASS
    domain: MacroString | None = None
    address: IPAddress | None = None
    ip4_cidr: int | None = None
    ip6_cidr: int | None = None
    explicit_qualifier: bool = False
    position: int = field(default=0, compare=False)
    #: The term as written, made once: the budget's walk and the lint write every term
    #: of every tree, and parsed records (so their terms) are shared across domains.
    text: str = field(default="", init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", _mechanism_text(self))

    @property
    def costs_lookup(self) -> bool:
        return self.kind in LOOKUP_KINDS

    def network(self) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
        """The network of an ip4/ip6 term (host bits cleared, as receivers match)."""
        if self.address is None:
            raise ValueError(f"{self.kind} has no address")
        if isinstance(self.address, ipaddress.IPv4Address):
            prefix = 32 if self.ip4_cidr is None else self.ip4_cidr
        else:
            prefix = 128 if self.ip6_cidr is None else self.ip6_cidr
        return _network(self.address, prefix)

    def __str__(self) -> str:
        return self.text


def _mechanism_text(mechanism: Mechanism) -> str:
    """A mechanism as written (``Mechanism.text``)."""
    qualifier = mechanism.qualifier.value if (
        mechanism.explicit_qualifier or mechanism.qualifier is not Qualifier.PASS) else ""
    text = f"{qualifier}{mechanism.kind.value}"
    if mechanism.address is not None:
        text += f":{mechanism.address}"
    elif mechanism.domain is not None:
        text += f":{mechanism.domain}"
    if mechanism.ip4_cidr is not None:
        text += f"/{mechanism.ip4_cidr}"
    if mechanism.ip6_cidr is not None:
        text += (f"//{mechanism.ip6_cidr}" if mechanism.kind in (Kind.A, Kind.MX)
                 else f"/{mechanism.ip6_cidr}")
    return text


@dataclass(frozen=True, slots=True)
class Modifier:
    """``name=macro-string``: ``redirect``, ``exp`` or an unknown modifier.

    ``name`` is lower case (modifier names are case-insensitive).
    """

    name: str
    value: MacroString
    position: int = field(default=0, compare=False)

    def __str__(self) -> str:
        return f"{self.name}={self.value}"


Term = Mechanism | Modifier


@lru_cache(maxsize=512)
def _network(address: IPAddress, prefix: int) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    return ipaddress.ip_network((address, prefix), strict=False)


@dataclass(frozen=True, slots=True)
class Record:
    """A parsed ``v=spf1`` record."""

    terms: tuple[Term, ...]

    @property
    def mechanisms(self) -> tuple[Mechanism, ...]:
        return tuple(term for term in self.terms if isinstance(term, Mechanism))

    @property
    def modifiers(self) -> tuple[Modifier, ...]:
        return tuple(term for term in self.terms if isinstance(term, Modifier))

    def modifier(self, name: str) -> Modifier | None:
        for term in self.terms:
            if isinstance(term, Modifier) and term.name == name:
                return term
        return None

    @property
    def include_targets(self) -> tuple[str, ...]:
        """The domain-specs of the record's ``include`` terms, lower case, in order."""
        return tuple(str(m.domain).lower() for m in self.mechanisms
                     if m.kind is Kind.INCLUDE and m.domain is not None)

    @property
    def redirect(self) -> Modifier | None:
        return self.modifier("redirect")

    @property
    def exp(self) -> Modifier | None:
        return self.modifier("exp")

    @property
    def all(self) -> Mechanism | None:
        for mechanism in self.mechanisms:
            if mechanism.kind is Kind.ALL:
                return mechanism
        return None

    def __str__(self) -> str:
        return " ".join([VERSION, *(str(term) for term in self.terms)])
