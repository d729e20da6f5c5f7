"""DMARC policy records (RFC 7489): parse, format, validate.

``parse_dmarc`` turns the TXT value published at ``_dmarc.<domain>`` into a
``DmarcRecord`` or raises ``DmarcSyntaxError`` (a ``MailzoneError``) with the
0-based position of the problem. ``format_dmarc`` writes a record back in the
conventional tag order (``v`` first, then ``p``). ``validate_dmarc`` judges a
record text for a domain and returns findings; it never raises on bad input.

Tags (section 6.3): ``v`` (must be first, exactly ``DMARC1``), ``p``, ``sp``,
``pct``, ``rua``, ``ruf``, ``adkim``, ``aspf``, ``fo``, ``rf``, ``ri``. Tag
names and keyword values are case-insensitive; unknown tags are kept and
reported as a warning (receivers ignore them). A tag given twice is an error.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from mailzone.errors import DmarcSyntaxError as DmarcSyntaxError  # callers may catch it here
from mailzone.findings import Finding
from mailzone.names import domain_problem
from mailzone.registry import (
    DMARC_MULTIPLE,
    DMARC_NO_POLICY,
    DMARC_NO_RUA,
    DMARC_PCT_PARTIAL,
    DMARC_POLICY_NONE,
    DMARC_RUA_EXTERNAL,
    DMARC_SUBDOMAIN_WEAKER,
    DMARC_SYNTAX,
    DMARC_UNKNOWN_TAG,
    DMARC_URI_SCHEME,
)

VERSION = "DMARC1"


class Policy(StrEnum):
    NONE = "none"
    QUARANTINE = "quarantine"
    REJECT = "reject"


class Alignment(StrEnum):
    RELAXED = "r"
    STRICT = "s"


_STRENGTH = {Policy.NONE: 0, Policy.QUARANTINE: 1, Policy.REJECT: 2}

_TAG_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*")
_URI = re.compile(r"^(?P<uri>[A-Za-z][A-Za-z0-9+.\-]*:[^!\s]+)(?:!(?P<size>[0-9]+[kmgtKMGT]?))?$")
_LOCAL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+$")
_FO = frozenset({"0", "1", "d", "s"})
_RF = frozenset({"afrf", "iodef"})
KNOWN_TAGS = ("v", "p", "sp", "pct", "rua", "ruf", "adkim", "aspf", "fo", "rf", "ri")


@dataclass(frozen=True, slots=True)
class DmarcRecord:
    """A parsed DMARC record. ``None`` means the tag was not written (its default applies)."""

    policy: Policy | None = None
    subdomain_policy: Policy | None = None
    pct: int | None = None
    rua: tuple[str, ...] = ()
    ruf: tuple[str, ...] = ()
    adkim: Alignment | None = None
    aspf: Alignment | None = None
    fo: tuple[str, ...] | None = None
    rf: tuple[str, ...] | None = None
    ri: int | None = None
    unknown: tuple[tuple[str, str], ...] = ()

    @property
    def effective_subdomain_policy(self) -> Policy | None:
        return self.subdomain_policy or self.policy

    @property
    def effective_pct(self) -> int:
        return 100 if self.pct is None else self.pct

    def __str__(self) -> str:
        return format_dmarc(self)


# RFC 7489 6.4 (dmarc-version) and 6.6.3: a record is a TXT value that starts, with
# nothing before it, with the v tag ("v" either case, spaces around "=") naming
# exactly DMARC1; anything else at _dmarc.<domain> is discarded. What follows the
# version (a ';', a space, the end) is the record's own grammar's business.
_VERSION_TAG = re.compile(r"[vV][ \t]*=[ \t]*DMARC1(?![^ \t;])")


def is_dmarc_record(text: str) -> bool:
    """Whether receivers take the TXT value ``text`` as a DMARC record at all.

    ``" v=DMARC1; p=reject"`` (a leading space), ``"v=DMARC10"`` and ``"v=dmarc1"``
    are not: receivers discard them, so a domain publishing only those has none.
    ``"v = DMARC1;"`` and ``"v=DMARC1 p=none"`` are (the second with a syntax error).
    Every face asks this one function: plan, check, the pack and the components.
    """
    return _VERSION_TAG.match(text) is not None


# A value written as a DMARC record but one receivers discard (a space before v=, another
# version, v= not first): worth a finding, unlike the other TXT values a _dmarc name holds.
_LOOKS_LIKE = re.compile(r"(?<![\w-])v\s*=\s*dmarc", re.IGNORECASE)


def looks_like_dmarc(text: str) -> bool:
    """Whether ``text`` means to be a DMARC record (whether or not receivers take it)."""
    return _LOOKS_LIKE.search(text) is not None


def published_records(values: Sequence[str], domain: str) -> tuple[list[str], list[Finding]]:
    """The DMARC records among the TXT values at ``_dmarc.<domain>``, and a
    ``dmarc-syntax`` finding for each value meant as one that receivers discard.

    Other TXT values there (a verification token) are ignored, as receivers ignore them
    (RFC 7489 6.6.3). Every face that reads published values asks this function.
    """
    records = [value for value in values if is_dmarc_record(value)]
    discarded = [f for value in values if not is_dmarc_record(value) and looks_like_dmarc(value)
                 for f in validate_dmarc(value, domain) if f.code == DMARC_SYNTAX.code]
    return records, discarded


def multiple_records(source: str, count: int) -> Finding:
    """``dmarc-multiple``: receivers apply none of several records (RFC 7489 6.6.3)."""
    return DMARC_MULTIPLE.error(
        f"{count} DMARC records at {record_name(source)}: receivers apply none of "
        "them (RFC 7489 6.6.3). Keep one",
        record_name(source),
    )


def record_name(domain: str) -> str:
    """Where a domain's DMARC record lives: ``_dmarc.<domain>``."""
    return f"_dmarc.{domain.rstrip('.').lower()}"


def format_dmarc(record: DmarcRecord) -> str:
    """The record as TXT text: ``v=DMARC1; p=...;`` then the other written tags."""
    parts = [f"v={VERSION}"]
    if record.policy is not None:
        parts.append(f"p={record.policy.value}")
    if record.subdomain_policy is not None:
        parts.append(f"sp={record.subdomain_policy.value}")
    if record.pct is not None:
        parts.append(f"pct={record.pct}")
    if record.rua:
        parts.append("rua=" + ",".join(record.rua))
    if record.ruf:
        parts.append("ruf=" + ",".join(record.ruf))
    if record.adkim is not None:
        parts.append(f"adkim={record.adkim.value}")
    if record.aspf is not None:
        parts.append(f"aspf={record.aspf.value}")
    if record.fo is not None:
        parts.append("fo=" + ":".join(record.fo))
    if record.rf is not None:
        parts.append("rf=" + ":".join(record.rf))
    if record.ri is not None:
        parts.append(f"ri={record.ri}")
    parts.extend(f"{name}={value}" for name, value in record.unknown)
    return "; ".join(parts)


def _segments(text: str) -> list[tuple[int, str]]:
    """The ``;``-separated segments with their start offsets, whitespace stripped."""
    out: list[tuple[int, str]] = []
    start = 0
    for piece in text.split(";"):
        stripped = piece.strip(" \t")
        offset = start + (len(piece) - len(piece.lstrip(" \t")))
        out.append((offset, stripped))
        start += len(piece) + 1
    return out


def _policy(value: str, tag: str, text: str, at: int) -> Policy:
    try:
        return Policy(value.lower())
    except ValueError:
        raise DmarcSyntaxError(
            f"{tag}={value!r} is not a policy: use none, quarantine or reject", text, at
        ) from None


def _alignment(value: str, tag: str, text: str, at: int) -> Alignment:
    try:
        return Alignment(value.lower())
    except ValueError:
        raise DmarcSyntaxError(
            f"{tag}={value!r} is not an alignment mode: use r (relaxed) or s (strict)", text, at
        ) from None


def _uint(value: str, tag: str, text: str, at: int, limit: int) -> int:
    if not value.isascii() or not value.isdigit():
        raise DmarcSyntaxError(f"{tag}={value!r} is not a whole number", text, at)
    number = int(value)
    if number > limit:
        raise DmarcSyntaxError(f"{tag}={value} is out of range (0 to {limit})", text, at)
    return number



def _uris(value: str, tag: str, text: str, at: int) -> tuple[str, ...]:
    uris: list[str] = []
    offset = at
    for raw in value.split(","):
        item = raw.strip(" \t")
        item_at = offset + (len(raw) - len(raw.lstrip(" \t")))
        offset += len(raw) + 1
        match = _URI.match(item)
        if not item or match is None:
            raise DmarcSyntaxError(
                f"{tag} has {item!r}, which is not a report URI: write "
                f"'mailto:reports@<domain>' (separate several with commas)",
                text,
                item_at,
            )
        uri = match.group("uri")
        if uri.lower().startswith("mailto:"):
            address = uri[len("mailto:"):]
            local, at_sign, domain = address.rpartition("@")
            if (not at_sign or not local or not _LOCAL.match(local)
                    or domain_problem(domain) is not None):
                raise DmarcSyntaxError(
                    f"{tag} has {uri!r}, whose address is not 'mailbox@domain'", text, item_at
                )
        uris.append(item)
    return tuple(uris)


def _keywords(
    value: str, tag: str, allowed: frozenset[str], text: str, at: int
) -> tuple[str, ...]:
    words = tuple(word.strip(" \t").lower() for word in value.split(":"))
    for word in words:
        if word not in allowed:
            raise DmarcSyntaxError(
                f"{tag}={value!r}: {word!r} is not one of {', '.join(sorted(allowed))} "
                "(separate several with ':')",
                text,
                at,
            )
    return words


def parse_dmarc(text: str) -> DmarcRecord:
    """Parse the text of a DMARC record. Raises ``DmarcSyntaxError`` with a position."""
    if not isinstance(text, str):
        raise DmarcSyntaxError(f"a DMARC record is text, not {type(text).__name__}")
    if text[:1] in (" ", "\t"):
        raise DmarcSyntaxError(
            f"a DMARC record starts with 'v={VERSION}', with nothing before it: receivers "
            "discard one that does not (RFC 7489 6.6.3)", text, 0)
    segments = _segments(text)
    first_at, first = segments[0]
    name, eq, value = first.partition("=")
    if not eq or name.strip(" \t").lower() != "v":
        raise DmarcSyntaxError(
            f"a DMARC record starts with 'v={VERSION}'", text, first_at
        )
    if value.strip(" \t") != VERSION:
        raise DmarcSyntaxError(
            f"the version must be exactly {VERSION!r}, not {value.strip()!r}", text, first_at
        )
    seen: set[str] = {"v"}
    policies: dict[str, Policy] = {}
    numbers: dict[str, int] = {}
    uris: dict[str, tuple[str, ...]] = {}
    alignments: dict[str, Alignment] = {}
    keywords: dict[str, tuple[str, ...]] = {}
    unknown: list[tuple[str, str]] = []
    for at, segment in segments[1:]:
        if not segment:
            continue
        name, eq, value = segment.partition("=")
        name = name.strip(" \t")
        value_at = at + segment.find("=") + 1 + len(value) - len(value.lstrip(" \t"))
        value = value.strip(" \t")
        if not eq or not _TAG_NAME.fullmatch(name):
            raise DmarcSyntaxError(
                f"{segment!r} is not a tag: write name=value, separated by ';'", text, at
            )
        tag = name.lower()
        if tag in seen:
            raise DmarcSyntaxError(f"the tag {tag!r} appears twice", text, at)
        seen.add(tag)
        if tag == "v":
            raise DmarcSyntaxError("'v' must be the first tag and appear once", text, at)
        if tag in ("p", "sp"):
            policies[tag] = _policy(value, tag, text, value_at)
        elif tag == "pct":
            numbers[tag] = _uint(value, tag, text, value_at, 100)
        elif tag == "ri":
            numbers[tag] = _uint(value, tag, text, value_at, 2**32 - 1)
        elif tag in ("rua", "ruf"):
            uris[tag] = _uris(value, tag, text, value_at)
        elif tag in ("adkim", "aspf"):
            alignments[tag] = _alignment(value, tag, text, value_at)
        elif tag == "fo":
            keywords[tag] = _keywords(value, tag, _FO, text, value_at)
        elif tag == "rf":
            keywords[tag] = _keywords(value, tag, _RF, text, value_at)
        else:
            unknown.append((name, value))
    return DmarcRecord(
        policy=policies.get("p"),
        subdomain_policy=policies.get("sp"),
        pct=numbers.get("pct"),
        rua=uris.get("rua", ()),
        ruf=uris.get("ruf", ()),
        adkim=alignments.get("adkim"),
        aspf=alignments.get("aspf"),
        fo=keywords.get("fo"),
        rf=keywords.get("rf"),
        ri=numbers.get("ri"),
        unknown=tuple(unknown),
    )


def uri_domain(uri: str) -> str | None:
    """The domain a ``mailto:`` report URI sends to (lower case), else None."""
    address = uri.split("!", 1)[0]
    if not address.lower().startswith("mailto:"):
        return None
    return address.rpartition("@")[2].rstrip(".").lower() or None


# Second-level labels under two-letter country TLDs that act as public suffixes
# (co.uk, com.au, ac.jp, ...): enough for an offline approximation.
_SECOND_LEVEL_SUFFIXES = frozenset(
    {"ac", "co", "com", "edu", "gov", "go", "ltd", "ne", "net", "or", "org", "plc", "sch"}
)


def organisational_domain(name: str) -> str:
    """An offline approximation of RFC 7489's Organizational Domain.

    Without the Public Suffix List: the last two labels, or three when the
    last two look like a country's public suffix (``example.co.uk``).
    """
    labels = name.rstrip(".").lower().split(".")
    keep = 2
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL_SUFFIXES:
        keep = 3
    return ".".join(labels[-keep:])


def _same_organisation(a: str, b: str) -> bool:
    return organisational_domain(a) == organisational_domain(b)


def external_destinations(record: DmarcRecord, domain: str) -> list[str]:
    """Report destination domains outside ``domain``, each once, in record order."""
    domain = domain.rstrip(".").lower()
    out: list[str] = []
    for uri in (*record.rua, *record.ruf):
        dest = uri_domain(uri)
        if dest and not _same_organisation(dest, domain) and dest not in out:
            out.append(dest)
    return out


def authorisation_name(domain: str, destination: str) -> str:
    """Where ``destination`` authorises reports about ``domain`` (RFC 7489 7.1)."""
    return f"{domain.rstrip('.').lower()}._report._dmarc.{destination.rstrip('.').lower()}"


def check_record(record: DmarcRecord, domain: str, *, inherited: bool = False) -> list[Finding]:
    """Findings for a parsed record published for ``domain``.

    ``inherited``: the record is judged for a subdomain of ``domain`` that has none of
    its own, so its ``sp=`` is the policy that applies and how it compares with ``p=``
    is the parent's business (no ``dmarc-subdomain-weaker``).
    """
    where = record_name(domain)
    findings: list[Finding] = []
    if record.policy is None:
        findings.append(
            DMARC_NO_POLICY.error(
                "the record has no p= tag: add p=none to monitor, then quarantine or reject",
                where,
            )
        )
    elif record.policy is Policy.NONE:
        findings.append(
            DMARC_POLICY_NONE.warning(
                "p=none only monitors: receivers deliver spoofed mail as usual. Once the "
                "reports show your senders pass, move to p=quarantine, then p=reject",
                where,
            )
        )
    if (
        not inherited
        and record.policy is not None
        and record.subdomain_policy is not None
        and _STRENGTH[record.subdomain_policy] < _STRENGTH[record.policy]
    ):
        findings.append(
            DMARC_SUBDOMAIN_WEAKER.warning(
                f"sp={record.subdomain_policy.value} is weaker than p={record.policy.value}: "
                "spoofed mail from subdomains is treated more leniently than from the domain",
                where,
            )
        )
    if record.pct is not None and record.pct < 100 and record.policy is not Policy.NONE:
        findings.append(
            DMARC_PCT_PARTIAL.warning(
                f"pct={record.pct} applies the policy to {record.pct}% of failing mail "
                "only: raise it to 100 once the rollout is done",
                where,
            )
        )
    if not record.rua:
        findings.append(
            DMARC_NO_RUA.warning(
                "no rua= destination: you receive no aggregate reports and cannot see "
                "who sends as your domain; add rua=mailto:<a mailbox you read>",
                where,
            )
        )
    for uri in (*record.rua, *record.ruf):
        if uri_domain(uri) is None:
            findings.append(
                DMARC_URI_SCHEME.warning(
                    f"{uri!r} is not a mailto: URI: most receivers only send reports by mail",
                    where,
                )
            )
    for dest in external_destinations(record, domain):
        findings.append(
            DMARC_RUA_EXTERNAL.warning(
                f"reports go to {dest!r}, outside {domain.rstrip('.').lower()!r}: receivers "
                f"only send them if {dest!r} publishes a TXT record 'v=DMARC1' at "
                f"{authorisation_name(domain, dest)!r} (RFC 7489 7.1)",
                where,
            )
        )
    for name, _ in record.unknown:
        findings.append(
            DMARC_UNKNOWN_TAG.warning(
                f"the tag {name!r} is not an RFC 7489 tag and is ignored by receivers",
                where,
            )
        )
    return findings


def validate_dmarc(text: str, domain: str, *, inherited: bool = False) -> list[Finding]:
    """Findings for the DMARC record ``text`` published for ``domain`` (never raises).

    ``inherited`` as for ``check_record``.
    """
    try:
        record = parse_dmarc(text)
    except DmarcSyntaxError as exc:
        return [DMARC_SYNTAX.error(exc.describe(), record_name(domain))]
    return check_record(record, domain, inherited=inherited)


