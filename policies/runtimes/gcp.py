"""Mail settings in Google Cloud Run, as the Google Cloud provider takes them
(pulumi-gcp 10.2.0, read from the PyPI SDK's ``cloudrunv2`` input types).

- ``gcp:cloudrunv2/service:Service``: ``template.containers[].envs[]``, each
  ``{name, value}`` or ``{name, valueSource: {secretKeyRef}}`` (a Secret Manager
  reference).
- ``gcp:cloudrunv2/job:Job``: the same under ``template.template.containers``.
"""

from __future__ import annotations

from typing import Final

from mailzone.rules.settings import SettingNames
from policies.resources import Resource
from policies.runtimes.base import Reader, SettingsGroup, dig, group, name_value_pairs

CLOUD_RUN_SERVICE: Final = "gcp:cloudrunv2/service:Service"
CLOUD_RUN_JOB: Final = "gcp:cloudrunv2/job:Job"
FIX: Final = "keep it in Secret Manager and read it with envs[].valueSource.secretKeyRef"

_CONTAINERS: Final = {
    CLOUD_RUN_SERVICE: ("template", "containers"),
    CLOUD_RUN_JOB: ("template", "template", "containers"),
}


def _cloud_run(resource: Resource, names: SettingNames) -> list[SettingsGroup]:
    steps = _CONTAINERS[resource.type]
    containers = dig(resource.props, *steps)
    groups: list[SettingsGroup] = []
    for index, container in enumerate(containers if isinstance(containers, list) else []):
        if not isinstance(container, dict):
            continue
        path = f"{'.'.join(steps)}[{index}].envs"
        pairs = name_value_pairs(container.get("envs"), path, reference="valueSource")
        cname = container.get("name")
        label = f"{resource.name} (container {cname if isinstance(cname, str) else index})"
        groups += group(pairs, label, names, fix=FIX)
    return groups


READERS: Final[dict[str, Reader]] = {token: _cloud_run for token in _CONTAINERS}
