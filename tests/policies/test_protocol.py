"""The pack as the Pulumi CLI meets it: start-up, GetAnalyzerInfo, Configure, plugin info."""

from __future__ import annotations

import json
import subprocess
import sys

import grpc
import pytest
from google.protobuf import json_format
from pulumi.runtime.proto import analyzer_pb2

from mailzone.registry import REGISTRY
from tests.policies.harness import PACK_DIR, Pack, of
from tests.policies.shapes import R53, r53

pytestmark = pytest.mark.slow

RULES = {
    # name: (enforcement level, resource or stack policy)
    "spf-no-ip-literals": ("mandatory", "resource"),
    "spf-valid": ("mandatory", "resource"),
    "spf-lookup-budget": ("mandatory", "resource"),
    "spf-lookup-budget-headroom": ("advisory", "resource"),
    "spf-single-record": ("mandatory", "stack"),
    "spf-include-only": ("advisory", "resource"),
    "mail-host-not-ip": ("mandatory", "resource"),
    "smtp-port-not-25": ("mandatory", "resource"),
    "smtp-port-local-relay": ("advisory", "resource"),
    "sender-address": ("mandatory", "stack"),
    "ses-identity-complete": ("mandatory", "stack"),
    "dmarc-valid": ("mandatory", "resource"),
    "bulk-sender": ("advisory", "stack"),
    "parked-domain": ("mandatory", "stack"),
    "dmarc-missing": ("advisory", "stack"),
    "smtp-password-plaintext": ("mandatory", "resource"),
    "smtp-port-not-25-env-from": ("mandatory", "stack"),
}
_TYPES = {analyzer_pb2.POLICY_TYPE_RESOURCE: "resource", analyzer_pb2.POLICY_TYPE_STACK: "stack"}
_LEVELS = {analyzer_pb2.ADVISORY: "advisory", analyzer_pb2.MANDATORY: "mandatory"}


def test_the_pack_prints_its_port_and_serves(pack: Pack) -> None:
    assert 0 < pack.port < 65536
    assert pack.process.poll() is None
    assert pack.startup_seconds < 10  # a sanity bound; the measured figure is in the docs


def test_analyzer_info_lists_every_rule_with_its_level_and_kind(pack: Pack) -> None:
    info = pack.info()
    assert info.name == "mailzone"
    assert info.supportsConfig
    found = {p.name: (_LEVELS[p.enforcementLevel], _TYPES[p.policy_type]) for p in info.policies}
    assert found == RULES
    assert all(p.description for p in info.policies)


def test_the_pack_serves_the_policies_the_registry_declares(pack: Pack) -> None:
    served = {p.name: (p.description, _LEVELS[p.enforcementLevel], _TYPES[p.policy_type])
              for p in pack.info().policies}
    declared = {p.name: (p.description, p.enforcement.value, "stack" if p.stack else "resource")
                for p in REGISTRY.policies()}
    assert served == declared


def test_every_policy_has_a_config_schema_with_defaults(pack: Pack) -> None:
    for policy in pack.info().policies:
        schema = json_format.MessageToDict(policy.configSchema.properties)
        assert schema, policy.name
        for key, spec in schema.items():
            assert "type" in spec and "default" in spec, (policy.name, key)


def test_plugin_info_and_handshake(pack: Pack) -> None:
    assert pack.plugin_info().version
    # Newer CLIs try Handshake first and fall back when it is unimplemented.
    with pytest.raises(grpc.RpcError) as failure:
        pack.stub.Handshake(analyzer_pb2.AnalyzerHandshakeRequest(
            engine_address="127.0.0.1:1", root_directory=str(PACK_DIR),
            program_directory=str(PACK_DIR)))
    assert failure.value.code() == grpc.StatusCode.UNIMPLEMENTED


def test_configure_stack_is_accepted(pack: Pack) -> None:
    reply = pack.stub.ConfigureStack(analyzer_pb2.AnalyzerStackConfigureRequest(
        stack="dev", project="mailzone", organization="organization"))
    assert reply is not None  # an answer, not a gRPC error
    # The pack keeps judging after it: a hard-coded address is still rejected.
    props = r53("example.com", "TXT", "v=spf1 ip4:192.0.2.1 -all")
    assert of(pack.analyze(R53, props), "spf-no-ip-literals")


def test_unrelated_resources_get_no_diagnostics(pack: Pack) -> None:
    assert pack.analyze("aws:s3/bucket:Bucket", {"bucket": "example-bucket"}) == []
    assert pack.analyze(R53, r53("www.example.com", "A", "192.0.2.1")) == []


def test_enforcement_level_from_config_applies(pack: Pack) -> None:
    props = r53("example.com", "TXT", "v=spf1 ip4:192.0.2.1 -all")
    assert [d.level for d in of(pack.analyze(R53, props), "spf-no-ip-literals")] == ["mandatory"]
    advisory = pack.analyze(R53, props, config={"spf-no-ip-literals": "advisory"})
    assert [d.level for d in of(advisory, "spf-no-ip-literals")] == ["advisory"]


def test_the_pack_imports_no_provider_sdk() -> None:
    probe = (
        "import json, runpy, sys\n"
        "runpy.run_path('.', run_name='probe')\n"
        "print(json.dumps(sorted(m for m in sys.modules\n"
        "    if m.split('.')[0] in ('pulumi_aws', 'pulumi_cloudflare', 'components'))))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=PACK_DIR, capture_output=True,
                            text=True, timeout=60, check=True)
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []
