"""A resolver that asks DNS servers: UDP on one socket per server, TCP after truncation.

``LiveResolver`` sends each question to a name server over UDP (TCP when the
answer comes back truncated) and keeps what it learns for the rest of the run:

- each (name, type) is sent once: answers *and failures* are cached, and
  concurrent askers of the same question share the one query in flight. The
  cache keeps the ``cache_size`` responses used last (2,048 by default): the
  records many domains share (providers' includes) are used all the time and
  stay, a domain's own are asked by that domain alone (which keeps its answers
  while it is checked), and a run over a million domains does not hold a
  million domains' answers. A question asked again after its response left the
  cache is sent again;
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

Queries and responses, over UDP and TCP, are encoded and read by ``mailzone.dns.wire``
(dnspython for anything unusual). A question in flight is a few small objects with
callbacks (``submit``) and a place in one queue of deadlines; ``resolve`` awaits one
future on top of that.

The server is ``nameserver="HOST[:PORT]"`` (see ``parse_nameserver``), else the
servers of ``/etc/resolv.conf``. ``stats`` counts what was sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import os
import re
import socket
import time
from array import array
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, cast

import dns.exception
import dns.rcode

from mailzone.dns import wire
from mailzone.dns.memory import MAX_CNAME_CHAIN
from mailzone.dns.resolver import (
    DEFAULT_RETRIES,
    DEFAULT_TIMEOUT,
    Answer,
    RdType,
    normalize_name,
)
from mailzone.errors import DnsError, UsageError

DEFAULT_PORT = 53
#: Responses a resolver keeps (see the module's docstring).
DEFAULT_CACHE_SIZE = 2048
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
    import dns.resolver  # here: with --nameserver, a run never loads it

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
    """Answers questions by asking DNS servers (see the module's docstring).

    Two faces: ``resolve`` (async, the ``Resolver`` protocol) and ``submit`` (the
    ``CallbackResolver`` protocol), on which ``resolve`` is built: a question is a
    few small objects and callbacks, not a chain of coroutines and futures, which
    is what lets ``mailzone check`` ask thousands of them at the speed of the wire.
    """

    def __init__(
        self,
        nameserver: str | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        retries: int = DEFAULT_RETRIES,
        concurrency: int = 32,
        udp_payload: int | None = 1232,
        resolv_conf: Path | str = "/etc/resolv.conf",
        cache_size: int = DEFAULT_CACHE_SIZE,
    ) -> None:
        """``udp_payload`` is the EDNS buffer size offered; ``None`` sends no EDNS
        (answers over 512 octets are then truncated and asked again over TCP).
        ``cache_size``: responses kept (see the module's docstring)."""
        if timeout <= 0:
            raise UsageError(f"bad timeout {timeout!r}: give a number of seconds above 0")
        if retries < 0:
            raise UsageError(f"bad retries {retries!r}: give 0 or more")
        if concurrency < 1:
            raise UsageError(f"bad concurrency {concurrency!r}: give 1 or more")
        if udp_payload is not None and not 512 <= udp_payload <= 65535:
            raise UsageError(f"bad udp_payload {udp_payload!r}: give 512 to 65535, or None")
        if cache_size < 1:
            raise UsageError(f"bad cache_size {cache_size!r}: give 1 or more")
        self._servers = (
            [parse_nameserver(nameserver)]
            if nameserver is not None
            else system_nameservers(resolv_conf)
        )
        self.timeout = timeout
        self.retries = retries
        self.concurrency = concurrency
        self.udp_payload = udp_payload
        self.cache_size = cache_size
        self.stats = LiveStats()
        # Responses (and failures) by question, least recently used first.
        self._done: OrderedDict[_Key, wire.Reply | DnsError] = OrderedDict()
        # Questions in flight: what to call back when their response is in.
        self._waiting: dict[_Key, list[Callable[[wire.Reply | DnsError], None]]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._channels: dict[tuple[str, int], _UdpChannel] = {}
        self._active = 0  # queries in flight, at most ``concurrency``
        self._backlog: deque[tuple[_Query, tuple[str, int]]] = deque()
        self._deadlines: _Deadlines | None = None

    @property
    def nameservers(self) -> tuple[tuple[str, int], ...]:
        """The servers asked, in order, as ``(address, port)``."""
        return tuple(self._servers)

    async def resolve(self, name: str, rdtype: RdType) -> Answer:
        future: asyncio.Future[Answer | DnsError] = asyncio.get_running_loop().create_future()

        def done(outcome: Answer | DnsError) -> None:
            if not future.done():
                future.set_result(outcome)

        outcome = self.submit(name, rdtype, done)
        if outcome is None:
            outcome = await future
        if isinstance(outcome, DnsError):
            raise outcome.fresh()
        return outcome

    def submit(self, name: str, rdtype: RdType,
               done: Callable[[Answer | DnsError], None]) -> Answer | DnsError | None:
        """The outcome now when it is known; else None, and ``done`` gets it later, from
        the event loop (never from inside this call). A ``DnsError`` is the outcome's own
        object, fresh for each question asked."""
        if rdtype.__class__ is not RdType:
            rdtype = RdType(rdtype)
        key = (normalize_name(name), rdtype)
        cached = self._done.get(key)
        if isinstance(cached, wire.Reply) and cached.own is not None:
            # Read before from this response alone (no CNAME to another): the answer.
            self.stats.cache_hits += 1
            self._done.move_to_end(key)
            return cached.own
        self._bind()
        return _Resolution(self, key[0], rdtype, done).start()

    # -- responses: the cache, the questions in flight -----------------------------------

    def _bind(self) -> None:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            # Sockets, timers and waiting callbacks belong to the loop that made them:
            # an earlier loop's sockets (queries were left in flight) are closed now.
            for channel in self._channels.values():
                channel.abandon()
            self._loop = loop
            self._channels = {}
            self._waiting = {}
            self._active = 0
            self._backlog.clear()
            self._deadlines = _Deadlines(loop, self.timeout)

    def _message(self, key: _Key, then: Callable[[wire.Reply | DnsError], None]
                 ) -> wire.Reply | DnsError | _NoName | None:
        """The server's response to one question, now (cached) or later (``then``)."""
        done = self._done.get(key)
        if done is not None:
            self.stats.cache_hits += 1
            self._done.move_to_end(key)
            return done
        waiting = self._waiting.get(key)
        if waiting is not None:
            self.stats.cache_hits += 1
            waiting.append(then)
            return None
        name, rdtype = key
        question = wire.encode_question(name, _TYPE_CODES[rdtype], self.udp_payload)
        if question is None:
            return _NO_NAME
        self.stats.questions += 1
        self._waiting[key] = [then]
        _Query(self, key, question).next()
        return None

    def _answered(self, key: _Key, outcome: wire.Reply | DnsError) -> None:
        if isinstance(outcome, DnsError):
            self.stats.failures += 1
        self._done[key] = outcome
        if len(self._done) > self.cache_size:
            self._done.popitem(last=False)
        for then in self._waiting.pop(key, ()):
            try:
                then(outcome)
            except Exception as exc:  # a bug in one asker must not starve the others
                assert self._loop is not None
                self._loop.call_exception_handler({
                    "message": f"mailzone: callback for {key[0]} {key[1]} failed",
                    "exception": exc})

    # -- queries: the concurrency bound, the sockets ---------------------------------------

    def _dispatch(self, query: _Query, server: tuple[str, int]) -> None:
        if self._active >= self.concurrency:
            self._backlog.append((query, server))
            return
        self._active += 1
        query.send(server)

    def _release(self) -> None:
        self._active -= 1
        while self._backlog and self._active < self.concurrency:
            query, server = self._backlog.popleft()
            self._active += 1
            query.send(server)

    def _channel(self, server: tuple[str, int]) -> _UdpChannel:
        channel = self._channels.get(server)
        if channel is None:
            assert self._loop is not None
            channel = self._channels[server] = _UdpChannel(server, self._loop)
        return channel


class _NoName:
    """The response to a name DNS cannot carry: there is none, the name does not exist."""


_NO_NAME: Final = _NoName()
_NXDOMAIN: Final = int(dns.rcode.NXDOMAIN)
_NOERROR: Final = int(dns.rcode.NOERROR)
_TYPE_CODES: Final = {RdType.A: wire.A, RdType.AAAA: wire.AAAA, RdType.MX: wire.MX,
                      RdType.TXT: wire.TXT, RdType.PTR: wire.PTR, RdType.CNAME: wire.CNAME,
                      RdType.NS: wire.NS}


class _Resolution:
    """One question's answer, read from its response and those of CNAME targets."""

    __slots__ = ("asked", "current", "done", "hops", "rdtype", "resolver", "seen", "wanted")

    def __init__(self, resolver: LiveResolver, asked: str, rdtype: RdType,
                 done: Callable[[Answer | DnsError], None]) -> None:
        self.resolver = resolver
        self.asked = asked
        self.rdtype = rdtype
        self.wanted = _TYPE_CODES[rdtype]
        self.current = asked
        self.seen = {asked}
        self.hops = 0
        self.done = done

    def start(self) -> Answer | DnsError | None:
        response = self.resolver._message((self.asked, self.rdtype), self.arrived)
        return None if response is None else self.read(response)

    def arrived(self, response: wire.Reply | DnsError) -> None:
        outcome = self.read(response)
        if outcome is not None:
            self.done(outcome)

    def read(self, response: wire.Reply | DnsError | _NoName) -> Answer | DnsError | None:
        asked, rdtype = self.asked, self.rdtype
        while True:
            current = self.current
            if isinstance(response, DnsError):
                if current == asked:
                    return DnsError(response.name, response.rdtype, response.reason)
                return DnsError(asked, rdtype, f"CNAME target {current}: {response.reason}")
            if isinstance(response, _NoName):
                return Answer(asked, rdtype, (), nxdomain=True)
            own = response.own if current == asked else None
            if own is not None:
                return own
            asked_here = current
            found = response.answer
            answer: Answer | None
            while True:
                records = found.get((current, self.wanted))
                if records is not None:
                    answer = Answer(asked, rdtype, tuple(sorted(set(records))))
                    break
                cname = None if rdtype is RdType.CNAME else found.get((current, wire.CNAME))
                if cname is None:
                    answer = None
                    break
                target = cname[0]
                self.hops += 1
                if self.hops >= MAX_CNAME_CHAIN or target in self.seen:
                    return DnsError(asked, rdtype, _CNAME_LOOP)
                self.seen.add(target)
                current = self.current = target
            if answer is None:
                if response.rcode == _NXDOMAIN:
                    answer = Answer(asked, rdtype, (), nxdomain=True)
                elif current == asked_here or _soa_covers(response, current):
                    answer = Answer(asked, rdtype, ())
            if answer is not None:
                if asked_here == asked:
                    response.own = answer  # read from its own response alone: kept with it
                return answer
            # The chain left the server's zone without an answer: ask for the target.
            next_response = self.resolver._message((current, rdtype), self.arrived)
            if next_response is None:
                return None
            response = next_response


class _Query:
    """One question on the network: servers in turn, resends, TCP after truncation."""

    __slots__ = (
        "attempt",
        "channel",
        "failures",
        "index",
        "key",
        "qid",
        "question",
        "refused",
        "resolver",
        "sends",
        "server",
        "waiting",
    )

    def __init__(self, resolver: LiveResolver, key: _Key, question: wire.Question) -> None:
        self.resolver = resolver
        self.key = key
        self.question = question
        self.attempt = 0
        self.index = 0
        self.failures: dict[tuple[str, int], str] = {}
        self.refused: set[tuple[str, int]] = set()
        self.server: tuple[str, int] = ("", 0)
        self.channel: _UdpChannel | None = None
        self.qid = 0
        self.sends = 0  # which send a deadline is for
        self.waiting = False  # for an answer to the last send

    def next(self) -> None:
        """Send to the next server that has not refused, or fail the question."""
        resolver = self.resolver
        servers = resolver._servers
        while self.attempt <= resolver.retries:
            while self.index < len(servers):
                server = servers[self.index]
                self.index += 1
                if server not in self.refused:
                    resolver._dispatch(self, server)
                    return
            if len(self.refused) == len(servers):
                break
            self.attempt += 1
            self.index = 0
        name, rdtype = self.key
        reasons = list(dict.fromkeys(self.failures.values()))
        resolver._answered(self.key, DnsError(name, rdtype,
                                              "; ".join(reasons) or "no name server to ask"))

    def send(self, server: tuple[str, int]) -> None:
        resolver = self.resolver
        resolver.stats.queries += 1
        if self.attempt:
            resolver.stats.retries += 1
        self.server = server
        channel = self.channel = resolver._channel(server)
        self.qid = channel.send(self, self.question)
        self.sends += 1
        self.waiting = True
        assert resolver._deadlines is not None
        resolver._deadlines.add(self)

    def _settled(self) -> None:
        self.waiting = False

    def timed_out(self) -> None:
        self.waiting = False
        assert self.channel is not None
        self.channel.forget(self.qid)
        tries = self.attempt + 1
        tried = "1 try" if tries == 1 else f"{tries} tries"
        self.failures[self.server] = (f"no answer from {_where(self.server)} (timed out after "
                                      f"{self.resolver.timeout:g} s, {tried})")
        self.resolver._release()
        self.next()

    def failed(self, error: BaseException) -> None:
        """The socket failed (an ICMP error: nothing listens there, say)."""
        self._settled()
        self.failures[self.server] = f"no answer from {_where(self.server)} ({_describe(error)})"
        self.resolver._release()
        self.next()

    def replied(self, reply: wire.Reply) -> None:
        self._settled()
        if reply.flags & wire.TC:
            self.resolver.stats.queries += 1
            self.resolver.stats.tcp_retries += 1
            asyncio.ensure_future(self._over_tcp()).add_done_callback(_retrieve)
            return
        self.resolver._release()
        self.judge(reply)

    async def _over_tcp(self) -> None:
        """Ask again over TCP (a truncated answer is rare), in the same slot."""
        reply: wire.Reply | None = None
        try:
            reply = await asyncio.wait_for(_tcp_exchange(self.server, self.qid, self.question),
                                           self.resolver.timeout)
        except TimeoutError:
            self.failures[self.server] = (
                f"truncated UDP answer from {_where(self.server)}, and TCP timed out "
                f"after {self.resolver.timeout:g} s")
        except (OSError, EOFError, ValueError) as error:
            self.failures[self.server] = (
                f"truncated UDP answer from {_where(self.server)}, and TCP failed "
                f"({_describe(error)})")
        self.resolver._release()
        if reply is None:
            self.next()
        else:
            self.judge(reply)

    def judge(self, reply: wire.Reply) -> None:
        rcode = reply.rcode
        if rcode == _NXDOMAIN or (rcode == _NOERROR and not _is_referral(reply)):
            self.resolver._answered(self.key, reply)
            return
        # The server answered, and will answer the same again: try the others.
        server = self.server
        if rcode == _NOERROR:
            self.failures[server] = (
                f"referral from {_where(server)}: it neither recurses nor serves "
                f"{self.key[0] or '.'}; ask a recursive resolver or the zone's own server")
        else:
            text = dns.rcode.to_text(dns.rcode.Rcode.make(rcode))
            self.failures[server] = f"{text} from {_where(server)}"
        self.refused.add(server)
        self.next()


#: Datagrams read in one turn of the loop at most, so that timers and other sockets are
#: not kept waiting behind a busy server.
_DRAIN: Final = 64


_CLOCK_TICK: Final = time.get_clock_info("monotonic").resolution


class _Deadlines:
    """When each query sent stops waiting: one timer for all of them.

    Every query waits the same ``timeout``, so their deadlines come in the order they
    were sent: a queue, and a timer for the earliest still waiting, instead of a timer
    of the loop's per query, made and cancelled again for nearly every one.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, timeout: float) -> None:
        self.loop = loop
        self.timeout = timeout
        self.queue: deque[tuple[float, _Query, int]] = deque()
        self.timer: asyncio.TimerHandle | None = None

    def add(self, query: _Query) -> None:
        self._prune()
        self.queue.append((self.loop.time() + self.timeout, query, query.sends))
        if self.timer is None:
            self._arm()

    def _prune(self) -> None:
        # The answered ones at the head go: the queue holds no query longer than the
        # oldest one still waiting (nearly all are answered long before their time).
        queue = self.queue
        while queue and not _still_waiting(queue[0]):
            queue.popleft()

    def _arm(self) -> None:
        self._prune()
        queue = self.queue
        self.timer = self.loop.call_at(queue[0][0], self._expire) if queue else None

    def _expire(self) -> None:
        # The loop runs a timer up to one tick of its clock early (as asyncio reckons it).
        queue, now = self.queue, self.loop.time() + _CLOCK_TICK
        while queue and queue[0][0] <= now:
            entry = queue.popleft()
            if _still_waiting(entry):
                entry[1].timed_out()
        self._arm()


def _still_waiting(entry: tuple[float, _Query, int]) -> bool:
    _, query, sends = entry
    return query.waiting and query.sends == sends


class _UdpChannel(asyncio.DatagramProtocol):
    """One UDP socket to one server, shared by every query in flight to it.

    Opening a socket per query (as ``dns.asyncquery.udp`` does) costs more than
    the query itself when thousands are sent; here responses are matched to
    their queries by ID and question instead, and anything else that arrives
    is ignored. The socket closes when no query is waiting, so a run leaves
    none open behind it.

    The socket is the channel's own, watched by the loop (``add_reader``): when it
    is readable every datagram waiting is read in one go, and the queries the
    answers lead to go out together once they are read, so that the server wakes
    once for a burst instead of once per query (on a loop without readers, as
    Windows' proactor, asyncio's datagram transport carries the same calls).
    """

    def __init__(self, server: tuple[str, int], loop: asyncio.AbstractEventLoop) -> None:
        self.server = server
        self.loop = loop
        self.sock: socket.socket | None = None  # the socket the loop watches
        self.transport: asyncio.DatagramTransport | None = None  # or asyncio's transport
        self.opening = False  # asyncio's transport is being made
        self.closing = False
        self.outbox: list[bytes] = []  # datagrams to send once the current callbacks end
        self.flush_due = False
        self.blocked = False  # the socket's buffer is full: waiting for room
        self.pending: dict[int, _Query] = {}
        self.ids: list[int] = []

    def send(self, query: _Query, question: wire.Question) -> int:
        """Send ``question`` for ``query`` (as soon as the current callbacks are done);
        the ID it goes with."""
        while True:  # an ID no other query in flight uses
            if not self.ids:
                # Unpredictable IDs, drawn from the system's source 512 at a time.
                self.ids = array("H", os.urandom(1024)).tolist()
            qid = self.ids.pop()
            if qid not in self.pending:
                break
        self.pending[qid] = query
        self.outbox.append(wire.query(qid, question))
        if not self.flush_due:
            self.flush_due = True
            self.loop.call_soon(self._flush)
        return qid

    def forget(self, qid: int) -> None:
        self.pending.pop(qid, None)
        self._idle()

    # -- the socket ---------------------------------------------------------------------------

    def _flush(self) -> None:
        self.flush_due = False
        if not self.outbox or self.blocked or self.opening:
            return
        if self.transport is not None:
            outbox, self.outbox = self.outbox, []
            for datagram in outbox:
                self.transport.sendto(datagram)
            return
        sock = self.sock if self.sock is not None else self._open()
        if sock is None:
            return
        outbox = self.outbox
        sent = 0
        try:
            for datagram in outbox:
                sock.send(datagram)
                sent += 1
        except BlockingIOError:  # the buffer is full: the rest when there is room
            del outbox[:sent]
            self.blocked = True
            self.loop.add_writer(sock.fileno(), self._writable)
            return
        except OSError as error:
            # An earlier datagram's ICMP error, reported here (port unreachable: nothing
            # listens); the queries waiting are failed and go on to their next try.
            outbox.clear()
            self.error_received(error)
            return
        outbox.clear()

    def _writable(self) -> None:
        self.blocked = False
        if self.sock is not None:
            self.loop.remove_writer(self.sock.fileno())
        self._flush()

    def _open(self) -> socket.socket | None:
        """The socket, now; None when it failed (and the queries with it) or when
        asyncio's transport is being made for it instead."""
        host, port = self.server
        try:
            sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET,
                                 socket.SOCK_DGRAM)
        except OSError as error:
            self.outbox.clear()
            self.error_received(error)
            return None
        try:
            sock.setblocking(False)
            sock.connect((host, port))  # connected: the kernel's ICMP errors are heard
            self.loop.add_reader(sock.fileno(), self._readable)
        except NotImplementedError:  # a loop without readers
            self.opening = True
            self.loop.create_task(self._open_transport(sock)).add_done_callback(_retrieve)
            return None
        except OSError as error:
            sock.close()
            self.outbox.clear()
            self.error_received(error)
            return None
        self.sock = sock
        return sock

    async def _open_transport(self, sock: socket.socket) -> None:
        try:
            await self.loop.create_datagram_endpoint(lambda: self, sock=sock)
        except Exception as error:  # whatever it is, the queries fail with it
            sock.close()
            self.opening = False
            self.outbox.clear()
            self.error_received(error)

    def abandon(self) -> None:
        """Close the socket of a loop that has ended (nothing of it can run any more)."""
        self.pending.clear()
        self._close()

    def _readable(self) -> None:
        sock = self.sock
        if sock is None:
            return
        for _ in range(_DRAIN):
            try:
                data = sock.recv(65535)
            except (BlockingIOError, InterruptedError):
                break
            except OSError as error:
                self.error_received(error)
                break
            self.datagram_received(data, self.server)
        self._flush()  # what the answers asked for goes out now, together

    def _close(self) -> None:
        sock, self.sock = self.sock, None
        if sock is not None:
            self.loop.remove_reader(sock.fileno())
            if self.blocked:
                self.loop.remove_writer(sock.fileno())
            sock.close()
        self.blocked = False
        self.outbox.clear()
        transport, self.transport = self.transport, None
        if transport is not None:
            with contextlib.suppress(RuntimeError):  # its loop has ended (``abandon``)
                transport.close()
            raw = transport.get_extra_info("socket")
            if raw is not None:
                raw.close()

    # -- what arrives ---------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)
        self.opening = False
        self._flush()

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        if len(data) < 12:
            return
        qid = (data[0] << 8) | data[1]
        query = self.pending.get(qid)
        if query is None:
            return  # late, or not ours
        reply = wire.decode(data, query.question)
        if reply is None or not reply.answers(query.question, qid):
            return
        del self.pending[qid]
        self._idle()
        query.replied(reply)

    def error_received(self, exc: Exception) -> None:
        # An ICMP error (port unreachable: nothing listens) fails what waits on this socket.
        # The failures are handed over from the loop, as answers are.
        failed = list(self.pending.values())
        self.pending.clear()
        for query in failed:
            query.waiting = False  # failed now: its deadline must not resend it too
        self._idle()
        if failed:
            self.loop.call_soon(_fail_all, failed, exc)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None

    def _idle(self) -> None:
        if (not self.pending and not self.closing
                and (self.sock is not None or self.transport is not None)):
            self.closing = True
            self.loop.call_soon(self._close_if_idle)

    def _close_if_idle(self) -> None:
        # Checked once the current callbacks are done: they often send the next query.
        self.closing = False
        if not self.pending:
            self._close()


async def _tcp_exchange(server: tuple[str, int], qid: int, question: wire.Question
                        ) -> wire.Reply:
    """The response to ``question`` over TCP (RFC 7766: each message after its length in
    two octets), read as UDP responses are; ``ValueError`` when it is not one.

    A plain socket through the loop's ``sock_*`` calls: asyncio's streams would leave a
    transport, a protocol and their buffers in a reference cycle per exchange, for the
    cyclic collector to find much later."""
    host, port = server
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET,
                         socket.SOCK_STREAM)
    try:
        sock.setblocking(False)
        await loop.sock_connect(sock, (host, port))
        datagram = wire.query(qid, question)
        await loop.sock_sendall(sock, len(datagram).to_bytes(2, "big") + datagram)
        received = bytearray()

        async def exactly(size: int) -> bytes:
            while len(received) < size:
                chunk = await loop.sock_recv(sock, 65537)
                if not chunk:
                    raise asyncio.IncompleteReadError(bytes(received), size)
                received.extend(chunk)
            data = bytes(received[:size])
            del received[:size]
            return data

        while True:  # anything else the server sends first is skipped, as over UDP
            length = int.from_bytes(await exactly(2), "big")
            reply = wire.decode(await exactly(length), question)
            if reply is not None and reply.answers(question, qid):
                return reply
            if reply is None:
                raise ValueError("a malformed answer")
    finally:
        sock.close()


def _fail_all(queries: list[_Query], error: Exception) -> None:
    for query in queries:
        query.failed(error)


def _is_referral(reply: wire.Reply) -> bool:
    """A NOERROR answer that only points elsewhere (NS, no SOA, not authoritative)."""
    if reply.has_answer or reply.flags & wire.AA:
        return False
    return reply.authority_ns and not reply.soa_zones


def _soa_covers(reply: wire.Reply, name: str) -> bool:
    """Whether the response's authority holds the SOA of a zone that ``name`` is in."""
    return any(not zone or name == zone or name.endswith("." + zone)
               for zone in reply.soa_zones)


def _where(server: tuple[str, int]) -> str:
    host, port = server
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _describe(error: BaseException) -> str:
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, asyncio.IncompleteReadError):
        return "the server closed the connection before the whole answer"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror.lower()
    return str(error) or type(error).__name__


def _retrieve(task: asyncio.Future[Any]) -> None:
    """Mark a task's failure as seen (it was reported where it happened)."""
    if not task.cancelled():
        task.exception()
