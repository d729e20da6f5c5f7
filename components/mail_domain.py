"""``MailDomain``: everything one domain needs to send mail, from its config.

The records come from ``mailzone.stack.desired.desired_records`` (the same function
``mailzone plan`` uses); this component only realises them::

    MailDomain                       mailzone:index:MailDomain
    ├── SpfRecord                    apex TXT (v=spf1 ... + keepTxt on Route 53)
    ├── DmarcRecord                  _dmarc TXT                  (with dmarc)
    ├── (records)                    null MX, revoked DKIM wildcard (parked)
    ├── SesDomainIdentity            sesv2.EmailIdentity, 3 DKIM CNAMEs,
    │                                MAIL FROM attributes, MX and SPF  (with ses)
    └── SesSmtpCredentials           IAM user, policy, access key (with ses.smtpUser)

Every check runs before anything is declared: a record a child would refuse
makes ``MailDomain`` raise ``RecordRefused`` with all the findings first.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.dns import DnsBackend, backend_for, render
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
from mailzone.stack.config import DomainConfig, include_costs
from mailzone.stack.desired import desired_records

TYPE = "mailzone:index:MailDomain"


@dataclass(frozen=True)
class MailDomainArgs:
    """``config`` is one validated entry of ``mailzone:domains``.

    ``dns`` overrides the backend the config names (tests, other zones);
    ``provider_region`` is the default AWS provider's region (``aws:region``).
    """

    config: DomainConfig
    dns: DnsBackend | None = None
    provider_region: str | None = None


class MailDomain(pulumi.ComponentResource):
    spf_record: pulumi.Output[str]
    dmarc_record: pulumi.Output[str | None]
    dkim_tokens: pulumi.Output[list[str]]
    mail_from_domain: pulumi.Output[str | None]

    def __init__(
        self, name: str, args: MailDomainArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        config = args.config
        records = desired_records(config)
        by_key = {r.key: r for r in records}
        spf = by_key["spf"]
        costs = include_costs(config.senders)
        dmarc = by_key.get("dmarc")
        # Judge everything before declaring anything.
        refused = [f for f in SpfRecord.check(spf, costs) if f.is_error]
        if dmarc is not None:
            refused += [f for f in DmarcRecord.check(dmarc, config.domain) if f.is_error]
        if refused:
            raise RecordRefused("MailDomain", name, refused)

        super().__init__(TYPE, name, None, opts)
        dns = args.dns or backend_for(config, self)
        self.dns = dns
        self.spf = SpfRecord(
            f"{name}-spf", SpfRecordArgs(spf, costs, dns), pulumi.ResourceOptions(parent=self)
        )
        self.spf_record = self.spf.text
        self.dmarc: DmarcRecord | None = None
        self.dmarc_record = pulumi.Output.from_input(None)
        if dmarc is not None:
            self.dmarc = DmarcRecord(
                f"{name}-dmarc",
                DmarcRecordArgs(dmarc, config.domain, dns),
                pulumi.ResourceOptions(parent=self),
            )
            self.dmarc_record = self.dmarc.text
        # A parked domain's null MX and DKIM wildcard: plain records, nothing to compute.
        self.records = [
            resource
            for record in records if record.owner == "MailDomain"
            for resource in dns.declare(f"{name}-{record.key}", render(record), parent=self)
        ]

        # One SES identity per region; the first keeps the names it had when there was
        # only one region, so adding a region never replaces the first one's resources.
        self.identities: dict[str, SesDomainIdentity] = {}
        self.smtp_users: dict[str, SesSmtpCredentials] = {}
        for index, identity in enumerate(config.ses_identities):
            suffix = "" if index == 0 else f"-{identity.region}"
            ses = SesDomainIdentity(
                f"{name}-ses{suffix}",
                SesDomainIdentityArgs(
                    domain=config.domain,
                    region=identity.region,
                    records=[r for r in records if r.owner == "SesDomainIdentity"
                             and r.region == identity.region],
                    dns=dns,
                    mail_from_domain=config.mail_from_of(identity),
                    configuration_set=identity.configuration_set,
                ),
                pulumi.ResourceOptions(parent=self),
            )
            self.identities[identity.region] = ses
            if identity.smtp_user:
                self.smtp_users[identity.region] = SesSmtpCredentials(
                    f"{name}-smtp{suffix}",
                    SesSmtpCredentialsArgs(
                        identity_arn=ses.arn,
                        region=identity.region,
                        provider_region=args.provider_region,
                    ),
                    pulumi.ResourceOptions(parent=self),
                )
        first = next(iter(self.identities.values()), None)
        self.ses: SesDomainIdentity | None = first
        # The top-level exports are the first region's (as with one region); sesRegions
        # holds every region's.
        first_region = next(iter(self.identities), None)
        self.smtp: SesSmtpCredentials | None = self.smtp_users.get(first_region or "")
        self.dkim_tokens = first.dkim_tokens if first else pulumi.Output.from_input([])
        self.mail_from_domain = (first.mail_from_domain if first
                                 else pulumi.Output.from_input(None))
        self.register_outputs(self.exports())

    def exports(self) -> dict[str, pulumi.Input[object]]:
        """What an application needs, for ``pulumi.export`` (passwords stay secret).

        The first SES region's values at the top (as with one region); with several,
        ``sesRegions`` holds each region's, by region.
        """
        out: dict[str, pulumi.Input[object]] = {
            "spfRecord": self.spf_record,
            "dmarcRecord": self.dmarc_record,
            "dkimTokens": self.dkim_tokens,
            "mailFromDomain": self.mail_from_domain,
        }
        if self.smtp is not None:
            out.update(_smtp_exports(self.smtp))
        if len(self.identities) > 1:
            out["sesRegions"] = {
                region: {"dkimTokens": ses.dkim_tokens, "mailFromDomain": ses.mail_from_domain,
                         **(_smtp_exports(self.smtp_users[region])
                            if region in self.smtp_users else {})}
                for region, ses in self.identities.items()
            }
        return out


def _smtp_exports(smtp: SesSmtpCredentials) -> dict[str, pulumi.Input[object]]:
    return {
        "smtpHost": smtp.host,
        "smtpPort": smtp.port,
        "smtpTls": smtp.tls,
        "smtpUsername": smtp.username,
        "smtpPassword": smtp.password,
    }
