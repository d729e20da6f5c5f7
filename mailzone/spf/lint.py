"""Judge an SPF record: the findings every part of mailzone reports.

``lint_record`` looks at a record text alone (no DNS): grammar, IP literals,
``+all``, a missing ``all``, ``ptr``, a redirect beside ``all``, string and answer
sizes. What a record costs is the budget's business, counted the most exact way
the caller can: ``lint_duplicate_includes`` and ``lint_own_lookups`` from the
text alone (``lint_offline`` is all three), the catalogue's include costs
(``rules.spfpolicy``), or the walked tree (``Budget.findings``).
``lint_txt_values`` looks at all TXT values of one name (one SPF record only).
``lint_tree`` adds the lookup budget of the whole include tree through a resolver.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from functools import lru_cache

from mailzone.dns.resolver import Resolver
from mailzone.dns.txt import MAX_STRING, octets
from mailzone.errors import SpfSyntaxError
from mailzone.findings import LISTED, Finding, listing
from mailzone.registry import (
    SPF_DEPRECATED_MACRO,
    SPF_DUPLICATE_INCLUDE,
    SPF_IP_LITERAL,
    SPF_LOOKUP_LIMIT,
    SPF_MULTIPLE_RECORDS,
    SPF_NEAR_SIZE_LIMIT,
    SPF_NO_ALL,
    SPF_PLUS_ALL,
    SPF_PTR,
    SPF_REDIRECT_IGNORED,
    SPF_STRING_TOO_LONG,
    SPF_SYNTAX,
    SPF_TOO_LARGE,
    SPF_UNKNOWN_MODIFIER,
)
from mailzone.spf.budget import Budget, static_cost, walk
from mailzone.spf.check import RFC_LIMITS
from mailzone.spf.literals import ip_literal_terms, split_term
from mailzone.spf.parser import is_spf, parse
from mailzone.spf.terms import TEXTS_KEPT, Kind, Qualifier, Record

KNOWN_MODIFIERS = frozenset({"redirect", "exp"})
# RFC 7208 3.4: keep the answer within 512 octets; 450 leaves room for the rest of it.
SAFE_SIZE = 450
UDP_SIZE = 512
INCLUDE_HINT = (
    "use the sending service's include: instead (for example include:amazonses.com): "
    "providers change their addresses, an include follows them"
)
def lint_record(
    text: str,
    *,
    domain: str | None = None,
    strings: Sequence[str] | None = None,
) -> list[Finding]:
    """Findings for one record text, without DNS.

    ``strings`` are the record's TXT character-strings when known (a Route 53
    value, a desired record); each must fit 255 octets.
    """
    found = _lint_text(text, None if strings is None else tuple(strings))
    # The judgement is the text's; only where it is placed is the caller's.
    return [finding.at(domain) for finding in found] if domain else list(found)


# The records of a stack repeat (one SPF text for many domains, judged by several faces):
# each distinct text, with its strings, is judged once. Findings are frozen and the
# tuple is copied into each caller's own list, so no caller can change another's.
@lru_cache(maxsize=TEXTS_KEPT)
def _lint_text(text: str, strings: tuple[str, ...] | None) -> tuple[Finding, ...]:
    """``lint_record``'s findings, placed nowhere (``where`` empty)."""
    where = ""
    found: list[Finding] = []
    # An address where a domain belongs (a:192.0.2.1): the grammar rejects it, but it
    # deserves its own message; ip4:/ip6: terms are judged with the parsed record.
    hosts = {literal.term: literal for literal in ip_literal_terms(text)
             if split_term(literal.term)[0] not in ("ip4", "ip6")}
    kept: list[str] = []
    for term in text.split(" "):
        literal = hosts.get(term)
        if literal is None:
            kept.append(term)
            continue
        found.append(SPF_IP_LITERAL.error(
            f"'{term}' names the host by its address {literal.network.network_address}, "
            f"which the grammar does not allow (receivers return permerror); {INCLUDE_HINT}",
            where,
        ))
    try:
        # Lint the rest of the record even when a term named an address.
        record: Record | None = parse(" ".join(kept))
    except SpfSyntaxError as exc:
        found.append(SPF_SYNTAX.error(f"{exc.describe()}: receivers return permerror",
                                      where))
        record = None
    if record is not None:
        found.extend(_lint_parsed(record, where))
    # Strings and size are judged whatever the grammar says: each is a problem of its own.
    for string in strings or ():
        if octets(string) > MAX_STRING:
            found.append(SPF_STRING_TOO_LONG.error(
                f"a TXT string of {octets(string)} octets; each string holds at most "
                f"{MAX_STRING}: split the value into several strings",
                where,
            ))
    size = octets(text)
    if size > UDP_SIZE:
        found.append(SPF_TOO_LARGE.error(
            f"the record is {size} octets; over {UDP_SIZE} the answer may not fit a UDP "
            "response. Remove senders or move some to a subdomain.",
            where,
        ))
    elif size > SAFE_SIZE:
        found.append(SPF_NEAR_SIZE_LIMIT.warning(
            f"the record is {size} octets; keep it under {SAFE_SIZE} so the whole answer "
            f"fits {UDP_SIZE}",
            where,
        ))
    return tuple(found)


def _lint_parsed(record: Record, where: str) -> list[Finding]:
    found: list[Finding] = []
    literals = [str(m) for m in record.mechanisms if m.kind in (Kind.IP4, Kind.IP6)]
    if len(literals) > LISTED:
        found.append(SPF_IP_LITERAL.error(
            f"{len(literals):,} terms hard-code mail server addresses ({listing(literals)}); "
            f"{INCLUDE_HINT}",
            where,
        ))
        literals = []
    for literal in literals:
        found.append(SPF_IP_LITERAL.error(
            f"'{literal}' hard-codes a mail server address; {INCLUDE_HINT}", where))
    for mechanism in record.mechanisms:
        if mechanism.kind is Kind.PTR:
            found.append(SPF_PTR.warning(
                f"'{mechanism}': ptr is slow and unreliable, and RFC 7208 5.5 says not to use "
                "it; use include: or a instead",
                where,
            ))
        if mechanism.domain is not None and "p" in mechanism.domain.letters:
            found.append(SPF_DEPRECATED_MACRO.warning(
                f"'{mechanism}' uses the %{{p}} macro, which RFC 7208 7.3 says not to use",
                where,
            ))
    all_term = record.all
    if all_term is not None and all_term.qualifier is Qualifier.PASS:
        found.append(SPF_PLUS_ALL.error(
            f"'{all_term}' lets every host on the internet send as this domain; "
            "end with ~all or -all",
            where,
        ))
    if all_term is None and record.redirect is None:
        found.append(SPF_NO_ALL.warning(
            "the record has no 'all' and no redirect=: mail from other hosts gets neutral. "
            "End it with ~all or -all",
            where,
        ))
    if all_term is not None and record.redirect is not None:
        found.append(SPF_REDIRECT_IGNORED.warning(
            f"'{record.redirect}' is never used because the record has '{all_term}'; "
            "remove one of them",
            where,
        ))
    for modifier in record.modifiers:
        if modifier.name not in KNOWN_MODIFIERS:
            found.append(SPF_UNKNOWN_MODIFIER.warning(
                f"'{modifier}' is not a modifier receivers know; they ignore it",
                where,
            ))
    return found


def lint_duplicate_includes(text: str, *, domain: str | None = None) -> list[Finding]:
    """``spf-duplicate-include`` for an include the record itself repeats (no DNS).

    A walked tree counts repeats across the whole tree instead (``Budget.findings``).
    A record that does not parse has none (``lint_record`` reports the grammar).
    """
    try:
        record = parse(text)
    except SpfSyntaxError:
        return []
    includes = Counter(record.include_targets)
    return [
        SPF_DUPLICATE_INCLUDE.warning(
            f"include:{target} appears {count} times; each costs lookups again. Keep one.",
            domain or "",
        )
        for target, count in includes.items() if count > 1
    ]


def lint_own_lookups(text: str, *, domain: str | None = None) -> list[Finding]:
    """``spf-lookup-limit`` for a record whose own terms exceed 10 (includes at 1, no DNS).

    The figure without any include's tree: ``mailzone spf lint`` without a resolver.
    The catalogue's costs (``rules.spfpolicy.check_lookup_budget``) and a walked tree
    (``Budget.findings``) count more exactly where they are known.
    """
    try:
        record = parse(text)
    except SpfSyntaxError:
        return []
    lookups = static_cost(record, {})
    if lookups <= RFC_LIMITS.lookups:
        return []
    return [SPF_LOOKUP_LIMIT.error(
        f"the record itself has {lookups} DNS-querying terms; receivers stop at "
        f"{RFC_LIMITS.lookups} and return permerror",
        domain or "",
    )]


def lint_offline(
    text: str, *, domain: str | None = None, strings: Sequence[str] | None = None
) -> list[Finding]:
    """Everything the engine can say of a record without DNS: the text and its own budget."""
    return [*lint_record(text, domain=domain, strings=strings),
            *lint_duplicate_includes(text, domain=domain),
            *lint_own_lookups(text, domain=domain)]


def lint_txt_values(values: Sequence[str], *, domain: str = "") -> list[Finding]:
    """Findings for all TXT values published at one name."""
    spf = [value for value in values if is_spf(value)]
    found: list[Finding] = []
    if len(spf) > 1:
        found.append(SPF_MULTIPLE_RECORDS.error(
            f"{len(spf)} v=spf1 records at this name; receivers return permerror. "
            "Merge them into one.",
            domain,
        ))
    for value in spf:
        found.extend(lint_record(value, domain=domain or None))
    return found


async def lint_tree(
    text: str, resolver: Resolver, *, domain: str | None = None,
    strings: Sequence[str] | None = None,
) -> tuple[list[Finding], Budget | None]:
    """``lint_record`` plus the lookup budget of the whole tree through ``resolver``."""
    found = lint_record(text, domain=domain, strings=strings)
    try:
        budget = await walk(resolver, domain=domain, record=text)
    except SpfSyntaxError:
        return found, None
    # The tree counts the lookups and repeated includes of the record and below.
    found.extend(budget.findings())
    return found, budget
