"""What every policy of the pack shares: reading its config, and adapting the SDK's
arguments to the core's plain values (``resources``) and its findings back to
violations. A policy whose config is wrong fails loudly with the key and the fix.

A resource is decoded and converted once per call, whatever the number of policies
that read it: ``policies.analyzer`` hands each policy a ``DecodedResourceArgs`` (a
``DecodedStackArgs`` for the stack) carrying the shared ``Decoded`` view, and
``resource_of``, the DNS and settings wrappers and ``stack_of``/``stack_records`` read
it from there. Arguments from elsewhere (the SDK's own servicer) are converted as they
come."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from typing import Any, TypeVar

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    StackValidationArgs,
)

from mailzone.dns.resolver import normalize_name
from mailzone.findings import Finding
from mailzone.registry import REGISTRY, Enforcement
from mailzone.rules.mailhost import IPNetwork, parse_networks
from mailzone.rules.records import DnsRecord, spf_values
from mailzone.rules.settings import DEFAULT_NAMES, SettingKind, SettingNames
from policies import resources as rs
from policies.runtimes import SETTINGS_TYPES, SettingsGroup, settings_groups


class PolicyConfigError(ValueError):
    """A policy's configuration cannot be used; the message names the key and the fix."""


# --- config helpers -----------------------------------------------------------


def config_strings(config: Mapping[str, Any], policy: str, key: str,
             default: Iterable[str] = ()) -> list[str]:
    value = config.get(key)
    if value is None:
        return list(default)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise PolicyConfigError(f"{policy}: config '{key}' must be a list of strings")
    return list(value)


def config_int(config: Mapping[str, Any], policy: str, key: str, default: int) -> int:
    value = config.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value:
        raise PolicyConfigError(f"{policy}: config '{key}' must be a whole number, got {value!r}")
    return int(value)


def config_bool(config: Mapping[str, Any], policy: str, key: str, default: bool) -> bool:
    value = config.get(key)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise PolicyConfigError(f"{policy}: config '{key}' must be true or false")
    return value


def config_networks(config: Mapping[str, Any], policy: str, key: str) -> list[IPNetwork]:
    try:
        return parse_networks(config_strings(config, policy, key))
    except ValueError as exc:
        raise PolicyConfigError(f"{policy}: config '{key}': {exc}") from None


def config_costs(config: Mapping[str, Any], policy: str) -> dict[str, int]:
    value = config.get("includeCosts") or {}
    if not isinstance(value, dict):
        raise PolicyConfigError(f"{policy}: config 'includeCosts' must map includes to numbers")
    return {str(k).removeprefix("include:"): config_int(value, policy, k, 1) for k in value}


STRINGS = {"type": "array", "items": {"type": "string"}}

#: The ``settingNames`` config of every policy that reads application settings:
#: more exact names for the core's table, by kind.
SETTING_NAMES_SCHEMA: dict[str, Any] = {
    "type": "object", "default": {},
    "properties": {kind.value: STRINGS for kind in SettingKind},
    "additionalProperties": False,
    "description": "setting names to recognise beside the built-in table, by kind "
                   "(host, port, url, sender, password)",
}


def config_names(config: Mapping[str, Any], policy: str) -> SettingNames:
    """The name table, extended with the policy's ``settingNames``."""
    value = config.get("settingNames") or {}
    if not isinstance(value, dict):
        raise PolicyConfigError(f"{policy}: config 'settingNames' must map kinds "
                                "(host, port, url, sender, password) to lists of names")
    extra: dict[SettingKind, list[str]] = {}
    kinds = {k.value: k for k in SettingKind}
    for key in value:
        if key not in kinds:
            raise PolicyConfigError(
                f"{policy}: config 'settingNames.{key}': not a kind; use host, port, url, "
                "sender or password")
        extra[kinds[key]] = config_strings(value, policy, key)
    return DEFAULT_NAMES.extended(extra)


T = TypeVar("T")


class PolicyConfig(Mapping[str, Any]):
    """A policy's config as the analyzer gives a judgement: read-only, kept for as long as
    the configuration lasts (from one ``Configure`` to the next), and holding what the
    policy parses of it (``parsed``) so that it is parsed once, not for every resource."""

    __slots__ = ("_parsed", "_values")

    def __init__(self, values: Mapping[str, Any]) -> None:
        self._values = dict(values)
        self._parsed: dict[Callable[[Mapping[str, Any]], Any], Any] = {}

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


def parsed(config: Mapping[str, Any], parse: Callable[[Mapping[str, Any]], T]) -> T:
    """``parse(config)``, worked out once per configuration when the analyzer gives the
    config (a ``PolicyConfig``), else each time (the SDK's copy). What ``parse`` returns
    is shared by every call: it must not be changed (tuples, frozensets)."""
    if not isinstance(config, PolicyConfig):
        return parse(config)
    try:
        value: T = config._parsed[parse]
    except KeyError:
        # Two threads may both parse a config the first time: the same answer, either kept.
        value = config._parsed[parse] = parse(config)
    return value


# --- the decoded view, shared by the policies of one call -------------------------

class Decoded:
    """One resource as every policy of one ``Analyze`` call reads it: its plain
    properties and the record set it declares (None for a type that is no DNS record:
    telling costs one lookup). (Its mail settings are read per policy: which names are
    settings is each policy's config, ``settingNames``.)"""

    __slots__ = ("record", "resource")

    def __init__(self, resource: rs.Resource) -> None:
        self.resource = resource
        self.record: DnsRecord | None = rs.dns_record(resource)


class DecodedStack:
    """The stack as every policy of one ``AnalyzeStack`` call reads it: each resource's
    plain view, and the record sets (names made absolute in the stack's zones) worked
    out once. ``properties``: each resource's properties as the SDK decodes them, for
    the SDK's own view of the stack (``DecodedStackArgs.resources``), when it is made."""

    __slots__ = ("_records", "properties", "resources")

    def __init__(self, resources: list[rs.Resource],
                 properties: list[dict[str, Any]] | None = None) -> None:
        self.resources = resources
        self.properties = properties or []
        self._records: list[DnsRecord] | None = None

    @property
    def records(self) -> list[DnsRecord]:
        if self._records is None:
            self._records = records_of(self.resources)
        return self._records


class DecodedResourceArgs(ResourceValidationArgs):
    """The SDK's arguments for a resource policy, with the call's shared ``Decoded``."""

    def __init__(self, resource_type: str, props: Mapping[str, Any], urn: str, name: str,
                 opts: Any, provider: Any, config: Mapping[str, Any] | None,
                 stack_tags: Mapping[str, str] | None, *, decoded: Decoded) -> None:
        super().__init__(resource_type, props, urn, name, opts, provider, config, stack_tags)
        self.decoded = decoded


class DecodedStackArgs(StackValidationArgs):
    """The SDK's arguments for a stack policy, with the call's shared ``DecodedStack``.

    ``resources``, the SDK's ``PolicyResource`` list, is made by ``build`` when a policy
    first reads it: the pack's policies read ``decoded``, and making the SDK's objects
    for every resource (options, providers, parents and dependencies linked by URN)
    was a third of a stack call.
    """

    def __init__(self, build: Callable[[], list[PolicyResource]],
                 config: Mapping[str, Any] | None, stack_tags: Mapping[str, str] | None, *,
                 decoded: DecodedStack) -> None:
        super().__init__([], config, stack_tags)  # assigns resources (the setter below)
        self._resources: list[PolicyResource] | None = None  # not made yet
        self._build = build
        self.decoded = decoded

    @property
    def resources(self) -> list[PolicyResource]:
        if self._resources is None:
            self._resources = self._build()
        return self._resources

    @resources.setter
    def resources(self, value: list[PolicyResource]) -> None:
        self._resources = value


def decoded_of(args: ResourceValidationArgs) -> Decoded:
    if isinstance(args, DecodedResourceArgs):
        return args.decoded
    return Decoded(rs.Resource(args.resource_type, args.urn, args.name, rs.plain(args.props)))


def decoded_stack_of(args: StackValidationArgs) -> DecodedStack:
    if isinstance(args, DecodedStackArgs):
        return args.decoded
    return DecodedStack([rs.Resource(r.resource_type, r.urn, r.name, rs.plain(r.props))
                         for r in args.resources])


def resource_of(args: ResourceValidationArgs) -> rs.Resource:
    return decoded_of(args).resource


def stack_of(args: StackValidationArgs) -> list[rs.Resource]:
    return decoded_stack_of(args).resources


def stack_records(args: StackValidationArgs) -> list[DnsRecord]:
    """The stack's record sets: ``records_of(stack_of(args))``, once per call."""
    return decoded_stack_of(args).records


def violation(finding: Finding, message: str | None = None) -> str:
    """A violation's text: the finding's message (or ``message``), then its code in
    brackets, so an operator or a script can tell which rule of the policy it is."""
    return f"{finding.message if message is None else message} [{finding.code}]"


def report_findings(findings: Iterable[Finding], report: ReportViolation, *,
                    stack: bool = False, urn: str | None = None) -> None:
    """Report each finding; ``urn``: the resource every finding is about (a resource
    policy), else, for a stack policy, each finding's own."""
    for finding in findings:
        where = finding.where if stack and finding.where.startswith("urn:") else urn
        report(violation(finding), where)


Validation = Callable[[ResourceValidationArgs, ReportViolation], None]
V = TypeVar("V", bound=Validation)

#: The resource types each resource validation reads; it ignores every other type, so
#: the analyzer neither calls it for them nor decodes a resource no validation reads
#: (most of a real stack: buckets, roles, functions without mail settings...). A
#: validation not listed is called for every type.
READS: dict[Validation, frozenset[str]] = {}


def reads(types: Collection[str], validate: V) -> V:
    """Declare the resource types ``validate`` reads (``READS``)."""
    READS[validate] = frozenset(types)
    return validate


#: What a resource policy reports: a violation's text and the URN it is about.
Violation = tuple[str, str]

#: A resource policy's judgement of one resource: the decoded view and the policy's
#: config in, its violations out. It is the policy's one implementation: the SDK calls it
#: through the validation ``judged`` makes of it, and the analyzer calls it directly
#: (``JUDGES``), with no SDK arguments and no report callback unless something is
#: reported: that dispatch, done for every policy and resource, cost as much as the
#: judging of a DNS record.
Judge = Callable[[Decoded, Mapping[str, Any]], list[Violation]]
JUDGES: dict[Validation, Judge] = {}


def judged(types: Collection[str], judge: Judge) -> Validation:
    """The SDK's resource validation of ``judge``, which reads only ``types``."""

    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        if args.resource_type not in types:
            return  # before any conversion of the properties
        for message, urn in judge(decoded_of(args), args.get_config()):
            report(message, urn)

    JUDGES[validate] = judge
    return reads(types, validate)


def violations(findings: Iterable[Finding], urn: str) -> list[Violation]:
    """Each finding reported against the resource ``urn`` (``report_findings``'s text)."""
    return [(violation(finding), urn) for finding in findings]


def dns_judge(
    check: Callable[[rs.Resource, DnsRecord, Mapping[str, Any]], list[Finding]],
) -> Judge:
    """A judgement of the record set a DNS resource declares."""

    def judge(decoded: Decoded, config: Mapping[str, Any]) -> list[Violation]:
        record = decoded.record  # None for a type that is no DNS record
        if record is None:
            return []
        resource = decoded.resource
        found = check(resource, record, config)
        return violations(found, resource.urn) if found else []

    return judge


def dns_policy(
    check: Callable[[rs.Resource, DnsRecord, Mapping[str, Any]], list[Finding]],
) -> Validation:
    """A resource validation over the record set a DNS resource declares."""
    return judged(rs.DNS_TYPES, dns_judge(check))


def settings_judge(
    check: Callable[[SettingsGroup, str, Mapping[str, Any]], list[Finding]],
    policy: str,
) -> Judge:
    """A judgement of the mail settings a resource sets (``runtimes``), recognised by the
    core's name table and the policy's ``settingNames``; secrets masked."""

    def names(config: Mapping[str, Any]) -> SettingNames:
        return config_names(config, policy)

    def judge(decoded: Decoded, config: Mapping[str, Any]) -> list[Violation]:
        resource = decoded.resource
        if resource.type not in SETTINGS_TYPES:
            return []
        found: list[Violation] = []
        for group in settings_groups(resource, parsed(config, names)):
            found += violations((redact(f, group) for f in check(group, resource.urn, config)),
                                resource.urn)
        return found

    return judge


def settings_policy(
    check: Callable[[SettingsGroup, str, Mapping[str, Any]], list[Finding]],
    policy: str,
) -> Validation:
    """A resource validation over the mail settings a resource sets."""
    return judged(SETTINGS_TYPES, settings_judge(check, policy))


def redact(finding: Finding, group: SettingsGroup) -> Finding:
    """The finding with every secret value of the group masked: values the engine sent
    as secrets, and all values of a secret store's group."""
    message = finding.message
    for setting in group.settings:
        if setting.value and (group.secret or setting.secret):
            message = message.replace(setting.value, "<secret>")
    return Finding(finding.code, finding.severity, message, finding.where)


def records_of(resources: list[rs.Resource]) -> list[DnsRecord]:
    zones = rs.zone_names(resources)
    records = [rs.dns_record(r, zones) for r in resources]
    return [r for r in records if r is not None]


def sending_domains(resources: list[rs.Resource], records: list[DnsRecord]
                     ) -> tuple[dict[str, tuple[str, str]], bool]:
    """Domains the stack sends from (SES domain identities, SPF names) and whether
    any candidate is unknown. MAIL FROM domains and _-prefixed names are not
    From domains."""
    mail_from_domains = set()
    for resource in resources:
        mf = rs.mail_from(resource)
        if mf is not None and mf.mail_from_domain is not None:
            mail_from_domains.add(normalize_name(mf.mail_from_domain))
    domains: dict[str, tuple[str, str]] = {}
    unknown = False
    for resource in resources:
        identity = rs.ses_identity(resource)
        if identity is None:
            continue
        if identity.domain is None:
            unknown = True
        else:
            domains.setdefault(normalize_name(identity.domain), (resource.urn, resource.name))
    for record in records:
        if record.type_upper not in ("TXT", "SPF", None):
            continue
        if record.fqdn is None:
            unknown = unknown or record.has_unknown_values or bool(spf_values(record))
            continue
        if not spf_values(record) or record.fqdn.startswith("_"):
            continue
        if record.fqdn in mail_from_domains:
            continue
        domains.setdefault(record.fqdn, (record.where, record.label))
    return domains, unknown




MANDATORY = EnforcementLevel.MANDATORY
ADVISORY = EnforcementLevel.ADVISORY
_LEVELS = {Enforcement.MANDATORY: MANDATORY, Enforcement.ADVISORY: ADVISORY}


def declared(name: str) -> dict[str, Any]:
    """A policy's name, description and enforcement, as the registry declares them."""
    policy = REGISTRY.policy(name)
    return {"name": policy.name, "description": policy.description,
            "enforcement_level": _LEVELS[policy.enforcement]}
