"""DMARC over a set of records: which sending domains publish it, and where.

Receivers look for ``_dmarc.<From domain>`` and then for the organisational
domain's record, so a record at a parent covers its subdomains. Without the
public suffix list, any parent with at least two labels counts.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from mailzone.dns.resolver import normalize_name
from mailzone.errors import DmarcSyntaxError
from mailzone.findings import Finding
from mailzone.mail.discovery import walk_targets
from mailzone.mail.dmarc import (
    dmarc_errors,
    is_dmarc_record,
    looks_like_dmarc,
    parse_dmarc,
    record_name,
)
from mailzone.registry import DMARC_MISSING, DMARC_POLICY_TOO_WEAK, DMARC_WRONG_NAME, REGISTRY
from mailzone.rules.records import under


def dmarc_covers(domain: str, names: Collection[str]) -> bool:
    """Whether a DMARC record at ``_dmarc.<domain or a parent>`` is among ``names``
    (normalised names: lower case, no trailing dot)."""
    # Only the names receivers' tree walk asks (RFC 9989): a record more than four
    # labels up from a long name is never read. The top-level domain's is not the
    # stack's to declare.
    targets = walk_targets(domain)
    return any(record_name(target) in names for target in targets[:-1] or targets)


def check_dmarc_present(
    sending_domains: Mapping[str, tuple[str, str]],
    dmarc_names: Collection[str],
    *,
    names_unknown: bool = False,
    external_domains: Collection[str] = (),
) -> list[Finding]:
    """``dmarc-missing`` (warning) for every sending domain no DMARC record covers.

    ``sending_domains`` maps a domain to the (where, label) of a resource that
    makes it one. ``names_unknown``: some TXT record's name is not known yet
    (it may be a DMARC record), so nothing can be said.
    """
    if names_unknown:
        return []
    names = frozenset(normalize_name(n) for n in dmarc_names)  # once, not per domain
    findings: list[Finding] = []
    # Sorted for a stable report: the domains reported, not every domain of the stack.
    uncovered = sorted(domain for domain in sending_domains
                       if not (under(domain, external_domains) or dmarc_covers(domain, names)))
    for domain in uncovered:
        where, label = sending_domains[domain]
        findings.append(DMARC_MISSING.warning(
            f"{label or domain}: {domain} sends mail but no DMARC record covers it in this "
            f"stack: receivers cannot tell spoofed mail from yours. Publish TXT "
            f"'v=DMARC1; p=none; rua=mailto:<a mailbox you read>' at _dmarc.{domain}, then "
            "tighten p= once the reports look right",
            where or domain,
        ))
    return findings




_STRENGTH = {"none": 0, "quarantine": 1, "reject": 2}


def check_dmarc_value(
    name: str | None,
    text: str,
    *,
    minimum_policy: str = "none",
    where: str = "",
    label: str = "",
) -> list[Finding]:
    """Errors for one TXT value as a DMARC record: where it is published, what
    ``validate_dmarc`` reports as errors (``dmarc_errors``), and a policy weaker than the
    minimum.

    Codes: ``dmarc-wrong-name`` (a ``v=DMARC1`` value not at ``_dmarc.<domain>``),
    the validator's error codes, ``dmarc-policy-too-weak``. A value at a
    ``_dmarc`` name that is no DMARC record at all is a ``dmarc-syntax`` error.
    ``name`` None (not known yet) judges nothing.
    """
    if minimum_policy not in _STRENGTH:
        raise ValueError(f"minimum policy must be none, quarantine or reject, not "
                         f"{minimum_policy!r}")
    if name is None:
        return []
    name = normalize_name(name)
    who = label or name
    if not name.startswith("_dmarc."):
        if not is_dmarc_record(text):
            return []
        return [DMARC_WRONG_NAME.error(
            f"{who}: a DMARC record at {name} is never read: receivers look for it at "
            f"_dmarc.{name}. Move it there",
            where or name,
        )]
    domain = name[len("_dmarc."):]
    if not is_dmarc_record(text) and not looks_like_dmarc(text):
        return []  # another TXT value at the name: receivers ignore it (RFC 9989, DNS Tree Walk)
    findings = [
        REGISTRY[f.code].error(f"{who}: {name}: {f.message}", where or f.where)
        for f in dmarc_errors(text, domain)
    ]
    try:
        record = parse_dmarc(text)
    except DmarcSyntaxError:
        return findings
    policy = record.effective_policy  # RFC 9989: a record without p= is p=none
    if _STRENGTH[policy.value] < _STRENGTH[minimum_policy]:
        findings.append(DMARC_POLICY_TOO_WEAK.error(
            f"{who}: {name} has p={policy.value}; this stack requires at least "
            f"p={minimum_policy}. Raise p= once the aggregate reports show your senders pass",
            where or name,
        ))
    return findings


