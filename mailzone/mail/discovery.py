"""Where receivers find a domain's DMARC policy: the RFC 9989 DNS tree walk.

RFC 9989 replaced RFC 7489's public-suffix-list "organizational domain" with a
walk up the DNS tree ("DNS Tree Walk"): ask ``_dmarc.<domain>``; then, when no
single record is there, ask again at the domain with its left-most labels removed
(straight to four labels for a longer name), one label at a time up to the
top-level domain. So a walk asks at most five names, whatever the domain's length
(``walk_targets``). At each name, values that are not ``v=DMARC1`` records are
ignored and several records are discarded together, and the walk goes on; a
single record with ``psd=n`` ends it.

The record that applies (RFC 9989, "DMARC Policy Discovery") is the domain's own,
else its organisational domain's, else its public suffix domain's (``psd=y``): a
record at a name between the domain and its organisational domain applies to that
name only, so its ``sp``/``np`` never reach names below it.

The same walk names the organisational domain (RFC 9989, "Identifying the
Organizational Domain"): the name whose record says ``psd=n``, else the name one
label below a record that says ``psd=y``, else the name with the fewest labels
that has a record, else the domain itself. Alignment and the check of outside
report destinations use it.

``discover`` is an engine (``mailzone.dns.exchange``): it asks every name of the
walk in one batch, so a live resolver asks them at once, and ``Discovery`` judges
the answers without I/O. A failure to answer at the domain itself or a name
below the top-level domain leaves the policy unknown (``Discovery.unknown``). A
failure at the top-level domain, the last step, counts as no record there: a
public suffix DMARC record on a TLD is rare, and authoritative-only servers (the
zone's own, a test server) refuse names outside their zones; ``Level.error``
keeps what happened.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mailzone.dns.exchange import Exchange, Outcome, Question, ask_all
from mailzone.dns.resolver import Answer, RdType
from mailzone.errors import DnsError
from mailzone.findings import Finding
from mailzone.mail.dmarc import (
    DmarcRecord,
    Policy,
    Psd,
    multiple_records,
    parse_dmarc,
    published_records,
    record_name,
)

#: The most names one walk asks: the domain, then four labels down to one (RFC 9989).
MAX_WALK_QUERIES = 5
_JUMP_TO_LABELS = 4


def walk_targets(domain: str) -> tuple[str, ...]:
    """The names a tree walk from ``domain`` asks ``_dmarc`` of, in order.

    ``a.b.c.d.e.example.com`` asks itself, then ``d.e.example.com`` (four labels),
    ``e.example.com``, ``example.com``, ``com``: at most ``MAX_WALK_QUERIES``.
    """
    name = domain.rstrip(".").lower()
    labels = name.split(".")
    below = min(len(labels) - 1, _JUMP_TO_LABELS)
    return (name, *(".".join(labels[-count:]) for count in range(below, 0, -1)))


@dataclass(frozen=True, slots=True)
class Level:
    """One name of the walk: the DMARC records its ``_dmarc`` name holds, or the failure."""

    domain: str
    values: tuple[str, ...] = ()
    error: DnsError | None = None
    # What was worked out from the values, once: every face asks a walk many times.
    _memo: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def name(self) -> str:
        return record_name(self.domain)

    def records(self) -> tuple[list[str], list[Finding]]:
        """The DMARC records here, and ``dmarc-syntax`` for values meant as records that
        receivers discard (``mailzone.mail.dmarc.published_records``)."""
        if "records" not in self._memo:
            self._memo["records"] = published_records(self.values, self.domain)
        found: tuple[list[str], list[Finding]] = self._memo["records"]
        return list(found[0]), list(found[1])

    @property
    def record(self) -> DmarcRecord | None:
        """The one record here, parsed, when there is exactly one (else receivers use none)."""
        if "record" not in self._memo:
            records, _ = self.records()
            # is_dmarc_record admits only values that parse (a property test holds it).
            self._memo["record"] = parse_dmarc(records[0]) if len(records) == 1 else None
        record: DmarcRecord | None = self._memo["record"]
        return record

    @property
    def top(self) -> bool:
        """Whether this is the top-level domain, the last step of any walk."""
        return "." not in self.domain


@dataclass(frozen=True, slots=True)
class Discovery:
    """What one tree walk from ``domain`` found, level by level (the walk's order)."""

    domain: str
    levels: tuple[Level, ...]
    _memo: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def over(cls, domain: str, published: Mapping[str, Sequence[str]]) -> Discovery:
        """The walk from ``domain`` over the ``_dmarc`` TXT values of each name
        (``published``: by domain, without ``_dmarc.``; a name not in it has none)."""
        return cls(domain.rstrip(".").lower(), tuple(
            Level(name, tuple(published.get(name, ()))) for name in walk_targets(domain)))

    @classmethod
    def nothing_published(cls, domain: str) -> Discovery:
        """The walk from ``domain`` where no name of it has a record."""
        return cls.over(domain, {})

    def replacing(self, domain: str, values: Sequence[str]) -> Discovery:
        """The walk with ``domain``'s level holding ``values`` (what a plan will publish)."""
        return Discovery(self.domain, tuple(
            Level(level.domain, tuple(values)) if level.domain == domain else level
            for level in self.levels))

    @property
    def unknown(self) -> DnsError | None:
        """The failure that leaves the policy unknown, if one does: at the domain, or,
        when the domain has no record, at any name of the walk but the top-level
        domain's (the organisational domain depends on them all)."""
        first = self.levels[0]
        if first.error is not None:
            return first.error
        if first.record is not None:
            return None
        return next((level.error for level in self.levels[1:]
                     if level.error is not None and not level.top), None)

    def _org_level(self) -> Level | None:
        organisation = self.organisation
        return next((level for level in self.levels[1:] if level.domain == organisation),
                    None)

    def _psd_level(self) -> Level | None:
        return next((level for level in self.levels[1:]
                     if level.record is not None and level.record.psd is Psd.YES), None)

    def _read(self) -> tuple[Level, ...]:
        """The levels whose records receivers may apply: the domain's, the
        organisational domain's, the public suffix domain's (RFC 9989, "DMARC Policy
        Discovery"). A record at a name in between applies to that name only."""
        levels = [self.levels[0]]
        for level in (self._org_level(), self._psd_level()):
            if level is not None and level not in levels:
                levels.append(level)
        return tuple(levels)

    @property
    def policy_level(self) -> Level | None:
        """The level whose record applies to ``domain``, if the walk found one: the
        domain's own, else its organisational domain's, else its public suffix's."""
        if "policy_level" not in self._memo:
            self._memo["policy_level"] = None if self.unknown is not None else next(
                (level for level in self._read() if level.record is not None), None)
        level: Level | None = self._memo["policy_level"]
        return level

    @property
    def record(self) -> DmarcRecord | None:
        level = self.policy_level
        return None if level is None else level.record

    @property
    def source(self) -> str | None:
        """The domain whose ``_dmarc`` record applies (``domain`` or an ancestor)."""
        level = self.policy_level
        return None if level is None else level.domain

    @property
    def inherited(self) -> bool:
        """Whether the policy comes from an ancestor (its ``sp``/``np`` apply)."""
        return self.source is not None and self.source != self.domain

    def policy(self, *, exists: bool = True) -> Policy | None:
        """The policy receivers apply to mail from ``domain`` (``exists``: whether the
        domain itself exists; ``np`` is for names that do not)."""
        record = self.record
        if record is None or not record.applies:
            return None  # no record, or one receivers apply no DMARC processing for
        return record.policy_for(subdomain=self.inherited, exists=exists)

    def findings(self) -> list[Finding]:
        """What the walk itself says: values receivers discard, and names with several
        records (receivers discard them all), at the names whose records may apply."""
        found: list[Finding] = []
        for level in self._read():
            records, discarded = level.records()
            found += discarded
            if len(records) > 1:
                found.append(multiple_records(level.domain, len(records)))
        return found

    @property
    def multiple(self) -> bool:
        """Whether no policy was found where a name held several records."""
        return self.policy_level is None and any(
            len(level.records()[0]) > 1 for level in self._read())

    @property
    def stopped_at(self) -> Level | None:
        """The top-level domain's level, when it could not be asked (see the module)."""
        return next((level for level in self.levels if level.top and level.error), None)

    @property
    def organisation(self) -> str:
        """The organisational domain of ``domain`` (RFC 9989; see the module)."""
        if "organisation" not in self._memo:
            self._memo["organisation"] = self._organisation()
        organisation: str = self._memo["organisation"]
        return organisation

    def _organisation(self) -> str:
        fewest: str | None = None
        for level in self.levels:
            record = level.record
            if level.error is not None or record is None:
                continue
            if record.psd is Psd.NO:
                return level.domain
            if record.psd is Psd.YES and level.domain != self.domain:
                labels = self.domain.split(".")
                depth = level.domain.count(".") + 2
                return ".".join(labels[-depth:]) if len(labels) >= depth else self.domain
            fewest = level.domain
        return fewest or self.domain


def discovery_from(domain: str, outcomes: Sequence[Answer | DnsError]) -> Discovery:
    """The walk from ``domain`` judged from the answers to ``walk_targets(domain)``."""
    levels = []
    for target, outcome in zip(walk_targets(domain), outcomes, strict=True):
        if isinstance(outcome, DnsError):
            levels.append(Level(target, error=outcome))
        else:
            levels.append(Level(target, tuple(outcome.records)))
    return Discovery(domain.rstrip(".").lower(), tuple(levels))


def discover_all(domains: Sequence[str], *, also: Sequence[Question] = ()
                 ) -> Exchange[tuple[list[Discovery], list[Outcome]]]:
    """Walk from each of ``domains``, every name of every walk asked in one batch with
    the caller's own questions ``also``; the walks, and the outcomes of ``also``."""
    targets = [walk_targets(domain) for domain in domains]
    outcomes = iter((yield from ask_all([*((record_name(name), RdType.TXT)
                                           for walk in targets for name in walk), *also])))
    walks = [discovery_from(domain, [next(outcomes) for _ in walk])
             for domain, walk in zip(domains, targets, strict=True)]
    return walks, list(outcomes)


def discover(domain: str) -> Exchange[Discovery]:
    """Walk from ``domain`` (all of its names in one batch)."""
    (discovery,), _ = yield from discover_all([domain])
    return discovery
