"""Resource properties in the providers' own shapes (camelCase, as the engine sends them).

Only reserved names (example.com/.net/.org, *.test) and documentation addresses
(192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32) appear here,
besides the providers' own host names where a rule checks for them
(amazonses.com, the SES DKIM and feedback hosts).
"""

from __future__ import annotations

import json
from typing import Any

from tests.policies.harness import UNKNOWN

R53 = "aws:route53/record:Record"
R53_ZONE = "aws:route53/zone:Zone"
CF6 = "cloudflare:index/dnsRecord:DnsRecord"
CF5 = "cloudflare:index/record:Record"
SESV2_IDENTITY = "aws:sesv2/emailIdentity:EmailIdentity"
SESV2_MAIL_FROM = "aws:sesv2/emailIdentityMailFromAttributes:EmailIdentityMailFromAttributes"
SES_DOMAIN_IDENTITY = "aws:ses/domainIdentity:DomainIdentity"
SES_DOMAIN_DKIM = "aws:ses/domainDkim:DomainDkim"
SES_MAIL_FROM = "aws:ses/mailFrom:MailFrom"
SES_EMAIL_IDENTITY = "aws:ses/emailIdentity:EmailIdentity"
LAMBDA = "aws:lambda/function:Function"
ECS_TASK = "aws:ecs/taskDefinition:TaskDefinition"
SSM = "aws:ssm/parameter:Parameter"

ZONE_ID = "Z0123456789EXAMPLE"
CF_ZONE_ID = "023e105f4ecef8ad9ca31a8372d0c353"
TOKENS = ("abcdefghijklmnopqrstuvwxyz234567", "bcdefghijklmnopqrstuvwxyz2345678",
          "cdefghijklmnopqrstuvwxyz23456789")


def r53(name: Any, rdtype: str, *records: Any, **extra: Any) -> dict[str, Any]:
    """aws.route53.Record inputs: records is a list of values for one record set."""
    return {"name": name, "type": rdtype, "zoneId": ZONE_ID, "ttl": 300,
            "records": list(records), "allowOverwrite": False, **extra}


def cf6(name: Any, rdtype: str, content: Any, **extra: Any) -> dict[str, Any]:
    """cloudflare.DnsRecord (provider v6) inputs: one value in content."""
    return {"name": name, "type": rdtype, "content": content, "zoneId": CF_ZONE_ID,
            "ttl": 1, "proxied": False, **extra}


def cf5(name: Any, rdtype: str, value: Any, *, field: str = "value") -> dict[str, Any]:
    """cloudflare.Record (provider v5) inputs: value (deprecated) or content."""
    return {"name": name, "type": rdtype, field: value, "zoneId": CF_ZONE_ID, "ttl": 1}


def lambda_env(**variables: Any) -> dict[str, Any]:
    return {"runtime": "python3.12", "handler": "app.handler", "role":
            "arn:aws:iam::123456789012:role/app", "environment": {"variables": variables}}


def ecs_task(*containers: dict[str, Any]) -> dict[str, Any]:
    """containerDefinitions is a JSON string, as the provider takes it."""
    return {"family": "app", "containerDefinitions": json.dumps(list(containers))}


def container(name: str, **environment: str) -> dict[str, Any]:
    return {"name": name, "image": "app:latest", "essential": True,
            "environment": [{"name": k, "value": v} for k, v in environment.items()]}


def ssm(name: Any, value: Any, *, kind: str = "String") -> dict[str, Any]:
    return {"name": name, "type": kind, "value": value}


def sesv2_identity(domain: Any, tokens: Any = None) -> dict[str, Any]:
    props: dict[str, Any] = {"emailIdentity": domain}
    if tokens is not None:
        props["dkimSigningAttributes"] = {"tokens": tokens, "nextSigningKeyLength": "RSA_2048_BIT"}
    return props


def dkim_cnames(
    domain: str, tokens: tuple[str, ...] = TOKENS
) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (R53, f"dkim-{i}", r53(f"{t}._domainkey.{domain}", "CNAME", f"{t}.dkim.amazonses.com"))
        for i, t in enumerate(tokens)
    ]


# --- application runtimes: one builder per resource type, from an environment -------------
#
# Each builder takes the variables a process should see (values: text, UNKNOWN, or
# harness.secret(...)) and returns the resource's properties in its provider's shape.
# ``ARN`` stands for a secret store reference where a shape can only reference one.

K8S_CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
K8S_SECRET = "kubernetes:core/v1:Secret"
K8S_DEPLOYMENT = "kubernetes:apps/v1:Deployment"
K8S_STATEFUL_SET = "kubernetes:apps/v1:StatefulSet"
K8S_DAEMON_SET = "kubernetes:apps/v1:DaemonSet"
K8S_JOB = "kubernetes:batch/v1:Job"
K8S_CRON_JOB = "kubernetes:batch/v1:CronJob"
APPRUNNER = "aws:apprunner/service:Service"
BEANSTALK = "aws:elasticbeanstalk/environment:Environment"
BATCH = "aws:batch/jobDefinition:JobDefinition"
CLOUD_RUN = "gcp:cloudrunv2/service:Service"
AZ_WEB_APP = "azure-native:web:WebApp"
AZ_APP_SETTINGS = "azure-native:web:WebAppApplicationSettings"
AZ_LINUX_WEB_APP = "azure:appservice/linuxWebApp:LinuxWebApp"
DOCKER = "docker:index/container:Container"
ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:smtp-AbCdEf"

_SECRET_KEY = "4dabf18193072939515e22adb298388d"


def has_unknown(env: dict[str, Any]) -> bool:
    return any(v == UNKNOWN for v in env.values())


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and _SECRET_KEY in value


def k8s_env(env: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"name": k, "value": v} for k, v in env.items()]


def _pod(env: dict[str, Any]) -> dict[str, Any]:
    return {"containers": [{"name": "app", "image": "app:1", "env": k8s_env(env)}]}


def k8s_metadata(name: str = "app") -> dict[str, Any]:
    return {"name": name, "namespace": "default"}


def k8s_config_map(env: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": k8s_metadata(), "data": env}


def k8s_secret(env: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Secret", "metadata": k8s_metadata(),
            "type": "Opaque", "stringData": env}


def k8s_deployment(env: dict[str, Any], kind: str = "Deployment") -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": kind, "metadata": k8s_metadata(),
            "spec": {"selector": {"matchLabels": {"app": "app"}},
                     "template": {"metadata": {"labels": {"app": "app"}}, "spec": _pod(env)}}}


def k8s_job(env: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": k8s_metadata(),
            "spec": {"template": {"spec": {**_pod(env), "restartPolicy": "Never"}}}}


def k8s_cron_job(env: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": k8s_metadata(),
            "spec": {"schedule": "0 * * * *", "jobTemplate": {"spec": {"template": {
                "spec": {**_pod(env), "restartPolicy": "Never"}}}}}}


def apprunner(env: dict[str, Any]) -> dict[str, Any]:
    return {"serviceName": "app", "sourceConfiguration": {"imageRepository": {
        "imageIdentifier": "public.ecr.aws/example/app:latest", "imageRepositoryType": "ECR_PUBLIC",
        "imageConfiguration": {"port": "8080", "runtimeEnvironmentVariables": env}}}}


def beanstalk(env: dict[str, Any]) -> dict[str, Any]:
    return {"application": "app", "solutionStackName": "64bit Amazon Linux 2023",
            "settings": [{"namespace": "aws:autoscaling:launchconfiguration",
                          "name": "IamInstanceProfile", "value": "app"},
                         *({"namespace": "aws:elasticbeanstalk:application:environment",
                            "name": k, "value": v} for k, v in env.items())]}


def _json_container(env: dict[str, Any]) -> dict[str, Any]:
    # A JSON string cannot hold a secret: a secret becomes a Secrets Manager reference.
    return {"image": "app:1", "environment": [{"name": k, "value": v} for k, v in env.items()
                                              if not is_secret(v)],
            "secrets": [{"name": k, "valueFrom": ARN} for k, v in env.items() if is_secret(v)]}


def ecs(env: dict[str, Any]) -> dict[str, Any]:
    if has_unknown(env):
        return {"family": "app", "containerDefinitions": UNKNOWN}
    return {"family": "app",
            "containerDefinitions": json.dumps([{"name": "web", **_json_container(env)}])}


def batch(env: dict[str, Any]) -> dict[str, Any]:
    if has_unknown(env):
        return {"type": "container", "containerProperties": UNKNOWN}
    return {"type": "container", "containerProperties": json.dumps(_json_container(env))}


def cloud_run(env: dict[str, Any]) -> dict[str, Any]:
    envs = [{"name": k, "valueSource": {"secretKeyRef": {"secret": "smtp", "version": "1"}}}
            if is_secret(v) else {"name": k, "value": v} for k, v in env.items()]
    return {"location": "us-central1", "template": {"containers": [
        {"name": "app", "image": "us-docker.pkg.dev/cloudrun/container/hello", "envs": envs}]}}


def az_web_app(env: dict[str, Any]) -> dict[str, Any]:
    return {"resourceGroupName": "rg", "serverFarmId": "plan",
            "siteConfig": {"appSettings": [{"name": k, "value": v} for k, v in env.items()]}}


def az_app_settings(env: dict[str, Any]) -> dict[str, Any]:
    return {"name": "app", "resourceGroupName": "rg", "properties": env}


def az_linux_web_app(env: dict[str, Any]) -> dict[str, Any]:
    return {"name": "app", "resourceGroupName": "rg", "location": "westeurope",
            "servicePlanId": "plan", "siteConfig": {}, "appSettings": env}


def docker(env: dict[str, Any]) -> dict[str, Any]:
    envs = [secret_entry(k, v) if is_secret(v) else (v if v == UNKNOWN else f"{k}={v}")
            for k, v in env.items()]
    return {"image": "app:1", "name": "app", "envs": envs}


def secret_entry(key: str, value: dict[str, Any]) -> dict[str, Any]:
    return {**value, "value": f"{key}={value['value']}"}


def lambda_of(env: dict[str, Any]) -> dict[str, Any]:
    return lambda_env(**env)


# name -> (type token, builder, path of SMTP_HOST when it is the first variable)
RUNTIMES: dict[str, tuple[str, Any, str]] = {
    "configmap": (K8S_CONFIG_MAP, k8s_config_map, "data.SMTP_HOST"),
    "deployment": (K8S_DEPLOYMENT, k8s_deployment,
                   "spec.template.spec.containers[0].env[0].value"),
    "statefulset": (K8S_STATEFUL_SET, lambda e: k8s_deployment(e, "StatefulSet"),
                    "spec.template.spec.containers[0].env[0].value"),
    "daemonset": (K8S_DAEMON_SET, lambda e: k8s_deployment(e, "DaemonSet"),
                  "spec.template.spec.containers[0].env[0].value"),
    "job": (K8S_JOB, k8s_job, "spec.template.spec.containers[0].env[0].value"),
    "cronjob": (K8S_CRON_JOB, k8s_cron_job,
                "spec.jobTemplate.spec.template.spec.containers[0].env[0].value"),
    "lambda": (LAMBDA, lambda_of, "environment.variables.SMTP_HOST"),
    "ecs": (ECS_TASK, ecs, "containerDefinitions[0].environment[0].value"),
    "apprunner": (APPRUNNER, apprunner, "sourceConfiguration.imageRepository."
                  "imageConfiguration.runtimeEnvironmentVariables.SMTP_HOST"),
    "beanstalk": (BEANSTALK, beanstalk, "settings[1].value"),
    "batch": (BATCH, batch, "containerProperties.environment[0].value"),
    "cloudrun": (CLOUD_RUN, cloud_run, "template.containers[0].envs[0].value"),
    "azure-webapp": (AZ_WEB_APP, az_web_app, "siteConfig.appSettings[0].value"),
    "azure-appsettings": (AZ_APP_SETTINGS, az_app_settings, "properties.SMTP_HOST"),
    "azure-linuxwebapp": (AZ_LINUX_WEB_APP, az_linux_web_app, "appSettings.SMTP_HOST"),
    "docker": (DOCKER, docker, "envs[0]"),
    # The same shapes under their other type tokens.
    "pod": ("kubernetes:core/v1:Pod", lambda e: {"apiVersion": "v1", "kind": "Pod",
                                                 "metadata": k8s_metadata(), "spec": _pod(e)},
            "spec.containers[0].env[0].value"),
    "replicaset": ("kubernetes:apps/v1:ReplicaSet", lambda e: k8s_deployment(e, "ReplicaSet"),
                   "spec.template.spec.containers[0].env[0].value"),
    "beanstalk-template": ("aws:elasticbeanstalk/configurationTemplate:ConfigurationTemplate",
                           beanstalk, "settings[1].value"),
    "cloudrun-job": ("gcp:cloudrunv2/job:Job",
                     lambda e: {"location": "us-central1", "template": cloud_run(e)},
                     "template.template.containers[0].envs[0].value"),
    "azure-webapp-slot": ("azure-native:web:WebAppSlot", az_web_app,
                          "siteConfig.appSettings[0].value"),
    "azure-appsettings-slot": ("azure-native:web:WebAppApplicationSettingsSlot",
                               az_app_settings, "properties.SMTP_HOST"),
    **{f"azure-{token.rsplit(':', 1)[1].lower()}": (token, az_linux_web_app,
                                                    "appSettings.SMTP_HOST")
       for token in ("azure:appservice/windowsWebApp:WindowsWebApp",
                     "azure:appservice/linuxFunctionApp:LinuxFunctionApp",
                     "azure:appservice/windowsFunctionApp:WindowsFunctionApp",
                     "azure:appservice/appService:AppService")},
}


# --- DNS providers: one TXT and one MX builder per record resource type ----------------------
#
# Each takes an absolute name under example.com/.org/.net and the value as DNS should
# serve it (TXT: the text; MX: the exchange), and writes it the way the provider takes it.

GCP_RECORD_SET = "gcp:dns/recordSet:RecordSet"
AZ_RECORD_SET = "azure-native:dns:RecordSet"
AZ_RECORD_SET_V2 = "azure-native:network:RecordSet"
AZ_TXT = "azure:dns/txtRecord:TxtRecord"
AZ_MX = "azure:dns/mxRecord:MxRecord"
DO_RECORD = "digitalocean:index/dnsRecord:DnsRecord"
NS1_RECORD = "ns1:index/record:Record"
DNSIMPLE_RECORD = "dnsimple:index/zoneRecord:ZoneRecord"


def split_name(fqdn: str) -> tuple[str, str]:
    """("mail.example.com") -> ("mail", "example.com"); the apex -> ("@", zone)."""
    labels = fqdn.rstrip(".").split(".")
    zone = ".".join(labels[-2:])
    return (".".join(labels[:-2]) or "@"), zone


def gcp_txt(name: str, value: Any) -> dict[str, Any]:
    # Quoted, as the provider's documentation says (unquoted data is split on spaces).
    data = value if value == UNKNOWN else f'"{value}"'
    return {"name": f"{name}.", "type": "TXT", "ttl": 300, "managedZone": "example-zone",
            "rrdatas": [data]}


def gcp_mx(name: str, host: Any) -> dict[str, Any]:
    return {"name": f"{name}.", "type": "MX", "ttl": 300, "managedZone": "example-zone",
            "rrdatas": [host if host == UNKNOWN else f"10 {host}."]}


def az_native_txt(name: str, value: Any) -> dict[str, Any]:
    rel, zone = split_name(name)
    chunks = [value[i:i + 255] for i in range(0, len(value), 255)] if value != UNKNOWN else value
    return {"resourceGroupName": "rg", "zoneName": zone, "relativeRecordSetName": rel,
            "recordType": "TXT", "ttl": 300, "txtRecords": [{"value": chunks}]}


def az_native_mx(name: str, host: Any) -> dict[str, Any]:
    rel, zone = split_name(name)
    return {"resourceGroupName": "rg", "zoneName": zone, "relativeRecordSetName": rel,
            "recordType": "MX", "ttl": 300, "mxRecords": [{"preference": 10, "exchange": host}]}


def az_classic_txt(name: str, value: Any) -> dict[str, Any]:
    rel, zone = split_name(name)
    return {"name": rel, "zoneName": zone, "resourceGroupName": "rg", "ttl": 300,
            "records": [{"value": value}]}


def az_classic_mx(name: str, host: Any) -> dict[str, Any]:
    rel, zone = split_name(name)
    return {"name": rel, "zoneName": zone, "resourceGroupName": "rg", "ttl": 300,
            "records": [{"preference": "10", "exchange": host}]}


def do_record(rdtype: str) -> Any:
    def build(name: str, value: Any) -> dict[str, Any]:
        rel, zone = split_name(name)
        extra = {"priority": 10} if rdtype == "MX" else {}
        return {"domain": zone, "name": rel, "type": rdtype, "value": value, "ttl": 300,
                **extra}
    return build


def ns1_record(rdtype: str) -> Any:
    def build(name: str, value: Any) -> dict[str, Any]:
        _rel, zone = split_name(name)
        answer = f"10 {value}" if rdtype == "MX" and value != UNKNOWN else value
        return {"zone": zone, "domain": name, "type": rdtype, "answers": [{"answer": answer}]}
    return build


def dnsimple_record(rdtype: str) -> Any:
    def build(name: str, value: Any) -> dict[str, Any]:
        rel, zone = split_name(name)
        extra = {"priority": 10} if rdtype == "MX" else {}
        return {"zoneName": zone, "name": "" if rel == "@" else rel, "type": rdtype,
                "value": value, "ttl": 3600, **extra}
    return build


# name -> ((TXT type token, builder), (MX type token, builder))
DNS_PROVIDERS: dict[str, tuple[tuple[str, Any], tuple[str, Any]]] = {
    "gcp": ((GCP_RECORD_SET, gcp_txt), (GCP_RECORD_SET, gcp_mx)),
    "azure-native": ((AZ_RECORD_SET, az_native_txt), (AZ_RECORD_SET, az_native_mx)),
    "azure-native-v2": ((AZ_RECORD_SET_V2, az_native_txt), (AZ_RECORD_SET_V2, az_native_mx)),
    "azure-classic": ((AZ_TXT, az_classic_txt), (AZ_MX, az_classic_mx)),
    "digitalocean": ((DO_RECORD, do_record("TXT")), (DO_RECORD, do_record("MX"))),
    "digitalocean-record": (("digitalocean:index/record:Record", do_record("TXT")),
                            ("digitalocean:index/record:Record", do_record("MX"))),
    "ns1": ((NS1_RECORD, ns1_record("TXT")), (NS1_RECORD, ns1_record("MX"))),
    "dnsimple": ((DNSIMPLE_RECORD, dnsimple_record("TXT")),
                 (DNSIMPLE_RECORD, dnsimple_record("MX"))),
}
