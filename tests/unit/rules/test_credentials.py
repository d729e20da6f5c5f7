"""Plain-text SMTP passwords: judged by value, never printed."""

from __future__ import annotations

import pytest

from mailzone.rules.credentials import check_password_plaintext, is_reference
from mailzone.rules.settings import SecretText, settings_from

PASSWORD = "correct-horse-battery"


def judge(key: str, value: str | None, **kwargs: object) -> list[str]:
    settings = settings_from([(key, value, "env[0].value")])
    findings = check_password_plaintext(settings, label="app", **kwargs)  # type: ignore[arg-type]
    assert all(PASSWORD not in f.message for f in findings)
    return [f.code for f in findings]


def test_a_plain_password_is_refused_with_its_path_and_the_fix() -> None:
    settings = settings_from([("SMTP_PASSWORD", PASSWORD, "env[0].value")])
    [finding] = check_password_plaintext(settings, label="app", where="urn:x",
                                         fix="use a Secret")
    assert finding.code == "smtp-password-plaintext" and finding.where == "urn:x"
    assert "app: SMTP_PASSWORD (at env[0].value)" in finding.message
    assert "pulumi config set --secret" in finding.message and "use a Secret" in finding.message
    assert PASSWORD not in finding.message


@pytest.mark.parametrize(("key", "value", "kwargs", "codes"), [
    ("SMTP_PASSWORD", PASSWORD, {}, ["smtp-password-plaintext"]),
    ("SMTP_PASSWORD", SecretText(PASSWORD), {}, []),
    ("SMTP_PASSWORD", None, {}, []),
    ("SMTP_PASSWORD", "", {}, []),
    ("SMTP_PASSWORD", PASSWORD, {"stored_secret": True}, []),
    ("SMTP_PASSWORD", PASSWORD, {"ignore_keys": ["smtp.password"]}, []),
    ("SMTP_PASSWORD", "@Microsoft.KeyVault(SecretUri=https://v.example.net/secrets/s/)", {}, []),
    ("MAILER_DSN", f"smtp://app:{PASSWORD}@smtp.example.net:587", {},
     ["smtp-password-plaintext"]),
    ("MAILER_DSN", "smtp://smtp.example.net:587", {}, []),
    ("MAILER_DSN", SecretText(f"smtp://app:{PASSWORD}@smtp.example.net:587"), {}, []),
    ("SMTP_HOST", PASSWORD, {}, []),
])
def test_what_is_plain_text(key: str, value: str | None, kwargs: dict[str, object],
                            codes: list[str]) -> None:
    assert judge(key, value, **kwargs) == codes


@pytest.mark.parametrize(("value", "expected"), [
    ("{{resolve:secretsmanager:smtp:SecretString:password}}", True),
    ("arn:aws:secretsmanager:us-east-1:123456789012:secret:smtp", True),
    ("projects/example/secrets/smtp/versions/1", True),
    ("projects-password", False),
    ("$(SMTP_SECRET)", True), ("${SMTP_SECRET}", True), ("vault:secret/data/smtp#pw", True),
    (PASSWORD, False),
])
def test_references_name_a_secret(value: str, expected: bool) -> None:
    assert is_reference(value) is expected
