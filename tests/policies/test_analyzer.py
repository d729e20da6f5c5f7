"""The pack's Analyzer (``policies/analyzer.py``), in-process: it answers exactly what the
SDK's own servicer answers, decodes each resource once per call, and decodes a
``Struct`` exactly as ``json_format.MessageToDict`` does.

The gRPC tests (``test_*_policies.py``, ``test_protocol.py``) pin the violations over
the wire; these hold the dispatch itself to the SDK's.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import pytest
from google.protobuf import empty_pb2, json_format, struct_pb2
from hypothesis import given, settings
from hypothesis import strategies as st
from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy import (
    EnforcementLevel,
    Policy,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy import policy as sdk

import policies.analyzer as analyzer
from bench.b_policy import resources as bench_resources
from policies import resources as rs
from policies.__main__ import PACK_NAME, POLICIES
from policies.base import PolicyConfig, PolicyConfigError, parsed
from tests.policies.harness import UNKNOWN, default_configuration, secret, to_struct, urn
from tests.policies.mixed_stack import mixed_stack
from tests.policies.shapes import (
    CF6,
    ECS_TASK,
    LAMBDA,
    R53,
    R53_ZONE,
    SES_DOMAIN_DKIM,
    SES_DOMAIN_IDENTITY,
    SES_EMAIL_IDENTITY,
    SESV2_IDENTITY,
    SESV2_MAIL_FROM,
    SSM,
    TOKENS,
    ZONE_ID,
    cf6,
    container,
    dkim_cnames,
    ecs_task,
    lambda_env,
    r53,
    sesv2_identity,
    ssm,
)

Resource = tuple[str, str, dict[str, Any]]

#: Resources of every kind the pack reads, with unknowns and secrets, and violations.
CORPUS: list[Resource] = [
    (R53_ZONE, "zone", {"name": "example.com", "zoneId": ZONE_ID}),
    (R53, "apex-spf", r53("@", "TXT", "v=spf1 include:amazonses.com ip4:192.0.2.10 ~all",
                          "site-verification=abc")),
    (R53, "two-spf", r53("example.org", "TXT", "v=spf1 -all", "v=spf1 include:amazonses.com ~all")),
    (R53, "unknown-name", r53(UNKNOWN, "TXT", "v=spf1 include:amazonses.com -all")),
    (R53, "unknown-value", r53("mail.example.com", "TXT", UNKNOWN)),
    (R53, "bad-spf", r53("bad.example.com", "TXT", "v=spf1 include: -all")),
    (R53, "dmarc", r53("_dmarc.example.com", "TXT", "v=DMARC1; p=none")),
    (R53, "dmarc-misplaced", r53("news.example.org", "TXT", "v=DMARC1; p=reject")),
    (R53, "over-budget", r53("budget.example.org", "TXT", "v=spf1 " + " ".join(
        f"include:s{i}.example.net" for i in range(11)) + " -all")),
    (R53, "mx-ip", r53("example.com", "MX", "10 192.0.2.25")),
    (CF6, "cf-spf", cf6("example.net", "TXT", "v=spf1 include:sendgrid.net mx a ptr -all")),
    (CF6, "cf-dmarc", cf6("_dmarc.example.net", "TXT", "v=DMARC1; p=reject")),
    (CF6, "cf-secret", cf6("secret.example.net", "TXT", secret("v=spf1 ip6:2001:db8::1 -all"))),
    *dkim_cnames("example.com"),
    (SESV2_IDENTITY, "identity", sesv2_identity("example.com", list(TOKENS))),
    (SESV2_IDENTITY, "identity-unknown", sesv2_identity(UNKNOWN)),
    (SESV2_MAIL_FROM, "mail-from", {"emailIdentity": "example.com",
                                    "mailFromDomain": "bounce.example.com"}),
    (SES_DOMAIN_IDENTITY, "classic", {"domain": "example.org"}),
    (SES_DOMAIN_DKIM, "classic-dkim", {"domain": "example.org", "dkimTokens": [UNKNOWN]}),
    (SES_EMAIL_IDENTITY, "address", {"email": "noreply@example.net"}),
    (LAMBDA, "function", lambda_env(SMTP_HOST="email-smtp.us-east-1.amazonaws.com",
                                    SMTP_PORT="25", MAIL_FROM="app@example.com")),
    (LAMBDA, "function-ip", lambda_env(SMTP_HOST="192.0.2.25", SMTP_PORT="587",
                                       SMTP_PASSWORD=secret("hunter2"))),
    (ECS_TASK, "task", ecs_task(container("web", SMTP_HOST="smtp.example.org",
                                          SMTP_PORT="25", MAIL_FROM="app@domain.test"))),
    (SSM, "parameter", ssm("/app/SMTP_PORT", "25", kind="SecureString")),
    (SSM, "parameter-unknown", ssm("/app/SMTP_HOST", UNKNOWN)),
    ("aws:s3/bucket:Bucket", "unrelated", {"bucket": "assets", "tags": {"a": 1.5, "b": None}}),
]


def _servicer(kind: type[Any], policies: list[Policy] = POLICIES) -> Any:
    """A servicer of ``kind`` over the pack's policies, configured as the CLI does."""
    servicer = kind(PACK_NAME, "0.0.1", policies, EnforcementLevel.ADVISORY)
    servicer.Configure(_defaults(servicer), None)
    return servicer


def _defaults(servicer: Any) -> analyzer_pb2.ConfigureAnalyzerRequest:
    return default_configuration(servicer.GetAnalyzerInfo(empty_pb2.Empty(), None))


def _request(resource: Resource) -> analyzer_pb2.AnalyzeRequest:
    kind, name, props = resource
    return analyzer_pb2.AnalyzeRequest(type=kind, properties=to_struct(props), urn=urn(kind, name),
                                       name=name, options=analyzer_pb2.AnalyzerResourceOptions())


def _stack(resources: Sequence[Resource]) -> analyzer_pb2.AnalyzeStackRequest:
    return analyzer_pb2.AnalyzeStackRequest(resources=[
        analyzer_pb2.AnalyzerResource(type=kind, properties=to_struct(props),
                                      urn=urn(kind, name), name=name,
                                      options=analyzer_pb2.AnalyzerResourceOptions())
        for kind, name, props in resources])


@pytest.fixture(scope="module")
def ours() -> Any:
    return _servicer(analyzer.Analyzer)


@pytest.fixture(scope="module")
def sdks() -> Any:
    return _servicer(analyzer.SdkServicer)


def _every_resource() -> list[Resource]:
    """The corpus, the bench's DNS records, and the mixed stack: every DNS provider and
    application runtime the pack reads, with planted violations."""
    return [*CORPUS, *((k, n, dict(p)) for k, n, p in bench_resources(100)),
            *((k, n, dict(p)) for k, n, p in mixed_stack(120).resources)]


@pytest.mark.parametrize("resource", _every_resource(), ids=lambda r: r[1])
def test_analyze_answers_what_the_sdk_answers(resource: Resource, ours: Any, sdks: Any) -> None:
    request = _request(resource)
    assert ours.Analyze(request, None) == sdks.Analyze(request, None)


def test_the_corpus_has_violations_of_many_policies(ours: Any) -> None:
    """The comparison above means something only if there is something to compare."""
    found = {d.policyName for r in CORPUS for d in ours.Analyze(_request(r), None).diagnostics}
    assert len(found) >= 6, found


def test_analyze_stack_answers_what_the_sdk_answers(ours: Any, sdks: Any) -> None:
    request = _stack(_every_resource())
    answer = ours.AnalyzeStack(request, None)
    assert answer == sdks.AnalyzeStack(request, None)
    assert {d.policyName for d in answer.diagnostics} >= {
        "spf-single-record", "sender-address", "ses-identity-complete"}


def test_disabled_and_remediated_levels_are_the_sdks(ours: Any, sdks: Any) -> None:
    try:
        for servicer in (ours, sdks):
            request = analyzer_pb2.ConfigureAnalyzerRequest()
            request.policyConfig["spf-valid"].enforcementLevel = analyzer_pb2.DISABLED
            request.policyConfig["spf-no-ip-literals"].enforcementLevel = analyzer_pb2.REMEDIATE
            servicer.Configure(request, None)
        for resource in CORPUS:
            request = _request(resource)
            assert ours.Analyze(request, None) == sdks.Analyze(request, None)
    finally:
        for servicer in (ours, sdks):
            servicer.Configure(_defaults(servicer), None)


def _echo_resource(args: ResourceValidationArgs, report: ReportViolation) -> None:
    """A resource policy that is no judgement: it reads the SDK's proxies."""
    report(f"{args.resource_type} {args.name} {sorted(rs.plain(args.props).items())!r}", None)


def test_a_resource_policy_that_is_no_judgement_gets_what_the_sdk_gives() -> None:
    """Beside the pack's judgements, a validation of the SDK's own kind (and one with no
    validation at all) is called as the SDK calls it, in the order the policies are."""
    extra: list[Policy] = [
        ResourceValidationPolicy(name="echo-resource", description="echo",
                                 validate=_echo_resource),
        ResourceValidationPolicy(name="remediates", description="no validation",
                                 remediate=lambda args: None),
    ]
    both = [_servicer(kind, [*POLICIES[:2], *extra, *POLICIES[2:]])
            for kind in (analyzer.Analyzer, analyzer.SdkServicer)]
    for resource in CORPUS:
        ours, sdks = (servicer.Analyze(_request(resource), None) for servicer in both)
        assert ours == sdks
        assert any(d.policyName == "echo-resource" for d in ours.diagnostics)


def _echo(args: StackValidationArgs, report: ReportViolation) -> None:
    """A stack policy that reads the SDK's view of every resource and reports it."""
    for resource in args.resources:
        props = rs.plain(resource.props)  # every value read through the SDK's proxies
        report(f"{resource.resource_type} {resource.name} {sorted(props.items())!r} parent="
               f"{resource.parent.urn if resource.parent else None} dependencies="
               f"{[d.urn for d in resource.dependencies]} property_dependencies="
               f"{ {k: [d.urn for d in v] for k, v in resource.property_dependencies.items()} }",
               resource.urn)
    args.resources.append(args.resources[0])  # each policy's list is its own


def test_a_stack_policy_that_reads_the_sdks_resources_gets_what_the_sdk_gives() -> None:
    """The SDK's view of the stack is made only if a policy reads it; then it is the
    SDK's: properties (unknowns raise), parents and dependencies linked by URN."""
    echo = [StackValidationPolicy(name=name, description="echo", validate=_echo)
            for name in ("echo-1", "echo-2")]
    both = [_servicer(kind, [*POLICIES, *echo]) for kind in (analyzer.Analyzer,
                                                             analyzer.SdkServicer)]
    request = _stack(CORPUS)
    urns = [r.urn for r in request.resources]
    request.resources[1].parent = urns[0]
    request.resources[2].dependencies.extend([urns[0], urns[1], "urn:pulumi:elsewhere"])
    request.resources[3].propertyDependencies["zoneId"].urns.extend([urns[0]])
    ours, sdks = (servicer.AnalyzeStack(request, None) for servicer in both)
    assert ours == sdks
    assert sum(d.policyName == "echo-2" for d in ours.diagnostics) == len(CORPUS)


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, int]]:
    """How many times a call decodes properties and converts a resource to its record."""
    counts = {"decode": 0, "dns_record": 0}

    def counting(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def count(*args: Any, **kwargs: Any) -> Any:
            counts[name] += 1
            return function(*args, **kwargs)
        return count

    monkeypatch.setattr(analyzer, "decode", counting("decode", analyzer.decode))
    monkeypatch.setattr(rs, "dns_record", counting("dns_record", rs.dns_record))
    yield counts


def test_analyze_decodes_and_converts_each_resource_once(ours: Any,
                                                         counted: dict[str, int]) -> None:
    """Nine resource policies read a DNS record; it is decoded once and its record set
    made once, whatever the number of policies that judge it."""
    ours.Analyze(_request(CORPUS[1]), None)
    assert counted == {"decode": 1, "dns_record": 1}
    ours.Analyze(_request(CORPUS[-1]), None)  # a type no policy reads: not even decoded
    assert counted == {"decode": 1, "dns_record": 1}


def test_analyze_stack_decodes_and_converts_each_resource_once(ours: Any,
                                                               counted: dict[str, int]) -> None:
    ours.AnalyzeStack(_stack(CORPUS), None)
    assert counted == {"decode": len(CORPUS), "dns_record": len(CORPUS)}


def test_resources_sharing_a_text_are_each_reported_as_themselves(ours: Any) -> None:
    """A record text is judged once (the core caches its judgements); every resource
    that declares it still gets violations naming its own URN, name and record."""
    text = "v=spf1 include:amazonses.com ip4:192.0.2.10 ptr ~all"
    found: dict[str, list[Any]] = {}
    for domain in ("one.example.com", "two.example.org"):
        resource = (R53, f"{domain}-spf", r53(domain, "TXT", text))
        found[domain] = list(ours.Analyze(_request(resource), None).diagnostics)
    for domain, other in (("one.example.com", "two.example.org"),
                          ("two.example.org", "one.example.com")):
        diagnostics = found[domain]
        assert {d.policyName for d in diagnostics} >= {"spf-no-ip-literals", "spf-include-only"}
        assert {d.urn for d in diagnostics} == {urn(R53, f"{domain}-spf")}
        assert all(domain in d.message and other not in d.message for d in diagnostics)


def test_a_judgement_is_given_its_config_read_only(ours: Any) -> None:
    """The config a judgement shares across calls cannot be changed by one of them."""
    planned = ours._plan(analyzer.ResourceValidationPolicy)
    assert all(p.judge is not None for p in planned)  # every resource policy of the pack
    for p in planned:
        with pytest.raises(TypeError):
            p.config["ignoreCodes"] = []  # type: ignore[index]


def test_the_policies_for_a_type_are_worked_out_once_per_configuration(ours: Any) -> None:
    """Each resource type's policies: those of the plan that read it, in the plan's order,
    kept for every resource of the type until the next ``Configure``."""
    planned = ours._plan(analyzer.ResourceValidationPolicy)
    for kind in (R53, CF6, LAMBDA, SSM, "aws:s3/bucket:Bucket"):
        for_type = ours._plan_for_type(kind)
        assert for_type.policies == tuple(p for p in planned
                                          if p.types is None or kind in p.types)
        # Every policy of the pack is a judgement: called as one, in the same order.
        assert for_type.judgements == tuple((p.judge, p.config, p) for p in for_type.policies)
        assert ours._plan_for_type(kind) is for_type
    assert {p.policy.name for p in ours._plan_for_type(R53).policies} >= {
        "spf-valid", "dmarc-valid"}
    assert ours._plan_for_type("aws:s3/bucket:Bucket").policies == ()
    before = ours._plan_for_type(R53)
    ours.Configure(_defaults(ours), None)
    assert ours._plan_for_type(R53) is not before  # the levels may have changed


def test_a_policys_config_is_parsed_once_per_configuration() -> None:
    calls: list[Mapping[str, Any]] = []

    def parse(config: Mapping[str, Any]) -> tuple[str, ...]:
        calls.append(config)
        return tuple(config.get("names", ()))

    config = PolicyConfig({"names": ["a.example"]})
    assert parsed(config, parse) == parsed(config, parse) == ("a.example",)
    assert len(calls) == 1
    assert parsed(PolicyConfig({"names": ["b.example"]}), parse) == ("b.example",)
    assert parsed({"names": ["c.example"]}, parse) == ("c.example",)  # the SDK's copy
    assert len(calls) == 3


def test_a_config_that_cannot_be_parsed_fails_every_time() -> None:
    def parse(config: Mapping[str, Any]) -> int:
        raise PolicyConfigError("policy: config 'n' must be a whole number")

    config = PolicyConfig({"n": "x"})
    for _ in range(2):
        with pytest.raises(PolicyConfigError):
            parsed(config, parse)


# --- decoding a Struct ------------------------------------------------------------

_SCALARS = (st.text(max_size=8) | st.sampled_from([UNKNOWN, "v=spf1 -all", ""])
            | st.floats(allow_nan=False, allow_infinity=False) | st.booleans() | st.none())
_VALUES = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=4)
                       | st.dictionaries(st.text(max_size=6), inner, max_size=4), max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=6), _VALUES, max_size=6))
def test_struct_value_is_message_to_dict(value: dict[str, Any]) -> None:
    struct = to_struct(value)
    assert analyzer.struct_value(struct) == json_format.MessageToDict(struct)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.text(max_size=6), _VALUES | st.builds(secret, _VALUES), max_size=6))
def test_decode_gives_the_sdks_properties_and_the_packs_plain_view(value: dict[str, Any]) -> None:
    struct = to_struct(value)
    properties, plain = analyzer.decode(struct)
    expected = sdk.deserialize_properties(json_format.MessageToDict(struct))
    assert properties == expected
    assert plain == rs.plain(expected)


@pytest.mark.parametrize("number", [math.inf, -math.inf, math.nan])
def test_a_number_json_cannot_hold_is_refused_as_message_to_dict_refuses_it(number: float
                                                                           ) -> None:
    struct = struct_pb2.Struct()
    struct["n"] = number
    with pytest.raises(ValueError):
        json_format.MessageToDict(struct)
    with pytest.raises(ValueError):
        analyzer.struct_value(struct)
