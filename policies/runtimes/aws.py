"""Mail settings in AWS runtimes, as the AWS provider takes them (pulumi-aws 7.51.1,
read from the installed SDK's ``pulumi_aws/<module>/`` types).

- ``aws:lambda/function:Function``: ``environment.variables`` (a map).
- ``aws:ecs/taskDefinition:TaskDefinition``: ``containerDefinitions``, a JSON string;
  each container's ``environment`` (``[{name, value}]``) and ``secrets``
  (``[{name, valueFrom}]``: references).
- ``aws:ssm/parameter:Parameter``: ``name`` is the key, ``value`` the value; a
  ``SecureString`` is a secret store.
- ``aws:apprunner/service:Service``: ``sourceConfiguration.imageRepository.
  imageConfiguration`` or ``sourceConfiguration.codeRepository.codeConfiguration.
  codeConfigurationValues``, each with ``runtimeEnvironmentVariables`` (a map) and
  ``runtimeEnvironmentSecrets`` (a map of secret ARNs: references).
- ``aws:elasticbeanstalk/environment:Environment`` and
  ``aws:elasticbeanstalk/configurationTemplate:ConfigurationTemplate``: ``settings``,
  ``[{namespace, name, value}]``; the application's environment is namespace
  ``aws:elasticbeanstalk:application:environment``, secrets by reference
  ``aws:elasticbeanstalk:application:environmentsecrets``.
- ``aws:batch/jobDefinition:JobDefinition``: ``containerProperties`` (JSON: a
  container's ``environment`` and ``secrets``), ``nodeProperties`` (JSON:
  ``nodeRangeProperties[].container``), ``ecsProperties`` (JSON:
  ``taskProperties[].containers[]``) and ``eksProperties`` (an object:
  ``podProperties.containers[].envs``).
"""

from __future__ import annotations

from typing import Any, Final

from mailzone.providers.base import prop_text
from mailzone.rules.settings import SettingNames
from policies.resources import Resource
from policies.runtimes.base import (
    Reader,
    SettingsGroup,
    Triple,
    dig,
    group,
    json_value,
    mapping_pairs,
    name_value_pairs,
)

LAMBDA_FUNCTION: Final = "aws:lambda/function:Function"
ECS_TASK_DEFINITION: Final = "aws:ecs/taskDefinition:TaskDefinition"
SSM_PARAMETER: Final = "aws:ssm/parameter:Parameter"
APPRUNNER_SERVICE: Final = "aws:apprunner/service:Service"
BEANSTALK_ENVIRONMENT: Final = "aws:elasticbeanstalk/environment:Environment"
BEANSTALK_TEMPLATE: Final = "aws:elasticbeanstalk/configurationTemplate:ConfigurationTemplate"
BATCH_JOB_DEFINITION: Final = "aws:batch/jobDefinition:JobDefinition"

BEANSTALK_ENVIRONMENT_NAMESPACE: Final = "aws:elasticbeanstalk:application:environment"
BEANSTALK_SECRETS_NAMESPACE: Final = "aws:elasticbeanstalk:application:environmentsecrets"

_ECS_FIX = ("keep it in Secrets Manager or SSM Parameter Store and name it in the "
            "container's `secrets` (valueFrom: the secret's ARN)")
_LAMBDA_FIX = "keep it in Secrets Manager and read it at run time"


def _lambda(resource: Resource, names: SettingNames) -> list[SettingsGroup]:
    variables = dig(resource.props, "environment", "variables")
    return group(mapping_pairs(variables, "environment.variables"),
                 f"{resource.name} (environment)", names, fix=_LAMBDA_FIX)


def _container_pairs(container: Any, path: str, env: str = "environment") -> list[Triple]:
    """A container's environment, and its ``secrets`` (``valueFrom``: an ARN, so a
    reference whose value is not known here)."""
    if not isinstance(container, dict):
        return []
    secrets = name_value_pairs(container.get("secrets"), f"{path}.secrets", value="valueFrom")
    return [*name_value_pairs(container.get(env), f"{path}.{env}"),
            *[(k, None, p) for k, _v, p in secrets]]


def _ecs(resource: Resource, names: SettingNames) -> list[SettingsGroup]:
    containers = json_value(resource.props.get("containerDefinitions"))
    if not isinstance(containers, list):
        return []  # unknown at preview (built from outputs), absent or not JSON
    groups: list[SettingsGroup] = []
    for index, container in enumerate(containers):
        if not isinstance(container, dict):
            continue
        cname = container.get("name") if isinstance(container.get("name"), str) else index
        pairs = _container_pairs(container, f"containerDefinitions[{index}]")
        groups += group(pairs, f"{resource.name} (container {cname})", names, fix=_ECS_FIX)
    return groups


def _ssm(resource: Resource, names: SettingNames) -> list[SettingsGroup]:
    key = prop_text(resource.props.get("name"))
    if key is None:
        return []
    secure = prop_text(resource.props.get("type")) == "SecureString"
    return group([(key, prop_text(resource.props.get("value")), "value")],
                 f"{resource.name} ({key})", names, secret=secure,
                 fix="make the parameter a SecureString")


def _apprunner(resource: Resource, names: SettingNames) -> list[SettingsGroup]:
    fix = ("keep it in Secrets Manager or SSM Parameter Store and name its ARN in "
           "runtimeEnvironmentSecrets")
    groups: list[SettingsGroup] = []
    for path in ("sourceConfiguration.imageRepository.imageConfiguration",
                 "sourceConfiguration.codeRepository.codeConfiguration."
                 "codeConfigurationValues"):
        config = dig(resource.props, *path.split("."))
        if not isinstance(config, dict):
            continue
        pairs = mapping_pairs(config.get("runtimeEnvironmentVariables"),
                              f"{path}.runtimeEnvironmentVariables")
        secrets = mapping_pairs(config.get("runtimeEnvironmentSecrets"),
                                f"{path}.runtimeEnvironmentSecrets")
        pairs += [(k, None, p) for k, _v, p in secrets]  # ARNs: references
        groups += group(pairs, f"{resource.name} (runtime environment)", names, fix=fix)
    return groups


def _beanstalk(resource: Resource, names: SettingNames) -> list[SettingsGroup]:
    settings = resource.props.get("settings")
    if not isinstance(settings, list):
        return []
    pairs: list[Triple] = []
    for index, entry in enumerate(settings):
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            continue
        namespace = prop_text(entry.get("namespace"))
        path = f"settings[{index}].value"
        if namespace == BEANSTALK_ENVIRONMENT_NAMESPACE:
            pairs.append((entry["name"], prop_text(entry.get("value")), path))
        elif namespace == BEANSTALK_SECRETS_NAMESPACE:
            pairs.append((entry["name"], None, path))  # an ARN: a reference
    return group(pairs, f"{resource.name} (environment properties)", names,
                 fix=("keep it in Secrets Manager or SSM Parameter Store and reference it "
                      f"in the {BEANSTALK_SECRETS_NAMESPACE} namespace"))


def _batch(resource: Resource, names: SettingNames) -> list[SettingsGroup]:
    props = resource.props
    containers: list[tuple[Any, str, str]] = []  # (container, path, its env key)
    single = json_value(props.get("containerProperties"))
    if isinstance(single, dict):
        containers.append((single, "containerProperties", "environment"))
    nodes = dig(json_value(props.get("nodeProperties")), "nodeRangeProperties")
    for index, node in enumerate(nodes if isinstance(nodes, list) else []):
        containers.append((dig(node, "container"),
                           f"nodeProperties.nodeRangeProperties[{index}].container",
                           "environment"))
    tasks = dig(json_value(props.get("ecsProperties")), "taskProperties")
    for t, task in enumerate(tasks if isinstance(tasks, list) else []):
        listed = dig(task, "containers")
        for c, container in enumerate(listed if isinstance(listed, list) else []):
            containers.append((container, f"ecsProperties.taskProperties[{t}].containers[{c}]",
                               "environment"))
    pods = dig(props, "eksProperties", "podProperties", "containers")
    for c, container in enumerate(pods if isinstance(pods, list) else []):
        containers.append((container, f"eksProperties.podProperties.containers[{c}]", "envs"))
    groups: list[SettingsGroup] = []
    for container, path, env in containers:
        pairs = _container_pairs(container, path, env)
        cname = dig(container, "name")
        label = f"{resource.name} ({path if not isinstance(cname, str) else 'container ' + cname})"
        groups += group(pairs, label, names, fix=_ECS_FIX)
    return groups


READERS: Final[dict[str, Reader]] = {
    LAMBDA_FUNCTION: _lambda,
    ECS_TASK_DEFINITION: _ecs,
    SSM_PARAMETER: _ssm,
    APPRUNNER_SERVICE: _apprunner,
    BEANSTALK_ENVIRONMENT: _beanstalk,
    BEANSTALK_TEMPLATE: _beanstalk,
    BATCH_JOB_DEFINITION: _batch,
}
