"""Secrets as the engine sends them, kept visible to the pack's rules.

The engine marshals a secret property to an analyzer as a signature object,
``{"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
"value": <the value>}`` (pulumi/pulumi#3278, "Don't throw away secrets in calls to
Analyze"). ``pulumi_policy`` (1.21) unwraps it in ``Analyze`` and ``AnalyzeStack``
(``deserialize_properties`` without ``proxy_secrets``): a policy sees the plain
value and cannot tell a secret from a literal (pulumi/pulumi-policy#241, open).
``smtp-password-plaintext`` must tell them apart, and no rule may print a secret.

``keep_secret_marks`` therefore wraps the SDK's ``deserialize_properties`` as
``policy.py`` calls it: before the SDK unwraps, every scalar inside a secret
becomes a ``SecretText`` (a ``str``; numbers and booleans as their text), which
every reader passes through unchanged and ``Setting.secret`` recognises. Unknowns
inside a secret stay unknown. The remediation path (``proxy_secrets=True``, which
keeps secrets itself) is left exactly as the SDK does it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from pulumi_policy import policy as sdk_policy
from pulumi_policy.proxy import (
    UNKNOWN_ARCHIVE_VALUE,
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_ASSET_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
)

from mailzone.rules.settings import SecretText

SIG_KEY: Final = "4dabf18193072939515e22adb298388d"
SECRET_SIG: Final = "1b47061264138c4ac30d75fd1eb44270"
SENTINELS: Final = frozenset({
    UNKNOWN_BOOLEAN_VALUE, UNKNOWN_NUMBER_VALUE, UNKNOWN_STRING_VALUE, UNKNOWN_ARRAY_VALUE,
    UNKNOWN_ASSET_VALUE, UNKNOWN_ARCHIVE_VALUE, UNKNOWN_OBJECT_VALUE,
})


def _secret_scalar(value: Any) -> Any:
    if isinstance(value, str):
        return value if value in SENTINELS else SecretText(value)
    if isinstance(value, bool):
        return SecretText(str(value).lower())
    if isinstance(value, float) and value.is_integer():
        return SecretText(str(int(value)))
    if isinstance(value, int | float):
        return SecretText(str(value))
    return value


def mark(value: Any, inside: bool = False) -> Any:
    """``value`` with every secret signature object replaced by its value, marked.

    Returns the very same object when it holds no secret (the common case), so an
    ordinary resource costs one walk and no copy.
    """
    if isinstance(value, dict):
        if value.get(SIG_KEY) == SECRET_SIG and "value" in value:
            return mark(value["value"], True)
        changed: dict[str, Any] | None = None
        for key, item in value.items():
            new = mark(item, inside)
            if new is not item:
                if changed is None:
                    changed = dict(value)
                changed[key] = new
        return value if changed is None else changed
    if isinstance(value, list):
        items = [mark(item, inside) for item in value]
        return value if all(a is b for a, b in zip(items, value, strict=True)) else items
    return _secret_scalar(value) if inside else value


def keep_secret_marks() -> None:
    """Wrap the SDK's property decoding so secrets reach the policies marked (idempotent)."""
    original: Callable[..., Any] = sdk_policy.deserialize_properties  # type: ignore[attr-defined]
    if getattr(original, "_keeps_secret_marks", False):
        return

    def deserialize(props: dict[str, Any], proxy_secrets: bool = False) -> Any:
        if proxy_secrets:
            return original(props, True)
        return original(mark(props), False)

    deserialize._keeps_secret_marks = True  # type: ignore[attr-defined]
    sdk_policy.deserialize_properties = deserialize  # type: ignore[attr-defined]
