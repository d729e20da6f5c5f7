"""A resolver that asks DNS servers, with dnspython's async query functions.

``LiveResolver`` sends each question to a name server over UDP (TCP when the
answer comes back truncated) and keeps what it learns for the rest of the run:

- each (name, type) is sent once: answers *and failures* are cached, and
  concurrent askers of the same question share the one query in flight;
- each query waits ``timeout`` seconds and is sent ``retries`` more times to
  every server before the question fails with ``DnsError``;
- at most ``concurrency`` queries are in flight at once;
- NXDOMAIN and NOERROR-without-data are void ``Answer``s; timeouts, SERVFAIL,
  REFUSED and unreachable servers are ``DnsError``s naming what happened.

CNAME chains are followed. A recursive server follows them itself, and so
does NSD into the other zones it serves; but an authoritative-only server
answers a CNAME to a zone it does not serve with the CNAME alone. So when an
answer ends in a CNAME without data and without the SOA of the target's zone,
the target is asked for too (of the next server, if this one refuses it): the
live resolver gives the same answers as ``ZoneDirResolver`` over the zone files
the servers serve. Chains are bounded and loops are errors, as in
``MemoryResolver``. A referral (a server that neither recurses nor serves the
name) is an error, not an empty answer.

The server is ``nameserver="HOST[:PORT]"`` (see ``parse_nameserver``), else the
servers of ``/etc/resolv.conf``. ``stats`` counts what was sent.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import secrets
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dns.asyncquery
import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.resolver
import dns.rrset

from mailzone.dns.memory import MAX_CNAME_CHAIN
from mailzone.dns.resolver import (
    DEFAULT_RETRIES,
    DEFAULT_TIMEOUT,
    Answer,
    RdType,
    normalize_name,
)
from mailzone.dns.zonedir import rdata_text
from mailzone.errors import DnsError, UsageError

DEFAULT_PORT = 53
_NAMESERVER_FORMS = (
    "expected HOST[:PORT] with an IP address or a host name as HOST: "
    "192.0.2.53, 192.0.2.53:5353, 2001:db8::53, [2001:db8::53]:5353 or ns1.example.net"
)
_CNAME_LOOP = "CNAME chain too long (a loop?)"

_Key = tuple[str, RdType]


def parse_nameserver(text: str) -> tuple[str, int]:
    """``"HOST[:PORT]"`` as ``(address, port)``; the port defaults to 53.

    HOST is an IPv4 address, a bare IPv6 address, an IPv6 address in brackets
    when a port follows, or a host name, looked up once here by the system
    (``/etc/hosts``, then its resolvers) and asked at its first address.
    Raises ``UsageError`` naming the bad value.
    """
    value = text.strip()
    port_text: str | None = None
    if value.startswith("["):
        host, bracket, rest = value[1:].partition("]")
        if not bracket:
            raise UsageError(f"bad nameserver {text!r}: no closing ']'; {_NAMESERVER_FORMS}")
        if rest:
            if not rest.startswith(":"):
                raise UsageError(
                    f"bad nameserver {text!r}: ':PORT' must follow ']'; {_NAMESERVER_FORMS}"
                )
            port_text = rest[1:]
    elif value.count(":") == 1:
        host, _, port_text = value.partition(":")
    else:
        host = value
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        if value.startswith("[") or not _is_host_name(host):
            raise UsageError(
                f"bad nameserver {text!r}: {host!r} is neither an IP address nor a host "
                f"name; {_NAMESERVER_FORMS}"
            ) from None
        address = _address_of(text, host)
    if value.startswith("[") and address.version != 6:
        raise UsageError(
            f"bad nameserver {text!r}: brackets are for IPv6 addresses; {_NAMESERVER_FORMS}"
        )
    port = DEFAULT_PORT
    if port_text is not None:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise UsageError(
                f"bad nameserver {text!r}: port {port_text!r} is not a number from 1 to "
                f"65535; {_NAMESERVER_FORMS}"
            )
        port = int(port_text)
    return str(address), port


# A host name a user may type: LDH labels, dots between them, an optional final dot.
_HOST_NAME = re.compile(r"(?=.{1,253}\.?$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*"
                        r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.?", re.IGNORECASE)


def _is_host_name(host: str) -> bool:
    # A last label of digits only is a mistyped address (192.0.2.300), not a name:
    # no top-level domain is numeric (RFC 3696 2).
    return bool(_HOST_NAME.fullmatch(host)) and not host.rstrip(".").rpartition(".")[2].isdigit()


def _address_of(text: str, host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """The first address the system gives for ``host``, or a ``UsageError``."""
    try:
        found = socket.getaddrinfo(host, None, type=socket.SOCK_DGRAM)
    except (socket.gaierror, UnicodeError) as error:
        reason = error.strerror if isinstance(error, socket.gaierror) else str(error)
        raise UsageError(
            f"bad nameserver {text!r}: host name {host!r} does not resolve ({reason}); "
            "give the server's IP address"
        ) from None
    # getaddrinfo may add a zone index (fe80::1%eth0); the address is what precedes it.
    return ipaddress.ip_address(str(found[0][4][0]).partition("%")[0])


def system_nameservers(resolv_conf: Path | str = "/etc/resolv.conf") -> list[tuple[str, int]]:
    """The name servers of ``resolv_conf``, as ``(address, port)``.

    Raises ``UsageError`` when there are none.
    """
    fix = "give one with nameserver=HOST[:PORT] (--nameserver on the command line)"
    try:
        config = dns.resolver.Resolver(filename=str(resolv_conf), configure=True)
    except dns.resolver.NoResolverConfiguration as error:
        cause = error.__cause__ or error.__context__
        if isinstance(cause, OSError):
            reason = cause.strerror or str(cause)
            raise UsageError(
                f"no name server: cannot read {resolv_conf} ({reason}); {fix}"
            ) from None
        raise UsageError(f"no name server in {resolv_conf}; {fix}") from None
    except (dns.exception.DNSException, OSError) as error:
        raise UsageError(f"no name server: cannot read {resolv_conf} ({error}); {fix}") from None
    servers = [(str(server), config.port) for server in config.nameservers]
    if not servers:
        raise UsageError(f"no name server in {resolv_conf}; {fix}")
    return servers


@dataclass
class LiveStats:
    """What a ``LiveResolver`` did during its run."""

    queries: int = 0
    """Every DNS message sent: first tries, retries and TCP retries."""
    retries: int = 0
    """Of ``queries``, UDP re-sends after a timeout or a network error."""
    tcp_retries: int = 0
    """Of ``queries``, TCP re-asks after a truncated UDP answer."""
    questions: int = 0
    """Distinct (name, type) questions sent to the network."""
    cache_hits: int = 0
    """Questions answered from the cache, or by joining a query in flight."""
    failures: int = 0
    """Distinct questions that could not be answered (cached as failures)."""


class LiveResolver:
    """Answers questions by asking DNS servers (see the module's docstring)."""

    def __init__(
        self,
        nameserver: str | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        retries: int = DEFAULT_RETRIES,
        concurrency: int = 32,
        udp_payload: int | None = 1232,
        resolv_conf: Path | str = "/etc/resolv.conf",
    ) -> None:
        """``udp_payload`` is the EDNS buffer size offered; ``None`` sends no EDNS
        (answers over 512 octets are then truncated and asked again over TCP)."""
        if timeout <= 0:
            raise UsageError(f"bad timeout {timeout!r}: give a number of seconds above 0")
        if retries < 0:
            raise UsageError(f"bad retries {retries!r}: give 0 or more")
        if concurrency < 1:
            raise UsageError(f"bad concurrency {concurrency!r}: give 1 or more")
        if udp_payload is not None and not 512 <= udp_payload <= 65535:
            raise UsageError(f"bad udp_payload {udp_payload!r}: give 512 to 65535, or None")
        self._servers = (
            [parse_nameserver(nameserver)]
            if nameserver is not None
            else system_nameservers(resolv_conf)
        )
        self.timeout = timeout
        self.retries = retries
        self.concurrency = concurrency
        self.udp_payload = udp_payload
        self.stats = LiveStats()
        self._done: dict[_Key, dns.message.Message | DnsError] = {}
        self._inflight: dict[_Key, asyncio.Task[dns.message.Message]] = {}
        self._semaphore: asyncio.Semaphore | None = None
        self._semaphore_loop: asyncio.AbstractEventLoop | None = None
        self._channels: dict[tuple[str, int], _UdpChannel] = {}

    @property
    def nameservers(self) -> tuple[tuple[str, int], ...]:
        """The servers asked, in order, as ``(address, port)``."""
        return tuple(self._servers)

    async def resolve(self, name: str, rdtype: RdType) -> Answer:
        asked = normalize_name(name)
        rdtype = RdType(rdtype)
        wanted = dns.rdatatype.from_text(rdtype.value)
        current = asked
        seen = {asked}
        hops = 0
        while True:
            try:
                response = await self._message(current, rdtype)
            except DnsError as error:
                if current == asked:
                    raise
                raise DnsError(asked, rdtype, f"CNAME target {current}: {error.reason}") from None
            if response is None:  # not a name DNS can carry: it does not exist
                return Answer(asked, rdtype, (), nxdomain=True)
            asked_here = current
            found = _answer_rrsets(response)
            while True:
                rrset = found.get((current, wanted))
                if rrset is not None:
                    records = tuple(sorted({rdata_text(rdata) for rdata in rrset}))
                    return Answer(asked, rdtype, records)
                cname = (
                    None if rdtype is RdType.CNAME else found.get((current, dns.rdatatype.CNAME))
                )
                if cname is None:
                    break
                target = normalize_name(cname[0].target.to_text())
                hops += 1
                if hops >= MAX_CNAME_CHAIN or target in seen:
                    raise DnsError(asked, rdtype, _CNAME_LOOP)
                seen.add(target)
                current = target
            if response.rcode() == dns.rcode.NXDOMAIN:
                return Answer(asked, rdtype, (), nxdomain=True)
            if current == asked_here or _soa_covers(response, current):
                return Answer(asked, rdtype, ())
            # The chain left the server's zone without an answer: ask for the target.

    async def _message(self, name: str, rdtype: RdType) -> dns.message.Message | None:
        """The server's response to one question: sent once, shared, cached."""
        key = (name, rdtype)
        done = self._done.get(key)
        if done is not None:
            self.stats.cache_hits += 1
            if isinstance(done, DnsError):
                raise DnsError(done.name, done.rdtype, done.reason)
            return done
        task = self._inflight.get(key)
        if task is not None:
            self.stats.cache_hits += 1
        else:
            try:
                qname = dns.name.from_text(name + "." if name else ".")
                qname.to_wire()
            except dns.exception.DNSException:
                return None
            self.stats.questions += 1
            task = asyncio.ensure_future(self._ask(key, qname))
            task.add_done_callback(_retrieve)
            self._inflight[key] = task
        return await asyncio.shield(task)

    async def _ask(self, key: _Key, qname: dns.name.Name) -> dns.message.Message:
        try:
            result: dns.message.Message | DnsError = await self._query(key, qname)
        except DnsError as error:
            result = error
            self.stats.failures += 1
        finally:
            self._inflight.pop(key, None)
        self._done[key] = result
        if isinstance(result, DnsError):
            raise result
        return result

    def _bound(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        if self._semaphore is None or self._semaphore_loop is not loop:
            self._semaphore = asyncio.Semaphore(self.concurrency)
            self._semaphore_loop = loop
            self._channels = {}  # sockets belong to the loop that opened them
        return self._semaphore

    def _channel(self, server: tuple[str, int]) -> _UdpChannel:
        channel = self._channels.get(server)
        if channel is None:
            channel = self._channels[server] = _UdpChannel(server)
        return channel

    async def _query(self, key: _Key, qname: dns.name.Name) -> dns.message.Message:
        name, rdtype = key
        failures: dict[tuple[str, int], str] = {}
        refused: set[tuple[str, int]] = set()
        for attempt in range(self.retries + 1):
            for server in self._servers:
                if server in refused:
                    continue
                response = await self._send(qname, rdtype, server, attempt, failures)
                if response is None:
                    continue
                rcode = response.rcode()
                if rcode == dns.rcode.NXDOMAIN or (
                    rcode == dns.rcode.NOERROR and not _is_referral(response)
                ):
                    return response
                # The server answered, and will answer the same again: try the others.
                if rcode == dns.rcode.NOERROR:
                    failures[server] = (
                        f"referral from {_where(server)}: it neither recurses nor serves "
                        f"{name or '.'}; ask a recursive resolver or the zone's own server"
                    )
                else:
                    failures[server] = f"{dns.rcode.to_text(rcode)} from {_where(server)}"
                refused.add(server)
            if len(refused) == len(self._servers):
                break
        reasons = list(dict.fromkeys(failures.values()))
        raise DnsError(name, rdtype, "; ".join(reasons) or "no name server to ask")

    async def _send(
        self,
        qname: dns.name.Name,
        rdtype: RdType,
        server: tuple[str, int],
        attempt: int,
        failures: dict[tuple[str, int], str],
    ) -> dns.message.Message | None:
        """One UDP query (and its TCP retry when truncated), or None with the failure noted."""
        host, port = server
        query = dns.message.make_query(
            qname,
            rdtype.value,
            use_edns=0 if self.udp_payload is not None else False,
            payload=self.udp_payload,
        )
        tries = attempt + 1
        async with self._bound():
            self.stats.queries += 1
            if attempt:
                self.stats.retries += 1
            try:
                response = await self._channel(server).ask(query, self.timeout)
            except TimeoutError:
                tried = "1 try" if tries == 1 else f"{tries} tries"
                failures[server] = (
                    f"no answer from {_where(server)} (timed out after {self.timeout:g} s, {tried})"
                )
                return None
            except (OSError, dns.exception.DNSException) as error:
                failures[server] = f"no answer from {_where(server)} ({_describe(error)})"
                return None
            if not response.flags & dns.flags.TC:
                return response
            self.stats.queries += 1
            self.stats.tcp_retries += 1
            try:
                return await dns.asyncquery.tcp(query, host, timeout=self.timeout, port=port)
            except dns.exception.Timeout:
                failures[server] = (
                    f"truncated UDP answer from {_where(server)}, and TCP timed out "
                    f"after {self.timeout:g} s"
                )
            except (OSError, dns.exception.DNSException) as error:
                failures[server] = (
                    f"truncated UDP answer from {_where(server)}, and TCP failed "
                    f"({_describe(error)})"
                )
            return None


class _UdpChannel(asyncio.DatagramProtocol):
    """One UDP socket to one server, shared by every query in flight to it.

    Opening a socket per query (as ``dns.asyncquery.udp`` does) costs more than
    the query itself when thousands are sent; here responses are matched to
    their queries by ID and question instead, and anything else that arrives
    is ignored. The socket closes when no query is waiting, so a run leaves
    none open behind it.
    """

    def __init__(self, server: tuple[str, int]) -> None:
        self.server = server
        self.transport: asyncio.DatagramTransport | None = None
        self.opening: asyncio.Future[None] | None = None
        self.pending: dict[int, tuple[dns.message.Message, asyncio.Future[dns.message.Message]]]
        self.pending = {}

    async def ask(self, query: dns.message.Message, timeout: float) -> dns.message.Message:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[dns.message.Message] = loop.create_future()
        while True:  # an ID no other query in flight uses
            query.id = secrets.randbelow(65536)
            if query.id not in self.pending:
                break
        self.pending[query.id] = (query, future)
        try:
            await self._open()
            assert self.transport is not None
            self.transport.sendto(query.to_wire())
            return await asyncio.wait_for(future, timeout)
        finally:
            if self.pending.get(query.id, (None, None))[1] is future:
                del self.pending[query.id]
            if not self.pending and self.transport is not None:
                self.transport.close()
                self.transport = None

    async def _open(self) -> None:
        if self.transport is not None:
            return
        opening = self.opening
        if opening is None:
            opening = self.opening = asyncio.ensure_future(self._connect())
        try:
            await asyncio.shield(opening)
        finally:
            if opening.done() and self.opening is opening:
                self.opening = None

    async def _connect(self) -> None:
        host, port = self.server
        transport, _ = await asyncio.get_running_loop().create_datagram_endpoint(
            lambda: self, remote_addr=(host, port))
        self.transport = transport

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        if len(data) < 12:
            return
        entry = self.pending.get(int.from_bytes(data[:2], "big"))
        if entry is None:
            return  # late, or not ours
        query, future = entry
        try:
            response = dns.message.from_wire(data)
        except dns.exception.DNSException:
            return
        if query.is_response(response) and not future.done():
            future.set_result(response)

    def error_received(self, exc: Exception) -> None:
        # An ICMP error (port unreachable: nothing listens) fails what waits on this socket.
        for _, future in list(self.pending.values()):
            if not future.done():
                future.set_exception(exc)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None


def _answer_rrsets(response: dns.message.Message) -> dict[tuple[str, int], dns.rrset.RRset]:
    return {
        (normalize_name(rrset.name.to_text()), rrset.rdtype): rrset
        for rrset in response.answer
        if rrset.rdclass == dns.rdataclass.IN
    }


def _is_referral(response: dns.message.Message) -> bool:
    """A NOERROR answer that only points elsewhere (NS, no SOA, not authoritative)."""
    if response.answer or response.flags & dns.flags.AA:
        return False
    types = {rrset.rdtype for rrset in response.authority}
    return dns.rdatatype.NS in types and dns.rdatatype.SOA not in types


def _soa_covers(response: dns.message.Message, name: str) -> bool:
    """Whether the response's authority holds the SOA of a zone that ``name`` is in."""
    for rrset in response.authority:
        if rrset.rdtype != dns.rdatatype.SOA:
            continue
        zone = normalize_name(rrset.name.to_text())
        if not zone or name == zone or name.endswith("." + zone):
            return True
    return False


def _where(server: tuple[str, int]) -> str:
    host, port = server
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _describe(error: BaseException) -> str:
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror.lower()
    return str(error) or type(error).__name__


def _retrieve(task: asyncio.Task[dns.message.Message]) -> None:
    """Mark a task's failure as seen, so a question no one awaits any more logs nothing."""
    if not task.cancelled():
        task.exception()
