"""Amazon SES identities: are the records they need all in the stack?

An SES domain identity signs with Easy DKIM once three CNAMEs exist:
``<token>._domainkey.<domain>`` -> ``<token>.<hosted zone>``, one per token SES
hands out, where the hosted zone is the identity's region's
(``mailzone.mail.ses``: ``dkim.amazonses.com`` in most regions). A CNAME to
another region's zone never verifies; when the identity's region is not known
(the resource does not say), any SES zone is accepted. Identities of one domain in
several regions each need their own three CNAMEs: a CNAME counts for one identity.
A custom MAIL FROM domain (``mail.<domain>``, the envelope sender) needs an MX
towards ``feedback-smtp.<region>.amazonses.com`` so bounces come back, and an SPF
record with ``include:amazonses.com`` so SPF passes and aligns for DMARC. A missing
record leaves the identity unverified or the MAIL FROM domain failing, often
silently (SES falls back to amazonses.com).

DKIM tokens exist only once the identity does, so while a new identity is
previewed its tokens, and the CNAMEs' names built from them, are unknown. A
CNAME whose name is unknown cannot be placed under a domain; it is counted
towards an identity still short of records (each such CNAME once). Unknown
values are never violations; missing records are.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from mailzone.dns.resolver import normalize_name
from mailzone.findings import Finding
from mailzone.mail.ses import UnknownSesRegion, easy_dkim_zone, feedback_host
from mailzone.registry import SES_DKIM_MISSING, SES_MAIL_FROM_MX_MISSING, SES_MAIL_FROM_SPF_MISSING
from mailzone.rules.records import DnsRecord, spf_values, under

DKIM_RECORDS = 3
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
    region: str | None = None  # None: not known (the provider's default region)

    @property
    def dkim_zone(self) -> str | None:
        """The region's Easy DKIM hosted zone, when the region is known and in the table."""
        return _zone(self.region)


@dataclass(frozen=True, slots=True)
class MailFromDomain:
    """A custom MAIL FROM domain of an identity. None: not known yet."""

    identity: str | None
    mail_from_domain: str | None
    where: str = ""
    label: str = ""
    region: str | None = None


def _zone(region: str | None) -> str | None:
    if region is None:
        return None
    try:
        return easy_dkim_zone(region)
    except UnknownSesRegion:
        return None


def _is_ses_dkim_target(value: str | None, zone: str | None = None) -> bool:
    if value is None:
        return True
    target = normalize_name(value)
    return target.endswith("." + zone) if zone else target.endswith(".amazonses.com")


def _is_ses_feedback(value: str | None, region: str | None = None) -> bool:
    if value is None:
        return True
    host = normalize_name(value.split()[-1] if value.split() else value)
    if region is not None:
        return host == feedback_host(region)
    return host.startswith("feedback-smtp.") and host.endswith(".amazonses.com")


def _includes_ses(text: str) -> bool:
    return any(
        term.lstrip("+-~?").lower() in (f"include:{SES_SPF_INCLUDE}", f"include:{SES_SPF_INCLUDE}.")
        for term in text.split()
    )


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
    unplaced = [
        r for r in records if r.type_upper in (None, "CNAME") and r.fqdn is None
        and all(_is_ses_dkim_target(v) for v in (r.values or (None,)))
    ]
    pool = len(unplaced)
    claimed: set[int] = set()  # the CNAMEs an identity counted: another cannot count them
    # Identities whose region's zone is known claim first, so a shared zone's CNAMEs
    # are not taken by an identity that would accept any zone.
    for identity in sorted(identities, key=lambda i: i.dkim_zone is None):
        if identity.domain is None or under(identity.domain, external_domains):
            continue
        domain = normalize_name(identity.domain)
        if identity.byodkim_selector:
            name = f"{normalize_name(identity.byodkim_selector)}._domainkey.{domain}"
            if not any(r.fqdn == name and r.type_upper in ("TXT", None) for r in records):
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
        for number, record in enumerate(records):
            if number in claimed or found >= DKIM_RECORDS:
                continue
            rname = record.fqdn
            if rname is None or not rname.endswith(suffix):
                continue
            if record.type_upper not in ("CNAME", None):
                continue
            label = rname[: -len(suffix)]
            if known_tokens and label not in known_tokens:
                continue
            if all(_is_ses_dkim_target(v, identity.dkim_zone) for v in (record.values or (None,))):
                found += 1
                found_labels.add(label)
                claimed.add(number)
        short = DKIM_RECORDS - min(found, DKIM_RECORDS)
        if short and pool >= short:
            pool -= short
            short = 0
        if short:
            missing = sorted(known_tokens - found_labels)
            zone = identity.dkim_zone or "dkim.amazonses.com"
            expected = (
                ", ".join(f"{t}{suffix} -> {t}.{zone}" for t in missing)
                if missing else f"<token>{suffix} -> <token>.{zone}, one per token"
            )
            if identity.region is not None:
                expected += f" (the Easy DKIM zone of {identity.region})"
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
        at_name = [r for r in records if r.fqdn == name]
        unnamed = [r for r in records if r.fqdn is None]
        has_mx = any(
            r.type_upper in ("MX", None) and (r.values is None or any(
                _is_ses_feedback(v, mail_from.region) for v in r.values))
            for r in at_name + unnamed
        )
        if not has_mx:
            host = feedback_host(mail_from.region or "<region>")
            findings.append(SES_MAIL_FROM_MX_MISSING.error(
                f"{who}: the MAIL FROM domain {name} has no MX record towards {host} in the "
                "stack; SES falls back to amazonses.com and bounces are lost. Add MX "
                f"'10 {host}' at {name}",
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


