"""The DNS records a mail domain needs, computed from its validated config.

``desired_records`` is the one place that decides what a domain publishes.
The Pulumi components realise its records as provider resources and
``mailzone plan`` compares them with what is published, so the program and the
plan cannot disagree (a test holds the components against this function).

Records per domain (names are lower case, without the trailing dot):

- ``SpfRecord``: the apex TXT ``v=spf1 include:... ~all`` built from the
  senders. ``keep`` holds the ``keepTxt`` values: other TXT values at the apex
  that must survive. Route 53 keeps all TXT values of a name in one record set,
  so it writes them with the SPF value; Cloudflare holds one record per value
  and leaves them alone.
- ``DmarcRecord``: ``_dmarc.<domain>`` TXT, when ``dmarc`` is configured.
- A parked domain (``parked``, RFC 7505): its SPF is ``v=spf1 -all`` and its DMARC
  ``p=reject; sp=reject; np=reject`` (the config makes them so), a null MX ``0 .``
  at the apex, and with ``wildcardDkim`` an empty key ``v=DKIM1; p=`` at
  ``*._domainkey.<domain>``, which revokes every selector (owner ``MailDomain``).
- ``SesDomainIdentity`` (when ``ses`` is configured), per region: three Easy
  DKIM CNAMEs ``<token>._domainkey.<domain>`` -> ``<token>.<the region's Easy DKIM
  zone>`` (``mailzone.mail.ses``: ``dkim.amazonses.com`` in most regions, the
  region's own zone in some). SES chooses the tokens when the identity is
  created, so their names and values are ``KnownAfterApply`` placeholders. With a
  MAIL FROM subdomain, the MAIL FROM domain's MX ``10
  feedback-smtp.<region>.amazonses.com`` and its own SPF TXT ``v=spf1
  include:amazonses.com -all``. The first region's records keep the keys they had
  before regions were a list (``dkim-0``, ``mail-from-mx``); another region's
  carry its name (``dkim-us-east-1-0``), so adding a region never renames a
  resource.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mailzone.dns.txt import split_txt
from mailzone.findings import Finding
from mailzone.mail.ses import feedback_host
from mailzone.rules.parked import NULL_MX, REVOKED_DKIM
from mailzone.rules.spfpolicy import check_lookup_budget
from mailzone.spf.lint import lint_duplicate_includes, lint_record

if TYPE_CHECKING:
    from mailzone.stack.config import DomainConfig, SesRegion

#: Easy DKIM publishes three keys.
DKIM_TOKEN_COUNT = 3
MAIL_FROM_MX_PREFERENCE = 10
MAIL_FROM_SPF = "v=spf1 include:amazonses.com -all"


@dataclass(frozen=True, slots=True)
class KnownAfterApply:
    """A value the provider computes when the resource is created.

    ``source`` names the output (``"dkim_tokens"``), ``index`` the element, and
    ``template`` the text with ``{}`` where the computed value goes.
    """

    source: str
    index: int
    template: str
    of: str = ""  # whose output, when the source name alone is ambiguous (a second region)

    def render(self, value: str) -> str:
        return self.template.format(value)

    def __str__(self) -> str:
        of = f" of {self.of}" if self.of else ""
        return self.template.format(f"<{self.source}[{self.index}]{of}>")


Value = str | KnownAfterApply


@dataclass(frozen=True, slots=True)
class DesiredRecord:
    """One record set a domain needs.

    ``key`` is stable per domain (``spf``, ``dmarc``, ``dkim-0``, ...) and names
    the provider resource; ``owner`` is the component that declares it.
    ``values`` are the values this record writes; ``keep`` are values that must
    also be present at the name but are not this record's (``keepTxt``).
    """

    key: str
    owner: str
    name: Value
    type: str
    values: tuple[Value, ...]
    ttl: int
    keep: tuple[str, ...] = field(default=())
    region: str | None = None  # the SES region of an SES identity's record

    @property
    def all_values(self) -> tuple[Value, ...]:
        """Everything the name holds for this record type once applied."""
        return (*self.values, *self.keep)

    @property
    def known(self) -> bool:
        """Whether name and values are all known before apply."""
        return isinstance(self.name, str) and all(isinstance(v, str) for v in self.values)


def check_spf_record(
    text: str, include_costs: Mapping[str, int], *, domain: str
) -> list[Finding]:
    """The SPF engine's verdict on a record a component is about to write.

    ``include_costs`` maps each include to what writing it costs in all (the
    include and its tree, as the catalogue counts). Errors include literal IPs
    (``spf-ip-literal``), grammar (``spf-syntax``) and a budget over 10
    (``spf-lookup-limit``, the policy pack's offline budget).
    """
    return [
        *lint_record(text, domain=domain, strings=split_txt(text)),
        *lint_duplicate_includes(text, domain=domain),
        *check_lookup_budget(text, warn_at=None, include_costs=include_costs, name=domain,
                             where=domain),
    ]


def mail_from_mx(region: str) -> str:
    return f"{MAIL_FROM_MX_PREFERENCE} {feedback_host(region)}"


def _key(name: str, identity: SesRegion, first: bool) -> str:
    return name if first else f"{name}-{identity.region}"


def dkim_records(domain: DomainConfig, identity: SesRegion, *, first: bool = True
                 ) -> list[DesiredRecord]:
    """One region's Easy DKIM CNAMEs, with token placeholders."""
    of = "" if first else identity.region
    return [
        DesiredRecord(
            key=_key("dkim", identity, first) + f"-{index}",
            owner="SesDomainIdentity",
            name=KnownAfterApply("dkim_tokens", index, "{}._domainkey." + domain.domain, of),
            type="CNAME",
            values=(KnownAfterApply("dkim_tokens", index, "{}." + identity.dkim_zone, of),),
            ttl=domain.ttl,
            region=identity.region,
        )
        for index in range(DKIM_TOKEN_COUNT)
    ]


def ses_records(domain: DomainConfig, identity: SesRegion, *, first: bool = True
                ) -> list[DesiredRecord]:
    """Everything one region's SES identity needs: DKIM, and the MAIL FROM domain's."""
    records = dkim_records(domain, identity, first=first)
    mail_from = domain.mail_from_of(identity)
    if mail_from is not None:
        records += [
            DesiredRecord(key=_key("mail-from-mx", identity, first), owner="SesDomainIdentity",
                          name=mail_from, type="MX", values=(mail_from_mx(identity.region),),
                          ttl=domain.ttl, region=identity.region),
            DesiredRecord(key=_key("mail-from-spf", identity, first), owner="SesDomainIdentity",
                          name=mail_from, type="TXT", values=(MAIL_FROM_SPF,), ttl=domain.ttl,
                          region=identity.region),
        ]
    return records


def desired_records(domain: DomainConfig) -> list[DesiredRecord]:
    """Every record ``domain`` needs, in a stable order."""
    records = [
        DesiredRecord(
            key="spf",
            owner="SpfRecord",
            name=domain.domain,
            type="TXT",
            values=(domain.spf_record,),
            ttl=domain.ttl,
            keep=tuple(domain.keep_txt),
        )
    ]
    if domain.dmarc is not None:
        records.append(
            DesiredRecord(
                key="dmarc",
                owner="DmarcRecord",
                name=f"_dmarc.{domain.domain}",
                type="TXT",
                values=(domain.dmarc.text(),),
                ttl=domain.ttl,
            )
        )
    if domain.parked is not None:
        records.append(DesiredRecord(key="null-mx", owner="MailDomain", name=domain.domain,
                                     type="MX", values=(NULL_MX,), ttl=domain.ttl))
        if domain.parked.wildcard_dkim:
            records.append(DesiredRecord(
                key="dkim-wildcard", owner="MailDomain", name=f"*._domainkey.{domain.domain}",
                type="TXT", values=(REVOKED_DKIM,), ttl=domain.ttl))
    for index, identity in enumerate(domain.ses_identities):
        records.extend(ses_records(domain, identity, first=index == 0))
    return records
