"""DKIM key records (RFC 6376 3.6.1): where they live, their tags, their key size.

The live audit reads ``<selector>._domainkey.<domain>`` TXT records; this
module knows their shape. The key size is read from the DER structure of the
``p=`` key directly (SubjectPublicKeyInfo or PKCS#1): a few lines, where a
cryptography library would be a heavy dependency for one number.
"""

from __future__ import annotations

import re

from mailzone.dns.resolver import normalize_name

_DKIM_TAG = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def dkim_name(selector: str, domain: str) -> str:
    return f"{normalize_name(selector)}._domainkey.{normalize_name(domain)}"


def _der_item(data: bytes, at: int) -> tuple[int, int, int]:
    """One DER element at ``at``: (tag, start of content, end of content)."""
    if at + 2 > len(data):
        raise ValueError("truncated DER")
    tag, length = data[at], data[at + 1]
    start = at + 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or start + count > len(data):
            raise ValueError("bad DER length")
        length = int.from_bytes(data[start:start + count], "big")
        start += count
    end = start + length
    if end > len(data):
        raise ValueError("truncated DER")
    return tag, start, end


def rsa_key_bits(der: bytes) -> int:
    """The modulus size of an RSA public key (SubjectPublicKeyInfo or PKCS#1 RSAPublicKey).

    Raises ``ValueError`` when ``der`` is neither.
    """
    tag, start, _ = _der_item(der, 0)
    if tag != 0x30:
        raise ValueError("not a DER SEQUENCE")
    inner_tag, inner_start, inner_end = _der_item(der, start)
    if inner_tag == 0x30:  # SubjectPublicKeyInfo: AlgorithmIdentifier, BIT STRING
        bit_tag, bit_start, bit_end = _der_item(der, inner_end)
        if bit_tag != 0x03 or bit_start >= bit_end or der[bit_start] != 0:
            raise ValueError("no public key BIT STRING")
        return rsa_key_bits(der[bit_start + 1:bit_end])
    if inner_tag != 0x02:
        raise ValueError("not an RSA public key")
    modulus = der[inner_start:inner_end].lstrip(b"\x00")
    if not modulus:
        raise ValueError("empty modulus")
    return int.from_bytes(modulus, "big").bit_length()


def parse_dkim_tags(text: str) -> dict[str, str]:
    tags: dict[str, str] = {}
    for raw in text.split(";"):
        part = raw.strip()
        if not part:
            continue
        name, eq, value = part.partition("=")
        name = name.strip()
        if not eq or not _DKIM_TAG.match(name):
            raise ValueError(f"{part!r} is not a tag=value pair")
        if name in tags:
            raise ValueError(f"the tag {name!r} appears twice")
        tags[name] = value.strip()
    return tags
