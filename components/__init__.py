"""Pulumi components for mail domains: the only code that knows provider resource types.

They build on the core (``mailzone``) and never import the policy pack.
"""

from components.dns import CloudflareBackend, DnsBackend, RecordSpec, Route53Backend, render
from components.mail_domain import MailDomain, MailDomainArgs
from components.records import (
    DmarcRecord,
    DmarcRecordArgs,
    RecordRefused,
    SpfRecord,
    SpfRecordArgs,
)
from components.ses import (
    SesDomainIdentity,
    SesDomainIdentityArgs,
    SesSmtpCredentials,
    SesSmtpCredentialsArgs,
)

__all__ = [
    "CloudflareBackend",
    "DmarcRecord",
    "DmarcRecordArgs",
    "DnsBackend",
    "MailDomain",
    "MailDomainArgs",
    "RecordRefused",
    "RecordSpec",
    "Route53Backend",
    "SesDomainIdentity",
    "SesDomainIdentityArgs",
    "SesSmtpCredentials",
    "SesSmtpCredentialsArgs",
    "SpfRecord",
    "SpfRecordArgs",
    "render",
]
