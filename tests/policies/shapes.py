"""Resource properties in the providers' own shapes (camelCase, as the engine sends them).

Only reserved names (example.com/.net/.org, *.test) and documentation addresses
(192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32) appear here,
besides the providers' own host names where a rule checks for them
(amazonses.com, the SES DKIM and feedback hosts).
"""

from __future__ import annotations

import json
from typing import Any

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
