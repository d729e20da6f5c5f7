"""A resolver that asks each managed domain's own authoritative servers.

``mailzone plan --live`` wants what the zones hold now, not what a recursive
resolver's cache may keep for up to a TTL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from mailzone.dns.resolver import Answer, RdType, Resolver, normalize_name
from mailzone.errors import DnsError


class AuthoritativeResolver:
    """Asks each managed domain's authoritative servers about the names in it.

    A recursive resolver's cache may hold an answer for up to its TTL; a plan
    wants what the zone holds now. Names in one of ``domains`` (the most
    specific one) go to that domain's name servers, found through
    ``recursive`` (its NS records, then their addresses) and asked through
    ``server_resolver(address)``; a server that fails is followed by the next.
    Every other name (the providers' include trees) goes to ``recursive``.
    """

    def __init__(
        self,
        recursive: Resolver,
        domains: Iterable[str],
        server_resolver: Callable[[str], Resolver],
    ) -> None:
        self.recursive = recursive
        self.domains = sorted({normalize_name(d) for d in domains}, key=len, reverse=True)
        self.server_resolver = server_resolver
        self._servers: dict[str, list[Resolver] | DnsError] = {}
        self._by_address: dict[str, Resolver] = {}

    def domain_of(self, name: str) -> str | None:
        name = normalize_name(name)
        for domain in self.domains:
            if name == domain or name.endswith("." + domain):
                return domain
        return None

    async def servers(self, domain: str) -> list[Resolver]:
        """The resolvers of ``domain``'s name servers. Raises ``DnsError``."""
        known = self._servers.get(domain)
        if isinstance(known, DnsError):
            raise known
        if known is not None:
            return known
        try:
            ns = await self.recursive.resolve(domain, RdType.NS)
            addresses: list[str] = []
            for host in ns.records:
                for rdtype in (RdType.A, RdType.AAAA):
                    try:
                        answer = await self.recursive.resolve(host, rdtype)
                    except DnsError:
                        continue
                    addresses += [a for a in answer.records if a not in addresses]
            if not addresses:
                what = "no NS records" if ns.void else "no address for its NS hosts"
                raise DnsError(domain, "NS", f"{what}: is the domain delegated? Give "
                               "--nameserver to ask a server of your choice")
        except DnsError as exc:
            self._servers[domain] = exc
            raise
        resolvers = []
        for address in addresses:
            if address not in self._by_address:
                self._by_address[address] = self.server_resolver(address)
            resolvers.append(self._by_address[address])
        self._servers[domain] = resolvers
        return resolvers

    async def resolve(self, name: str, rdtype: RdType) -> Answer:
        domain = self.domain_of(name)
        if domain is None:
            return await self.recursive.resolve(name, rdtype)
        failure: DnsError | None = None
        for server in await self.servers(domain):
            try:
                return await server.resolve(name, rdtype)
            except DnsError as exc:
                failure = exc
        assert failure is not None  # servers() never returns an empty list
        raise failure
