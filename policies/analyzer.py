"""The pack's Analyzer: the SDK's gRPC servicer, with ``Analyze`` and ``AnalyzeStack``
that decode each resource once per call and hand every policy the same view of it.

``pulumi_policy``'s servicer (``_PolicyAnalyzerServicer``, 1.x) decodes a resource's
properties again for every policy it runs (``MessageToDict``, ``deserialize_properties``,
an unknown-checking proxy), and the pack then turned the proxy into plain values and the
plain values into a record set once more per policy: nine times per resource in
``Analyze``, once per stack policy and resource in ``AnalyzeStack``. Here each resource
is decoded once per call into a ``base.Decoded`` (``base.DecodedStack`` for the stack)
that the policies share through their arguments (``base.DecodedResourceArgs``,
``base.DecodedStackArgs``); what a policy does with it is unchanged, and so is what the
protocol sees: the same policies, in the same order, the same diagnostics, the same
not-applicable answers. The runtime settings (which the SDK rebuilds on every call,
``inspect.signature`` included) are configured again only when the environment they come
from changes.

A resource policy made of a judgement (``base.judged``: every one of the pack's) is not
called through the SDK at all in ``Analyze``: its judgement gets the decoded view and the
policy's config, read-only and worked out once per ``Configure``, and only a policy that
reports gets the SDK's report callback. Building the SDK's arguments (options, provider,
a config copy), its callback and its ``validate`` wrapper for each of seven policies of a
DNS record cost as much as judging the record.

``install`` makes ``PolicyPack`` serve this class; ``policies/__main__.py`` calls it.
The loops below follow the SDK's own ``Analyze`` and ``AnalyzeStack`` step by step
(``pulumi_policy/policy.py``); they read its private state through the mangled names,
which is why ``tests/policies`` pins what they answer over gRPC.
"""

from __future__ import annotations

import asyncio
import gc
import math
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from inspect import isawaitable
from typing import Any, NamedTuple

import pulumi_policy.policy as sdk
from pulumi.runtime import proto
from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyResource,
    ResourceValidationPolicy,
    StackValidationPolicy,
)
from pulumi_policy.deserialize import SPECIAL_SIG_KEY
from pulumi_policy.proxy import UnknownValueError, unknown_checking_proxy

from policies import resources as rs
from policies.base import (
    JUDGES,
    READS,
    Decoded,
    DecodedResourceArgs,
    DecodedStack,
    DecodedStackArgs,
    Judge,
    PolicyConfig,
    Violation,
)
from policies.secrets import SENTINELS


def decode(properties: Any) -> tuple[dict[str, Any], Mapping[str, Any]]:
    """A resource's properties (a ``google.protobuf.Struct``): as the SDK hands them to a
    policy before its proxy (``deserialize_properties(json_format.MessageToDict(...))``),
    and as the pack's own view reads them (``resources.plain``: ``UNKNOWN`` for unknowns).

    One walk builds the first; as most resources hold no secret, asset or archive (for
    ``deserialize_properties`` to unwrap) and no unknown (for ``plain`` to replace), the
    walk notes whether it met any, and otherwise the one tree serves as all three: copies
    of the same values, built for each resource, were most of what made a large stack's
    call slow. Both views are read-only to the policies (a proxy, a ``Mapping``).
    """
    walk = _Decoding()
    tree = walk.struct(properties)
    # The SDK's deserialize_properties as its servicer calls it (the module's name, which
    # policies.secrets wraps so that secrets reach the rules marked).
    sdk_view = (sdk.deserialize_properties(tree)  # type: ignore[attr-defined]
                if walk.special else tree)
    return sdk_view, (rs.plain(sdk_view) if walk.unknown else sdk_view)


def struct_value(struct: Any) -> dict[str, Any]:
    """``json_format.MessageToDict`` of a ``Struct``: ``tests/policies/test_analyzer.py``
    holds ``_Decoding`` to it."""
    return _Decoding().struct(struct)


class _Decoding:
    """``json_format.MessageToDict`` for a ``Struct``, for the six kinds a ``Value`` holds,
    without its generic walk through descriptors (two thirds of decoding a resource), and
    noting what ``decode`` needs to know of the values."""

    __slots__ = ("special", "unknown")

    def __init__(self) -> None:
        self.special = False  # a secret, asset or archive: deserialize_properties unwraps it
        self.unknown = False  # a value unknown during preview: plain marks it UNKNOWN

    def struct(self, struct: Any) -> dict[str, Any]:
        fields = struct.fields
        if SPECIAL_SIG_KEY in fields:
            self.special = True
        # By key: the map's items() is the ABC's generator, a third slower here. A string
        # (most values) is read in the loop, a call fewer for each: this walk is a fifth
        # of judging a DNS record.
        out: dict[str, Any] = {}
        for key in fields:
            value = fields[key]
            kind = value.WhichOneof("kind")
            if kind == "string_value":
                text = value.string_value
                if text in SENTINELS:  # the SDK's _is_unknown, without a call per string
                    self.unknown = True
                out[key] = text
            else:
                out[key] = self.other(value, kind)
        return out

    def value(self, value: Any) -> Any:
        kind = value.WhichOneof("kind")
        if kind == "string_value":
            text = value.string_value
            if text in SENTINELS:
                self.unknown = True
            return text
        return self.other(value, kind)

    def other(self, value: Any, kind: str | None) -> Any:
        """A value of any kind but a string."""
        if kind == "struct_value":
            return self.struct(value.struct_value)
        if kind == "list_value":
            return [self.value(item) for item in value.list_value.values]
        if kind == "number_value":
            number = value.number_value
            if not math.isfinite(number):  # refused, as MessageToDict does
                raise ValueError(f"Fail to serialize {number} for Value.number_value, which "
                                 "would parse as string_value")
            return number
        if kind == "bool_value":
            return value.bool_value
        return None  # null_value, or no kind set


class _CollectorPause:
    """Pauses Python's cyclic garbage collector while any ``AnalyzeStack`` call runs.

    A stack call builds a large graph that lives until the call ends (every resource
    decoded, the SDK's ``PolicyResource`` objects, the records), and reference counting
    frees it; the collector meanwhile runs its full passes over every live object again
    and again as the graph grows, which made 10,000 resources cost 14x what 1,000 cost
    (12x without it, and a third less time). The gRPC server runs calls on several
    threads and the collector is the process's: the first call in pauses it, the last
    one out lets it run again, as it was.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls = 0
        self._was_enabled = False

    @contextmanager
    def during(self) -> Iterator[None]:
        with self._lock:
            if self._calls == 0:
                self._was_enabled = gc.isenabled()
                gc.disable()
            self._calls += 1
        try:
            yield
        finally:
            with self._lock:
                self._calls -= 1
                if self._calls == 0 and self._was_enabled:
                    gc.enable()


_COLLECTOR = _CollectorPause()

class _Planned(NamedTuple):
    policy: Any
    level: EnforcementLevel
    validates: bool
    types: frozenset[str] | None  # the resource types it reads; None: every type
    judge: Judge | None  # its judgement, called directly (``base.JUDGES``); None: validate
    config: PolicyConfig  # what the judgement is given, read-only


class _ForType(NamedTuple):
    """The resource policies that run for one resource type (``Analyzer._plan_for_type``)."""

    policies: tuple[_Planned, ...]
    # When every one of them validates with a judgement (every policy of the pack): each
    # judgement with its config, for ``Analyze`` to call with nothing else to make or test.
    judgements: tuple[tuple[Judge, PolicyConfig, _Planned], ...] | None


def _validations(policy: Policy) -> list[Any]:
    if not isinstance(policy, ResourceValidationPolicy):
        return []
    validations = policy._ResourceValidationPolicy__validate  # type: ignore[attr-defined]
    return list(validations) if isinstance(validations, list) else [validations]


def _types_read(policy: Policy) -> frozenset[str] | None:
    """The resource types a resource policy's validation reads, when it says (``READS``)."""
    found = [READS.get(v) for v in _validations(policy)]
    if not found or any(types is None for types in found):
        return None
    return frozenset().union(*found)  # type: ignore[arg-type]


def _judgement_of(policy: Policy) -> Judge | None:
    """The judgement a resource policy's one validation is made of, if it is (``judged``)."""
    validations = _validations(policy)
    return JUDGES.get(validations[0]) if len(validations) == 1 else None


#: The SDK's own servicer, as it is before ``install``.
SdkServicer = sdk._PolicyAnalyzerServicer


class LazyProps(Mapping[str, Any]):
    """A resource's ``props`` as the SDK gives them (the unknown-checking proxy), built at
    the first read: the pack's policies read the decoded view instead, and building a
    proxy for every property of every resource of a stack was a tenth of the call."""

    __slots__ = ("_properties", "_proxy")

    def __init__(self, properties: dict[str, Any]) -> None:
        self._properties = properties
        self._proxy: Mapping[str, Any] | None = None

    def _target(self) -> Mapping[str, Any]:
        if self._proxy is None:
            self._proxy = unknown_checking_proxy(self._properties)
        return self._proxy

    def __getitem__(self, key: str) -> Any:
        return self._target()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._target())

    def __len__(self) -> int:
        return len(self._target())


class Analyzer(SdkServicer):
    """``_PolicyAnalyzerServicer`` with one decode per resource per call."""

    _settings_configured = False
    #: Per kind of policy, those that run: worked out once per Configure.
    _plans: dict[type[Policy], list[_Planned]] | None = None
    #: Per resource type, the resource policies that read it: once per Configure and type.
    _by_type: dict[str, _ForType] | None = None

    # -- the SDK's private state, by its mangled names --------------------------------

    @property
    def _policies(self) -> list[Policy]:
        policies: list[Policy] = self._PolicyAnalyzerServicer__policies  # type: ignore[attr-defined]
        return policies

    @property
    def _stack_tags(self) -> Any:
        return self._PolicyAnalyzerServicer__stack_tags  # type: ignore[attr-defined]

    def _could_not_run(self, policy: Policy, error: UnknownValueError) -> Any:
        """The diagnostic the SDK reports when a policy reads a value unknown in preview."""
        name = self._PolicyAnalyzerServicer__policy_pack_name  # type: ignore[attr-defined]
        version = self._PolicyAnalyzerServicer__policy_pack_version  # type: ignore[attr-defined]
        return proto.AnalyzeDiagnostic(
            policyName=policy.name,
            policyPackName=name,
            policyPackVersion=version,
            message=(f"can't run policy '{policy.name}' from policy pack '{name}@v{version}' "
                     f"during preview: {error.message}"),
            urn="",
            description=policy.description,
            enforcementLevel=self._map_enforcement_level(EnforcementLevel.ADVISORY),
        )

    def _configure_runtime_settings(self) -> None:
        # The SDK configures the runtime from the environment on every call; the
        # environment is the one the CLI started the pack with, so once is enough.
        if not self._settings_configured:
            super()._configure_runtime_settings()  # type: ignore[no-untyped-call]
            self._settings_configured = True

    def Configure(self, request: Any, context: Any) -> Any:
        answer = super().Configure(request, context)  # type: ignore[no-untyped-call]
        self._plans = self._by_type = None  # the levels may have changed
        return answer

    def _plan(self, kind: type[Policy]) -> list[_Planned]:
        """The policies of ``kind`` that run, in order, at the level each runs at (not the
        disabled ones, and remediation reported as mandatory, as the SDK does), whether
        each has a validation (a remediation-only policy is reported not applicable), and
        the resource types it reads (``base.READS``; None: all)."""
        plans = self._plans
        if plans is None:
            plans = self._plans = {}
        plan = plans.get(kind)
        if plan is None:
            plan = []
            for policy in self._policies:
                level = self._get_enforcement_level(policy)
                if level != EnforcementLevel.DISABLED and isinstance(policy, kind):
                    validates = (not isinstance(policy, ResourceValidationPolicy)
                                 or policy.has_validation())
                    # The SDK gives each call a copy of the config; a judgement shares
                    # one, read-only, for as long as the configuration lasts.
                    config = PolicyConfig(self._get_policy_config(policy.name) or {})
                    plan.append(_Planned(policy, EnforcementLevel.MANDATORY
                                         if level == EnforcementLevel.REMEDIATE else level,
                                         validates, _types_read(policy), _judgement_of(policy),
                                         config))
            plans[kind] = plan
        return plan

    def _plan_for_type(self, resource_type: str) -> _ForType:
        """The resource policies that run for a resource of ``resource_type``, in order:
        those of ``_plan`` that read the type (``_Planned.types``). Worked out once per
        type, not filtered again for every resource of a preview."""
        by_type = self._by_type
        if by_type is None:
            by_type = self._by_type = {}
        found = by_type.get(resource_type)
        if found is None:
            policies = tuple(planned for planned in self._plan(ResourceValidationPolicy)
                             if planned.types is None or resource_type in planned.types)
            judged = all(p.validates and p.judge is not None for p in policies)
            found = by_type[resource_type] = _ForType(policies, tuple(
                (p.judge, p.config, p) for p in policies if p.judge is not None)
                if judged else None)
        return found

    def _validate(self, policy: Any, args: Any, report: Any, response: Any) -> None:
        """Run one policy's validation as the SDK does, errors reported as it reports them."""
        try:
            result = policy.validate(args, report)
            if result is not None and isawaitable(result):
                loop = asyncio.new_event_loop()
                loop.run_until_complete(asyncio.Task(result, loop=loop))  # type: ignore[arg-type]
                loop.close()
        except UnknownValueError as error:
            response.diagnostics.append(self._could_not_run(policy, error))
        except sdk._NotApplicableError as error:
            response.not_applicable.append(proto.PolicyNotApplicable(
                policy_name=policy.name, reason=error.reason or ""))

    # -- the two calls -----------------------------------------------------------------

    def Analyze(self, request: Any, _context: Any) -> Any:
        self._configure_runtime_settings()
        response = proto.AnalyzeResponse()
        decoded: Decoded | None = None  # at the first policy that runs
        properties: dict[str, Any] = {}  # the SDK's view of them, for a validation
        # (type, props, urn, name, options, provider): made at the first validation called
        shared: tuple[str, LazyProps, str, str, Any, Any] | None = None
        # A policy that does not read the type would return at once: it is neither
        # called nor is the resource decoded for it.
        for_type = self._plan_for_type(request.type)
        if for_type.judgements is not None:
            return self._judge(request, for_type.judgements, response)
        for planned in for_type.policies:
            policy, level, validates, _, judge, config = planned
            if not validates:
                response.not_applicable.append(proto.PolicyNotApplicable(
                    policy_name=policy.name, reason="Policy does not implement validate"))
                continue
            if decoded is None:
                properties, plain = decode(request.properties)
                decoded = Decoded(rs.Resource(request.type, request.urn, request.name, plain))
            if judge is not None:
                # A judgement reads the decoded view, where an unknown value is UNKNOWN,
                # never the SDK's proxies: it cannot meet the UnknownValueError a
                # validation can, so it is called as it is.
                found = judge(decoded, config)
                if found:
                    self._report(planned, found, response)
                continue
            if shared is None:
                shared = (request.type, LazyProps(properties), request.urn, request.name,
                          self._get_resource_options(request),
                          self._get_provider_resource(request))
            report = self._create_report_violation(response, policy.name, policy.description,
                                                   level, policy.severity)
            kind, props, urn, name, options, provider = shared
            args = DecodedResourceArgs(kind, props, urn, name, options, provider,
                                       self._get_policy_config(policy.name), self._stack_tags,
                                       decoded=decoded)
            self._validate(policy, args, report, response)
        return response

    def _judge(self, request: Any, judgements: tuple[tuple[Judge, PolicyConfig, _Planned], ...],
               response: Any) -> Any:
        """``Analyze`` for a type whose every policy is a judgement: the loop above with
        only what a judgement needs (the decoded view, made if one runs)."""
        if judgements:
            _, plain = decode(request.properties)
            decoded = Decoded(rs.Resource(request.type, request.urn, request.name, plain))
            for judge, config, planned in judgements:
                found = judge(decoded, config)
                if found:
                    self._report(planned, found, response)
        return response

    def _report(self, planned: _Planned, found: list[Violation], response: Any) -> None:
        """Report a judgement's violations through the SDK's report callback, made only
        for a policy that has something to report."""
        policy = planned.policy
        report = self._create_report_violation(response, policy.name, policy.description,
                                               planned.level, policy.severity)
        for message, urn in found:
            report(message, urn)

    def AnalyzeStack(self, request: Any, context: Any) -> Any:
        with _COLLECTOR.during():
            return self._analyze_stack(request)

    def _analyze_stack(self, request: Any) -> Any:
        self._configure_runtime_settings()
        response = proto.AnalyzeResponse()
        decoded: DecodedStack | None = None
        built: list[PolicyResource] = []

        def policy_resources() -> list[PolicyResource]:
            # The SDK's view of the stack, built at the first policy that reads it (the
            # pack's policies read ``decoded``), once; a list of its own per policy, as
            # the SDK gives: a policy may change its list.
            if not built and decoded is not None:
                built.extend(self._policy_resources(request, decoded))
            return list(built)

        for policy, level, *_ in self._plan(StackValidationPolicy):
            if decoded is None:
                decoded = self._decode_stack(request)
            report = self._create_report_violation(response, policy.name, policy.description,
                                                   level, policy.severity)
            args = DecodedStackArgs(policy_resources, self._get_policy_config(policy.name),
                                    self._stack_tags, decoded=decoded)
            self._validate(policy, args, report, response)
        return response

    @staticmethod
    def _decode_stack(request: Any) -> DecodedStack:
        """Every resource decoded once: the pack's plain views, and the SDK's properties
        kept for ``_policy_resources``."""
        properties: list[dict[str, Any]] = []
        plain: list[rs.Resource] = []
        for r in request.resources:
            sdk_view, view = decode(r.properties)
            properties.append(sdk_view)
            plain.append(rs.Resource(r.type, r.urn, r.name, view))
        return DecodedStack(plain, properties)

    def _policy_resources(self, request: Any, decoded: DecodedStack) -> list[PolicyResource]:
        """The SDK's ``PolicyResource`` for each resource, from the properties decoded
        once, with parents and dependencies linked by URN as the SDK links them."""
        resources: list[PolicyResource] = []
        links: list[tuple[PolicyResource, Any]] = []
        for r, properties in zip(request.resources, decoded.properties, strict=True):
            resource = PolicyResource(r.type, LazyProps(properties), r.urn, r.name,
                                      self._get_resource_options(r),
                                      self._get_provider_resource(r), None, [], {})
            resources.append(resource)
            links.append((resource, r))
        by_urn = {resource.urn: resource for resource in resources}
        for resource, r in links:
            if r.parent in by_urn:
                resource.parent = by_urn[r.parent]
            resource.dependencies.extend(by_urn[d] for d in r.dependencies if d in by_urn)
            for key, value in r.propertyDependencies.items():
                resource.property_dependencies[key] = [by_urn[d] for d in value.urns
                                                       if d in by_urn]
        return resources


def install() -> None:
    """Make ``pulumi_policy.PolicyPack`` serve ``Analyzer`` (it builds its servicer by the
    module-level name ``_PolicyAnalyzerServicer``)."""
    sdk._PolicyAnalyzerServicer = Analyzer  # type: ignore[misc]
