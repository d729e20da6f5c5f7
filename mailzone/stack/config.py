"""The stack configuration ``mailzone:domains``, validated as a whole.

The value is a list of domains, each a mapping with camelCase keys as Pulumi
config writes them (docs/configuration.md documents every key). ``parse_domains``
validates the whole list and either returns every domain, or raises
``ConfigError`` whose ``problems`` hold every problem found, each with its path
(``domains[1].senders[0]``) and a message naming the fix::

    domains[1].senders[0]: unknown sender 'sendgird'; did you mean 'sendgrid'?

Nothing is returned for a partly valid list: callers (the Pulumi program, the
policy pack, ``mailzone plan``) declare nothing when the config is bad.

Checks beyond the shape of each key: senders come from the catalogue (or are
``{include: <domain>}``); ``spfAll`` is ``~all`` or ``-all``; the SPF record's
offline lookup budget (the catalogue's include costs) stays within RFC 7208's
10; ``keepTxt`` holds no SPF record; the DMARC record is valid (``dmarc.py``);
the SES MAIL FROM subdomain is one DNS label; sender addresses are real
mailboxes in the domain (``rules.sender``); no domain appears twice; unknown
keys are errors with a "did you mean".
"""

from __future__ import annotations

import difflib
import ipaddress
import json
import re
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from mailzone.errors import ConfigError
from mailzone.findings import Finding
from mailzone.mail import catalogue
from mailzone.mail.dmarc import (
    Alignment,
    DmarcRecord,
    Policy,
    check_record,
    parse_dmarc,
)
from mailzone.mail.dmarc import format_dmarc as _format_dmarc
from mailzone.mail.ses import UnknownSesRegion, easy_dkim_zone
from mailzone.names import domain_problem, is_host_label, to_ascii
from mailzone.providers import PROVIDERS, DnsProvider, Provider
from mailzone.registry import CONFIG_INCLUDE_COST_UNKNOWN, CONFIG_NO_DMARC, SENDER_NOREPLY
from mailzone.rules.sender import check_sender_address, check_sender_domain
from mailzone.spf.budget import static_cost
from mailzone.spf.check import RFC_LIMITS
from mailzone.spf.lint import lint_duplicate_includes, lint_record
from mailzone.spf.parser import parse as parse_spf
from mailzone.stack.yamlfile import load_yaml
from mailzone.textfile import FileProblem, read_text

#: The stack config key this module reads, as ``<project>:<key>``.
CONFIG_KEY = "mailzone:domains"
#: The path prefix of every problem.
ROOT = "domains"

DEFAULT_TTL = 3600
MIN_TTL = 60
MAX_TTL = 86400
LOOKUP_LIMIT = RFC_LIMITS.lookups

_REGION = re.compile(r"^[a-z]{2}(?:-gov|-iso[a-z]*)?-[a-z]+-[0-9]+$")
_CONFIGURATION_SET = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def _fail(message: str) -> PydanticCustomError:
    return PydanticCustomError("mailzone", message)


def _did_you_mean(value: str, options: Sequence[str]) -> str:
    folded = {o.lower().replace("_", "").replace("-", ""): o for o in options}
    key = value.lower().replace("_", "").replace("-", "")
    if key in folded:
        return f"; did you mean {folded[key]!r}?"
    close = difflib.get_close_matches(value, list(options), n=1, cutoff=0.6)
    if close:
        return f"; did you mean {close[0]!r}?"
    return f" (expected one of: {', '.join(options)})"


def _name_problem(name: str, *, underscores: bool = False) -> str | None:
    """``names.domain_problem`` worded for a config value: with the name first."""
    problem = domain_problem(name, underscores=underscores)
    return None if problem is None else f"{name!r} is {problem}"


# -- senders -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SpfSender:
    """One entry of ``senders``: a catalogue sender or a bare include.

    ``lookups`` is what ``include:<include>`` costs (see ``catalogue``);
    ``cost_known`` is False when an include outside the catalogue stated no
    ``lookups`` and 1 (the include alone) was assumed.
    """

    include: str
    lookups: int
    key: str | None = None
    cost_known: bool = True

    @property
    def term(self) -> str:
        return f"include:{self.include}"


_INCLUDE_KEYS = ("include", "lookups")


def _parse_sender(value: object) -> SpfSender:
    if isinstance(value, str):
        try:
            entry = catalogue.lookup(value)
        except catalogue.UnknownSenderError as exc:
            if exc.suggestions:
                raise _fail(str(exc)) from None
            raise _fail(f"{exc.message}; or write {{include: <domain>}}") from None
        return SpfSender(include=entry.spf_include, lookups=entry.lookup_cost, key=entry.key)
    if isinstance(value, Mapping):
        unknown = [k for k in value if k not in _INCLUDE_KEYS]
        if unknown:
            bad = str(unknown[0])
            hint = _did_you_mean(bad, _INCLUDE_KEYS)
            raise _fail(f"unknown key {bad!r} in an include entry{hint}")
        include = value.get("include")
        if not isinstance(include, str) or not include.strip():
            raise _fail("an include entry needs 'include: <domain>', such as 'spf.partner.example'")
        include = include.strip().rstrip(".").lower()
        try:
            include = to_ascii(include)
        except ValueError as exc:
            raise _fail(f"include: {include!r} is {exc}") from None
        if include.startswith(("ip4:", "ip6:")) or _is_ip(include):
            raise _fail(
                f"{include!r} is an IP address: literal IPs are never authorised (providers "
                "change them); authorise the provider's SPF include domain instead"
            )
        if include.startswith("include:"):
            include = include[len("include:"):]
        problem = _name_problem(include, underscores=True)
        if problem is not None:
            raise _fail(f"include: {problem}")
        known = catalogue.by_include(include)
        lookups = value.get("lookups")
        if lookups is not None and (
            isinstance(lookups, bool) or not isinstance(lookups, int) or not 1 <= lookups <= 10
        ):
            raise _fail(
                f"lookups: {lookups!r} is not a lookup count: give what include:{include} "
                "costs, 1 (the include itself) to 10"
            )
        if known is not None:
            return SpfSender(
                include=include,
                lookups=known.lookup_cost if lookups is None else lookups,
                key=known.key,
            )
        return SpfSender(
            include=include,
            lookups=1 if lookups is None else lookups,
            cost_known=lookups is not None,
        )
    raise _fail(
        f"a sender is a catalogue key (such as 'amazon-ses') or {{include: <domain>}}, "
        f"not {type(value).__name__} {value!r}"
    )


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError:
        return False
    return True


Sender = Annotated[SpfSender, PlainValidator(_parse_sender)]


def include_costs(senders: Sequence[SpfSender]) -> dict[str, int]:
    """What writing ``include:<x>`` costs for each sender (the include and its tree)."""
    return {s.include: s.lookups for s in senders}


def spf_lookups(senders: Sequence[SpfSender]) -> int:
    """The offline lookup cost of a record of these includes, by the SPF engine."""
    text = " ".join(["v=spf1", *(s.term for s in senders), "-all"])
    return static_cost(parse_spf(text), include_costs(senders))


def _report_uri(uri: str) -> str:
    uri = uri.strip()
    if "@" in uri and ":" not in uri:
        raise _fail(f"{uri!r} needs its scheme: write 'mailto:{uri}'")
    if "," in uri or ";" in uri:
        raise _fail(f"{uri!r}: give one URI per list item (no ',' or ';')")
    if "!" in uri:
        raise _fail(f"{uri!r}: the size limit after '!' is RFC 7489's and RFC 9989 removed "
                    "it (receivers may read the '!' as part of the address): drop it")
    problems = parse_dmarc(f"v=DMARC1; p=none; rua={uri}").problems
    if problems:
        raise _fail(problems[0].message)
    return _ascii_mailto(uri)


def _ascii_mailto(uri: str) -> str:
    """A ``mailto:`` URI with its domain as A-labels: a URI is ASCII (RFC 3986), and a
    receiver that cannot send to ``rapports@exämple.com`` sends no reports at all."""
    head, at_sign, rest = uri.rpartition("@")
    if not uri.lower().startswith("mailto:") or not at_sign or rest.isascii():
        return uri
    domain, bang, size = rest.partition("!")
    try:
        return f"{head}@{to_ascii(domain)}{bang}{size}"
    except ValueError as exc:
        raise _fail(f"{uri!r}: its domain is {exc}") from None


ReportUri = Annotated[str, AfterValidator(_report_uri)]


def _sender_address(address: str, info: ValidationInfo) -> str:
    allowed = info.data.get("real_mailboxes") or ()
    findings = check_sender_address(address, allowed_mailboxes=allowed)
    domain = info.data.get("domain")
    if not findings and isinstance(domain, str):
        findings = check_sender_domain(address, [domain])
    errors = [
        f.message + (" (list it under realMailboxes)" if f.code == SENDER_NOREPLY.code else "")
        for f in findings
        if f.is_error
    ]
    if errors:
        raise _fail("; ".join(errors))
    return address


SenderAddress = Annotated[str, AfterValidator(_sender_address)]


# -- models ------------------------------------------------------------------------


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class DnsConfig(_Model):
    """``dns``: where the domain's records live."""

    provider: DnsProvider
    zone_id: str | None = Field(default=None, alias="zoneId")
    zone_name: str | None = Field(default=None, alias="zoneName")

    @field_validator("provider", mode="before")
    @classmethod
    def _provider(cls, value: object) -> DnsProvider:
        if not isinstance(value, str):
            raise _fail(f"expected text, got {type(value).__name__} {value!r}")
        options = tuple(p.value for p in DnsProvider)
        if value.strip().lower() in options:
            return DnsProvider(value.strip().lower())
        raise _fail(f"unknown DNS provider {value!r}{_did_you_mean(value, options)}")

    @field_validator("zone_name")
    @classmethod
    def _zone_name(cls, value: str | None) -> str | None:
        if value is None:
            return None
        problem = _name_problem(value)
        if problem:
            raise _fail(problem)
        return to_ascii(value).rstrip(".").lower()

    @model_validator(mode="after")
    def _zone(self) -> DnsConfig:
        problem = self.backend.zone_problem(self.zone_id, self.zone_name)
        if problem is not None:
            raise _fail(problem)
        return self

    @property
    def backend(self) -> Provider:
        """The provider module that knows how this domain's records are written."""
        return PROVIDERS[self.provider]

    @property
    def provider_zone_id(self) -> str | None:
        """``zoneId`` in the form the provider's resources take."""
        return self.backend.zone_id(self.zone_id)


class DmarcConfig(_Model):
    """``dmarc``: the ``_dmarc.<domain>`` policy (RFC 9989)."""

    policy: str
    subdomain_policy: str | None = Field(default=None, alias="subdomainPolicy")
    nonexistent_subdomain_policy: str | None = Field(
        default=None, alias="nonexistentSubdomainPolicy")
    testing: bool = False
    rua: list[ReportUri] = Field(default_factory=list)
    ruf: list[ReportUri] = Field(default_factory=list)
    adkim: str | None = None
    aspf: str | None = None
    # RFC 9989 removed pct, rf and ri: the keys are known only to say what to do instead.
    pct: None = Field(default=None, exclude=True)
    rf: None = Field(default=None, exclude=True)
    ri: None = Field(default=None, exclude=True)

    @field_validator("pct", "rf", "ri", mode="before")
    @classmethod
    def _historic(cls, value: object, info: ValidationInfo) -> None:
        instead = {
            "pct": "To trial a policy, write 'testing: true' (publishes t=y), then remove it "
                   "to enforce",
            "rf": "Failure reports have one format (RFC 9991): remove it",
            "ri": "Receivers choose the aggregate reporting interval (RFC 9990): remove it",
        }[info.field_name or "pct"]
        raise _fail(f"{info.field_name} is historic: RFC 9989 removed it and receivers "
                    f"ignore it. {instead}")

    @field_validator("policy", "subdomain_policy", "nonexistent_subdomain_policy")
    @classmethod
    def _policy(cls, value: str | None) -> str | None:
        if value is None:
            return None
        options = tuple(p.value for p in Policy)
        if value.lower() in options:
            return value.lower()
        raise _fail(f"unknown DMARC policy {value!r}{_did_you_mean(value, options)}")

    @field_validator("adkim", "aspf")
    @classmethod
    def _alignment(cls, value: str | None) -> str | None:
        if value is None:
            return None
        words = {"r": "r", "s": "s", "relaxed": "r", "strict": "s"}
        if value.lower() in words:
            return words[value.lower()]
        raise _fail(f"{value!r} is not an alignment mode: use r (relaxed) or s (strict)")

    def record(self) -> DmarcRecord:
        return DmarcRecord(
            policy=Policy(self.policy),
            subdomain_policy=None if self.subdomain_policy is None
            else Policy(self.subdomain_policy),
            nonexistent_policy=None if self.nonexistent_subdomain_policy is None
            else Policy(self.nonexistent_subdomain_policy),
            testing=True if self.testing else None,
            rua=tuple(self.rua),
            ruf=tuple(self.ruf),
            adkim=None if self.adkim is None else Alignment(self.adkim),
            aspf=None if self.aspf is None else Alignment(self.aspf),
        )

    def text(self) -> str:
        return _format_dmarc(self.record())


def _ses_region(value: str) -> str:
    if not _REGION.match(value):
        raise _fail(f"{value!r} is not an AWS region name (such as 'eu-west-1')")
    try:
        easy_dkim_zone(value)
    except UnknownSesRegion as exc:
        raise _fail(str(exc)) from None
    return value


def _mail_from_label(value: str) -> str:
    label = value.lower()
    if "." in label or not is_host_label(label):
        raise _fail(
            f"{value!r} is not a single DNS label: write one label such as 'bounce' "
            "(letters, digits, '-'; the MAIL FROM domain becomes bounce.<domain>)"
        )
    if label in ("www", "_dmarc", "_domainkey"):
        raise _fail(f"{value!r} is reserved for other records: choose e.g. 'bounce'")
    return label


def _configuration_set_name(value: str) -> str:
    if not _CONFIGURATION_SET.match(value):
        raise _fail(
            f"{value!r} is not an SES configuration set name (letters, digits, '_', '-', "
            "at most 64)"
        )
    return value


SesRegionName = Annotated[str, AfterValidator(_ses_region)]
MailFromLabel = Annotated[str, AfterValidator(_mail_from_label)]
ConfigurationSetName = Annotated[str, AfterValidator(_configuration_set_name)]


@dataclass(frozen=True, slots=True)
class SesRegion:
    """One SES identity of a domain: its region and what it declares there."""

    region: str
    mail_from_subdomain: str | None
    smtp_user: bool
    configuration_set: str | None

    @property
    def dkim_zone(self) -> str:
        """The region's Easy DKIM hosted zone (``mailzone.mail.ses``)."""
        return easy_dkim_zone(self.region)


class SesRegionConfig(_Model):
    """One item of ``ses.regions``: a region, and what differs there."""

    region: SesRegionName
    mail_from_subdomain: MailFromLabel | None = Field(default=None, alias="mailFromSubdomain")
    smtp_user: bool | None = Field(default=None, alias="smtpUser")
    configuration_set: ConfigurationSetName | None = Field(default=None,
                                                           alias="configurationSet")


class SesConfig(_Model):
    """``ses``: the Amazon SES domain identity, its MAIL FROM domain and SMTP user, in
    one region (``region``, default ``aws:region``) or several (``regions``).

    ``mailFromSubdomain``, ``smtpUser`` and ``configurationSet`` apply to every region
    unless a ``regions`` item says otherwise. Each region is an identity of its own,
    with its own three DKIM CNAMEs and its own MAIL FROM domain: a MAIL FROM domain's
    MX points at one region's feedback endpoint, so two regions cannot share one.
    """

    region: SesRegionName | None = None
    regions: list[SesRegionConfig] | None = None
    mail_from_subdomain: MailFromLabel | None = Field(default=None, alias="mailFromSubdomain")
    smtp_user: bool = Field(default=False, alias="smtpUser")
    configuration_set: ConfigurationSetName | None = Field(default=None,
                                                           alias="configurationSet")

    @model_validator(mode="before")
    @classmethod
    def _default_region(cls, data: Any, info: ValidationInfo) -> Any:
        if not isinstance(data, Mapping):
            return data
        regions = data.get("regions")
        if isinstance(regions, list):  # a plain region name is an item with only a region
            data = {**data, "regions": [{"region": r} if isinstance(r, str) else r
                                        for r in regions]}
        default = (info.context or {}).get("default_region")
        if "region" not in data and "regions" not in data and default:
            return {**data, "region": default}
        return data

    @model_validator(mode="after")
    def _one_identity_per_region(self) -> SesConfig:
        if self.region is not None and self.regions is not None:
            raise _fail("give 'region' (one region) or 'regions' (a list), not both")
        if self.region is None and self.regions is None:
            raise _fail("no region: add 'region: <aws region>' (such as eu-west-1), set "
                        "aws:region in the stack config, or list 'regions'")
        if self.regions == []:
            raise _fail("'regions' is empty: list at least one region, or give 'region'")
        seen: set[str] = set()
        mail_froms: dict[str, str] = {}
        for identity in self.identities:
            if identity.region in seen:
                raise _fail(f"regions lists {identity.region!r} twice: one identity per region")
            seen.add(identity.region)
            label = identity.mail_from_subdomain
            if label is not None and label in mail_froms:
                raise _fail(
                    f"{mail_froms[label]} and {identity.region} both use the MAIL FROM "
                    f"subdomain {label!r}: its MX can point at one region's feedback endpoint "
                    f"only (feedback-smtp.<region>.amazonses.com). Give each region its own "
                    "mailFromSubdomain (for example 'bounce-eu', 'bounce-us')")
            if label is not None:
                mail_froms[label] = identity.region
        return self

    @property
    def identities(self) -> tuple[SesRegion, ...]:
        """Every region's identity, the first region first."""
        items = self.regions if self.regions is not None else [
            SesRegionConfig(region=self.region or "")]
        return tuple(
            SesRegion(
                region=item.region,
                mail_from_subdomain=(item.mail_from_subdomain
                                     if item.mail_from_subdomain is not None
                                     else self.mail_from_subdomain),
                smtp_user=item.smtp_user if item.smtp_user is not None else self.smtp_user,
                configuration_set=item.configuration_set or self.configuration_set,
            )
            for item in items
        )


class ParkedConfig(_Model):
    """``parked``: the domain sends and takes no mail (``true``, or these options)."""

    # v=DKIM1; p= at *._domainkey: every selector's key is revoked (RFC 6376 3.6.1).
    wildcard_dkim: bool = Field(default=False, alias="wildcardDkim")


#: The DMARC record of a parked domain: reject everything, names that do not exist too.
PARKED_DMARC = {"policy": "reject", "subdomainPolicy": "reject",
                "nonexistentSubdomainPolicy": "reject"}
# The keys a parked entry may not have: (its field, why).
_PARKED_CONFLICTS = {
    "senders": ("senders",
                "it sends no mail, so its SPF record authorises nobody ('v=spf1 -all')"),
    "ses": ("ses", "it sends no mail, so it has no SES identity"),
    "senderAddresses": ("sender_addresses", "it sends no mail, so it has no sender addresses"),
}


def _parked(data: Mapping[str, Any]) -> Mapping[str, Any]:
    """A parked entry made whole: ``v=spf1 -all`` and DMARC reject with ``np=reject``
    (keeping the report destinations given) where the entry does not say otherwise.
    What it says against the lockdown set is refused, at its own path, by
    ``_parked_problems``."""
    parked = data.get("parked")
    if parked is None or parked is False:
        return {k: v for k, v in data.items() if k != "parked"}
    filled = {**data, "parked": {} if parked is True else parked}
    filled.setdefault("spfAll", "-all")
    dmarc = data.get("dmarc")
    if dmarc is None:
        filled["dmarc"] = dict(PARKED_DMARC)
    elif isinstance(dmarc, Mapping) and "policy" not in dmarc:
        filled["dmarc"] = {**PARKED_DMARC, **dmarc}
    return filled


def _parked_problems(domain: DomainConfig, prefix: str) -> list[tuple[str, str]]:
    """What a parked entry declares against the lockdown set, each at its path."""
    if domain.parked is None:
        return []
    problems = [(f"{prefix}.{key}", f"a parked domain declares no {key}: {why}. Remove it, "
                 "or drop 'parked'")
                for key, (field_name, why) in _PARKED_CONFLICTS.items()
                if getattr(domain, field_name)]
    if domain.spf_all != "-all":
        problems.append((f"{prefix}.spfAll", "a parked domain publishes 'v=spf1 -all': "
                         "remove spfAll (or set -all)"))
    dmarc = domain.dmarc
    if dmarc is not None:
        for key, field_name in (("policy", "policy"), ("subdomainPolicy", "subdomain_policy"),
                                ("nonexistentSubdomainPolicy",
                                 "nonexistent_subdomain_policy")):
            value = getattr(dmarc, field_name)
            if value is not None and value != "reject":
                problems.append((f"{prefix}.dmarc.{key}", "a parked domain's DMARC is "
                                 f"p=reject; sp=reject; np=reject, not {value}: give only rua "
                                 "and ruf under dmarc"))
        if dmarc.testing:
            problems.append((f"{prefix}.dmarc.testing", "a parked domain's policy is "
                             "enforced: t=y would ask receivers not to apply it"))
    return problems


class DomainConfig(_Model):
    """One entry of ``mailzone:domains``."""

    domain: str
    dns: DnsConfig
    parked: ParkedConfig | None = None
    senders: list[Sender] = Field(default_factory=list)
    spf_all: str = Field(default="~all", alias="spfAll")
    keep_txt: list[str] = Field(default_factory=list, alias="keepTxt")
    dmarc: DmarcConfig | None = None
    ses: SesConfig | None = None
    real_mailboxes: list[str] = Field(default_factory=list, alias="realMailboxes")
    sender_addresses: list[SenderAddress] = Field(default_factory=list, alias="senderAddresses")
    ttl: int = Field(default=DEFAULT_TTL, ge=MIN_TTL, le=MAX_TTL)

    @model_validator(mode="before")
    @classmethod
    def _parked_domain(cls, data: Any) -> Any:
        return _parked(data) if isinstance(data, Mapping) else data

    @field_validator("domain")
    @classmethod
    def _domain(cls, value: str) -> str:
        """The A-label form: ``bücher.example`` is ``xn--bcher-kva.example`` in DNS."""
        problem = _name_problem(value)
        if problem:
            raise _fail(problem)
        return to_ascii(value).rstrip(".").lower()

    @field_validator("senders")
    @classmethod
    def _senders(cls, value: list[SpfSender]) -> list[SpfSender]:
        seen: dict[str, int] = {}
        for index, sender in enumerate(value):
            if sender.include in seen:
                raise _fail(
                    f"include:{sender.include} is listed twice (senders[{seen[sender.include]}] "
                    f"and senders[{index}]): list each sender once"
                )
            seen[sender.include] = index
        total = spf_lookups(value)
        if total > LOOKUP_LIMIT:
            costs = ", ".join(f"{s.key or s.include} {s.lookups}" for s in value)
            raise _fail(
                f"the SPF record needs {total} DNS lookups ({costs}; as of "
                f"{catalogue.AS_OF.isoformat()}), over RFC 7208's limit of {LOOKUP_LIMIT}: "
                "receivers would fail every message (permerror). Remove senders you no "
                "longer use, or send some mail from a subdomain with its own SPF record"
            )
        return value

    @field_validator("spf_all")
    @classmethod
    def _spf_all(cls, value: str) -> str:
        if value in ("~all", "-all"):
            return value
        reasons = {
            "+all": "+all authorises every host on the internet to send as this domain",
            "all": "a bare all is +all: it authorises every host on the internet",
            "?all": "?all (neutral) gives receivers no verdict, so it protects nothing",
        }
        reason = reasons.get(value.strip(), f"{value!r} is not an SPF all term")
        raise _fail(f"{reason}; use '~all' (softfail) or '-all' (fail)")

    @field_validator("keep_txt")
    @classmethod
    def _keep_txt(cls, value: list[str]) -> list[str]:
        seen: set[str] = set()
        for item in value:
            if item.lower().startswith("v=spf1"):
                raise _fail(
                    "keepTxt holds an SPF record: the SPF record is managed from 'senders'; "
                    "move its includes there and remove it from keepTxt"
                )
            if not item:
                raise _fail("keepTxt has an empty value: remove it")
            if item in seen:
                raise _fail(f"keepTxt lists {item!r} twice: keep one")
            seen.add(item)
        return value

    # -- derived --------------------------------------------------------------------

    @property
    def zone_name(self) -> str:
        return self.dns.zone_name or self.domain

    @property
    def ses_identities(self) -> tuple[SesRegion, ...]:
        """The domain's SES identities, one per region (none without ``ses``)."""
        return () if self.ses is None else self.ses.identities

    def mail_from_of(self, identity: SesRegion) -> str | None:
        """The MAIL FROM domain of one of the domain's SES identities."""
        label = identity.mail_from_subdomain
        return None if label is None else f"{label}.{self.domain}"

    @property
    def mail_from_domains(self) -> tuple[str, ...]:
        """Every region's MAIL FROM domain, the first region's first."""
        return tuple(m for i in self.ses_identities if (m := self.mail_from_of(i)) is not None)

    @property
    def mail_from_domain(self) -> str | None:
        """The first region's MAIL FROM domain (the one ``mailzone check`` audits)."""
        return next(iter(self.mail_from_domains), None)

    @property
    def spf_includes(self) -> list[str]:
        return [s.include for s in self.senders]

    @property
    def spf_record(self) -> str:
        """The apex SPF record: ``v=spf1``, one include per sender, then ``spfAll``."""
        return " ".join(["v=spf1", *(s.term for s in self.senders), self.spf_all])

    @property
    def spf_lookups(self) -> int:
        """The SPF record's offline lookup cost (see ``spf_lookups``)."""
        return spf_lookups(self.senders)


@dataclass(frozen=True, slots=True)
class StackConfig:
    """A stack's settings file, as far as mailzone reads it."""

    path: Path
    stack: str
    domains: list[DomainConfig]
    aws_region: str | None = None


# -- problems ------------------------------------------------------------------------


def _path(prefix: str, loc: Sequence[int | str]) -> str:
    out = prefix
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _unwrap_model(annotation: Any) -> type[BaseModel] | None:
    """The model class inside ``X | None`` / ``list[X]`` annotations, if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType, list):
        for arg in typing.get_args(annotation):
            found = _unwrap_model(arg)
            if found is not None:
                return found
    return None


def _model_at(loc: Sequence[int | str]) -> type[BaseModel] | None:
    model: type[BaseModel] | None = DomainConfig
    for part in loc:
        if isinstance(part, int) or model is None:
            continue
        field = next(
            (f for name, f in model.model_fields.items() if (f.alias or name) == part), None
        )
        model = None if field is None else _unwrap_model(field.annotation)
    return model


def _keys(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


_TYPE_NAMES = {
    "string_type": "text",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "a list",
    "model_type": "a mapping of keys",
    "dict_type": "a mapping of keys",
}


def _problem(prefix: str, err: Mapping[str, Any]) -> tuple[str, str]:
    loc: list[int | str] = list(err["loc"])
    kind = err["type"]
    value = err.get("input")
    if kind == "extra_forbidden":
        key = str(loc[-1])
        model = _model_at(loc[:-1])
        hint = _did_you_mean(key, _keys(model)) if model else ""
        if key == "ttl" and loc[:-1] == ["dns"]:
            hint = "; ttl is set per domain: move it to the domain's 'ttl'"
        return _path(prefix, loc[:-1]), f"unknown key {key!r}{hint}"
    if kind == "missing":
        hint = {
            "region": ": add 'region: <aws region>' (such as eu-west-1), or set aws:region "
            "in the stack config",
            "domain": ": add 'domain: <the domain mail is sent from>'",
            "dns": ": add 'dns: {provider: route53}' or 'dns: {provider: cloudflare, zoneId: ...}'",
            "provider": ": add 'provider: route53' or 'provider: cloudflare'",
            "policy": ": add 'policy: none' to monitor, or quarantine / reject",
        }.get(str(loc[-1]), "")
        return _path(prefix, loc[:-1]), f"missing required key {loc[-1]!r}{hint}"
    if kind == "mailzone":
        return _path(prefix, loc), str(err["msg"])
    if kind in _TYPE_NAMES:
        return _path(prefix, loc), (
            f"expected {_TYPE_NAMES[kind]}, got {type(value).__name__} {value!r}"
        )
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        field = loc[-1]
        if field == "ttl":
            return _path(prefix, loc), (
                f"ttl {value!r} is out of range: use {MIN_TTL} to {MAX_TTL} seconds"
            )
    message = str(err["msg"])
    return _path(prefix, loc), message[:1].lower() + message[1:]


def _domain_problems(domain: DomainConfig, prefix: str) -> list[tuple[str, str]]:
    """Checks that need the whole validated entry."""
    problems = [(f"{prefix}.senders", message) for message in _spf_lint(domain)]
    problems += _parked_problems(domain, prefix)
    if domain.dmarc is not None:
        for finding in check_record(domain.dmarc.record(), domain.domain):
            if finding.is_error:
                problems.append((f"{prefix}.dmarc", finding.message))
    return problems


def _spf_lint(domain: DomainConfig) -> list[str]:
    """Error messages of the SPF engine's lint for the record this domain would publish."""
    # The lookup budget is judged with the senders, from the catalogue's costs.
    findings = lint_record(domain.spf_record, domain=domain.domain)
    return [f.message for f in findings if f.is_error]


def parse_domains(raw: object, *, default_region: str | None = None) -> list[DomainConfig]:
    """Validate the value of ``mailzone:domains`` as a whole.

    ``raw`` is the decoded value (a list of mappings), or its JSON text as
    ``pulumi config set`` stores it without ``--path``. ``default_region``
    (the stack's ``aws:region``) applies to ``ses`` entries without a region.
    Raises ``ConfigError`` with every problem; returns every domain otherwise.
    """
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ConfigError([(ROOT, f"{CONFIG_KEY} is text that is not JSON: {exc}")]) from None
    if raw is None:
        raise ConfigError([(
            ROOT,
            f"{CONFIG_KEY} is not set: add a list of domains under 'config:' in "
            "Pulumi.<stack>.yaml (see docs/configuration.md)",
        )])
    if not isinstance(raw, list):
        raise ConfigError([(
            ROOT,
            f"{CONFIG_KEY} must be a list of domains (each '- domain: ...'), "
            f"not {type(raw).__name__}",
        )])
    if not raw:
        raise ConfigError([(ROOT, f"{CONFIG_KEY} is empty: add at least one domain")])
    problems: list[tuple[str, str]] = []
    domains: list[DomainConfig] = []
    first_at: dict[str, int] = {}
    context = {"default_region": default_region}
    for index, entry in enumerate(raw):
        prefix = f"{ROOT}[{index}]"
        if not isinstance(entry, Mapping):
            problems.append((
                prefix,
                f"expected a mapping ('domain: ...', 'dns: ...'), got {type(entry).__name__}",
            ))
            continue
        name = entry.get("domain")
        if isinstance(name, str) and domain_problem(name) is None:
            key = to_ascii(name).rstrip(".").lower()
            if key in first_at:
                problems.append((
                    f"{prefix}.domain",
                    f"{key} is already configured at {ROOT}[{first_at[key]}]: each domain "
                    "appears once; merge the two entries",
                ))
            else:
                first_at[key] = index
        try:
            domain = DomainConfig.model_validate(entry, context=context)
        except ValidationError as exc:
            problems.extend(_problem(prefix, err) for err in exc.errors())
            continue
        problems.extend(_domain_problems(domain, prefix))
        domains.append(domain)
    if problems:
        raise ConfigError(problems)
    return domains


def config_warnings(domains: Sequence[DomainConfig]) -> list[Finding]:
    """Warnings for a valid config: worth reading, not worth refusing."""
    return [f for index, domain in enumerate(domains) for f in domain_warnings(domain, index)]


def domain_warnings(domain: DomainConfig, index: int, *, record: bool = True) -> list[Finding]:
    """The warnings of ``domains[index]``, each placed at its config path.

    ``record``: with the SPF engine's warnings about the record the senders make (what
    ``SpfRecord.check`` says of it); a plan judges the record at its name itself.
    """
    findings: list[Finding] = []
    prefix = f"{ROOT}[{index}]"
    if record:
        text = domain.spf_record
        findings += [f.at(f"{prefix}.senders") for f in (
            *lint_record(text, domain=domain.domain),
            *lint_duplicate_includes(text, domain=domain.domain)) if not f.is_error]
    for position, sender in enumerate(domain.senders):
        if not sender.cost_known:
            findings.append(CONFIG_INCLUDE_COST_UNKNOWN.warning(
                f"include:{sender.include} is not in the catalogue: its lookup cost is "
                "assumed to be 1; state it with 'lookups: <n>' so the budget is right",
                f"{prefix}.senders[{position}]",
            ))
    if domain.dmarc is None:
        findings.append(CONFIG_NO_DMARC.warning(
            f"no dmarc for {domain.domain}: receivers get no policy and you get no "
            "reports; add 'dmarc: {policy: none, rua: [mailto:<mailbox>]}' to start",
            prefix,
        ))
    else:
        findings.extend(
            f.at(f"{prefix}.dmarc")
            for f in check_record(domain.dmarc.record(), domain.domain)
            if not f.is_error
        )
    for position, address in enumerate(domain.sender_addresses):
        findings.extend(
            f for f in check_sender_address(
                address, allowed_mailboxes=domain.real_mailboxes,
                where=f"{prefix}.senderAddresses[{position}]",
            )
            if not f.is_error
        )
    return findings


def stack_path(stack: str) -> Path:
    """``Pulumi.<stack>.yaml`` in the current directory, or the stack file's path itself."""
    if stack.endswith((".yaml", ".yml")) or "/" in stack:
        return Path(stack)
    return Path(f"Pulumi.{stack}.yaml")


def load_stack_config(path: Path) -> StackConfig:
    """Read ``Pulumi.<stack>.yaml`` and validate its ``mailzone:domains``.

    Raises ``ConfigError`` when the file cannot be read (the problem's path is
    the file) or the config is invalid (paths are ``domains[...]``).
    """
    stack = path.name
    for suffix in (".yaml", ".yml"):
        if stack.startswith("Pulumi.") and stack.endswith(suffix):
            stack = stack[len("Pulumi."):-len(suffix)]
    try:
        text = read_text(path, what="the stack file")
    except FileNotFoundError:
        raise ConfigError([(str(path), "cannot read the stack settings: no such file (give "
                                       "--stack NAME for Pulumi.NAME.yaml, or the file's "
                                       "path)")]) from None
    except FileProblem as exc:
        raise ConfigError([(str(path), exc.problem)]) from None
    document = load_yaml(text, source=str(path))
    config = document.get("config") if isinstance(document, dict) else None
    if not isinstance(config, dict):
        raise ConfigError([(
            str(path),
            f"no 'config:' mapping: add 'config:' with '{CONFIG_KEY}' under it",
        )])
    region = config.get("aws:region")
    aws_region = region if isinstance(region, str) else None
    domains = parse_domains(config.get(CONFIG_KEY), default_region=aws_region)
    return StackConfig(path=path, stack=stack, domains=domains, aws_region=aws_region)


__all__ = [
    "CONFIG_KEY",
    "DmarcConfig",
    "DnsConfig",
    "DomainConfig",
    "SesConfig",
    "SpfSender",
    "StackConfig",
    "config_warnings",
    "domain_warnings",
    "load_stack_config",
    "parse_domains",
]
