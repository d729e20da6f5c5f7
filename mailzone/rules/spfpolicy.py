"""SPF rules of house policy, on top of the SPF engine: how a record authorises.

- ``check_spf_ip_literals``: ``ip4:``/``ip6:`` terms, and ``a:``/``mx:`` (or any
  domain-spec) naming an IP literal. When the address lies in a range a
  catalogue sender publishes, the finding names that sender's include.
- ``check_include_only``: mechanisms other than ``include`` and ``all`` (and
  the ``redirect=`` modifier), each configurable.
- ``check_lookup_budget``: the record's DNS lookups computed offline from the
  catalogue's include costs, against a maximum and a headroom.

The scans are tolerant: they read terms even from a record the grammar
rejects, so an address is reported whatever else is wrong (``lint_record``
reports the grammar).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Collection, Mapping
from functools import cache, lru_cache

from mailzone.dns.resolver import normalize_name
from mailzone.errors import SpfSyntaxError
from mailzone.findings import Finding
from mailzone.mail import catalogue
from mailzone.registry import (
    SPF_IP_LITERAL,
    SPF_LOOKUP_HEADROOM,
    SPF_LOOKUP_LIMIT,
    SPF_NOT_INCLUDE_ONLY,
)
from mailzone.rules.mailhost import IPNetwork, in_networks
from mailzone.spf.budget import StaticCost, static_costs
from mailzone.spf.check import RFC_LIMITS
from mailzone.spf.literals import ip_literal_terms, split_term
from mailzone.spf.parser import parse

RFC_LOOKUP_LIMIT = RFC_LIMITS.lookups
DEFAULT_HEADROOM = 8
DEFAULT_ALLOWED_MECHANISMS: tuple[str, ...] = ("include", "all", "redirect")


@cache
def _catalogue_ranges() -> tuple[tuple[IPNetwork, str, str], ...]:
    """(network, include, sender name) for every range in the catalogue's trees."""
    ranges: list[tuple[IPNetwork, str, str]] = []
    for sender in catalogue.senders():
        for text in sender.tree.values():
            for term in text.split()[1:]:
                name, argument = split_term(term)
                if name not in ("ip4", "ip6"):
                    continue
                try:
                    network = ipaddress.ip_network(argument, strict=False)
                except ValueError:
                    continue
                ranges.append((network, sender.spf_include, sender.name))
    return tuple(ranges)


def catalogue_sender_for(
    network: IPNetwork, extra_ranges: Mapping[str, Collection[IPNetwork]] | None = None
) -> tuple[str, str] | None:
    """(include, sender name) of the sender whose published ranges hold ``network``.

    ``extra_ranges`` (include -> networks, from configuration: a relay of your
    own behind ``include:_spf.example.com``) are consulted before the catalogue.
    """
    for include, networks in (extra_ranges or {}).items():
        if in_networks(network, networks):
            target = normalize_name(include.removeprefix("include:"))
            return target, f"the sender behind include:{target}"
    for candidate, include, name in _catalogue_ranges():
        if in_networks(network, (candidate,)):
            return include, name
    return None


def _show(network: IPNetwork) -> str:
    full = network.prefixlen == network.max_prefixlen
    return str(network.network_address) if full else str(network)


def check_spf_ip_literals(
    text: str,
    *,
    name: str = "",
    where: str = "",
    label: str = "",
    allowed_networks: Collection[IPNetwork] = (),
    extra_ranges: Mapping[str, Collection[IPNetwork]] | None = None,
) -> list[Finding]:
    """``spf-ip-literal`` for every term that hard-codes an address.

    ``allowed_networks`` are addresses you operate yourself and accept in SPF;
    ``extra_ranges`` name the include that covers a range (see
    ``catalogue_sender_for``)."""
    findings: list[Finding] = []
    who = label or "the record"
    at = f" at {name}" if name else ""
    for ip_term in ip_literal_terms(text):
        if in_networks(ip_term.network, allowed_networks):
            continue
        sender = catalogue_sender_for(ip_term.network, extra_ranges)
        if sender is not None:
            include, sender_name = sender
            fix = (
                f"{_show(ip_term.network)} belongs to {sender_name}: replace '{ip_term.term}' with "
                f"'include:{include}', which follows the provider's changes"
            )
        else:
            fix = (
                "authorise the sending service with its include: instead (for example "
                "include:amazonses.com for Amazon SES, include:_spf.google.com for Google "
                "Workspace, include:sendgrid.net for SendGrid); providers change their "
                "addresses during maintenance and an include follows them"
            )
        findings.append(SPF_IP_LITERAL.error(
            f"{who}: the SPF record{at} hard-codes the address '{ip_term.term}'; {fix}",
            where or name,
        ))
    return findings


def check_include_only(
    text: str,
    *,
    allowed: Collection[str] = DEFAULT_ALLOWED_MECHANISMS,
    name: str = "",
    where: str = "",
    label: str = "",
) -> list[Finding]:
    """``spf-not-include-only`` (warning) for every mechanism not in ``allowed``.

    ``allowed`` holds mechanism names (``include``, ``all``, ``a``, ``mx``...)
    and ``redirect`` for the modifier. ``exp=`` is always allowed; unknown
    modifiers are the grammar lint's business.
    """
    allowed_names, terms = _terms_not_allowed(text, tuple(allowed))
    findings: list[Finding] = []
    who = label or "the record"
    at = f" at {name}" if name else ""
    for term in terms:
        findings.append(SPF_NOT_INCLUDE_ONLY.warning(
            f"{who}: the SPF record{at} uses '{term}'; this pack allows only "
            f"{', '.join(sorted(allowed_names)) or 'nothing'}. Authorise each sending "
            "service with its include: (its addresses and hosts are its to change), or "
            "allow the mechanism in the rule's config",
            where or name,
        ))
    return findings


# The records of a stack repeat (one SPF text for many domains): each distinct text is
# scanned once for each list of allowed mechanisms. Frozen sets and tuples of strings:
# nothing a caller could change.
@lru_cache(maxsize=4096)
def _terms_not_allowed(text: str, allowed: tuple[str, ...]
                       ) -> tuple[frozenset[str], tuple[str, ...]]:
    """The allowed mechanisms' names as ``check_include_only`` reads them, and the terms
    of ``text`` it reports, in order."""
    names = frozenset(a.strip().lower() for a in allowed)
    found: list[str] = []
    for term in text.split()[1:]:
        term_name, _ = split_term(term)
        is_modifier = "=" in term and (":" not in term or term.index("=") < term.index(":"))
        if is_modifier and term_name != "redirect":
            continue
        if term_name not in names:
            found.append(term)
    return names, tuple(found)


def estimate_lookups(text: str, include_costs: Mapping[str, int] | None = None) -> StaticCost:
    """The record's lookups offline. ``include_costs`` maps an include target to
    what writing ``include:<target>`` costs in all (the include itself and its
    tree), as the catalogue counts; the catalogue's own costs apply by default.

    Raises ``SpfSyntaxError`` when the record does not parse.
    """
    if not include_costs:
        return _estimate(text, ())
    given = {normalize_name(k): int(v) for k, v in include_costs.items()}
    return _estimate(text, tuple(sorted(given.items())))


# Each distinct text (and set of given costs) is counted once: a stack's records repeat,
# and the pack's two budget policies count every record. ``StaticCost`` is frozen.
@lru_cache(maxsize=4096)
def _estimate(text: str, given: tuple[tuple[str, int], ...]) -> StaticCost:
    costs = catalogue.include_costs()
    costs.update(given)
    return static_costs(parse(text), costs)


def check_lookup_budget(
    text: str,
    *,
    max_lookups: int = RFC_LOOKUP_LIMIT,
    warn_at: int | None = DEFAULT_HEADROOM,
    include_costs: Mapping[str, int] | None = None,
    name: str = "",
    where: str = "",
    label: str = "",
) -> list[Finding]:
    """``spf-lookup-limit`` (error) over ``max_lookups``; ``spf-lookup-headroom``
    (warning) from ``warn_at`` up to the maximum. A record that does not parse
    has no budget (the grammar lint reports it)."""
    try:
        estimate = estimate_lookups(text, include_costs)
    except SpfSyntaxError:
        return []
    if estimate.total <= max_lookups and (warn_at is None or estimate.total < warn_at):
        return []  # most records: no message worked out for nothing
    who = label or "the record"
    at = f" at {name}" if name else ""
    spent = ", ".join(f"{term} {cost}" for term, cost in estimate.parts)
    unknown = (
        f"; {', '.join(estimate.unknown_includes)} counted at 1 (not in the catalogue: give "
        "their cost in the rule's includeCosts)"
        if estimate.unknown_includes else ""
    )
    if estimate.total > max_lookups:
        return [SPF_LOOKUP_LIMIT.error(
            f"{who}: the SPF record{at} needs {estimate.total} DNS lookups ({spent}{unknown}); "
            f"the limit is {max_lookups} and receivers return permerror past "
            f"{RFC_LOOKUP_LIMIT}. Remove a sender, or move one to a subdomain with its own "
            "record",
            where or name,
        )]
    if warn_at is not None and estimate.total >= warn_at:
        return [SPF_LOOKUP_HEADROOM.warning(
            f"{who}: the SPF record{at} needs {estimate.total} of {max_lookups} DNS lookups "
            f"({spent}{unknown}); a provider adding one include to its record can push it "
            "over the limit. Keep room, or move a sender to a subdomain",
            where or name,
        )]
    return []


