"""Amazon SES identities: are the records they need all in the stack?

An SES domain identity signs with Easy DKIM once three CNAMEs exist:
``<token>._domainkey.<domain>`` -> ``<token>.dkim.amazonses.com``, one per token
SES hands out. A custom MAIL FROM domain (``mail.<domain>``, the envelope
sender) needs an MX towards ``feedback-smtp.<region>.amazonses.com`` so bounces
come back, and an SPF record with ``include:amazonses.com`` so SPF passes and
aligns for DMARC. A missing record leaves the identity unverified or the MAIL
FROM domain failing, often silently (SES falls back to amazonses.com).

DKIM tokens exist only once the identity does, so while a new identity is
previewed its tokens, and the CNAMEs' names built from them, are unknown. A
CNAME whose name is unknown cannot be placed under a domain; it is counted
towards an identity still short of records (each such CNAME once). Unknown
values are never violations; missing records are.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from mailzone.dns.resolver import normalize_name
from mailzone.findings import Finding
from mailzone.registry import SES_DKIM_MISSING, SES_MAIL_FROM_MX_MISSING, SES_MAIL_FROM_SPF_MISSING
from mailzone.rules.records import DnsRecord, spf_values, under

DKIM_RECORDS = 3
_DOMAINKEY = "._domainkey."
SES_SPF_INCLUDE = "amazonses.com"


@dataclass(frozen=True, slots=True)
class SesIdentity:
    """A domain identity. ``domain`` None: not known yet.

    ``dkim_tokens``: the Easy DKIM tokens when known; None when unknown (a new
    identity at preview) or not exposed by the resource. ``byodkim_selector``:
    the selector of a bring-your-own-DKIM key (one TXT record instead of three
    CNAMEs).
    """

    domain: str | None
    dkim_tokens: tuple[str | None, ...] | None = None
    byodkim_selector: str | None = None
    where: str = ""
    label: str = ""


@dataclass(frozen=True, slots=True)
class MailFromDomain:
    """A custom MAIL FROM domain of an identity. None: not known yet."""

    identity: str | None
    mail_from_domain: str | None
    where: str = ""
    label: str = ""


def _is_ses_dkim_target(value: str | None) -> bool:
    return value is None or normalize_name(value).endswith(".amazonses.com")


def _is_ses_feedback(value: str | None) -> bool:
    if value is None:
        return True
    host = normalize_name(value.split()[-1] if value.split() else value)
    return host.startswith("feedback-smtp.") and host.endswith(".amazonses.com")


def _includes_ses(text: str) -> bool:
    return any(
        term.lstrip("+-~?").lower() in (f"include:{SES_SPF_INCLUDE}", f"include:{SES_SPF_INCLUDE}.")
        for term in text.split()
    )


def _by_signing_domain(by_name: Mapping[str, list[DnsRecord]]
                       ) -> dict[str, list[tuple[str, DnsRecord]]]:
    """(selector, record) for every record at ``<selector>._domainkey.<domain>``, by
    domain; a name with ``._domainkey.`` twice counts under both domains, as a suffix
    test of each domain would count it."""
    out: dict[str, list[tuple[str, DnsRecord]]] = {}
    for name, held in by_name.items():
        at = name.find(_DOMAINKEY)
        while at >= 0:
            out.setdefault(name[at + len(_DOMAINKEY):], []).extend(
                (name[:at], record) for record in held)
            at = name.find(_DOMAINKEY, at + 1)
    return out


def check_ses_identities(
    identities: Sequence[SesIdentity],
    mail_froms: Sequence[MailFromDomain],
    records: Sequence[DnsRecord],
    *,
    external_domains: Collection[str] = (),
) -> list[Finding]:
    """Findings for every identity or MAIL FROM domain missing records in ``records``.

    Codes: ``ses-dkim-missing``, ``ses-mail-from-mx-missing``,
    ``ses-mail-from-spf-missing``. ``external_domains`` are domains whose DNS is
    managed elsewhere: identities and MAIL FROM domains under them are skipped.
    """
    findings: list[Finding] = []
    # The records by name, and the DKIM ones by the domain they sign for, once: each
    # identity and MAIL FROM domain then reads its own, where scanning the whole stack
    # for each of them grew with the square of the stack.
    by_name: dict[str, list[DnsRecord]] = {}
    unnamed: list[DnsRecord] = []
    for record in records:
        fqdn = record.fqdn
        if fqdn is None:
            unnamed.append(record)
        else:
            by_name.setdefault(fqdn, []).append(record)
    dkim_by_domain = _by_signing_domain(by_name)
    unplaced = [
        r for r in unnamed if r.type_upper in (None, "CNAME")
        and all(_is_ses_dkim_target(v) for v in (r.values or (None,)))
    ]
    pool = len(unplaced)
    for identity in identities:
        if identity.domain is None or under(identity.domain, external_domains):
            continue
        domain = normalize_name(identity.domain)
        if identity.byodkim_selector:
            name = f"{normalize_name(identity.byodkim_selector)}._domainkey.{domain}"
            if not any(r.type_upper in ("TXT", None) for r in by_name.get(name, ())):
                findings.append(SES_DKIM_MISSING.error(
                    f"{identity.label or domain}: the SES identity {domain} signs with its own "
                    f"DKIM key (selector {identity.byodkim_selector!r}) but no TXT record "
                    f"{name} is in the stack: add the public key there",
                    identity.where,
                ))
            continue
        tokens = identity.dkim_tokens
        known_tokens = (
            {normalize_name(t) for t in tokens if t is not None} if tokens is not None else set()
        )
        suffix = f"._domainkey.{domain}"
        found_labels: set[str] = set()
        found = 0
        for label, record in dkim_by_domain.get(domain, ()):
            if record.type_upper not in ("CNAME", None):
                continue
            if known_tokens and label not in known_tokens:
                continue
            if all(_is_ses_dkim_target(v) for v in (record.values or (None,))):
                found += 1
                found_labels.add(label)
        short = DKIM_RECORDS - min(found, DKIM_RECORDS)
        if short and pool >= short:
            pool -= short
            short = 0
        if short:
            missing = sorted(known_tokens - found_labels)
            expected = (
                ", ".join(f"{t}{suffix} -> {t}.dkim.amazonses.com" for t in missing)
                if missing else f"<token>{suffix} -> <token>.dkim.amazonses.com, one per token"
            )
            findings.append(SES_DKIM_MISSING.error(
                f"{identity.label or domain}: the SES identity {domain} has {found} of its "
                f"{DKIM_RECORDS} DKIM CNAMEs in the stack, so SES cannot verify it or sign its "
                f"mail. Add CNAME {expected} (the tokens are the identity's DKIM "
                "attributes)",
                identity.where,
            ))
    for mail_from in mail_froms:
        if mail_from.mail_from_domain is None or under(mail_from.mail_from_domain,
                                                        external_domains):
            continue
        name = normalize_name(mail_from.mail_from_domain)
        who = mail_from.label or name
        at_name = by_name.get(name, [])
        has_mx = any(
            r.type_upper in ("MX", None) and (r.values is None or any(
                _is_ses_feedback(v) for v in r.values))
            for r in at_name + unnamed
        )
        if not has_mx:
            findings.append(SES_MAIL_FROM_MX_MISSING.error(
                f"{who}: the MAIL FROM domain {name} has no MX record towards "
                "feedback-smtp.<region>.amazonses.com in the stack; SES falls back to "
                f"amazonses.com and bounces are lost. Add MX '10 feedback-smtp.<region>."
                f"amazonses.com' at {name}",
                mail_from.where,
            ))
        txt = [r for r in at_name + unnamed if r.type_upper in ("TXT", "SPF", None)]
        spf_ok = any(r.has_unknown_values for r in txt) or any(
            _includes_ses(v) for r in txt for v in spf_values(r)
        )
        if not spf_ok:
            has_spf = any(spf_values(r) for r in txt)
            problem = (
                "an SPF record without include:amazonses.com" if has_spf
                else "no SPF record in the stack"
            )
            findings.append(SES_MAIL_FROM_SPF_MISSING.error(
                f"{who}: the MAIL FROM domain {name} has {problem}, so SPF fails for mail "
                f"SES sends. Publish TXT 'v=spf1 include:{SES_SPF_INCLUDE} ~all' at {name}",
                mail_from.where,
            ))
    return findings


