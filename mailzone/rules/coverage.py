"""Which sending domains publish DMARC in the stack.

Receivers look for ``_dmarc.<From domain>`` and then for the organisational
domain's record, so a record at a parent covers its subdomains. Without the
public suffix list, any parent with at least two labels counts.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from mailzone.findings import Finding, warning
from mailzone.resolver import normalize_name
from mailzone.rules.records import under


def dmarc_covers(domain: str, dmarc_names: Collection[str]) -> bool:
    labels = normalize_name(domain).split(".")
    names = {normalize_name(n) for n in dmarc_names}
    return any("_dmarc." + ".".join(labels[i:]) in names for i in range(len(labels) - 1))


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
    findings: list[Finding] = []
    for domain, (where, label) in sorted(sending_domains.items()):
        if under(domain, external_domains) or dmarc_covers(domain, dmarc_names):
            continue
        findings.append(warning(
            "dmarc-missing",
            f"{label or domain}: {domain} sends mail but no DMARC record covers it in this "
            f"stack: receivers cannot tell spoofed mail from yours. Publish TXT "
            f"'v=DMARC1; p=none; rua=mailto:<a mailbox you read>' at _dmarc.{domain}, then "
            "tighten p= once the reports look right",
            where or domain,
        ))
    return findings


CODES: dict[str, str] = {
    "dmarc-missing": "a sending domain with no DMARC record covering it in the stack",
}
