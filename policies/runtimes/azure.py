"""Mail settings in Azure App Service, as the Azure providers take them.

azure-native 3.29.0 (read from the PyPI SDK's ``web`` module):

- ``azure-native:web:WebApp`` (and ``WebAppSlot``): ``siteConfig.appSettings``,
  ``[{name, value}]``;
- ``azure-native:web:WebAppApplicationSettings`` (and its ``Slot``): ``properties``,
  a string map.

azure (classic) 6.40.1 (read from the PyPI SDK's ``appservice`` module):
``azure:appservice/linuxWebApp:LinuxWebApp``, ``windowsWebApp:WindowsWebApp``,
``linuxFunctionApp:LinuxFunctionApp``, ``windowsFunctionApp:WindowsFunctionApp``
and the older ``appService:AppService``: ``appSettings``, a string map.

A Key Vault reference (``@Microsoft.KeyVault(SecretUri=...)``) as a value is the
platform's way to keep a secret out of the settings.
"""

from __future__ import annotations

from typing import Final

from mailzone.rules.settings import SettingNames
from policies.resources import Resource
from policies.runtimes.base import (
    Reader,
    SettingsGroup,
    dig,
    group,
    mapping_pairs,
    name_value_pairs,
)

WEB_APP: Final = "azure-native:web:WebApp"
WEB_APP_SLOT: Final = "azure-native:web:WebAppSlot"
WEB_APP_SETTINGS: Final = "azure-native:web:WebAppApplicationSettings"
WEB_APP_SETTINGS_SLOT: Final = "azure-native:web:WebAppApplicationSettingsSlot"
CLASSIC_APPS: Final = (
    "azure:appservice/linuxWebApp:LinuxWebApp",
    "azure:appservice/windowsWebApp:WindowsWebApp",
    "azure:appservice/linuxFunctionApp:LinuxFunctionApp",
    "azure:appservice/windowsFunctionApp:WindowsFunctionApp",
    "azure:appservice/appService:AppService",
)
FIX: Final = ("keep it in Key Vault and set the app setting to a Key Vault reference "
              "(@Microsoft.KeyVault(SecretUri=...))")


def _web_app(resource: Resource, names: SettingNames) -> list[SettingsGroup]:
    pairs = name_value_pairs(dig(resource.props, "siteConfig", "appSettings"),
                             "siteConfig.appSettings")
    return group(pairs, f"{resource.name} (app settings)", names, fix=FIX)


def _settings(resource: Resource, names: SettingNames) -> list[SettingsGroup]:
    return group(mapping_pairs(resource.props.get("properties"), "properties"),
                 f"{resource.name} (app settings)", names, fix=FIX)


def _classic(resource: Resource, names: SettingNames) -> list[SettingsGroup]:
    return group(mapping_pairs(resource.props.get("appSettings"), "appSettings"),
                 f"{resource.name} (app settings)", names, fix=FIX)


READERS: Final[dict[str, Reader]] = {
    WEB_APP: _web_app,
    WEB_APP_SLOT: _web_app,
    WEB_APP_SETTINGS: _settings,
    WEB_APP_SETTINGS_SLOT: _settings,
    **{token: _classic for token in CLASSIC_APPS},
}
