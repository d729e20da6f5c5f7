"""The one table of mail setting names, and settings as the rules read them."""

from __future__ import annotations

import pytest

from mailzone.rules.settings import (
    DEFAULT_NAMES,
    SecretText,
    SettingKind,
    classify_key,
    key_words,
    settings_from,
)


def test_key_words_split_separators_and_camel_case() -> None:
    assert key_words("spring.mail.host") == ("spring", "mail", "host")
    assert key_words("/app/prod/smtp/host") == ("app", "prod", "smtp", "host")
    assert key_words("MX_EmailModule_SMTPHost") == ("mx", "email", "module", "smtp", "host")
    assert key_words("smtpPort") == ("smtp", "port")


@pytest.mark.parametrize(("key", "kind"), [
    ("SPRING_MAIL_HOST", SettingKind.HOST), ("MX_EmailModule_SMTPHost", SettingKind.HOST),
    ("RELAYHOST", SettingKind.HOST), ("MX_EmailModule_SMTPPort", SettingKind.PORT),
    ("MAIL_PASSWORD", SettingKind.PASSWORD), ("spring.mail.password", SettingKind.PASSWORD),
    ("EMAIL_HOST_PASSWORD", SettingKind.PASSWORD), ("smtpPass", SettingKind.PASSWORD),
    ("MAIL_DEFAULT_SENDER", SettingKind.SENDER), ("SENDER", SettingKind.SENDER),
    ("SMTP_API_KEY", None), ("MAIL_TOKEN", None), ("DB_PASSWORD", None), ("PASSWORD", None),
])
def test_the_table_recognises_names_by_exact_entry_or_by_tail(key: str,
                                                               kind: SettingKind | None) -> None:
    assert classify_key(key) is kind


def test_every_exact_entry_is_recognised_as_its_kind() -> None:
    for words, kind in DEFAULT_NAMES.exact.items():
        assert DEFAULT_NAMES.classify("_".join(words)) is kind


def test_the_table_is_extended_without_changing_the_default() -> None:
    extended = DEFAULT_NAMES.extended({SettingKind.HOST: ["RELAY_ADDRESS"]})
    assert extended.classify("relay.address") is SettingKind.HOST
    assert DEFAULT_NAMES.classify("RELAY_ADDRESS") is None
    assert DEFAULT_NAMES.extended({}) is DEFAULT_NAMES


def test_settings_carry_their_path_and_secretness() -> None:
    found = settings_from([("SMTP_HOST", "smtp.example.net", "env[0].value"),
                           ("MAIL_PASSWORD", SecretText("pw-example"), "env[1].value"),
                           ("LOG_LEVEL", "debug", "env[2].value")])
    assert [(s.key, s.kind, s.path, s.secret) for s in found] == [
        ("SMTP_HOST", SettingKind.HOST, "env[0].value", False),
        ("MAIL_PASSWORD", SettingKind.PASSWORD, "env[1].value", True)]
    assert found[0].at == " (at env[0].value)"
