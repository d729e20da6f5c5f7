"""Mail settings in Docker containers, as the Docker provider takes them
(pulumi-docker 5.2.0, read from the PyPI SDK's ``container.py``).

- ``docker:index/container:Container``: ``envs``, a list of ``KEY=VALUE`` strings.
  Docker has no secret store for a container's environment: a password belongs
  in a Pulumi secret.
"""

from __future__ import annotations

from typing import Final

from mailzone.providers.base import prop_text
from mailzone.rules.settings import SecretText, SettingNames
from policies.resources import Resource
from policies.runtimes.base import Reader, SettingsGroup, Triple, group

CONTAINER: Final = "docker:index/container:Container"


def _container(resource: Resource, names: SettingNames) -> list[SettingsGroup]:
    envs = resource.props.get("envs")
    pairs: list[Triple] = []
    unknown = False
    for index, raw in enumerate(envs if isinstance(envs, list) else []):
        entry = prop_text(raw)
        path = f"envs[{index}]"
        if entry is None:
            unknown = True  # neither its key nor its value can be read: it may be the host
            continue
        key, sep, value = entry.partition("=")
        if sep:
            pairs.append((key, SecretText(value) if isinstance(entry, SecretText) else value,
                          path))
    return group(pairs, f"{resource.name} (envs)", names, host_elsewhere=unknown,
                 fix="pass it from a Pulumi secret (Docker keeps no secrets for envs)")


READERS: Final[dict[str, Reader]] = {CONTAINER: _container}
