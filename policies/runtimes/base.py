"""What every runtime's reader shares: the settings group, and the shapes that recur.

A reader turns one resource's properties (plain data, ``UNKNOWN`` for unknowns,
secrets as ``SecretText``) into ``SettingsGroup``s: the settings one process
reads together (one Lambda environment, one container, one parameter), each
with its property path. Which keys are mail settings is the core's one table
(``mailzone.rules.settings``), passed in as ``names``; readers only walk shapes.

A value taken from a secret store by reference (``valueFrom.secretKeyRef``, ECS
``secrets``, App Runner ``runtimeEnvironmentSecrets``) is read as a setting whose
value is not known (``None``): it names a host the rules cannot see, and it is
never plain text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from mailzone.providers.base import UNKNOWN, prop_text
from mailzone.rules.settings import SecretText, Setting, SettingNames, settings_from
from policies.resources import Resource
from policies.secrets import mark

Triple = tuple[str, str | None, str]


@dataclass(frozen=True, slots=True)
class SettingsGroup:
    """Settings read together (one environment, one container, one parameter).

    ``secret``: the values live in a secret store (an SSM ``SecureString``, a
    Kubernetes Secret): never printed, never plain text. ``fix``: how this
    runtime references a secret, for the plaintext-password message.
    ``host_elsewhere``: the process reads more settings from elsewhere (a
    container's ``envFrom``), so a port without a host beside it is not judged.
    """

    settings: tuple[Setting, ...]
    label: str
    secret: bool = False
    fix: str = ""
    host_elsewhere: bool = False


Reader = Callable[[Resource, SettingNames], list["SettingsGroup"]]


def group(pairs: Iterable[Triple], label: str, names: SettingNames, *, secret: bool = False,
          fix: str = "", host_elsewhere: bool = False) -> list[SettingsGroup]:
    """One group of the mail settings among ``pairs``, or none when there are none."""
    found = settings_from(pairs, names)
    if not found:
        return []
    return [SettingsGroup(tuple(found), label, secret, fix, host_elsewhere)]


_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def child(path: str, key: str) -> str:
    """``path.key``, or ``path["key"]`` when the key is not a plain identifier."""
    step = f".{key}" if _IDENTIFIER.match(key) else f"[{json.dumps(key)}]"
    return f"{path}{step}" if path else step.lstrip(".")


def mapping_pairs(mapping: Any, path: str) -> list[Triple]:
    """(key, value, path) for each entry of a string map (``environment.variables``)."""
    if not isinstance(mapping, Mapping):
        return []
    return [(str(k), prop_text(v), child(path, str(k))) for k, v in mapping.items()]


def name_value_pairs(entries: Any, path: str, *, name: str = "name", value: str = "value",
                     reference: str | None = None) -> list[Triple]:
    """(name, value, path) for each ``{name, value}`` entry of a list.

    An entry whose value comes from ``reference`` (``valueFrom``, ``valueSource``)
    is a setting whose value is not known here.
    """
    if not isinstance(entries, list):
        return []
    out: list[Triple] = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, Mapping) or not isinstance(entry.get(name), str):
            continue
        raw = entry.get(value)
        if raw is None and reference is not None and entry.get(reference) is not None:
            raw = UNKNOWN  # taken from a secret or another resource at run time
        out.append((entry[name], prop_text(raw), f"{path}[{index}].{value}"))
    return out


def json_value(raw: Any) -> Any:
    """A property the provider takes as a JSON string (ECS, Batch), parsed; None when
    unknown, absent or not JSON. A secret string's contents are all secret."""
    if not isinstance(raw, str):
        return None
    try:
        parsed = json.loads(raw)
    except ValueError:
        return None
    return mark(parsed, True) if isinstance(raw, SecretText) else parsed


def dig(value: Any, *keys: str) -> Any:
    """``value[k1][k2]...``, None as soon as a step is missing or not a mapping."""
    for key in keys:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value
