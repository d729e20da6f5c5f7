"""SMTP passwords in plain text: a credential typed into configuration.

An SMTP password given as a plain value in an application's settings (an
environment variable, a ConfigMap, an app setting, a DSN's ``user:password@``)
sits in clear in the stack's state, in every preview's diff and in the runtime's
configuration, where anyone who can read the deployment can read it. It belongs
in a Pulumi secret (``pulumi config set --secret``; the engine then sends it to
the pack marked secret) or in the runtime's secret store, referenced by name.

Not plain text, and never reported: a value not known yet, a value the engine
sent as a secret (``Setting.secret``), a value held by a secret store (a
Kubernetes Secret, an SSM ``SecureString``: the caller says so), and a value
that is itself a reference to a secret (``REFERENCE_PREFIXES``). The password
never appears in a message, masked or not.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from urllib.parse import urlsplit

from mailzone.findings import Finding
from mailzone.registry import SMTP_PASSWORD_PLAINTEXT
from mailzone.rules.settings import Setting, SettingKind, key_words

MASK = "********"

#: Values that name a secret instead of holding one (matched case-insensitively at
#: the start of the value): CloudFormation-style dynamic references, Azure App
#: Service Key Vault references, secret ARNs, Google Secret Manager names (and
#: Spring Cloud GCP's ``sm://``), HashiCorp Vault injectors' ``vault:``, and
#: variable references (``$(VAR)`` in Kubernetes, ``${VAR}`` placeholders).
REFERENCE_PREFIXES: tuple[str, ...] = (
    "{{resolve:secretsmanager:",
    "{{resolve:ssm-secure:",
    "@microsoft.keyvault(",
    "arn:aws:secretsmanager:",
    "arn:aws:ssm:",
    "projects/",
    "sm://",
    "vault:",
    "$(",
    "${",
)


def is_reference(value: str) -> bool:
    """Whether a value names a secret kept elsewhere rather than holding one."""
    text = value.strip().lower()
    if text.startswith("projects/"):
        return "/secrets/" in text
    return text.startswith(REFERENCE_PREFIXES)


def _url_password(value: str) -> str | None:
    """The password of an SMTP URL's ``user:password@``, if it has one."""
    if "://" not in value or "@" not in value:
        return None
    try:
        parts = urlsplit(value.strip())
    except ValueError:
        return None
    if "smtp" not in parts.scheme.lower():
        return None
    return parts.password or None


def check_password_plaintext(
    settings: Sequence[Setting],
    *,
    label: str = "",
    where: str = "",
    stored_secret: bool = False,
    fix: str = "",
    ignore_keys: Collection[str] = (),
) -> list[Finding]:
    """``smtp-password-plaintext`` for each SMTP password given as a plain value.

    ``stored_secret``: the group's values live in a secret store (a Kubernetes
    Secret), so none is plain text. ``fix`` names the runtime's own way to
    reference a secret, for the message. ``ignore_keys`` are keys not judged.
    """
    if stored_secret:
        return []
    ignored = {key_words(k) for k in ignore_keys}
    who = label or "the settings"
    findings: list[Finding] = []
    for setting in settings:
        if setting.value is None or setting.secret or key_words(setting.key) in ignored:
            continue
        if setting.kind is SettingKind.PASSWORD:
            password: str | None = setting.value
            what = "is an SMTP password in plain text"
        elif setting.kind is SettingKind.URL:
            password = _url_password(setting.value)
            what = "carries its SMTP password in plain text (user:password@)"
        else:
            continue
        if not password or not password.strip() or is_reference(password):
            continue
        instead = f"; or {fix}" if fix else ""
        findings.append(SMTP_PASSWORD_PLAINTEXT.error(
            f"{who}: {setting.key}{setting.at} {what} ('{MASK}'): it is stored in clear in "
            "the stack's state, shown in previews and readable by anyone who can read the "
            "deployment. Make it a Pulumi secret (`pulumi config set --secret "
            f"<key> <password>`, then read it with `config.require_secret`){instead}",
            where or setting.key,
        ))
    return findings
