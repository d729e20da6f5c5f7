"""Where applications keep their mail settings: one reader per runtime, by type token.

Each module knows one platform's resource shapes (``aws``: Lambda, ECS, SSM, App
Runner, Elastic Beanstalk, Batch; ``kubernetes``; ``gcp``: Cloud Run; ``azure``:
App Service; ``docker``) and turns a resource into ``SettingsGroup``s through the
core's one table of setting names. The settings policies ask
``settings_groups``; nothing else reads application settings.
"""

from __future__ import annotations

from typing import Final

from mailzone.rules.settings import DEFAULT_NAMES, SettingNames
from policies.resources import Resource
from policies.runtimes import aws, azure, docker, gcp, kubernetes
from policies.runtimes.base import Reader, SettingsGroup

READERS: Final[dict[str, Reader]] = {
    **aws.READERS, **kubernetes.READERS, **gcp.READERS, **azure.READERS, **docker.READERS,
}
SETTINGS_TYPES: Final = frozenset(READERS)


def settings_groups(resource: Resource, names: SettingNames = DEFAULT_NAMES
                    ) -> list[SettingsGroup]:
    """The mail settings a resource sets, by group (none for other types)."""
    reader = READERS.get(resource.type)
    return [] if reader is None else reader(resource, names)


__all__ = ["READERS", "SETTINGS_TYPES", "SettingsGroup", "settings_groups"]
