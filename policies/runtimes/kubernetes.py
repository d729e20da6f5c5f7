"""Mail settings in Kubernetes objects, as the Kubernetes provider takes them
(pulumi-kubernetes 4.34.2, read from the PyPI SDK's ``core/v1``, ``apps/v1`` and
``batch/v1`` input types; the shapes are the Kubernetes API's own, camelCase).

- ``kubernetes:core/v1:ConfigMap``: ``data`` (a string map). A value holding a
  properties or ``.env`` file (several ``key=value`` or ``key: value`` lines) is
  read line by line.
- ``kubernetes:core/v1:Secret``: ``stringData`` and ``data`` (base64): a secret
  store, so never plain text and never printed, but its hosts and ports are
  judged like any others.
- Pod templates: ``spec.template.spec`` of ``apps/v1`` Deployment, StatefulSet,
  DaemonSet, ReplicaSet and ``batch/v1`` Job; ``spec.jobTemplate.spec.template.spec``
  of ``batch/v1`` CronJob; ``spec`` of a ``core/v1`` Pod. Each container and init
  container is a group: its ``env`` (``value``, or ``valueFrom``: a reference) and,
  when it has ``envFrom``, settings may come from a ConfigMap or Secret as well
  (that object is judged where it is declared).
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Any, Final

from mailzone.providers.base import prop_text
from mailzone.rules.settings import SecretText, SettingNames, settings_from
from policies.resources import Resource
from policies.runtimes.base import (
    Reader,
    SettingsGroup,
    Triple,
    child,
    dig,
    group,
    name_value_pairs,
)

CONFIG_MAP: Final = "kubernetes:core/v1:ConfigMap"
SECRET: Final = "kubernetes:core/v1:Secret"
POD: Final = "kubernetes:core/v1:Pod"
DEPLOYMENT: Final = "kubernetes:apps/v1:Deployment"
STATEFUL_SET: Final = "kubernetes:apps/v1:StatefulSet"
DAEMON_SET: Final = "kubernetes:apps/v1:DaemonSet"
REPLICA_SET: Final = "kubernetes:apps/v1:ReplicaSet"
JOB: Final = "kubernetes:batch/v1:Job"
CRON_JOB: Final = "kubernetes:batch/v1:CronJob"

_POD_SPEC: Final[dict[str, tuple[str, ...]]] = {
    POD: ("spec",),
    DEPLOYMENT: ("spec", "template", "spec"),
    STATEFUL_SET: ("spec", "template", "spec"),
    DAEMON_SET: ("spec", "template", "spec"),
    REPLICA_SET: ("spec", "template", "spec"),
    JOB: ("spec", "template", "spec"),
    CRON_JOB: ("spec", "jobTemplate", "spec", "template", "spec"),
}
FIX: Final = ("put it in a Kubernetes Secret and read it with "
              "env[].valueFrom.secretKeyRef (or envFrom[].secretRef)")
_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.\-/]*)\s*[=:]\s*(.*?)\s*$")


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def _file_pairs(text: str, path: str) -> list[Triple]:
    """``key=value`` / ``key: value`` lines of a properties, .env or flat YAML file."""
    pairs: list[Triple] = []
    secret = isinstance(text, SecretText)
    for number, line in enumerate(text.splitlines(), start=1):
        if line.lstrip().startswith(("#", "!")):
            continue
        match = _LINE.match(line)
        if match:
            value = _unquote(match.group(2))
            pairs.append((match.group(1), SecretText(value) if secret else value,
                          f"{path} line {number}"))
    return pairs


def _data_pairs(data: Any, path: str, *, encoded: bool = False) -> list[Triple]:
    if not isinstance(data, dict):
        return []
    pairs: list[Triple] = []
    for key, raw in data.items():
        value = prop_text(raw)
        where = child(path, str(key))
        if value is not None and encoded:
            try:
                value = base64.b64decode(value, validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                continue
        if value is not None and "\n" in value.strip():
            pairs += _file_pairs(value, where)
        else:
            pairs.append((str(key), value, where))
    return pairs


def _source_pairs(resource: Resource) -> list[Triple]:
    """The key/value pairs a ConfigMap or Secret hands to a container's environment."""
    if resource.type == SECRET:
        return [*_data_pairs(resource.props.get("stringData"), "stringData"),
                *_data_pairs(resource.props.get("data"), "data", encoded=True)]
    return _data_pairs(resource.props.get("data"), "data")


# A ConfigMap's or Secret's settings are read by the pods that take them (envFrom), whose
# own env may hold the host: a port alone here is judged with them (``env_from_groups``).
def _config_map(resource: Resource, names: SettingNames) -> list[SettingsGroup]:
    return group(_source_pairs(resource), f"{resource.name} (ConfigMap data)", names, fix=FIX,
                 host_elsewhere=True)


def _secret(resource: Resource, names: SettingNames) -> list[SettingsGroup]:
    return group(_source_pairs(resource), f"{resource.name} (Secret)", names, secret=True,
                 host_elsewhere=True)


def _containers(resource: Resource) -> list[tuple[dict[str, Any], str, str]]:
    """(container, its property path, its label) of a workload's pod template."""
    steps = _POD_SPEC[resource.type]
    spec = dig(resource.props, *steps)
    if not isinstance(spec, dict):
        return []
    out: list[tuple[dict[str, Any], str, str]] = []
    for field in ("initContainers", "containers"):
        containers = spec.get(field)
        for index, container in enumerate(containers if isinstance(containers, list) else []):
            if isinstance(container, dict):
                cname = container.get("name")
                out.append((container, f"{'.'.join(steps)}.{field}[{index}]",
                            f"{resource.name} (container "
                            f"{cname if isinstance(cname, str) else index})"))
    return out


def _env_pairs(container: dict[str, Any], path: str) -> list[Triple]:
    return name_value_pairs(container.get("env"), f"{path}.env", reference="valueFrom")


def _workload(resource: Resource, names: SettingNames) -> list[SettingsGroup]:
    groups: list[SettingsGroup] = []
    for container, path, label in _containers(resource):
        groups += group(_env_pairs(container, path), label, names, fix=FIX,
                        host_elsewhere=bool(container.get("envFrom")))
    return groups


# --- envFrom: a container's env together with the ConfigMaps and Secrets it reads ---------


@dataclass(frozen=True, slots=True)
class JoinedPart:
    """The settings one resource contributes to a container's environment."""

    resource: Resource
    group: SettingsGroup


def _namespace(resource: Resource) -> str | None:
    namespace = dig(resource.props, "metadata", "namespace")
    if namespace is None:
        return "default"
    return prop_text(namespace)


def env_from_joins(resources: list[Resource], names: SettingNames
                   ) -> list[tuple[list[JoinedPart], bool]]:
    """For each container that reads ConfigMaps or Secrets of the stack with
    ``envFrom``: the parts of its environment (its own env first, then each source's
    data, keys prefixed as envFrom says), and whether some source is not in the stack
    (or not known), which may hold more settings."""
    sources: dict[tuple[str, str | None, str], Resource] = {}
    for resource in resources:
        if resource.type in (CONFIG_MAP, SECRET):
            name = prop_text(dig(resource.props, "metadata", "name"))
            if name is not None:
                sources[(resource.type, _namespace(resource), name)] = resource
    joins: list[tuple[list[JoinedPart], bool]] = []
    for resource in resources:
        if resource.type not in _POD_SPEC:
            continue
        namespace = _namespace(resource)
        for container, path, label in _containers(resource):
            refs = container.get("envFrom")
            if not isinstance(refs, list) or not refs:
                continue
            parts = [JoinedPart(resource, SettingsGroup(
                tuple(settings_from(_env_pairs(container, path), names)), label, fix=FIX))]
            unresolved = False
            for ref in refs:
                kind, key = ((CONFIG_MAP, "configMapRef") if dig(ref, "configMapRef")
                             else (SECRET, "secretRef"))
                ref_name = prop_text(dig(ref, key, "name"))
                source = sources.get((kind, namespace, ref_name or ""))
                if source is None:
                    unresolved = True
                    continue
                prefix = prop_text(dig(ref, "prefix")) or ""
                pairs = [(prefix + k, v, p) for k, v, p in _source_pairs(source)]
                parts.append(JoinedPart(source, SettingsGroup(
                    tuple(settings_from(pairs, names)),
                    f"{source.name} (read by {label} through envFrom)",
                    secret=source.type == SECRET)))
            joins.append((parts, unresolved))
    return joins


READERS: Final[dict[str, Reader]] = {
    CONFIG_MAP: _config_map,
    SECRET: _secret,
    **{token: _workload for token in _POD_SPEC},
}
