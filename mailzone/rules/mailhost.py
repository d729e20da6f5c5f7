"""IP literals where a mail host name belongs.

Mail servers are named, never addressed: an MX exchange must be a host name
(RFC 5321 5.1, RFC 7505), an SMTP host setting should name the provider's
submission host, and an SPF ``a:``/``mx:`` target is a domain. Providers
renumber their servers during maintenance; a name follows them, an address
silently breaks delivery or authorisation.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Collection, Iterable

from mailzone.findings import Finding
from mailzone.names import ip_literal
from mailzone.registry import MAIL_HOST_IP_LITERAL

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})



def parse_networks(values: Iterable[str]) -> list[IPNetwork]:
    """CIDRs or addresses from configuration; raises ValueError naming a bad one."""
    networks: list[IPNetwork] = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(str(value).strip(), strict=False))
        except ValueError:
            raise ValueError(f"{value!r} is not an IP address or CIDR network") from None
    return networks


def in_networks(address: IPAddress | IPNetwork, networks: Collection[IPNetwork]) -> bool:
    for network in networks:
        if address.version != network.version:
            continue
        if isinstance(address, ipaddress.IPv4Address | ipaddress.IPv6Address):
            if address in network:
                return True
        elif address.subnet_of(network):  # type: ignore[arg-type]
            return True
    return False


def is_local_host(host: str, extra_names: Collection[str] = ()) -> bool:
    """localhost, 127.0.0.0/8 or ::1 (and any name in ``extra_names``)."""
    name = host.strip().rstrip(".").lower()
    if name.startswith("[") and name.endswith("]"):
        name = name[1:-1]
    if name in LOOPBACK_NAMES or name in {n.strip().rstrip(".").lower() for n in extra_names}:
        return True
    address = ip_literal(name)
    return address is not None and address.is_loopback


def check_mx_exchange(
    exchange: str,
    *,
    name: str = "",
    where: str = "",
    label: str = "",
    allowed_networks: Collection[IPNetwork] = (),
) -> list[Finding]:
    """``mail-host-ip-literal`` when an MX exchange is an IP address."""
    address = ip_literal(exchange)
    if address is None or in_networks(address, allowed_networks):
        return []
    at = f" at {name}" if name else ""
    return [
        MAIL_HOST_IP_LITERAL.error(
            f"{label or 'the record'}: the MX{at} points at the IP address {exchange!r}; an "
            "MX exchange must be a host name (RFC 5321 5.1). Point it at the mail "
            "provider's MX host name (or an A/AAAA record of your own that holds the "
            "address)",
            where or exchange,
        )
    ]


def check_smtp_host(
    host: str,
    *,
    key: str,
    where: str = "",
    label: str = "",
    allowed_networks: Collection[IPNetwork] = (),
    allow_loopback: bool = True,
    path: str = "",
) -> list[Finding]:
    """``mail-host-ip-literal`` when an SMTP host setting is an IP address.

    A loopback address (a local relay) is allowed unless ``allow_loopback`` is
    false; so is any address in ``allowed_networks``. ``path`` is where the
    setting sits in the declaring resource, for the message.
    """
    address = ip_literal(host)
    if address is None:
        return []
    if (allow_loopback and address.is_loopback) or in_networks(address, allowed_networks):
        return []
    return [
        MAIL_HOST_IP_LITERAL.error(
            f"{label or 'the setting'}: {key} is the IP address {host!r}"
            f"{f' (at {path})' if path else ''}; SMTP providers "
            "renumber their servers and TLS certificates name hosts, not addresses. Set "
            "it to the provider's submission host name (for example "
            "email-smtp.<region>.amazonaws.com for Amazon SES)",
            where or key,
        )
    ]
