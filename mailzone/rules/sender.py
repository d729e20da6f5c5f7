"""Sender addresses: a real mailbox in a domain you control, so bounces come back.

``check_sender_address`` judges one configured ``From``/``MAIL FROM`` address:

- ``sender-invalid``: not an address at all (spaces, two ``@``, a bad domain);
- ``sender-no-domain``: no ``@domain`` part, so receivers cannot check SPF or
  send bounces anywhere;
- ``sender-noreply``: a ``noreply``-style local part, unless the address is
  allow-listed as a real mailbox (bounces and replies to it must be read);
- ``sender-placeholder-domain``: a placeholder-looking domain such as
  ``domain.com``, ``email.com`` or ``test.com``. Those are real domains owned by
  someone else; documentation and tests use RFC 2606 names (``example.com``).

Whether the domain is one the stack actually sends from (an SES identity or a
managed SPF record) needs the whole stack; ``check_sender_domain`` does that.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from functools import cached_property

from mailzone.findings import Finding
from mailzone.names import domain_problem
from mailzone.registry import (
    SENDER_INVALID,
    SENDER_NO_DOMAIN,
    SENDER_NOREPLY,
    SENDER_PLACEHOLDER_DOMAIN,
    SENDER_UNMANAGED_DOMAIN,
)

# Real, registered domains that look like placeholders. They are the *rejected*
# inputs of this rule; nothing in this project may use them otherwise.
DEFAULT_PLACEHOLDER_DOMAINS: tuple[str, ...] = (
    "domain.com",
    "email.com",
    "test.com",
    "mydomain.com",
    "yourdomain.com",
    "yourcompany.com",
    "company.com",
    "sample.com",
)

# noreply, no-reply, no_reply, no.reply, donotreply, do-not-reply, do_not_reply...
# optionally followed by a +tag or a -suffix ("noreply-billing").
_NOREPLY = re.compile(r"^(?:no|do[._-]?not)[._-]?reply(?:[+._-].*)?$", re.IGNORECASE)
_DISPLAY_FORM = re.compile(r"^[^<>]*<([^<>]*)>\s*$")
# RFC 5321 dot-atom local part (quoted local parts are legal but never wanted here).
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
_LOCAL = re.compile(rf"^{_ATEXT}+(?:\.{_ATEXT}+)*$")


def extract_address(value: str) -> str:
    """The address of ``"Name <addr>"`` or of a bare ``addr``, stripped."""
    text = value.strip()
    match = _DISPLAY_FORM.match(text)
    return match.group(1).strip() if match else text


def is_noreply(local_part: str) -> bool:
    return _NOREPLY.match(local_part) is not None


def _domain_problem(domain: str) -> str | None:
    problem = domain_problem(domain)
    if problem is None and domain.rstrip(".").rsplit(".", 1)[-1].isdigit():
        # A sender's domain needs a real top-level domain (RFC 3696: never all digits).
        return "the domain's last label is numeric (an IP address is not a sender domain)"
    return problem


def _matches(domain: str, candidates: Collection[str]) -> str | None:
    """The candidate equal to ``domain`` or one of its parents, if any."""
    for candidate in candidates:
        parent = candidate.strip().rstrip(".").lower()
        if parent and (domain == parent or domain.endswith("." + parent)):
            return parent
    return None


def check_sender_address(
    address: str,
    *,
    allowed_mailboxes: Collection[str] = (),
    placeholder_domains: Collection[str] = DEFAULT_PLACEHOLDER_DOMAINS,
    where: str = "",
) -> list[Finding]:
    """Findings for one sender address (empty when it is fine).

    ``allowed_mailboxes`` lists full addresses (case-insensitive) that are real,
    read mailboxes although they look like ``noreply``. ``placeholder_domains``
    are refused along with all their subdomains. ``where`` names the input in
    the findings (a config path, a resource); it defaults to the address.
    """
    where = where or address
    value = extract_address(address)
    if not value:
        return [
            SENDER_NO_DOMAIN.error(
                "the sender address is empty: use a real mailbox in a domain you "
                "control, such as 'mail@<your domain>'",
                where,
            )
        ]
    if any(ch.isspace() for ch in value) or value.count("@") > 1:
        return [
            SENDER_INVALID.error(
                f"{value!r} is not an email address (it has spaces or more than one '@'): "
                "write a single 'mailbox@domain'",
                where,
            )
        ]
    local, at, domain = value.partition("@")
    if not at or not domain:
        return [
            SENDER_NO_DOMAIN.error(
                f"{value!r} has no domain: receivers cannot check SPF and bounces go "
                f"nowhere; write '{local or 'mailbox'}@<a domain you control>'",
                where,
            )
        ]
    if not local:
        return [
            SENDER_INVALID.error(
                f"{value!r} has no mailbox before the '@': write 'mailbox@{domain}'",
                where,
            )
        ]
    if not _LOCAL.match(local):
        return [
            SENDER_INVALID.error(
                f"{value!r} has an invalid mailbox part {local!r}: use letters, digits "
                "and . _ + - only",
                where,
            )
        ]
    problem = _domain_problem(domain)
    if problem is not None:
        return [
            SENDER_INVALID.error(
                f"{value!r} has an invalid domain: {problem}; use a domain you control",
                where,
            )
        ]

    findings: list[Finding] = []
    domain = domain.rstrip(".").lower()
    allowed = {extract_address(m).lower() for m in allowed_mailboxes}
    if is_noreply(local) and f"{local.lower()}@{domain}" not in allowed:
        findings.append(
            SENDER_NOREPLY.error(
                f"{value!r} is a no-reply address: bounces and replies to it are lost. "
                f"Send from a real, read mailbox (such as 'mail@{domain}'), or, if "
                f"{value!r} is one, add it to the allowed mailboxes",
                where,
            )
        )
    placeholder = _matches(domain, placeholder_domains)
    if placeholder is not None:
        findings.append(
            SENDER_PLACEHOLDER_DOMAIN.error(
                f"{value!r} uses {placeholder!r}, a placeholder-looking domain that "
                "belongs to someone else: send from a domain you control (documentation "
                "and tests use example.com, example.org or example.net)",
                where,
            )
        )
    return findings


class SendingDomains:
    """The domains a stack sends from, normalised once, for the many addresses of a
    stack: whether one covers an address's domain is a walk up the domain's parents,
    not a scan of every sending domain (which, address by address, grew with the
    square of the stack)."""

    def __init__(self, domains: Iterable[str]) -> None:
        self.domains = tuple(domains)
        self._names = frozenset(filter(None, (d.strip().rstrip(".").lower()
                                              for d in self.domains)))

    def covering(self, domain: str) -> str | None:
        """``domain`` or the nearest of its parents that is a sending domain, if any."""
        name = domain
        while name not in self._names:
            dot = name.find(".")
            if dot < 0:
                return None
            name = name[dot + 1:]
        return name

    @cached_property
    def listed(self) -> str:
        """The domains for a message, sorted: ``none`` when there are none."""
        return ", ".join(sorted({d.rstrip(".").lower() for d in self.domains})) or "none"


def check_sender_domain(
    address: str,
    sending_domains: Collection[str] | SendingDomains,
    *,
    where: str = "",
) -> list[Finding]:
    """``sender-unmanaged-domain`` when the address's domain is not sent from.

    ``sending_domains`` are the domains with an SES identity or a managed SPF
    record (a ``SendingDomains`` when there are many addresses to check against
    them); an address in one of them or in a subdomain of one is fine. An address
    with no valid domain is left to ``check_sender_address``.
    """
    if not isinstance(sending_domains, SendingDomains):
        sending_domains = SendingDomains(sending_domains)
    where = where or address
    value = extract_address(address)
    _, at, domain = value.partition("@")
    domain = domain.rstrip(".").lower()
    if not at or _domain_problem(domain) is not None:
        return []
    if sending_domains.covering(domain) is not None:
        return []
    known = sending_domains.listed
    return [
        SENDER_UNMANAGED_DOMAIN.error(
            f"{value!r} sends from {domain!r}, which has no SES identity and no managed "
            f"SPF record here (domains sent from: {known}): add the domain's identity "
            "and SPF record, or send from one of those domains",
            where,
        )
    ]


