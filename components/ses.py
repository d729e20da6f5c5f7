"""``SesDomainIdentity`` and ``SesSmtpCredentials``: Amazon SES for one domain.

``SesDomainIdentity`` declares the ``aws.sesv2.EmailIdentity`` with Easy DKIM
(2048-bit keys), the three DKIM CNAMEs (whose names and targets SES computes:
``desired_records`` marks them known after apply, and this component fills
them from the identity's ``dkim_signing_attributes.tokens``), and, with a MAIL
FROM subdomain, ``aws.sesv2.EmailIdentityMailFromAttributes`` with the
subdomain's MX and SPF records.

``SesSmtpCredentials`` declares an IAM user allowed only ``ses:SendRawEmail``
on the identity, an access key, and the SMTP settings an application's client
asks for: host, port 587, STARTTLS, username and password (a Pulumi secret).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.dns import DnsBackend, render
from mailzone.mail import catalogue
from mailzone.stack.desired import DKIM_TOKEN_COUNT, DesiredRecord

IDENTITY_TYPE = "mailzone:index:SesDomainIdentity"
SMTP_TYPE = "mailzone:index:SesSmtpCredentials"
DKIM_KEY_LENGTH = "RSA_2048_BIT"
SEND_ACTION = "ses:SendRawEmail"


@dataclass(frozen=True)
class SesDomainIdentityArgs:
    """``records`` are the ``SesDomainIdentity`` records from ``desired_records``."""

    domain: str
    region: str
    records: Sequence[DesiredRecord]
    dns: DnsBackend
    mail_from_domain: str | None = None
    configuration_set: str | None = None


class SesDomainIdentity(pulumi.ComponentResource):
    arn: pulumi.Output[str]
    dkim_tokens: pulumi.Output[list[str]]
    mail_from_domain: pulumi.Output[str | None]

    def __init__(
        self, name: str, args: SesDomainIdentityArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(IDENTITY_TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.identity = aws.sesv2.EmailIdentity(
            name,
            email_identity=args.domain,
            dkim_signing_attributes=aws.sesv2.EmailIdentityDkimSigningAttributesArgs(
                next_signing_key_length=DKIM_KEY_LENGTH,
            ),
            configuration_set_name=args.configuration_set,
            region=args.region,
            opts=child,
        )
        self.arn = self.identity.arn
        self.dkim_tokens = self.identity.dkim_signing_attributes.apply(_tokens)
        computed = {"dkim_tokens": self.dkim_tokens}
        self.records = [
            resource
            for record in args.records
            for resource in args.dns.declare(
                f"{name}-{record.key}", render(record, computed), parent=self
            )
        ]
        self.mail_from = None
        if args.mail_from_domain is not None:
            self.mail_from = aws.sesv2.EmailIdentityMailFromAttributes(
                f"{name}-mail-from",
                email_identity=self.identity.email_identity,
                mail_from_domain=args.mail_from_domain,
                behavior_on_mx_failure="USE_DEFAULT_VALUE",
                region=args.region,
                opts=child,
            )
        self.mail_from_domain = pulumi.Output.from_input(args.mail_from_domain)
        self.register_outputs({
            "arn": self.arn,
            "dkimTokens": self.dkim_tokens,
            "mailFromDomain": self.mail_from_domain,
        })


def _tokens(attributes: object) -> list[str]:
    tokens = list(getattr(attributes, "tokens", None) or [])
    if tokens and len(tokens) != DKIM_TOKEN_COUNT:
        raise ValueError(f"SES returned {len(tokens)} DKIM tokens, expected {DKIM_TOKEN_COUNT}")
    return [str(t) for t in tokens]


def send_policy(identity_arn: str) -> str:
    """The IAM policy: ``ses:SendRawEmail`` on this identity, nothing else."""
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Action": SEND_ACTION,
            "Resource": identity_arn,
        }],
    })


@dataclass(frozen=True)
class SesSmtpCredentialsArgs:
    """``provider_region`` is the default AWS provider's region (``aws:region``).

    The SMTP password is derived with SigV4 for the provider's region, so when
    the identity's region differs the access key is declared through an
    explicit provider for that region.
    """

    identity_arn: pulumi.Input[str]
    region: str
    provider_region: str | None = None


class SesSmtpCredentials(pulumi.ComponentResource):
    host: pulumi.Output[str]
    port: pulumi.Output[int]
    tls: pulumi.Output[str]
    username: pulumi.Output[str]
    password: pulumi.Output[str]

    def __init__(
        self, name: str, args: SesSmtpCredentialsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(SMTP_TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        ses = catalogue.lookup("amazon-ses")
        port = ses.preferred_port
        host = ses.smtp_hostname(args.region)
        assert port is not None and host is not None  # catalogue data
        self.user = aws.iam.User(name, path="/mailzone/", opts=child)
        self.policy = aws.iam.UserPolicy(
            f"{name}-send",
            user=self.user.name,
            policy=pulumi.Output.from_input(args.identity_arn).apply(send_policy),
            opts=child,
        )
        key_opts = child
        self.provider: aws.Provider | None = None
        if args.provider_region != args.region:
            self.provider = aws.Provider(f"{name}-{args.region}", region=args.region, opts=child)
            key_opts = pulumi.ResourceOptions(parent=self, provider=self.provider)
        self.access_key = aws.iam.AccessKey(name, user=self.user.name, opts=key_opts)
        self.host = pulumi.Output.from_input(host)
        self.port = pulumi.Output.from_input(port.port)
        self.tls = pulumi.Output.from_input(port.tls.value)
        self.username = self.access_key.id
        self.password = pulumi.Output.secret(self.access_key.ses_smtp_password_v4)
        self.register_outputs({
            "host": self.host,
            "port": self.port,
            "tls": self.tls,
            "username": self.username,
            "password": self.password,
        })
