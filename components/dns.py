"""DNS backends: one small interface, one class per provider.

The record encoding (TXT quoting, 255-octet strings) and record-set semantics are
the core's, one module per provider in ``mailzone.providers``; a backend here only
declares that provider's Pulumi resources.

A component hands a backend a ``RecordSpec`` (a ``mailzone.stack.desired.DesiredRecord``
with its known-after-apply parts rendered as Pulumi outputs) and the backend
declares the provider resources for it, as children of the component:

- ``Route53Backend``: one ``aws.route53.Record`` per record set. Route 53 keeps
  all values of a name and type in one set, so a TXT set holds the record's
  values and the values to keep (``keepTxt``). Each TXT value is split into
  255-octet strings in Route 53's quoted form. ``allow_overwrite=False``: a
  record set that exists already and is not in this stack's state is never
  overwritten (import it first: see docs/configuration.md).
- ``CloudflareBackend``: one ``cloudflare.DnsRecord`` per value (Cloudflare
  holds one record per value); values to keep are other records and are left
  alone. TXT content is written as quoted character-strings of at most 255
  octets, as Cloudflare's API asks.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import cast

import pulumi
import pulumi_aws as aws
import pulumi_cloudflare as cloudflare

from mailzone.providers import DnsProvider
from mailzone.providers import cloudflare as cloudflare_provider
from mailzone.providers import route53 as route53_provider
from mailzone.stack.config import DomainConfig
from mailzone.stack.desired import DesiredRecord, KnownAfterApply

COMMENT = "managed by mailzone"


@dataclass(frozen=True)
class RecordSpec:
    """A desired record ready for a provider: name and values may be outputs."""

    key: str
    name: pulumi.Input[str]
    type: str
    values: Sequence[pulumi.Input[str]]
    ttl: int
    keep: Sequence[str] = field(default=())


def render(
    record: DesiredRecord, computed: Mapping[str, pulumi.Output[Sequence[str]]] | None = None
) -> RecordSpec:
    """Turn a desired record into a ``RecordSpec``, filling known-after-apply values.

    ``computed`` maps a ``KnownAfterApply.source`` (``"dkim_tokens"``) to the
    output holding its values.
    """

    def value(item: str | KnownAfterApply) -> pulumi.Input[str]:
        if isinstance(item, str):
            return item
        if computed is None or item.source not in computed:
            raise ValueError(f"{record.key}: no output for {item.source} to render {item}")
        return computed[item.source].apply(lambda values: item.render(values[item.index]))

    return RecordSpec(
        key=record.key,
        name=value(record.name),
        type=record.type,
        values=[value(v) for v in record.values],
        ttl=record.ttl,
        keep=record.keep,
    )


def _map(value: pulumi.Input[str], fn: Callable[[str], str]) -> pulumi.Input[str]:
    if isinstance(value, str):
        return fn(value)
    return pulumi.Output.from_input(cast("pulumi.Output[str]", value)).apply(fn)


def _split_mx(value: str) -> tuple[int, str]:
    preference, _, host = value.partition(" ")
    return int(preference), host


class DnsBackend(ABC):
    """Declares the provider resources of one record set."""

    provider: DnsProvider

    @classmethod
    @abstractmethod
    def for_domain(cls, config: DomainConfig, parent: pulumi.Resource) -> DnsBackend:
        """The backend for a domain's validated config (``dns.zoneId``, ``dns.zoneName``)."""

    @abstractmethod
    def declare(
        self, resource_name: str, spec: RecordSpec, parent: pulumi.Resource
    ) -> list[pulumi.CustomResource]:
        """The resources for ``spec``, each with ``parent`` as its parent."""


class Route53Backend(DnsBackend):
    provider = DnsProvider.ROUTE53

    def __init__(self, zone_id: pulumi.Input[str]) -> None:
        self.zone_id = zone_id

    @classmethod
    def for_domain(cls, config: DomainConfig, parent: pulumi.Resource) -> Route53Backend:
        """The hosted zone by id when the config gives one, else found by name."""
        if config.dns.provider_zone_id is not None:
            return cls(config.dns.provider_zone_id)
        zone = aws.route53.get_zone_output(
            name=config.zone_name,
            private_zone=False,
            opts=pulumi.InvokeOutputOptions(parent=parent),
        )
        return cls(zone.zone_id)

    @staticmethod
    def entries(spec: RecordSpec) -> list[pulumi.Input[str]]:
        """The ``records`` of the record set: TXT values in Route 53's quoted form."""
        values: list[pulumi.Input[str]] = [*spec.values, *spec.keep]
        if spec.type == "TXT":
            return [_map(v, route53_provider.PROVIDER.encode_txt) for v in values]
        return values

    def declare(
        self, resource_name: str, spec: RecordSpec, parent: pulumi.Resource
    ) -> list[pulumi.CustomResource]:
        record = aws.route53.Record(
            resource_name,
            zone_id=self.zone_id,
            name=spec.name,
            type=spec.type,
            ttl=spec.ttl,
            records=self.entries(spec),
            allow_overwrite=False,
            opts=pulumi.ResourceOptions(parent=parent),
        )
        return [record]


class CloudflareBackend(DnsBackend):
    provider = DnsProvider.CLOUDFLARE

    def __init__(self, zone_id: pulumi.Input[str]) -> None:
        self.zone_id = zone_id

    @classmethod
    def for_domain(cls, config: DomainConfig, parent: pulumi.Resource) -> CloudflareBackend:
        assert config.dns.zone_id is not None  # the config requires it
        return cls(config.dns.zone_id)

    def declare(
        self, resource_name: str, spec: RecordSpec, parent: pulumi.Resource
    ) -> list[pulumi.CustomResource]:
        resources: list[pulumi.CustomResource] = []
        for index, value in enumerate(spec.values):
            name = resource_name if len(spec.values) == 1 else f"{resource_name}-{index}"
            priority: float | None = None
            content: pulumi.Input[str] = value
            if spec.type == "TXT":
                content = _map(value, cloudflare_provider.PROVIDER.encode_txt)
            elif spec.type == "MX":
                if not isinstance(value, str):
                    raise ValueError(f"{spec.key}: an MX value must be known before apply")
                preference, host = _split_mx(value)
                priority, content = float(preference), host
            resources.append(
                cloudflare.DnsRecord(
                    name,
                    zone_id=self.zone_id,
                    name=spec.name,
                    type=spec.type,
                    ttl=float(spec.ttl),
                    content=content,
                    priority=priority,
                    proxied=False if spec.type == "CNAME" else None,
                    comment=COMMENT,
                    opts=pulumi.ResourceOptions(parent=parent),
                )
            )
        return resources


#: One backend per provider a config may name (``mailzone.providers.DnsProvider``).
BACKENDS: dict[DnsProvider, type[DnsBackend]] = {
    backend.provider: backend for backend in (Route53Backend, CloudflareBackend)
}


def backend_for(config: DomainConfig, parent: pulumi.Resource) -> DnsBackend:
    """The backend that declares ``config``'s records on its DNS provider."""
    return BACKENDS[config.dns.provider].for_domain(config, parent)
