"""Mail hosts, SMTP ports and sender addresses, through the pack's gRPC Analyzer."""

from __future__ import annotations

import pytest

from tests.policies.harness import UNKNOWN, Diagnostic, Pack, of, secret
from tests.policies.shapes import (
    CF6,
    ECS_TASK,
    LAMBDA,
    R53,
    SES_EMAIL_IDENTITY,
    SESV2_IDENTITY,
    SSM,
    cf6,
    container,
    ecs_task,
    lambda_env,
    r53,
    sesv2_identity,
    ssm,
)

pytestmark = pytest.mark.slow


def no_preview_errors(diagnostics: list[Diagnostic]) -> None:
    assert not [d for d in diagnostics if "can't run policy" in d.message], diagnostics


# --- mail-host-not-ip ------------------------------------------------------------------


def test_mx_naming_an_address_is_rejected(pack: Pack) -> None:
    route53 = of(pack.analyze(R53, r53("example.com", "MX", "10 192.0.2.25"), name="mx"),
                 "mail-host-not-ip")
    cloudflare = of(pack.analyze(CF6, cf6("example.org", "MX", "2001:db8::25", priority=10)),
                    "mail-host-not-ip")
    assert len(route53) == 1 and route53[0].level == "mandatory"
    assert "mx: the MX at example.com points at the IP address '192.0.2.25'" in route53[0].message
    assert len(cloudflare) == 1 and "'2001:db8::25'" in cloudflare[0].message


def test_smtp_host_settings_naming_addresses_are_rejected(pack: Pack) -> None:
    in_lambda = of(pack.analyze(LAMBDA, lambda_env(SMTP_HOST="198.51.100.25", SMTP_PORT="587")),
                   "mail-host-not-ip")
    in_ecs = of(pack.analyze(ECS_TASK, ecs_task(
        container("web", MAIL_SERVER="203.0.113.9", MAIL_PORT="587"),
        container("worker", EMAIL_HOST="smtp.example.net"))), "mail-host-not-ip")
    in_ssm = of(pack.analyze(SSM, ssm("/app/prod/smtp/host", "192.0.2.30")), "mail-host-not-ip")
    in_dsn = of(pack.analyze(LAMBDA, lambda_env(MAILER_DSN="smtp://app:hunter2@192.0.2.31:587")),
                "mail-host-not-ip")
    assert len(in_lambda) == 1
    assert "SMTP_HOST is the IP address '198.51.100.25'" in in_lambda[0].message
    assert len(in_ecs) == 1 and "(container web)" in in_ecs[0].message
    assert len(in_ssm) == 1 and "/app/prod/smtp/host" in in_ssm[0].message
    assert len(in_dsn) == 1 and "'192.0.2.31'" in in_dsn[0].message
    assert "hunter2" not in in_dsn[0].message


def test_mail_hosts_by_name_pass(pack: Pack) -> None:
    diagnostics = [
        *pack.analyze(R53, r53("example.com", "MX", "10 mx1.example.net", "20 mx2.example.net")),
        *pack.analyze(LAMBDA, lambda_env(SMTP_HOST="smtp.example.net", SMTP_PORT="587",
                                         DATABASE_HOST="192.0.2.80")),
        *pack.analyze(LAMBDA, lambda_env(SMTP_HOST="127.0.0.1", SMTP_PORT="587")),
    ]
    assert of(diagnostics, "mail-host-not-ip") == []


def test_mail_host_unknowns_are_not_violations(pack: Pack) -> None:
    diagnostics = [
        *pack.analyze(R53, {**r53("example.com", "MX"), "records": UNKNOWN}),
        *pack.analyze(LAMBDA, lambda_env(SMTP_HOST=UNKNOWN, SMTP_PORT="587")),
        *pack.analyze(LAMBDA, {"environment": UNKNOWN}),
        *pack.analyze(ECS_TASK, {"family": "app", "containerDefinitions": UNKNOWN}),
        *pack.analyze(SSM, ssm("/app/prod/SMTP_HOST", UNKNOWN)),
    ]
    assert of(diagnostics, "mail-host-not-ip") == []
    no_preview_errors(diagnostics)


def test_mail_host_config_networks_and_loopback(pack: Pack) -> None:
    relay = lambda_env(SMTP_HOST="192.0.2.40", SMTP_PORT="587")
    assert len(of(pack.analyze(LAMBDA, relay), "mail-host-not-ip")) == 1
    allowed = pack.analyze(LAMBDA, relay, config={
        "mail-host-not-ip": {"allowedNetworks": ["192.0.2.0/24"]}})
    assert of(allowed, "mail-host-not-ip") == []
    loopback = lambda_env(SMTP_HOST="127.0.0.1", SMTP_PORT="587")
    strict = pack.analyze(LAMBDA, loopback, config={"mail-host-not-ip": {"allowLoopback": False}})
    assert len(of(strict, "mail-host-not-ip")) == 1


def test_secret_settings_are_seen_and_not_printed(pack: Pack) -> None:
    # A whole environment marked secret reaches the pack as a secret signature object.
    props = {"environment": {"variables": secret({"SMTP_HOST": "smtp.example.net",
                                                  "SMTP_PORT": "25"})}}
    assert len(of(pack.analyze(LAMBDA, props), "smtp-port-not-25")) == 1
    found = of(pack.analyze(SSM, ssm("/app/prod/SMTP_HOST", "192.0.2.77", kind="SecureString")),
               "mail-host-not-ip")
    assert len(found) == 1 and "192.0.2.77" not in found[0].message
    assert "<secret>" in found[0].message


# --- smtp-port-not-25 and the local relay advisory ------------------------------------------


def test_port_25_to_a_remote_host_is_rejected(pack: Pack) -> None:
    in_lambda = of(pack.analyze(LAMBDA, lambda_env(SMTP_HOST="smtp.example.net", SMTP_PORT="25")),
                   "smtp-port-not-25")
    in_ecs = of(pack.analyze(ECS_TASK, ecs_task(container(
        "web", **{"spring.mail.host": "smtp.example.net", "spring.mail.port": "25"}))),
        "smtp-port-not-25")
    in_dsn = of(pack.analyze(LAMBDA, lambda_env(MAILER_DSN="smtp://app:pw@smtp.example.net:25")),
                "smtp-port-not-25")
    alone = of(pack.analyze(SSM, ssm("/app/prod/SMTP_PORT", "25")), "smtp-port-not-25")
    assert len(in_lambda) == 1 and in_lambda[0].level == "mandatory"
    assert ("SMTP_PORT=25 (at environment.variables.SMTP_PORT) sends to smtp.example.net on "
            "port 25") in in_lambda[0].message
    assert "587" in in_lambda[0].message
    assert len(in_ecs) == 1 and "spring.mail.port=25" in in_ecs[0].message
    assert len(in_dsn) == 1 and ":pw@" not in in_dsn[0].message
    assert len(alone) == 1 and "no SMTP host beside it" in alone[0].message


def test_submission_ports_pass(pack: Pack) -> None:
    diagnostics = [
        *pack.analyze(LAMBDA, lambda_env(SMTP_HOST="smtp.example.net", SMTP_PORT="587")),
        *pack.analyze(LAMBDA, lambda_env(**{"mail.smtp.host": "smtp.example.net",
                                            "mail.smtp.port": "465"})),
        *pack.analyze(SSM, ssm("/app/prod/SMTP_PORT", "587")),
        *pack.analyze(LAMBDA, lambda_env(DB_PORT="25")),  # not a mail setting
    ]
    assert of(diagnostics, "smtp-port-not-25") == []
    assert of(diagnostics, "smtp-port-local-relay") == []


def test_local_relay_is_advisory_only(pack: Pack) -> None:
    for host in ("localhost", "127.0.0.1", "::1"):
        diagnostics = pack.analyze(LAMBDA, lambda_env(SMTP_HOST=host, SMTP_PORT="25"))
        assert of(diagnostics, "smtp-port-not-25") == []
        advice = of(diagnostics, "smtp-port-local-relay")
        assert len(advice) == 1 and advice[0].level == "advisory"
        assert "1000 messages a day" in advice[0].message


def test_port_25_unknowns_are_not_violations(pack: Pack) -> None:
    diagnostics = [
        *pack.analyze(LAMBDA, lambda_env(SMTP_HOST=UNKNOWN, SMTP_PORT="25")),
        *pack.analyze(LAMBDA, lambda_env(SMTP_HOST="smtp.example.net", SMTP_PORT=UNKNOWN)),
        *pack.analyze(ECS_TASK, {"family": "app", "containerDefinitions": UNKNOWN}),
        *pack.analyze(SSM, ssm("/app/prod/SMTP_PORT", UNKNOWN)),
    ]
    assert of(diagnostics, "smtp-port-not-25") == []
    assert of(diagnostics, "smtp-port-local-relay") == []
    no_preview_errors(diagnostics)


def test_port_25_config_local_hosts(pack: Pack) -> None:
    sidecar = ecs_task(container("web", SMTP_HOST="mailrelay.test", SMTP_PORT="25"))
    assert len(of(pack.analyze(ECS_TASK, sidecar), "smtp-port-not-25")) == 1
    configured = pack.analyze(ECS_TASK, sidecar, config={
        "smtp-port-not-25": {"localHosts": ["mailrelay.test"]},
        "smtp-port-local-relay": {"localHosts": ["mailrelay.test"]},
    })
    assert of(configured, "smtp-port-not-25") == []
    assert len(of(configured, "smtp-port-local-relay")) == 1


def test_local_relay_config_threshold_and_level(pack: Pack) -> None:
    props = lambda_env(EMAIL_HOST="localhost", EMAIL_PORT="25")
    advice = of(pack.analyze(LAMBDA, props, config={
        "smtp-port-local-relay": {"messagesPerDay": 200}}), "smtp-port-local-relay")
    assert len(advice) == 1 and "about 200 messages a day" in advice[0].message
    off = pack.analyze(LAMBDA, props, config={"smtp-port-local-relay": "disabled"})
    assert of(off, "smtp-port-local-relay") == []


# --- sender-address (stack) -------------------------------------------------------------------

IDENTITY = (SESV2_IDENTITY, "identity", sesv2_identity("example.com"))


def senders(diagnostics: list[Diagnostic]) -> list[str]:
    return [d.message.split("\n", 1)[1] for d in of(diagnostics, "sender-address")]


def test_sender_addresses_rejected(pack: Pack) -> None:
    diagnostics = pack.analyze_stack([
        IDENTITY,
        (LAMBDA, "noreply", lambda_env(MAIL_FROM="noreply@example.com")),
        (LAMBDA, "nodomain", lambda_env(EMAIL_FROM="mail")),
        # test.com here is the *rejected placeholder input* the rule exists to catch.
        (LAMBDA, "placeholder", lambda_env(DEFAULT_FROM_EMAIL="mail@test.com")),
        (SES_EMAIL_IDENTITY, "address-identity", {"email": "do-not-reply@example.com"}),
        (SSM, "elsewhere", ssm("/app/prod/MAIL_FROM_ADDRESS", "mail@example.org")),
    ])
    found = of(diagnostics, "sender-address")
    assert {d.level for d in found} == {"mandatory"}
    by_resource = {d.urn.rsplit("::", 1)[1]: d.message for d in found}
    assert set(by_resource) == {"noreply", "nodomain", "placeholder", "address-identity",
                                "elsewhere"}
    assert "is a no-reply address" in by_resource["noreply"]
    assert "has no domain" in by_resource["nodomain"]
    assert "placeholder-looking domain" in by_resource["placeholder"]
    assert "(SES identity)" in by_resource["address-identity"]
    assert "no SES identity and no managed SPF record" in by_resource["elsewhere"]


def test_sender_addresses_in_sending_domains_pass(pack: Pack) -> None:
    diagnostics = pack.analyze_stack([
        IDENTITY,
        (R53, "org-spf", r53("example.org", "TXT", "v=spf1 include:amazonses.com -all")),
        (LAMBDA, "app", lambda_env(MAIL_FROM="App <mail@example.com>",
                                   SENDER_ADDRESS="billing@notify.example.org")),
        (ECS_TASK, "task", ecs_task(container("web", EMAIL_FROM="support@example.com"))),
    ])
    assert of(diagnostics, "sender-address") == []


def test_sender_unknowns_are_not_violations(pack: Pack) -> None:
    diagnostics = pack.analyze_stack([
        (SESV2_IDENTITY, "identity", sesv2_identity(UNKNOWN)),
        (LAMBDA, "app", lambda_env(MAIL_FROM="mail@example.org", MAIL_SENDER=UNKNOWN)),
        (LAMBDA, "later", lambda_env(EMAIL_FROM=UNKNOWN)),
    ])
    assert of(diagnostics, "sender-address") == []
    no_preview_errors(diagnostics)


def test_sender_config_changes_the_verdicts(pack: Pack) -> None:
    noreply = [IDENTITY, (LAMBDA, "app", lambda_env(MAIL_FROM="noreply@example.com"))]
    assert len(of(pack.analyze_stack(noreply), "sender-address")) == 1
    allowed = pack.analyze_stack(noreply, config={
        "sender-address": {"allowedMailboxes": ["noreply@example.com"]}})
    assert of(allowed, "sender-address") == []

    org = [IDENTITY, (SESV2_IDENTITY, "org", sesv2_identity("example.org")),
           (LAMBDA, "app", lambda_env(MAIL_FROM="mail@example.org"))]
    assert of(pack.analyze_stack(org), "sender-address") == []
    placeholder = pack.analyze_stack(org, config={
        "sender-address": {"placeholderDomains": ["example.org"]}})
    assert any("placeholder-looking" in m for m in senders(placeholder))

    outside = [IDENTITY, (LAMBDA, "app", lambda_env(MAIL_FROM="mail@example.net"))]
    assert len(of(pack.analyze_stack(outside), "sender-address")) == 1
    for config in ({"requireSendingDomain": False}, {"sendingDomains": ["example.net"]}):
        assert of(pack.analyze_stack(outside, config={"sender-address": config}),
                  "sender-address") == []
