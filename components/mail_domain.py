"""``MailDomain``: everything one domain needs to send mail, from its config.

The records come from ``mailzone.stack.desired.desired_records`` (the same function
``mailzone plan`` uses); this component only realises them::

    MailDomain                       mailzone:index:MailDomain
    ├── SpfRecord                    apex TXT (v=spf1 ... + keepTxt on Route 53)
    ├── DmarcRecord                  _dmarc TXT                  (with dmarc)
    ├── SesDomainIdentity            sesv2.EmailIdentity, 3 DKIM CNAMEs,
    │                                MAIL FROM attributes, MX and SPF  (with ses)
    └── SesSmtpCredentials           IAM user, policy, access key (with ses.smtpUser)

Every check runs before anything is declared: a record a child would refuse
makes ``MailDomain`` raise ``RecordRefused`` with all the findings first.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.dns import DnsBackend, backend_for
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

        self.ses: SesDomainIdentity | None = None
        self.smtp: SesSmtpCredentials | None = None
        self.dkim_tokens = pulumi.Output.from_input([])
        self.mail_from_domain = pulumi.Output.from_input(None)
        if config.ses is not None:
            self.ses = SesDomainIdentity(
                f"{name}-ses",
                SesDomainIdentityArgs(
                    domain=config.domain,
                    region=config.ses.region,
                    records=[r for r in records if r.owner == "SesDomainIdentity"],
                    dns=dns,
                    mail_from_domain=config.mail_from_domain,
                    configuration_set=config.ses.configuration_set,
                ),
                pulumi.ResourceOptions(parent=self),
            )
            self.dkim_tokens = self.ses.dkim_tokens
            self.mail_from_domain = self.ses.mail_from_domain
            if config.ses.smtp_user:
                self.smtp = SesSmtpCredentials(
                    f"{name}-smtp",
                    SesSmtpCredentialsArgs(
                        identity_arn=self.ses.arn,
                        region=config.ses.region,
                        provider_region=args.provider_region,
                    ),
                    pulumi.ResourceOptions(parent=self),
                )
        self.register_outputs(self.exports())

    def exports(self) -> dict[str, pulumi.Input[object]]:
        """What an application needs, for ``pulumi.export`` (the password stays secret)."""
        out: dict[str, pulumi.Input[object]] = {
            "spfRecord": self.spf_record,
            "dmarcRecord": self.dmarc_record,
            "dkimTokens": self.dkim_tokens,
            "mailFromDomain": self.mail_from_domain,
        }
        if self.smtp is not None:
            out.update({
                "smtpHost": self.smtp.host,
                "smtpPort": self.smtp.port,
                "smtpTls": self.smtp.tls,
                "smtpUsername": self.smtp.username,
                "smtpPassword": self.smtp.password,
            })
        return out
