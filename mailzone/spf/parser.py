"""Parse SPF records per the RFC 7208 ABNF (section 12), and write them back.

``parse`` turns a record text into a ``Record`` of terms or raises
``SpfSyntaxError`` with the position of the problem and a message a person can
act on. Whatever the input (any string, any bytes), nothing else escapes.
``str(record)`` writes a record back in canonical form (lower-case names, the
``+`` qualifier only where it was written); ``parse(str(parse(x))) == parse(x)``.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
from collections.abc import Callable
from functools import lru_cache, partial

from mailzone.errors import SpfSyntaxError
from mailzone.spf.terms import (
    TEXTS_KEPT,
    VERSION,
    Escape,
    IPAddress,
    Kind,
    Macro,
    MacroPart,
    MacroString,
    Mechanism,
    Modifier,
    Qualifier,
    Record,
    Term,
)

_QUALIFIERS = {q.value: q for q in Qualifier}
_KINDS = {k.value: k for k in Kind}
_MODIFIER = re.compile(r"([A-Za-z][A-Za-z0-9\-_.]*)=(.*)", re.DOTALL)
_MECHANISM_NAME = re.compile(r"[A-Za-z0-9]*")
_MACRO_LETTERS = frozenset("slodiphcrtv")
_EXP_ONLY_LETTERS = frozenset("crt")
_DELIMITERS = frozenset(".-+,/_=")
# qnum: 0-255 without leading zeros.
_QNUM = r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9][0-9]|[0-9])"
_IP4_NETWORK = re.compile(rf"{_QNUM}\.{_QNUM}\.{_QNUM}\.{_QNUM}")
# ip4-cidr-length / ip6-cidr-length: no leading zeros.
_CIDR = r"(?:0|[1-9][0-9]*)"
_DUAL_CIDR = re.compile(rf"(?P<spec>.*?)(?:/(?P<v4>{_CIDR}))?(?://(?P<v6>{_CIDR}))?", re.DOTALL)
_TOPLABEL = re.compile(
    r"(?:[A-Za-z0-9]*[A-Za-z][A-Za-z0-9]*|[A-Za-z0-9]+-[A-Za-z0-9\-]*[A-Za-z0-9])"
)


def is_spf(text: str) -> bool:
    """True when a TXT value is an SPF record: ``v=spf1`` then a space or the end (4.5)."""
    return text[:6].lower() == VERSION and (len(text) == 6 or text[6] == " ")


def parse(text: str | bytes) -> Record:
    """Parse a complete record (``v=spf1 ...``).

    Records are immutable values, so parses of the same text are shared: an
    evaluation meets the same provider records again and again.
    """
    if isinstance(text, str):
        return _parse_text(text)
    return _parse(text)


# A domain's own text is asked again while its checks run (32 domains at a time),
# providers' all the time: both stay in the bound.
@lru_cache(maxsize=TEXTS_KEPT)
def _parse_text(text: str) -> Record:
    return _parse(text)


def _parse(text: str | bytes) -> Record:
    if isinstance(text, bytes):
        raw = text
        try:
            text = raw.decode("ascii")
        except UnicodeDecodeError as exc:
            raise SpfSyntaxError(
                "the record has a byte that is not ASCII; SPF records are ASCII only",
                raw.decode("ascii", errors="replace"),
                exc.start,
            ) from None
    if not is_spf(text):
        raise SpfSyntaxError(
            "an SPF record starts with 'v=spf1' followed by a space or the end", text, 0
        )
    terms: list[Term] = []
    position = len(VERSION)
    for match in re.finditer(r"[^ ]+", text[position:]):
        terms.append(parse_term(match.group(), text, position + match.start()))
    record = Record(tuple(terms))
    _check_modifiers(record, text)
    return record


def parse_term(term: str, record: str = "", position: int = 0) -> Term:
    """Parse one term; ``record`` and ``position`` only place errors in context."""
    context = record or term
    if not term:
        raise SpfSyntaxError("an empty term: terms are separated by single spaces", context,
                             position)
    bad = next((i for i, ch in enumerate(term) if not 0x21 <= ord(ch) <= 0x7E), None)
    if bad is not None:
        raise SpfSyntaxError(
            f"term {term!r} has the character {term[bad]!r}; only visible ASCII is allowed",
            context,
            position + bad,
        )
    modifier = _MODIFIER.fullmatch(term)
    if modifier is not None:
        name, value = modifier.group(1).lower(), modifier.group(2)
        offset = position + len(modifier.group(1)) + 1
        if name in ("redirect", "exp"):
            return Modifier(name, _domain_spec(value, context, offset, allow_empty=False), position)
        return Modifier(name, _macro_string(value, context, offset), position)
    return _mechanism(term, context, position)


def _mechanism(term: str, context: str, position: int) -> Mechanism:
    qualifier = _QUALIFIERS.get(term[0])
    start = 1 if qualifier else 0
    name_match = _MECHANISM_NAME.match(term, start)
    assert name_match is not None  # the pattern matches the empty string
    name = name_match.group().lower()
    kind = _KINDS.get(name)
    if kind is None:
        raise SpfSyntaxError(_unknown_mechanism(term, name), context, position + start)
    rest = term[name_match.end():]
    at = position + name_match.end()
    make = partial(
        Mechanism,
        kind,
        qualifier=qualifier or Qualifier.PASS,
        explicit_qualifier=qualifier is not None,
        position=position,
    )
    domain: MacroString | None = None
    if kind is Kind.ALL:
        if rest:
            raise SpfSyntaxError(f"'all' takes no argument, got {term!r}", context, at)
        return make()
    if kind in (Kind.INCLUDE, Kind.EXISTS):
        if not rest.startswith(":"):
            raise SpfSyntaxError(
                f"'{name}' needs a domain: write '{name}:<domain>'", context, at
            )
        domain = _domain_spec(rest[1:], context, at + 1, allow_empty=False)
        return make(domain=domain)
    if kind in (Kind.IP4, Kind.IP6):
        return _ip_mechanism(make, kind, rest, context, at)
    if kind is Kind.PTR:
        if rest:
            if not rest.startswith(":"):
                raise SpfSyntaxError(f"'ptr' takes ':<domain>', got {rest!r}", context, at)
            domain = _domain_spec(rest[1:], context, at + 1, allow_empty=False)
        return make(domain=domain)
    # a and mx: [":" domain-spec] [dual-cidr-length]
    if rest and rest[0] not in ":/":
        raise SpfSyntaxError(
            f"'{name}' is followed by ':<domain>' or a CIDR length, got {rest!r}", context, at
        )
    dual = _DUAL_CIDR.fullmatch(rest)
    assert dual is not None  # the pattern matches every string
    spec = dual.group("spec")
    if spec:
        if not spec.startswith(":"):
            raise SpfSyntaxError(
                f"bad CIDR length in {term!r}: write /<0-32> and //<0-128>, without leading "
                "zeros",
                context,
                at,
            )
        domain = _domain_spec(spec[1:], context, at + 1, allow_empty=False)
    ip4_cidr = _cidr(dual.group("v4"), 32, term, context, at)
    ip6_cidr = _cidr(dual.group("v6"), 128, term, context, at)
    return make(domain=domain, ip4_cidr=ip4_cidr, ip6_cidr=ip6_cidr)


def _ip_mechanism(
    make: Callable[..., Mechanism], kind: Kind, rest: str, context: str, at: int
) -> Mechanism:
    name = kind.value
    if not rest.startswith(":"):
        raise SpfSyntaxError(f"'{name}' needs an address: write '{name}:<address>[/<prefix>]'",
                             context, at)
    network, slash, length = rest[1:].partition("/")
    limit = 32 if kind is Kind.IP4 else 128
    prefix = _cidr(length, limit, rest, context, at + 2 + len(network)) if slash else None
    address: IPAddress
    if kind is Kind.IP4:
        if not _IP4_NETWORK.fullmatch(network):
            raise SpfSyntaxError(f"{network!r} is not an IPv4 address (ip4:a.b.c.d[/len])",
                                 context, at + 1)
        address = ipaddress.IPv4Address(network)
        return make(address=address, ip4_cidr=prefix)
    try:
        if "%" in network:  # Python accepts scope ids ("fe80::1%eth0"); RFC 4291 does not
            raise ValueError(network)
        address = ipaddress.IPv6Address(network)
    except ValueError:
        raise SpfSyntaxError(f"{network!r} is not an IPv6 address (ip6:<address>[/len])",
                             context, at + 1) from None
    return make(address=address, ip6_cidr=prefix)


def _cidr(text: str | None, limit: int, term: str, context: str, at: int) -> int | None:
    if text is None:
        return None
    if not re.fullmatch(_CIDR, text) or int(text) > limit:
        raise SpfSyntaxError(
            f"bad CIDR length '/{text}' in {term!r}: a number 0-{limit} without leading zeros",
            context,
            at,
        )
    return int(text)


def _domain_spec(text: str, context: str, at: int, *, allow_empty: bool) -> MacroString:
    """A domain-spec: a macro-string ending in a top label or a macro (section 7.1)."""
    if not text and not allow_empty:
        raise SpfSyntaxError("a domain is required here", context, at)
    spec = _macro_string(text, context, at, domain=True)
    last = spec.parts[-1] if spec.parts else ""
    if isinstance(last, str):
        # The literal tail must end in "." toplabel ["."]; single-label names are not domains.
        tail = last[:-1] if last.endswith(".") else last
        dot = tail.rfind(".")
        if dot < 0 and len(spec.parts) == 1:
            raise SpfSyntaxError(
                f"{text!r} is not a domain name: it needs at least two labels (like example.com)",
                context,
                at,
            )
        if dot < 0 or not _TOPLABEL.fullmatch(tail[dot + 1:]):
            raise SpfSyntaxError(
                f"{text!r} does not end in a valid top label (letters, digits and inner hyphens,"
                " not all digits)",
                context,
                at,
            )
    return spec


def _macro_string(text: str, context: str, at: int, *, domain: bool = False,
                  explain: bool = False) -> MacroString:
    """Parse a macro-string (or an explain-string with ``explain``, which allows spaces)."""
    parts: list[MacroPart] = []
    literal: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch != "%":
            if not (0x21 <= ord(ch) <= 0x7E or (explain and ch == " ")):
                raise SpfSyntaxError(f"character {ch!r} is not allowed here", context, at + i)
            literal.append(ch)
            i += 1
            continue
        if literal:
            parts.append("".join(literal))
            literal = []
        nxt = text[i + 1 : i + 2]
        if nxt in ("%", "_", "-"):
            parts.append(Escape(nxt))
            i += 2
            continue
        if nxt != "{":
            raise SpfSyntaxError(
                "'%' starts a macro: write '%{letter}', or '%%' for a literal percent sign",
                context,
                at + i,
            )
        end = text.find("}", i + 2)
        if end < 0:
            raise SpfSyntaxError("macro '%{' is not closed with '}'", context, at + i)
        parts.append(_macro(text[i + 2 : end], context, at + i, exp_allowed=not domain))
        i = end + 1
    if literal:
        parts.append("".join(literal))
    return MacroString(tuple(parts))


def _macro(body: str, context: str, at: int, *, exp_allowed: bool) -> Macro:
    match = re.fullmatch(r"([A-Za-z])([0-9]*)([rR]?)(.*)", body, re.DOTALL)
    if match is None or match.group(1).lower() not in _MACRO_LETTERS:
        raise SpfSyntaxError(
            f"'%{{{body}}}' is not a macro: the letter must be one of s l o d i p h v"
            " (c r t in exp= text only)",
            context,
            at,
        )
    letter, digits, reverse, delimiters = match.groups()
    if letter.lower() in _EXP_ONLY_LETTERS and not exp_allowed:
        raise SpfSyntaxError(
            f"the macro letter '{letter}' is allowed only in explanation text", context, at
        )
    if digits and int(digits) == 0:
        raise SpfSyntaxError(f"'%{{{body}}}': the number of parts must not be zero", context, at)
    if any(ch not in _DELIMITERS for ch in delimiters):
        raise SpfSyntaxError(
            f"'%{{{body}}}': delimiters are any of . - + , / _ =", context, at
        )
    return Macro(letter, int(digits) if digits else None, bool(reverse), delimiters)


def parse_explanation(text: str) -> MacroString:
    """Parse an explain-string: the TXT fetched for ``exp=`` (section 6.2)."""
    return _macro_string(text, text, 0, explain=True)


def _check_modifiers(record: Record, text: str) -> None:
    for name in ("redirect", "exp"):
        seen = [m for m in record.modifiers if m.name == name]
        if len(seen) > 1:
            raise SpfSyntaxError(f"'{name}=' may appear only once in a record", text,
                                 seen[1].position)


def _unknown_mechanism(term: str, name: str) -> str:
    close = difflib.get_close_matches(name, list(_KINDS), n=1, cutoff=0.6)
    hint = f"; did you mean '{close[0]}'?" if close else (
        "; mechanisms are all, include, a, mx, ptr, ip4, ip6, exists"
    )
    return f"unknown mechanism in {term!r}{hint}"
