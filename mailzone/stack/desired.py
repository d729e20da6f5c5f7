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
- ``SesDomainIdentity`` (when ``ses`` is configured): three Easy DKIM CNAMEs
  ``<token>._domainkey.<domain>`` -> ``<token>.dkim.amazonses.com``. SES
  chooses the tokens when the identity is created, so their names and values
  are ``KnownAfterApply`` placeholders. With ``mailFromSubdomain``, the MAIL
  FROM domain's MX ``10 feedback-smtp.<region>.amazonses.com`` and its own SPF
  TXT ``v=spf1 include:amazonses.com -all``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mailzone.dns.txt import split_txt
from mailzone.findings import Finding
from mailzone.rules.spfpolicy import check_lookup_budget
from mailzone.spf.lint import lint_duplicate_includes, lint_record

if TYPE_CHECKING:
    from mailzone.stack.config import DomainConfig

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

    def render(self, value: str) -> str:
        return self.template.format(value)

    def __str__(self) -> str:
        return self.template.format(f"<{self.source}[{self.index}]>")


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
    return f"{MAIL_FROM_MX_PREFERENCE} feedback-smtp.{region}.amazonses.com"


def dkim_records(domain: DomainConfig) -> list[DesiredRecord]:
    """The Easy DKIM CNAMEs, with token placeholders."""
    return [
        DesiredRecord(
            key=f"dkim-{index}",
            owner="SesDomainIdentity",
            name=KnownAfterApply("dkim_tokens", index, "{}._domainkey." + domain.domain),
            type="CNAME",
            values=(KnownAfterApply("dkim_tokens", index, "{}.dkim.amazonses.com"),),
            ttl=domain.ttl,
        )
        for index in range(DKIM_TOKEN_COUNT)
    ]


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
    if domain.ses is not None:
        records.extend(dkim_records(domain))
        mail_from = domain.mail_from_domain
        if mail_from is not None:
            records.append(
                DesiredRecord(
                    key="mail-from-mx",
                    owner="SesDomainIdentity",
                    name=mail_from,
                    type="MX",
                    values=(mail_from_mx(domain.ses.region),),
                    ttl=domain.ttl,
                )
            )
            records.append(
                DesiredRecord(
                    key="mail-from-spf",
                    owner="SesDomainIdentity",
                    name=mail_from,
                    type="TXT",
                    values=(MAIL_FROM_SPF,),
                    ttl=domain.ttl,
                )
            )
    return records
