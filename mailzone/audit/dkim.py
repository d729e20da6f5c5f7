"""The DKIM area of a check: fetch each selector's key record, then judge it.

``judge_key`` is a function of the TXT answer alone (no I/O) at ``<selector>._domainkey.<domain>``
(RFC 6376 3.6.1, RFC 8301 for key sizes and hashes, RFC 8463 for ed25519).
"""

from __future__ import annotations

import base64
import binascii

from mailzone.audit.faults import dns_finding
from mailzone.audit.model import DkimFacts, DkimStatus
from mailzone.dns.exchange import Exchange, ask
from mailzone.dns.resolver import Answer, RdType
from mailzone.errors import DnsError
from mailzone.findings import Finding
from mailzone.mail.dkim import parse_dkim_tags, rsa_key_bits
from mailzone.registry import (
    CHECK_DNS_ERROR,
    DKIM_KEY_TYPE,
    DKIM_MISSING,
    DKIM_MULTIPLE,
    DKIM_REVOKED,
    DKIM_SHA1,
    DKIM_SYNTAX,
    DKIM_TESTING,
    DKIM_WEAK_KEY,
    SES_DKIM_MISSING,
)


def judge_key(facts: DkimFacts, answer: Answer) -> list[Finding]:
    """The key record at ``facts.name``: there, one, well formed, strong enough."""
    name = facts.name
    found: list[Finding] = []
    if answer.void:
        facts.status = DkimStatus.MISSING
        found.append(DKIM_MISSING.error(
            f"no DKIM key at {name}" + (" (no such name)" if answer.nxdomain else "")
            + f": mail signed with selector {facts.selector!r} fails DKIM. Publish the key "
            "your sending service gives (a TXT record, or the CNAME it documents)",
            name,
        ))
        return found
    if len(answer.records) > 1:
        facts.status = DkimStatus.MULTIPLE
        found.append(DKIM_MULTIPLE.error(
            f"{len(answer.records)} TXT records at {name}: verifiers may pick any of them. "
            "Keep the one key record",
            name,
        ))
        return found
    text = answer.records[0]
    try:
        tags = parse_dkim_tags(text)
        if "v" in tags and (tags["v"] != "DKIM1" or next(iter(tags)) != "v"):
            raise ValueError("v= must come first and be DKIM1")
        if "p" not in tags:
            raise ValueError("no p= tag (the public key)")
    except ValueError as exc:
        facts.status = DkimStatus.SYNTAX
        found.append(DKIM_SYNTAX.error(f"{name}: {exc} (RFC 6376 3.6.1)", name))
        return found
    key_type = tags.get("k", "rsa").lower()
    facts.key_type = key_type
    key_text = "".join(tags["p"].split())  # what re's \s matches, str.split splits at
    if not key_text:
        facts.status = DkimStatus.REVOKED
        found.append(DKIM_REVOKED.error(
            f"{name} has an empty p=: the key is revoked and signatures with selector "
            f"{facts.selector!r} fail. Publish the current key or stop signing with it",
            name,
        ))
        return found
    try:
        key = base64.b64decode(key_text, validate=True)
    except (binascii.Error, ValueError):
        facts.status = DkimStatus.SYNTAX
        found.append(DKIM_SYNTAX.error(f"{name}: p= is not base64", name))
        return found
    facts.status = DkimStatus.OK
    if key_type == "rsa":
        try:
            facts.key_bits = rsa_key_bits(key)
        except ValueError as exc:
            facts.status = DkimStatus.SYNTAX
            found.append(DKIM_SYNTAX.error(f"{name}: p= is not an RSA public key "
                                  f"({exc})", name))
            return found
        if facts.key_bits < 1024:
            found.append(DKIM_WEAK_KEY.error(
                f"{name} holds a {facts.key_bits}-bit RSA key: verifiers reject keys under "
                "1024 bits (RFC 8301). Rotate to a 2048-bit key",
                name,
            ))
        elif facts.key_bits < 2048:
            found.append(DKIM_WEAK_KEY.warning(
                f"{name} holds a {facts.key_bits}-bit RSA key: RFC 8301 asks for 2048 "
                "bits. Rotate to a 2048-bit key",
                name,
            ))
    elif key_type == "ed25519":
        facts.key_bits = 256
        if len(key) != 32:
            facts.status = DkimStatus.SYNTAX
            found.append(DKIM_SYNTAX.error(f"{name}: an ed25519 key is 32 octets, "
                                  f"not {len(key)}", name))
            return found
    else:
        facts.status = DkimStatus.SYNTAX
        found.append(DKIM_KEY_TYPE.error(
            f"{name} has k={key_type}: verifiers know rsa and ed25519 only",
            name,
        ))
        return found
    flags = [flag.strip() for flag in tags.get("t", "").split(":")]
    if "y" in flags:
        found.append(DKIM_TESTING.warning(
            f"{name} has t=y: verifiers treat its signatures as a test. Remove t=y once "
            "signing works",
            name,
        ))
    hashes = [h.strip().lower() for h in tags["h"].split(":")] if "h" in tags else []
    if hashes and "sha256" not in hashes:
        found.append(DKIM_SHA1.error(
            f"{name} has h={tags['h']}: verifiers reject sha1 signatures (RFC 8301). "
            "Allow sha256",
            name,
        ))
    return found


def dkim_area(facts: DkimFacts, findings: list[Finding]) -> Exchange[None]:
    """Fetch and judge the key record of one selector."""
    try:
        answer = yield from ask(facts.name, RdType.TXT)
    except DnsError as exc:
        facts.status = DkimStatus.DNS_ERROR
        findings.append(dns_finding(CHECK_DNS_ERROR, exc, facts.name,
                                    "verifiers cannot check signatures: temperror"))
        return
    findings.extend(judge_key(facts, answer))


def dkim_zone_area(name: str, zones: tuple[str, ...], findings: list[Finding]) -> Exchange[None]:
    """Whether the SES CNAME at ``name`` points into one of ``zones`` (the Easy DKIM zones
    of the stack's SES regions): SES publishes each region's keys in that region's zone,
    so a CNAME to another never verifies (``ses-dkim-missing``)."""
    try:
        answer = yield from ask(name, RdType.CNAME)
    except DnsError:
        return  # the key's own area reports what is wrong with the name
    for target in answer.records:
        if target.endswith(".amazonses.com") and not any(
                target.endswith("." + zone) for zone in zones):
            findings.append(SES_DKIM_MISSING.error(
                f"{name} points at {target}, outside the Easy DKIM zone of the stack's SES "
                f"region{'s' if len(zones) > 1 else ''} ({', '.join(zones)}): SES publishes "
                "each region's keys in that region's zone, so this CNAME never verifies. "
                f"Point it at <token>.{zones[0]}", name))
