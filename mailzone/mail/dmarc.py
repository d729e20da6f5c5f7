"""DMARC policy records (RFC 9989): parse, format, validate.

``parse_dmarc`` turns the TXT value published at ``_dmarc.<domain>`` into a
``DmarcRecord``. Only a value that is not a DMARC record at all (it does not
start with ``v=DMARC1``) raises ``DmarcSyntaxError`` (a ``MailzoneError``): as
RFC 9989 has receivers do, a tag with a syntax error is discarded and the rest of
the record kept, so the parsed record says which tags were dropped and why
(``DmarcRecord.problems``) and its defaults apply in their place. ``format_dmarc``
writes a record back in the conventional tag order (``v`` first, then ``p``).
``validate_dmarc`` judges a record text for a domain and returns findings; it
never raises on bad input.

Tags (RFC 9989, "General Record Format"): ``v`` (first, exactly ``DMARC1``),
``p`` (optional: a record without it is ``p=none``), ``sp``, ``np``, ``t``,
``psd``, ``adkim``, ``aspf``, ``rua``, ``ruf``, ``fo``. ``pct``, ``rf`` and
``ri`` are RFC 7489's and historic: kept as written and reported, never applied.
Tag names and keyword values are case-insensitive; unknown tags are kept and
reported (receivers ignore them). A tag given twice keeps its first value.
Where receivers find the record for a domain (the DNS tree walk) is
``mailzone.mail.discovery``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import TypeVar

from mailzone.errors import DmarcSyntaxError as DmarcSyntaxError  # callers may catch it here
from mailzone.findings import Finding
from mailzone.names import domain_problem, is_under
from mailzone.registry import (
    DMARC_HISTORIC_TAG,
    DMARC_MULTIPLE,
    DMARC_NO_POLICY,
    DMARC_NO_RUA,
    DMARC_NOT_APPLIED,
    DMARC_NP_MISSING,
    DMARC_POLICY_NONE,
    DMARC_RUA_EXTERNAL,
    DMARC_SUBDOMAIN_WEAKER,
    DMARC_SYNTAX,
    DMARC_TESTING,
    DMARC_UNKNOWN_TAG,
    DMARC_URI_SCHEME,
)

VERSION = "DMARC1"
_T = TypeVar("_T")


class Policy(StrEnum):
    NONE = "none"
    QUARANTINE = "quarantine"
    REJECT = "reject"


class Alignment(StrEnum):
    RELAXED = "r"
    STRICT = "s"


class Psd(StrEnum):
    """``psd``: whether the record's domain is a public suffix domain (RFC 9989)."""

    YES = "y"  # a public suffix: the organisational domain is one label below
    NO = "n"  # an organisational domain: the tree walk stops here
    UNKNOWN = "u"  # the default


_STRENGTH = {Policy.NONE: 0, Policy.QUARANTINE: 1, Policy.REJECT: 2}


def stronger(a: Policy, b: Policy) -> bool:
    """Whether policy ``a`` asks receivers for more than ``b``."""
    return _STRENGTH[a] > _STRENGTH[b]


_TAG_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*")
_URI = re.compile(r"^(?P<uri>[A-Za-z][A-Za-z0-9+.\-]*:[^!\s]+)(?:!(?P<size>[0-9]+[kmgtKMGT]?))?$")
_LOCAL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+$")
_FO = frozenset({"0", "1", "d", "s"})
KNOWN_TAGS = ("v", "p", "sp", "np", "t", "psd", "adkim", "aspf", "rua", "ruf", "fo")
# RFC 7489's tags that RFC 9989 removed, and what receivers following RFC 9989 do instead.
HISTORIC_TAGS = {
    "pct": "receivers following RFC 9989 ignore it and apply the policy to all failing "
           "mail; to trial a policy, publish t=y instead",
    "rf": "receivers following RFC 9989 ignore it: failure reports have one format "
          "(RFC 9991)",
    "ri": "receivers following RFC 9989 ignore it and choose the aggregate reporting "
          "interval themselves (RFC 9990)",
}


DISCARDED = "receivers discard that tag and keep the rest of the record (RFC 9989)"
POLICY_DISCARDED = ("receivers discard it, and with it the record's policy: RFC 9989 applies "
                    "the record as p=none when it has a valid rua=, and not at all otherwise")


@dataclass(frozen=True, slots=True)
class TagProblem:
    """A tag receivers discard for a syntax error: which, why, and where (0-based)."""

    tag: str
    message: str
    position: int
    consequence: str = DISCARDED
    discarded: bool = True  # False for a repeated tag, whose first value stays

    def describe(self, text: str) -> str:
        return f"{self.message} (at character {self.position + 1} of {text!r}): {self.consequence}"


_POLICY_TAGS = frozenset({"p", "sp", "np"})


@dataclass(frozen=True, slots=True)
class DmarcRecord:
    """A parsed DMARC record. ``None`` means the tag was not written (its default applies).

    ``historic`` and ``unknown`` hold the ``pct``/``rf``/``ri`` and unknown tags as
    written; ``problems`` the tags discarded for a syntax error (never applied).
    """

    policy: Policy | None = None
    subdomain_policy: Policy | None = None
    nonexistent_policy: Policy | None = None
    testing: bool | None = None
    psd: Psd | None = None
    rua: tuple[str, ...] = ()
    ruf: tuple[str, ...] = ()
    adkim: Alignment | None = None
    aspf: Alignment | None = None
    fo: tuple[str, ...] | None = None
    historic: tuple[tuple[str, str], ...] = ()
    unknown: tuple[tuple[str, str], ...] = ()
    problems: tuple[TagProblem, ...] = ()

    @property
    def policy_valid(self) -> bool:
        """Whether ``p`` is there and valid and ``sp``/``np``, if written, are valid.

        RFC 9989 ("DMARC Policy Discovery"): a record without a valid ``p``, or with an
        invalid ``sp`` or ``np``, is applied as ``p=none`` throughout when it has a
        valid ``rua``, and not at all otherwise (``applies``).
        """
        # Asked by every effective_* property, several times a judgement: no set built.
        return self.policy is not None and not any(
            problem.discarded and problem.tag in _POLICY_TAGS for problem in self.problems)

    @property
    def applies(self) -> bool:
        """Whether receivers apply DMARC with this record at all (see ``policy_valid``)."""
        return self.policy_valid or bool(self.rua)

    @property
    def effective_policy(self) -> Policy:
        """``p``, or ``none`` when the record has no valid policy (RFC 9989)."""
        return self.policy if self.policy is not None and self.policy_valid else Policy.NONE

    @property
    def effective_subdomain_policy(self) -> Policy:
        """What applies to an existing subdomain without a record: ``sp``, else ``p``."""
        if not self.policy_valid:
            return Policy.NONE
        return self.subdomain_policy or self.effective_policy

    @property
    def effective_nonexistent_policy(self) -> Policy:
        """What applies to a name under the domain that does not exist: ``np``, else
        ``sp``, else ``p`` (RFC 9989)."""
        if not self.policy_valid:
            return Policy.NONE
        return self.nonexistent_policy or self.effective_subdomain_policy

    @property
    def in_testing(self) -> bool:
        return bool(self.testing)

    def policy_for(self, *, subdomain: bool, exists: bool = True) -> Policy:
        """The policy this record asks receivers to apply to mail from a name it covers."""
        if not subdomain:
            return self.effective_policy
        return self.effective_subdomain_policy if exists else self.effective_nonexistent_policy

    def __str__(self) -> str:
        return format_dmarc(self)


# RFC 9989 (like RFC 7489 6.4): a record is a TXT value that starts, with nothing
# before it, with the v tag ("v" either case, spaces around "=") naming exactly DMARC1;
# anything else at _dmarc.<domain> is discarded. What follows the version (a ';', a
# space, the end) is the record's own grammar's business.
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
    (RFC 9989, "DNS Tree Walk"). Every face that reads published values asks this.
    """
    records = [value for value in values if is_dmarc_record(value)]
    discarded = [f for value in values if not is_dmarc_record(value) and looks_like_dmarc(value)
                 for f in validate_dmarc(value, domain) if f.code == DMARC_SYNTAX.code]
    return records, discarded


def multiple_records(source: str, count: int) -> Finding:
    """``dmarc-multiple``: receivers discard every one of several records."""
    return DMARC_MULTIPLE.error(
        f"{count} DMARC records at {record_name(source)}: receivers discard all of "
        "them and look further up the tree (RFC 9989, \"DNS Tree Walk\"). Keep one",
        record_name(source),
    )


def record_name(domain: str) -> str:
    """Where a domain's DMARC record lives: ``_dmarc.<domain>``."""
    return f"_dmarc.{domain.rstrip('.').lower()}"


def format_dmarc(record: DmarcRecord) -> str:
    """The record as TXT text: ``v=DMARC1; p=...;`` then the other written tags.

    Historic and unknown tags are written back as they were read (a record round-trips);
    the components never put them in a record.
    """
    parts = [f"v={VERSION}"]
    for tag, policy in (("p", record.policy), ("sp", record.subdomain_policy),
                        ("np", record.nonexistent_policy)):
        if policy is not None:
            parts.append(f"{tag}={policy.value}")
    if record.testing is not None:
        parts.append(f"t={'y' if record.testing else 'n'}")
    if record.psd is not None:
        parts.append(f"psd={record.psd.value}")
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
    parts.extend(f"{name}={value}" for name, value in (*record.historic, *record.unknown))
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


class _BadTag(Exception):
    """One tag's value is not in its grammar (the tag is discarded, not the record)."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(message)
        self.message = message
        self.position = position


# A tag's value -> its member, read with a dict: calling the enum class (its metaclass's
# ``__call__``) cost a tenth of parsing a record, and a stack's DMARC texts are each its
# own domain's (``rua=mailto:...@<domain>``), so they are parsed, not found in the cache.
_POLICIES: dict[str, Policy] = {member.value: member for member in Policy}
_ALIGNMENTS: dict[str, Alignment] = {member.value: member for member in Alignment}
_PSDS: dict[str, Psd] = {member.value: member for member in Psd}
_BLANKS = re.compile(r"[ \t]+")


def _policy(value: str, tag: str, at: int) -> Policy:
    policy = _POLICIES.get(value.lower())
    if policy is None:
        raise _BadTag(f"{tag}={value!r} is not a policy: use none, quarantine or reject", at)
    return policy


def _alignment(value: str, tag: str, at: int) -> Alignment:
    alignment = _ALIGNMENTS.get(value.lower())
    if alignment is None:
        raise _BadTag(f"{tag}={value!r} is not an alignment mode: use r (relaxed) or s "
                      "(strict)", at)
    return alignment


def _testing(value: str, tag: str, at: int) -> bool:
    flag = value.lower()
    if flag not in ("y", "n"):
        raise _BadTag(f"{tag}={value!r} is not y or n", at)
    return flag == "y"


def _psd(value: str, tag: str, at: int) -> Psd:
    psd = _PSDS.get(value.lower())
    if psd is None:
        raise _BadTag(f"{tag}={value!r} is not y, n or u", at)
    return psd


def _uri(item: str, tag: str, at: int) -> str:
    """One report URI, or ``_BadTag`` naming what is wrong with it."""
    match = _URI.match(item)
    if not item or match is None:
        raise _BadTag(
            f"{tag} has {item!r}, which is not a report URI: write "
            f"'mailto:reports@<domain>' (separate several with commas)",
            at,
        )
    uri = match.group("uri")
    if uri.lower().startswith("mailto:"):
        address = uri[len("mailto:"):]
        local, at_sign, domain = address.rpartition("@")
        if (not at_sign or not local or not _LOCAL.match(local)
                or domain_problem(domain) is not None):
            raise _BadTag(f"{tag} has {uri!r}, whose address is not 'mailbox@domain'", at)
    return item


def _uris(value: str, tag: str, at: int) -> tuple[tuple[str, ...], list[TagProblem]]:
    """The valid URIs of a rua/ruf list, and a problem for each one that is not: each
    URI is judged on its own (RFC 9989 asks for "at least one syntactically valid
    reporting URI"), so one bad URI does not take the others with it."""
    uris: list[str] = []
    problems: list[TagProblem] = []
    offset = at
    for raw in value.split(","):
        item = raw.strip(" \t")
        item_at = offset + (len(raw) - len(raw.lstrip(" \t")))
        offset += len(raw) + 1
        try:
            uris.append(_uri(item, tag, item_at))
        except _BadTag as bad:
            problems.append(TagProblem(
                tag, bad.message, bad.position,
                "receivers skip that URI and send reports to the others", discarded=False))
    if not uris:  # no valid URI at all: the tag is gone
        problems = [TagProblem(p.tag, p.message, p.position) for p in problems]
    return tuple(uris), problems


def _failure_options(value: str, tag: str, at: int) -> tuple[str, ...]:
    words = tuple(word.strip(" \t").lower() for word in value.split(":"))
    for word in words:
        if word not in _FO:
            raise _BadTag(f"{tag}={value!r}: {word!r} is not one of {', '.join(sorted(_FO))} "
                          "(separate several with ':')", at)
    return words


def _version(text: str) -> tuple[list[tuple[int, str]], list[TagProblem]]:
    """The record's tag segments, once its first is ``v=DMARC1``; else the reason it is
    no DMARC record at all (receivers discard the whole value)."""
    if text[:1] in (" ", "\t"):
        raise DmarcSyntaxError(
            f"a DMARC record starts with 'v={VERSION}', with nothing before it: receivers "
            "discard one that does not (RFC 9989)", text, 0)
    segments = _segments(text)
    first_at, first = segments[0]
    name, eq, value = first.partition("=")
    if not eq or name.strip(" \t").lower() != "v":
        raise DmarcSyntaxError(f"a DMARC record starts with 'v={VERSION}'", text, first_at)
    version, *after = _BLANKS.split(value.strip(" \t"), maxsplit=1)
    rest = after[0] if after else ""
    if version != VERSION or (rest and not is_dmarc_record(text)):
        raise DmarcSyntaxError(
            f"the version must be exactly {VERSION!r}, not {value.strip()!r}", text, first_at
        )
    problems = []
    if rest:  # "v=DMARC1 p=none": a record to receivers, with what follows v unreadable
        problems.append(TagProblem("", f"{rest!r} follows the version without a ';' "
                                       "between them", text.index(rest, first_at)))
    return segments[1:], problems


def parse_dmarc(text: str) -> DmarcRecord:
    """Parse the text of a DMARC record.

    Raises ``DmarcSyntaxError`` (with a position) only when ``text`` is no DMARC record
    at all; a tag in error is left out of the record and listed in its ``problems``.
    """
    if not isinstance(text, str):
        raise DmarcSyntaxError(f"a DMARC record is text, not {type(text).__name__}")
    return _parse_dmarc(text)


# Every face asks again of the same text while a domain is checked; the record is
# immutable. A domain's DMARC text is its own: a few hundred cover an audit's domains in
# flight, but the pack's stack policies each read every record of the stack, so the
# bound holds a stack of a thousand domains between them (a smaller one made each
# policy parse every text again: AnalyzeStack of 10,000 resources 2,001 parses, not
# 1,001). An audit fills it by its first thousand domains, so its memory stays flat.
@lru_cache(maxsize=1024)
def _parse_dmarc(text: str) -> DmarcRecord:
    seen: set[str] = {"v"}
    values: dict[str, object] = {}
    historic: list[tuple[str, str]] = []
    unknown: list[tuple[str, str]] = []
    segments, problems = _version(text)
    for at, segment in segments:
        if not segment:
            continue
        name, eq, value = segment.partition("=")
        name = name.strip(" \t")
        value_at = at + segment.find("=") + 1 + len(value) - len(value.lstrip(" \t"))
        value = value.strip(" \t")
        tag = name.lower()
        if not eq or not _TAG_NAME.fullmatch(name):
            problems.append(TagProblem(
                "", f"{segment!r} is not a tag: write name=value, separated by ';'", at))
            continue
        if tag == "v":
            problems.append(TagProblem(tag, "'v' must be the first tag and appear once", at))
            continue
        if tag in seen:
            problems.append(TagProblem(
                tag, f"the tag {tag!r} appears twice", at,
                "which value a receiver takes is not defined; mailzone reads the first. "
                "Write the tag once", discarded=False))
            continue
        seen.add(tag)
        if tag in HISTORIC_TAGS:
            historic.append((tag, value))
            continue
        if tag in ("rua", "ruf"):
            uris, bad_uris = _uris(value, tag, value_at)
            if uris:
                values[tag] = uris
            problems += bad_uris
            continue
        parser = _TAG_PARSERS.get(tag)
        if parser is None:
            unknown.append((name, value))
            continue
        try:
            values[tag] = parser(value, tag, value_at)
        except _BadTag as bad:
            problems.append(TagProblem(tag, bad.message, bad.position, POLICY_DISCARDED)
                            if tag in ("p", "sp", "np") else
                            TagProblem(tag, bad.message, bad.position))
    return DmarcRecord(
        policy=_get(values, "p", Policy),
        subdomain_policy=_get(values, "sp", Policy),
        nonexistent_policy=_get(values, "np", Policy),
        testing=_get(values, "t", bool),
        psd=_get(values, "psd", Psd),
        rua=_get(values, "rua", tuple) or (),
        ruf=_get(values, "ruf", tuple) or (),
        adkim=_get(values, "adkim", Alignment),
        aspf=_get(values, "aspf", Alignment),
        fo=_get(values, "fo", tuple),
        historic=tuple(historic),
        unknown=tuple(unknown),
        problems=tuple(problems),
    )


def _get(values: dict[str, object], tag: str, kind: type[_T]) -> _T | None:
    value = values.get(tag)
    return value if isinstance(value, kind) else None


_TAG_PARSERS: dict[str, Callable[[str, str, int], object]] = {
    "p": _policy, "sp": _policy, "np": _policy,
    "t": _testing, "psd": _psd,
    "adkim": _alignment, "aspf": _alignment,
    "fo": _failure_options,
}


def uri_domain(uri: str) -> str | None:
    """The domain a ``mailto:`` report URI sends to (lower case), else None."""
    address = uri.split("!", 1)[0]
    if not address.lower().startswith("mailto:"):
        return None
    return address.rpartition("@")[2].rstrip(".").lower() or None


def external_destinations(record: DmarcRecord, organisation: str) -> list[str]:
    """Report destination domains outside ``organisation`` (the organisational domain of
    the record's domain, RFC 9989), each once, in record order.

    A destination at or under the organisational domain shares it; one elsewhere must
    authorise the reports (RFC 9989, "Verifying External Destinations"). Where no DNS
    is at hand (the components) the caller passes the record's own domain, the closest
    organisational domain it can vouch for.
    """
    out: list[str] = []
    for uri in (*record.rua, *record.ruf):
        dest = uri_domain(uri)
        if dest and not is_under(dest, organisation) and dest not in out:
            out.append(dest)
    return out


def authorisation_name(domain: str, destination: str) -> str:
    """Where ``destination`` authorises reports about ``domain`` (RFC 9989, "Verifying
    External Destinations")."""
    return f"{domain.rstrip('.').lower()}._report._dmarc.{destination.rstrip('.').lower()}"


def check_record(
    record: DmarcRecord,
    domain: str,
    *,
    inherited: bool = False,
    organisation: str | None = None,
    text: str | None = None,
) -> list[Finding]:
    """Findings for a parsed record published for ``domain``.

    ``inherited``: the record is judged for a subdomain of ``domain`` that has none of
    its own, so its ``sp=`` is the policy that applies and how it compares with ``p=``
    is the parent's business (no ``dmarc-subdomain-weaker``, no ``dmarc-np-missing``).
    ``organisation``: ``domain``'s organisational domain, when a tree walk found it
    (``mailzone.mail.discovery``); else ``domain`` itself. ``text``: the record as
    published, for the positions of discarded tags.
    """
    where = record_name(domain)
    shown = text if text is not None else format_dmarc(record)
    findings = [DMARC_SYNTAX.error(problem.describe(shown), where) for problem in record.problems]
    discarded = {problem.tag for problem in record.problems if problem.discarded}
    if not record.policy_valid:
        why = ("has no p= tag" if record.policy is None and "p" not in discarded
               else "has an invalid " + "/".join(
                   f"{t}=" for t in ("p", "sp", "np") if t in discarded))
        if record.applies:
            findings.append(DMARC_NO_POLICY.warning(
                f"the record {why}, so receivers act as if it said p=none, for the domain "
                "and its subdomains (RFC 9989): write a valid p=none to say so, then move "
                "to quarantine or reject", where))
        else:
            findings.append(DMARC_NOT_APPLIED.error(
                f"the record {why} and no valid rua=, so receivers apply no DMARC "
                "processing at all to this domain (RFC 9989). Write p=none with "
                "rua=mailto:<a mailbox you read> to start", where))
    elif record.policy is Policy.NONE:
        findings.append(DMARC_POLICY_NONE.warning(
            "p=none only monitors: receivers deliver spoofed mail as usual. Once the "
            "reports show your senders pass, move to p=quarantine, then p=reject", where))
    policy = record.effective_policy
    if (not inherited and record.subdomain_policy is not None
            and stronger(policy, record.subdomain_policy)):
        findings.append(DMARC_SUBDOMAIN_WEAKER.warning(
            f"sp={record.subdomain_policy.value} is weaker than p={policy.value}: spoofed "
            "mail from subdomains is treated more leniently than from the domain", where))
    enforced = [p for p in (policy, record.effective_subdomain_policy,
                            record.effective_nonexistent_policy) if p is not Policy.NONE]
    if record.in_testing and enforced:
        findings.append(DMARC_TESTING.warning(
            f"t=y says the domain is testing: receivers following RFC 9989 do not apply "
            f"{max(enforced, key=_STRENGTH.__getitem__).value} to failing mail, so this is "
            "not enforcement. Remove t=y once the reports show your senders pass", where))
    if (not inherited and record.nonexistent_policy is None and "np" not in discarded
            and record.effective_nonexistent_policy is not Policy.REJECT):
        findings.append(DMARC_NP_MISSING.warning(
            f"no np= tag, so names under {domain.rstrip('.').lower()} that do not exist get "
            f"the policy {record.effective_nonexistent_policy.value}: nothing real sends from "
            "a name that does not exist, so np=reject stops that spoofing at no cost (RFC 9989)",
            where))
    for tag, value in record.historic:
        findings.append(DMARC_HISTORIC_TAG.warning(
            f"{tag}={value} is historic (RFC 9989 removed it): {HISTORIC_TAGS[tag]}", where))
    for uri in (*record.rua, *record.ruf):
        if "!" in uri:
            findings.append(DMARC_HISTORIC_TAG.warning(
                f"{uri!r} ends in RFC 7489's size limit (!size), which RFC 9989 removed: "
                "receivers following it may read the '!' as part of the address. Drop it",
                where))
    if not record.rua:
        findings.append(DMARC_NO_RUA.warning(
            "no rua= destination: you receive no aggregate reports and cannot see who sends "
            "as your domain; add rua=mailto:<a mailbox you read>", where))
    for uri in (*record.rua, *record.ruf):
        if uri_domain(uri) is None:
            findings.append(DMARC_URI_SCHEME.warning(
                f"{uri!r} is not a mailto: URI: most receivers only send reports by mail",
                where))
    organisation = organisation or domain
    for dest in external_destinations(record, organisation):
        findings.append(DMARC_RUA_EXTERNAL.warning(
            f"reports go to {dest!r}, outside {organisation.rstrip('.').lower()!r}: receivers "
            f"only send them if {dest!r} publishes a TXT record 'v=DMARC1' at "
            f"{authorisation_name(domain, dest)!r} (RFC 9989, \"Verifying External "
            "Destinations\")", where))
    for name, _ in record.unknown:
        findings.append(DMARC_UNKNOWN_TAG.warning(
            f"the tag {name!r} is not an RFC 9989 tag and is ignored by receivers", where))
    return findings


def validate_dmarc(
    text: str, domain: str, *, inherited: bool = False, organisation: str | None = None
) -> list[Finding]:
    """Findings for the DMARC record ``text`` published for ``domain`` (never raises).

    ``inherited`` and ``organisation`` as for ``check_record``.
    """
    try:
        record = parse_dmarc(text)
    except DmarcSyntaxError as exc:
        return [DMARC_SYNTAX.error(exc.describe(), record_name(domain))]
    return check_record(record, domain, inherited=inherited, organisation=organisation,
                        text=text)


def dmarc_errors(text: str, domain: str) -> list[Finding]:
    """The errors among ``validate_dmarc(text, domain)``'s findings (never raises).

    ``check_record`` reports an error only for a tag discarded (``dmarc-syntax``) and for
    a record receivers do not apply (``dmarc-not-applied``): a record with neither has
    none, and its warnings are not written at all (the pack asks this of every DMARC
    record, and wants its errors alone).
    """
    try:
        record = parse_dmarc(text)
    except DmarcSyntaxError:
        return validate_dmarc(text, domain)  # the one error: not a DMARC record
    if not record.problems and record.applies:
        return []
    return [f for f in validate_dmarc(text, domain) if f.is_error]
