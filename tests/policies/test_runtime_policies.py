"""Mail settings in every application runtime the pack reads, through its gRPC Analyzer.

Each runtime (``shapes.RUNTIMES``: Kubernetes objects, Lambda, ECS, App Runner,
Elastic Beanstalk, Batch, Cloud Run, App Service, Docker) gets, for every settings
policy, a resource it must reject, one it must pass, an unknown-value case and a
config that changes the verdict, in the provider's own camelCase shape.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.policies.harness import UNKNOWN, Diagnostic, Pack, of, secret, urn
from tests.policies.shapes import (
    K8S_CONFIG_MAP,
    K8S_DEPLOYMENT,
    K8S_SECRET,
    RUNTIMES,
    SESV2_IDENTITY,
    k8s_config_map,
    k8s_deployment,
    k8s_secret,
    sesv2_identity,
)

pytestmark = pytest.mark.slow

NAMES = sorted(RUNTIMES)
PASSWORD = "correct-horse-battery"  # a made-up value that must never be printed


def analyze(pack: Pack, runtime: str, env: dict[str, Any], **kwargs: Any) -> list[Diagnostic]:
    token, build, _path = RUNTIMES[runtime]
    return pack.analyze(token, build(env), name=runtime, **kwargs)


def preview_ran(diagnostics: list[Diagnostic]) -> None:
    assert not [d for d in diagnostics if "can't run policy" in d.message], diagnostics


# --- mail-host-not-ip -------------------------------------------------------------------


@pytest.mark.parametrize("runtime", NAMES)
def test_an_ip_as_smtp_host_is_rejected_with_urn_path_and_fix(pack: Pack, runtime: str) -> None:
    token, _build, path = RUNTIMES[runtime]
    found = of(analyze(pack, runtime, {"SMTP_HOST": "203.0.113.7", "SMTP_PORT": "587"}),
               "mail-host-not-ip")
    assert len(found) == 1, found
    assert found[0].urn == urn(token, runtime)
    assert f"SMTP_HOST is the IP address '203.0.113.7' (at {path})" in found[0].message
    assert "submission host name" in found[0].message


@pytest.mark.parametrize("runtime", NAMES)
def test_a_named_host_on_a_submission_port_passes(pack: Pack, runtime: str) -> None:
    diagnostics = analyze(pack, runtime, {
        "SMTP_HOST": "smtp.example.net", "SMTP_PORT": "587", "MAIL_PASSWORD": secret(PASSWORD),
        "DATABASE_HOST": "192.0.2.80"})
    assert [d for d in diagnostics if d.level == "mandatory"] == []


@pytest.mark.parametrize("runtime", NAMES)
def test_unknown_settings_are_not_violations(pack: Pack, runtime: str) -> None:
    diagnostics = analyze(pack, runtime, {"SMTP_HOST": UNKNOWN, "SMTP_PORT": "25",
                                          "SMTP_PASSWORD": UNKNOWN})
    assert of(diagnostics, "mail-host-not-ip") == []
    assert of(diagnostics, "smtp-port-not-25") == []
    assert of(diagnostics, "smtp-password-plaintext") == []
    preview_ran(diagnostics)


@pytest.mark.parametrize("runtime", NAMES)
def test_setting_names_config_extends_the_table(pack: Pack, runtime: str) -> None:
    env = {"RELAY_ADDRESS": "198.51.100.9"}
    assert of(analyze(pack, runtime, env), "mail-host-not-ip") == []
    found = of(analyze(pack, runtime, env, config={
        "mail-host-not-ip": {"settingNames": {"host": ["RELAY_ADDRESS"]}}}), "mail-host-not-ip")
    assert len(found) == 1 and "RELAY_ADDRESS is the IP address" in found[0].message


# --- smtp-port-not-25 -----------------------------------------------------------------------


@pytest.mark.parametrize("runtime", NAMES)
def test_port_25_is_rejected_and_a_local_relay_advised(pack: Pack, runtime: str) -> None:
    remote = analyze(pack, runtime, {"SMTP_HOST": "smtp.example.net", "SMTP_PORT": "25"})
    found = of(remote, "smtp-port-not-25")
    assert len(found) == 1 and "sends to smtp.example.net on port 25" in found[0].message
    assert "587" in found[0].message
    local = analyze(pack, runtime, {"SMTP_HOST": "localhost", "SMTP_PORT": "25"})
    assert of(local, "smtp-port-not-25") == []
    assert len(of(local, "smtp-port-local-relay")) == 1
    relay = analyze(pack, runtime, {"SMTP_HOST": "relay.test", "SMTP_PORT": "25"}, config={
        "smtp-port-not-25": {"localHosts": ["relay.test"]}})
    assert of(relay, "smtp-port-not-25") == []


# --- smtp-password-plaintext ---------------------------------------------------------------

@pytest.mark.parametrize("runtime", NAMES)
def test_a_plain_smtp_password_is_rejected_and_never_printed(pack: Pack, runtime: str) -> None:
    token, _build, _path = RUNTIMES[runtime]
    found = of(analyze(pack, runtime, {"SMTP_HOST": "smtp.example.net",
                                       "MAIL_PASSWORD": PASSWORD}), "smtp-password-plaintext")
    assert len(found) == 1, found
    assert found[0].level == "mandatory" and found[0].urn == urn(token, runtime)
    assert "MAIL_PASSWORD" in found[0].message and "(at " in found[0].message
    assert "pulumi config set --secret" in found[0].message
    assert PASSWORD not in found[0].message


@pytest.mark.parametrize("runtime", NAMES)
def test_a_secret_smtp_password_passes(pack: Pack, runtime: str) -> None:
    diagnostics = analyze(pack, runtime, {"SMTP_HOST": "smtp.example.net",
                                          "SMTP_PASSWORD": secret(PASSWORD)})
    assert of(diagnostics, "smtp-password-plaintext") == []
    assert all(PASSWORD not in d.message for d in diagnostics)


@pytest.mark.parametrize("runtime", NAMES)
def test_ignore_keys_config_changes_the_verdict(pack: Pack, runtime: str) -> None:
    env = {"EMAIL_HOST_PASSWORD": PASSWORD}
    assert len(of(analyze(pack, runtime, env), "smtp-password-plaintext")) == 1
    ignored = analyze(pack, runtime, env, config={
        "smtp-password-plaintext": {"ignoreKeys": ["EMAIL_HOST_PASSWORD"]}})
    assert of(ignored, "smtp-password-plaintext") == []


def test_secret_references_are_not_plain_text(pack: Pack) -> None:
    for value in ("@Microsoft.KeyVault(SecretUri=https://vault.example.net/secrets/smtp/)",
                  "{{resolve:secretsmanager:smtp:SecretString:password}}", "$(SMTP_SECRET)"):
        assert of(analyze(pack, "azure-appsettings", {"SMTP_PASSWORD": value}),
                  "smtp-password-plaintext") == []
    with_ref = k8s_deployment({})
    with_ref["spec"]["template"]["spec"]["containers"][0]["env"] = [
        {"name": "SMTP_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "smtp", "key": "pw"}}}]
    assert of(pack.analyze(K8S_DEPLOYMENT, with_ref), "smtp-password-plaintext") == []


def test_a_password_in_an_smtp_url_is_plain_text(pack: Pack) -> None:
    dsn = f"smtp://app:{PASSWORD}@smtp.example.net:587"
    found = of(analyze(pack, "configmap", {"MAILER_DSN": dsn}), "smtp-password-plaintext")
    assert len(found) == 1 and PASSWORD not in found[0].message


def test_a_kubernetes_secret_holds_passwords_and_is_never_printed(pack: Pack) -> None:
    props = k8s_secret({"SMTP_PASSWORD": PASSWORD, "SMTP_HOST": "192.0.2.77"})
    diagnostics = pack.analyze(K8S_SECRET, props, name="smtp")
    assert of(diagnostics, "smtp-password-plaintext") == []
    hosts = of(diagnostics, "mail-host-not-ip")
    assert len(hosts) == 1 and "192.0.2.77" not in hosts[0].message
    assert "<secret>" in hosts[0].message


def test_a_secret_host_is_judged_but_masked(pack: Pack) -> None:
    found = of(analyze(pack, "deployment", {"SMTP_HOST": secret("198.51.100.7")}),
               "mail-host-not-ip")
    assert len(found) == 1 and "198.51.100.7" not in found[0].message


def test_config_map_files_are_read_line_by_line(pack: Pack) -> None:
    props = k8s_config_map({"application.properties": (
        "server.port=8080\nspring.mail.host=192.0.2.44\nspring.mail.port=587\n"
        f"spring.mail.password={PASSWORD}\n")})
    diagnostics = pack.analyze(K8S_CONFIG_MAP, props, name="props")
    hosts = of(diagnostics, "mail-host-not-ip")
    assert len(hosts) == 1 and 'data["application.properties"] line 2' in hosts[0].message
    passwords = of(diagnostics, "smtp-password-plaintext")
    assert len(passwords) == 1 and PASSWORD not in passwords[0].message


def test_env_from_leaves_a_lone_port_unjudged(pack: Pack) -> None:
    lone = k8s_deployment({"SMTP_PORT": "25"})
    assert len(of(pack.analyze(K8S_DEPLOYMENT, lone), "smtp-port-not-25")) == 1
    lone["spec"]["template"]["spec"]["containers"][0]["envFrom"] = [
        {"configMapRef": {"name": "smtp"}}]
    assert of(pack.analyze(K8S_DEPLOYMENT, lone), "smtp-port-not-25") == []


# --- sender-address (stack) -----------------------------------------------------------------


@pytest.mark.parametrize("runtime", NAMES)
def test_sender_addresses_in_every_runtime(pack: Pack, runtime: str) -> None:
    token, build, _path = RUNTIMES[runtime]
    identity = (SESV2_IDENTITY, "identity", sesv2_identity("example.com"))
    bad = pack.analyze_stack([identity,
                              (token, runtime, build({"MAIL_FROM": "noreply@example.com"}))])
    found = of(bad, "sender-address")
    assert len(found) == 1 and "is a no-reply address" in found[0].message
    assert found[0].urn == urn(token, runtime) and "(at " in found[0].message
    good = pack.analyze_stack([identity,
                               (token, runtime, build({"MAIL_FROM": "mail@example.com"}))])
    assert of(good, "sender-address") == []
    later = pack.analyze_stack([identity, (token, runtime, build({"MAIL_FROM": UNKNOWN}))])
    assert of(later, "sender-address") == []
    allowed = pack.analyze_stack(
        [identity, (token, runtime, build({"MAIL_FROM": "noreply@example.com"}))],
        config={"sender-address": {"allowedMailboxes": ["noreply@example.com"]}})
    assert of(allowed, "sender-address") == []


# --- smtp-port-not-25-env-from (stack): env and envFrom judged together -----------------------


def with_env_from(env: dict[str, Any], *refs: dict[str, Any], namespace: str = "default"
                  ) -> dict[str, Any]:
    props = k8s_deployment(env)
    props["metadata"]["namespace"] = namespace
    props["spec"]["template"]["spec"]["containers"][0]["envFrom"] = list(refs)
    return props


def config_map(name: str, data: dict[str, Any]) -> dict[str, Any]:
    props = k8s_config_map(data)
    props["metadata"]["name"] = name
    return props


CM_REF = {"configMapRef": {"name": "smtp"}}
ENV_FROM = "smtp-port-not-25-env-from"


def test_a_port_and_a_host_in_different_resources_are_judged_together(pack: Pack) -> None:
    app = with_env_from({"SMTP_PORT": "25"}, CM_REF)
    assert of(pack.analyze(K8S_DEPLOYMENT, app), "smtp-port-not-25") == []
    found = of(pack.analyze_stack([
        (K8S_DEPLOYMENT, "app", app),
        (K8S_CONFIG_MAP, "smtp", config_map("smtp", {"SMTP_HOST": "smtp.example.net"}))]),
        ENV_FROM)
    assert len(found) == 1 and found[0].urn == urn(K8S_DEPLOYMENT, "app")
    assert "sends to smtp.example.net on port 25" in found[0].message
    assert "spec.template.spec.containers[0].env[0].value" in found[0].message
    reverse = of(pack.analyze_stack([
        (K8S_DEPLOYMENT, "app", with_env_from({"SMTP_HOST": "smtp.example.net"}, CM_REF)),
        (K8S_CONFIG_MAP, "smtp", config_map("smtp", {"SMTP_PORT": "25"}))]), ENV_FROM)
    assert len(reverse) == 1 and reverse[0].urn == urn(K8S_CONFIG_MAP, "smtp")
    assert "read by app (container app) through envFrom" in reverse[0].message


def test_env_from_local_relays_and_submission_ports_pass(pack: Pack) -> None:
    for host, port in (("localhost", "25"), ("smtp.example.net", "587")):
        diagnostics = pack.analyze_stack([
            (K8S_DEPLOYMENT, "app", with_env_from({"SMTP_PORT": port}, CM_REF)),
            (K8S_CONFIG_MAP, "smtp", config_map("smtp", {"SMTP_HOST": host}))])
        assert of(diagnostics, ENV_FROM) == []


def test_env_from_unknowns_and_sources_outside_the_stack_are_not_judged(pack: Pack) -> None:
    unknown = pack.analyze_stack([
        (K8S_DEPLOYMENT, "app", with_env_from({"SMTP_PORT": "25"}, CM_REF)),
        (K8S_CONFIG_MAP, "smtp", config_map("smtp", {"SMTP_HOST": UNKNOWN}))])
    assert of(unknown, ENV_FROM) == []
    elsewhere = pack.analyze_stack([
        (K8S_DEPLOYMENT, "app", with_env_from({"SMTP_PORT": "25"}, CM_REF,
                                              {"secretRef": {"name": "not-here"}})),
        (K8S_CONFIG_MAP, "smtp", config_map("smtp", {"MAIL_FROM": "mail@example.com"}))])
    assert of(elsewhere, ENV_FROM) == []
    other_namespace = pack.analyze_stack([
        (K8S_DEPLOYMENT, "app", with_env_from({"SMTP_PORT": "25"}, CM_REF, namespace="mail")),
        (K8S_CONFIG_MAP, "smtp", config_map("smtp", {"SMTP_HOST": "smtp.example.net"}))])
    assert of(other_namespace, ENV_FROM) == []


def test_env_from_with_every_source_here_and_no_host_is_rejected(pack: Pack) -> None:
    found = of(pack.analyze_stack([
        (K8S_DEPLOYMENT, "app", with_env_from({"SMTP_PORT": "25"}, CM_REF)),
        (K8S_CONFIG_MAP, "smtp", config_map("smtp", {"MAIL_FROM": "mail@example.com"}))]),
        ENV_FROM)
    assert len(found) == 1 and "no SMTP host beside it" in found[0].message


def test_env_from_config_prefixes_and_secrets(pack: Pack) -> None:
    relay = [(K8S_DEPLOYMENT, "app", with_env_from({"SMTP_PORT": "25"}, CM_REF)),
             (K8S_CONFIG_MAP, "smtp", config_map("smtp", {"SMTP_HOST": "relay.test"}))]
    assert len(of(pack.analyze_stack(relay), ENV_FROM)) == 1
    local = pack.analyze_stack(relay, config={ENV_FROM: {"localHosts": ["relay.test"]}})
    assert of(local, ENV_FROM) == []
    prefixed = of(pack.analyze_stack([
        (K8S_DEPLOYMENT, "app", with_env_from(
            {"APP_SMTP_PORT": "25"}, {"prefix": "APP_", "configMapRef": {"name": "smtp"}})),
        (K8S_CONFIG_MAP, "smtp", config_map("smtp", {"SMTP_HOST": "smtp.example.net"}))]),
        ENV_FROM)
    assert len(prefixed) == 1
    secret_host = k8s_secret({"SMTP_HOST": "smtp-hidden.example.net"})
    secret_host["metadata"]["name"] = "smtp"
    hidden = of(pack.analyze_stack([
        (K8S_DEPLOYMENT, "app", with_env_from({"SMTP_PORT": "25"},
                                              {"secretRef": {"name": "smtp"}})),
        (K8S_SECRET, "smtp", secret_host)]), ENV_FROM)
    assert len(hidden) == 1 and "smtp-hidden" not in hidden[0].message
    assert "<secret>" in hidden[0].message


# --- the other shapes of the same runtimes -------------------------------------------------


def test_every_shape_of_batch_app_runner_beanstalk_and_cloud_run_is_read(pack: Pack) -> None:
    import json

    env = [{"name": "SMTP_HOST", "value": "192.0.2.61"}]
    shapes: list[tuple[str, dict[str, Any], str]] = [
        ("aws:batch/jobDefinition:JobDefinition", {"type": "multinode", "nodeProperties":
            json.dumps({"nodeRangeProperties": [{"container": {"environment": env}}]})},
         "nodeProperties.nodeRangeProperties[0].container.environment[0].value"),
        ("aws:batch/jobDefinition:JobDefinition", {"ecsProperties": json.dumps(
            {"taskProperties": [{"containers": [{"name": "c", "environment": env}]}]})},
         "ecsProperties.taskProperties[0].containers[0].environment[0].value"),
        ("aws:batch/jobDefinition:JobDefinition", {"eksProperties": {"podProperties": {
            "containers": [{"image": "app:1", "envs": env}]}}},
         "eksProperties.podProperties.containers[0].envs[0].value"),
        ("aws:apprunner/service:Service", {"sourceConfiguration": {"codeRepository": {
            "codeConfiguration": {"configurationSource": "API", "codeConfigurationValues": {
                "runtime": "PYTHON_3", "runtimeEnvironmentVariables": {
                    "SMTP_HOST": "192.0.2.61"}}}}}},
         "sourceConfiguration.codeRepository.codeConfiguration.codeConfigurationValues."
         "runtimeEnvironmentVariables.SMTP_HOST"),
        ("aws:elasticbeanstalk/configurationTemplate:ConfigurationTemplate", {"settings": [
            {"namespace": "aws:elasticbeanstalk:application:environment", "name": "SMTP_HOST",
             "value": "192.0.2.61"}]}, "settings[0].value"),
        ("gcp:cloudrunv2/job:Job", {"template": {"template": {"containers": [
            {"image": "app:1", "envs": env}]}}}, "template.template.containers[0].envs[0].value"),
        ("kubernetes:core/v1:Pod", {"spec": {"initContainers": [{"name": "i", "env": env}]}},
         "spec.initContainers[0].env[0].value"),
    ]
    for token, props, path in shapes:
        found = of(pack.analyze(token, props), "mail-host-not-ip")
        assert len(found) == 1 and f"(at {path})" in found[0].message, (token, found)


def test_secret_store_references_are_not_plain_passwords(pack: Pack) -> None:
    import json

    ecs = {"containerDefinitions": json.dumps([{"name": "web", "secrets": [
        {"name": "SMTP_PASSWORD", "valueFrom": "arn:aws:ssm:us-east-1:123456789012:parameter/pw"}
    ], "environment": [{"name": "SMTP_HOST", "value": "smtp.example.net"},
                       {"name": "SMTP_PORT", "value": "25"}]}])}
    diagnostics = pack.analyze("aws:ecs/taskDefinition:TaskDefinition", ecs)
    assert of(diagnostics, "smtp-password-plaintext") == []
    assert len(of(diagnostics, "smtp-port-not-25")) == 1
    apprunner = {"sourceConfiguration": {"imageRepository": {"imageConfiguration": {
        "runtimeEnvironmentSecrets": {"SMTP_PASSWORD": "arn:aws:secretsmanager:us-east-1:"
                                                       "123456789012:secret:pw"}}}}}
    assert of(pack.analyze("aws:apprunner/service:Service", apprunner),
              "smtp-password-plaintext") == []
    beanstalk = {"settings": [{"namespace": "aws:elasticbeanstalk:application:environmentsecrets",
                               "name": "SMTP_PASSWORD",
                               "value": "arn:aws:secretsmanager:us-east-1:123456789012:secret:pw"}]}
    assert of(pack.analyze("aws:elasticbeanstalk/environment:Environment", beanstalk),
              "smtp-password-plaintext") == []
    whole = {"containerDefinitions": secret(json.dumps([{"name": "web", "environment": [
        {"name": "SMTP_PASSWORD", "value": PASSWORD}]}]))}
    assert of(pack.analyze("aws:ecs/taskDefinition:TaskDefinition", whole),
              "smtp-password-plaintext") == []


def test_kubernetes_secrets_reject_pass_unknown_and_config(pack: Pack) -> None:
    def judged(env: dict[str, Any], **kwargs: Any) -> list[Diagnostic]:
        return pack.analyze(K8S_SECRET, k8s_secret(env), name="smtp", **kwargs)

    rejected = of(judged({"SMTP_HOST": "203.0.113.7", "SMTP_PORT": "587"}), "mail-host-not-ip")
    assert len(rejected) == 1 and "203.0.113.7" not in rejected[0].message
    assert "(at stringData.SMTP_HOST)" in rejected[0].message
    assert judged({"SMTP_HOST": "smtp.example.net", "SMTP_PORT": "587",
                   "SMTP_PASSWORD": PASSWORD}) == []
    assert judged({"SMTP_HOST": UNKNOWN, "SMTP_PORT": "25"}) == []
    env = {"RELAY_ADDRESS": "198.51.100.9"}
    assert judged(env) == []
    assert len(of(judged(env, config={"mail-host-not-ip": {"settingNames": {
        "host": ["RELAY_ADDRESS"]}}}), "mail-host-not-ip")) == 1
    encoded = k8s_secret({})
    encoded["data"] = {"SMTP_HOST": "MTkyLjAuMi44OA=="}  # base64 of 192.0.2.88
    assert len(of(pack.analyze(K8S_SECRET, encoded), "mail-host-not-ip")) == 1


def test_a_secret_sender_is_judged_but_never_printed(pack: Pack) -> None:
    identity = (SESV2_IDENTITY, "identity", sesv2_identity("example.com"))
    found = of(pack.analyze_stack([identity, (K8S_DEPLOYMENT, "app", k8s_deployment(
        {"MAIL_FROM": secret("noreply@example.com")}))]), "sender-address")
    assert len(found) == 1 and "is a no-reply address" in found[0].message
    message = found[0].message.split("\n", 1)[1]
    assert "noreply@" not in message and "example.com" not in message
    assert "'<secret>'" in message


def test_ssm_parameters_hold_passwords_only_as_secure_strings(pack: Pack) -> None:
    from tests.policies.shapes import SSM, ssm

    plain = of(pack.analyze(SSM, ssm("/app/prod/smtp/password", PASSWORD), name="pw"),
               "smtp-password-plaintext")
    assert len(plain) == 1 and "make the parameter a SecureString" in plain[0].message
    assert PASSWORD not in plain[0].message
    secure = pack.analyze(SSM, ssm("/app/prod/smtp/password", PASSWORD, kind="SecureString"))
    assert of(secure, "smtp-password-plaintext") == []
    assert of(pack.analyze(SSM, ssm("/app/prod/smtp/password", UNKNOWN)),
              "smtp-password-plaintext") == []
    assert of(pack.analyze(SSM, ssm("/app/prod/smtp/password", PASSWORD), config={
        "smtp-password-plaintext": {"ignoreKeys": ["/app/prod/smtp/password"]}}),
        "smtp-password-plaintext") == []
