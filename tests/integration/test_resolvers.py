"""LiveResolver against a real DNS server (NSD) serving tests/zones/.

The live resolver must give the same answers as ZoneDirResolver over the same
files, ask each question once, fall back to TCP, and fail fast and clearly.
Tests that start NSD are marked slow; the nameserver parsing tests are not.
"""

from __future__ import annotations

import asyncio
import gc
import ipaddress
import re
import socket
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import dns.flags
import dns.message
import dns.rcode
import dns.rrset
import pytest

from mailzone.dns.live import LiveResolver, _UdpChannel, parse_nameserver, system_nameservers
from mailzone.dns.resolver import Answer, RdType, Resolver
from mailzone.dns.zonedir import ZoneDirResolver
from mailzone.errors import DnsError, UsageError
from tests.nsd import NsdServer, free_port

ZONES = Path(__file__).parent.parent / "zones"

StartNsd = Callable[..., NsdServer]
Outcome = Answer | str  # an Answer, or "DnsError" when none could be had


T = TypeVar("T")


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)


# --- the questions: every name of the zones, every type, and names that are not there ---


def questions(zones: ZoneDirResolver) -> list[tuple[str, RdType]]:
    """Generated from the zone contents: names with records, their parents inside the
    zone (empty non-terminals), names they point at (CNAME, MX, NS, PTR targets and
    SPF include/redirect targets), and one absent name per zone; each with every type."""
    names: set[str] = set()
    for zone in zones.zones:
        names.add(f"absent-name.{zone}")
        for name in zones.names_in(zone):
            names.add(name)
            labels = name.split(".")
            names.update(
                ".".join(labels[i:])
                for i in range(1, len(labels))
                if zones.zone_of(".".join(labels[i:])) == zone
            )
            for rdtype, values in zones.records_at(name).items():
                for value in values:
                    if rdtype is RdType.MX:
                        names.add(value.split(" ", 1)[1])
                    elif rdtype in (RdType.CNAME, RdType.NS, RdType.PTR):
                        names.add(value)
                    elif rdtype is RdType.TXT:
                        names.update(re.findall(r"(?:include:|redirect=)(\S+)", value))
    # Only names the server is authoritative for: outside them NSD refuses (see below).
    inside = sorted(name for name in names if zones.zone_of(name) is not None)
    return [(name, rdtype) for name in inside for rdtype in RdType]


def zonedir_outcome(zones: ZoneDirResolver, name: str, rdtype: RdType) -> Outcome:
    try:
        return zones.answer(name, rdtype)
    except DnsError:
        return "DnsError"


async def live_outcomes(
    resolver: Resolver, asked: list[tuple[str, RdType]]
) -> dict[tuple[str, RdType], Outcome]:
    async def one(name: str, rdtype: RdType) -> Outcome:
        try:
            return await resolver.resolve(name, rdtype)
        except DnsError:
            return "DnsError"

    results = await asyncio.gather(*(one(name, rdtype) for name, rdtype in asked))
    return dict(zip(asked, results, strict=True))


@pytest.fixture(scope="module")
def zones() -> ZoneDirResolver:
    return ZoneDirResolver(ZONES)


@pytest.mark.slow
def test_live_answers_equal_zone_directory_answers(nsd: NsdServer, zones: ZoneDirResolver) -> None:
    asked = questions(zones)
    assert len(asked) > 300  # the zones are not empty, nor the question list
    resolver = LiveResolver(nsd.nameserver, timeout=2.0)
    live = run(live_outcomes(resolver, asked))
    expected = {question: zonedir_outcome(zones, *question) for question in asked}
    mismatches = [
        f"{name} {rdtype}: live {live[(name, rdtype)]!r} != zone files {expected[(name, rdtype)]!r}"
        for name, rdtype in asked
        if live[(name, rdtype)] != expected[(name, rdtype)]
    ]
    assert mismatches == []
    # The comparison covered every kind of answer.
    kinds = {
        "data": any(isinstance(o, Answer) and o.records for o in expected.values()),
        "nxdomain": any(isinstance(o, Answer) and o.nxdomain for o in expected.values()),
        "nodata": any(
            isinstance(o, Answer) and o.void and not o.nxdomain for o in expected.values()
        ),
        "error": "DnsError" in expected.values(),
    }
    assert all(kinds.values()), kinds
    assert resolver.stats.questions >= len(asked)  # CNAMEs out of a zone are asked for too
    assert resolver.stats.failures == 0  # loops are found in answers, not by failing queries


class _LoopWithoutReaders(asyncio.SelectorEventLoop):
    """An event loop that cannot watch a socket, as Windows' proactor."""

    def add_reader(self, *args: Any) -> None:  # type: ignore[override]
        raise NotImplementedError


@pytest.mark.slow
def test_a_loop_without_readers_gets_the_same_answers_through_asyncio_transports(
        nsd: NsdServer, zones: ZoneDirResolver) -> None:
    asked = questions(zones)[:200]
    resolver = LiveResolver(nsd.nameserver, timeout=2.0)
    with asyncio.Runner(loop_factory=_LoopWithoutReaders) as runner:
        live = runner.run(live_outcomes(resolver, asked))
        channels = list(resolver._channels.values())
        # Every socket is closed once no query waits (checked after the loop's callbacks).
        runner.run(asyncio.sleep(0))
    assert live == {question: zonedir_outcome(zones, *question) for question in asked}
    assert channels and all(c.sock is None and c.transport is None for c in channels)


@pytest.mark.slow
def test_a_new_loop_closes_the_sockets_an_ended_one_left_open(
        silent_server: tuple[int, list[bytes]]) -> None:
    port, _ = silent_server
    resolver = LiveResolver(f"127.0.0.1:{port}", timeout=5.0, retries=0)

    async def give_up() -> None:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(resolver.resolve("example.org", RdType.TXT), 0.2)

    run(give_up())  # the loop ends with the query in flight, its socket open
    (channel,) = resolver._channels.values()
    assert channel.sock is not None
    with pytest.raises(TimeoutError):
        run(asyncio.wait_for(resolver.resolve("example.net", RdType.TXT), 0.2))
    assert channel.sock is None and not channel.pending


@pytest.mark.slow
def test_the_socket_is_closed_once_no_query_waits(nsd: NsdServer) -> None:
    resolver = LiveResolver(nsd.nameserver, timeout=2.0)

    async def ask() -> tuple[Answer, _UdpChannel]:
        answer = await resolver.resolve("example.net", RdType.NS)
        (channel,) = resolver._channels.values()
        await asyncio.sleep(0)
        return answer, channel

    answer, channel = run(ask())
    assert answer.records and resolver.stats.queries == 1
    assert channel.sock is None and channel.transport is None and not channel.pending


@pytest.mark.slow
def test_nsd_chases_cnames_into_its_other_zones_and_loops_are_found(
    nsd: NsdServer, zones: ZoneDirResolver
) -> None:
    resolver = LiveResolver(nsd.nameserver)
    answer = run(resolver.resolve("spf-alias.example.org", RdType.TXT))
    assert answer == zones.answer("spf-alias.example.org", RdType.TXT)
    assert answer.records

    async def both_halves_of_a_loop() -> tuple[BaseException | Answer, ...]:
        return await asyncio.wait_for(
            asyncio.gather(
                resolver.resolve("loop-x.example.org", RdType.TXT),
                resolver.resolve("loop-y.example.net", RdType.TXT),
                return_exceptions=True,
            ),
            timeout=10,
        )

    for outcome in run(both_halves_of_a_loop()):
        assert isinstance(outcome, DnsError)
        assert "CNAME chain too long" in outcome.reason


# A server that answers CNAMEs leaving its zone with the CNAME alone (as an
# authoritative server does for a zone it does not serve): name -> (rcode, answer
# records, SOA owner for the authority section or None).
Script = dict[str, tuple[str, list[str], str | None]]

SCRIPT: Script = {
    "alias.example.org": ("NOERROR", ["alias.example.org. 300 IN CNAME target.example.net."], None),
    "target.example.net": ("NOERROR", ['target.example.net. 300 IN TXT "v=spf1 -all"'], None),
    "deadend.example.org": (
        "NOERROR",
        ["deadend.example.org. 300 IN CNAME gone.example.net."],
        None,
    ),
    "gone.example.net": ("NXDOMAIN", [], "example.net"),
    "empty.example.org": ("NOERROR", ["empty.example.org. 300 IN CNAME host.example.net."], None),
    "host.example.net": ("NOERROR", [], "example.net"),
    # In-zone target without data: the SOA of the target's zone says the server has spoken.
    "stop.example.org": (
        "NOERROR",
        ["stop.example.org. 300 IN CNAME host.example.org."],
        "example.org",
    ),
    "lx.example.org": ("NOERROR", ["lx.example.org. 300 IN CNAME ly.example.net."], None),
    "ly.example.net": ("NOERROR", ["ly.example.net. 300 IN CNAME lx.example.org."], None),
    "broken.example.org": (
        "NOERROR",
        ["broken.example.org. 300 IN CNAME fails.example.net."],
        None,
    ),
    "fails.example.net": ("SERVFAIL", [], None),
    # Not authoritative, not recursive: a referral to the zone's servers.
    "referral.example.com": ("REFERRAL", [], None),
}


@pytest.fixture
def scripted_server() -> Iterator[tuple[str, list[str]]]:
    """A UDP DNS server answering from SCRIPT; yields (nameserver, names asked)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.1)
    asked: list[str] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                wire, peer = sock.recvfrom(4096)
            except TimeoutError:
                continue
            query = dns.message.from_wire(wire)
            name = query.question[0].name.to_text().rstrip(".").lower()
            asked.append(name)
            rcode, records, soa = SCRIPT.get(name, ("REFUSED", [], None))
            response = dns.message.make_response(query)
            if rcode == "REFERRAL":
                rcode = "NOERROR"
                response.authority.append(
                    dns.rrset.from_text("example.com.", 300, "IN", "NS", "ns1.example.com.")
                )
            response.set_rcode(dns.rcode.from_text(rcode))
            for record in records:
                owner, ttl, rdclass, rdtype, rdata = record.split(" ", 4)
                response.answer.append(dns.rrset.from_text(owner, int(ttl), rdclass, rdtype, rdata))
            if soa:
                response.authority.append(
                    dns.rrset.from_text(
                        f"{soa}.", 300, "IN", "SOA", f"ns1.{soa}. h.{soa}. 1 2 3 4 5"
                    )
                )
            sock.sendto(response.to_wire(), peer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"127.0.0.1:{sock.getsockname()[1]}", asked
    stop.set()
    thread.join()
    sock.close()


@pytest.mark.slow
def test_cnames_leaving_the_zone_are_followed_and_referrals_refused(
    scripted_server: tuple[str, list[str]],
) -> None:
    nameserver, asked = scripted_server
    resolver = LiveResolver(nameserver, timeout=1.0, retries=0)
    answer = run(resolver.resolve("alias.example.org", RdType.TXT))
    assert answer == Answer("alias.example.org", RdType.TXT, ("v=spf1 -all",))
    assert asked == ["alias.example.org", "target.example.net"]

    gone = run(resolver.resolve("deadend.example.org", RdType.TXT))
    assert gone == Answer("deadend.example.org", RdType.TXT, (), nxdomain=True)
    empty = run(resolver.resolve("empty.example.org", RdType.TXT))
    assert empty == Answer("empty.example.org", RdType.TXT, (), nxdomain=False)

    asked.clear()
    stop = run(resolver.resolve("stop.example.org", RdType.TXT))
    assert stop == Answer("stop.example.org", RdType.TXT, ())
    assert asked == ["stop.example.org"]  # the SOA said host.example.org has no TXT

    with pytest.raises(DnsError) as raised:
        run(resolver.resolve("broken.example.org", RdType.TXT))
    assert raised.value.name == "broken.example.org"
    assert raised.value.reason.startswith("CNAME target fails.example.net: SERVFAIL from")

    with pytest.raises(DnsError, match=r"referral from 127\.0\.0\.1:.*ask a recursive resolver"):
        run(resolver.resolve("referral.example.com", RdType.TXT))

    async def both_halves_of_a_loop() -> tuple[BaseException | Answer, ...]:
        return await asyncio.wait_for(
            asyncio.gather(
                resolver.resolve("lx.example.org", RdType.TXT),
                resolver.resolve("ly.example.net", RdType.TXT),
                return_exceptions=True,
            ),
            timeout=10,  # concurrent halves of a loop must not wait on each other
        )

    for outcome in run(both_halves_of_a_loop()):
        assert isinstance(outcome, DnsError)
        assert "CNAME chain too long" in outcome.reason


# --- the cache ----------------------------------------------------------------------------


@pytest.mark.slow
def test_second_identical_question_sends_no_query(nsd_factory: StartNsd) -> None:
    server = nsd_factory(ZONES)
    resolver = LiveResolver(server.nameserver)
    before = server.query_count()
    first = run(resolver.resolve("example.org", RdType.TXT))
    assert server.query_count() == before + 1
    assert (resolver.stats.queries, resolver.stats.questions) == (1, 1)
    second = run(resolver.resolve("EXAMPLE.org.", RdType.TXT))
    assert second == first
    assert server.query_count() == before + 1  # NSD saw nothing more
    assert (resolver.stats.queries, resolver.stats.cache_hits) == (1, 1)
    # Another type at the same name is another question.
    run(resolver.resolve("example.org", RdType.MX))
    assert server.query_count() == before + 2
    assert resolver.stats.questions == 2


@pytest.mark.slow
def test_concurrent_askers_share_one_query(nsd_factory: StartNsd) -> None:
    server = nsd_factory(ZONES)
    resolver = LiveResolver(server.nameserver)
    before = server.query_count()

    async def many() -> list[Answer]:
        return await asyncio.gather(
            *(resolver.resolve("chain.example.com", RdType.TXT) for _ in range(25))
        )

    answers = run(many())
    assert len(set(answers)) == 1
    assert answers[0].records == ("v=spf1 ip4:203.0.113.0/28 ~all",)
    assert resolver.stats.queries == 1
    assert resolver.stats.questions == 1
    assert resolver.stats.cache_hits == 24
    assert server.query_count() == before + 1


@pytest.mark.slow
def test_failures_are_cached_too(nsd_factory: StartNsd) -> None:
    server = nsd_factory(ZONES)
    resolver = LiveResolver(server.nameserver)
    before = server.query_count()
    for _ in range(3):
        with pytest.raises(DnsError, match="REFUSED") as raised:
            run(resolver.resolve("outside.example.invalid", RdType.TXT))
        assert raised.value.name == "outside.example.invalid"
        assert server.query_count() == before + 1
    assert resolver.stats.failures == 1
    assert resolver.stats.queries == 1


@pytest.mark.slow
def test_concurrency_is_bounded(nsd_factory: StartNsd, monkeypatch: pytest.MonkeyPatch) -> None:
    server = nsd_factory(ZONES)
    most = 0
    real_send = _UdpChannel.send

    def counting_send(channel: _UdpChannel, *args: Any) -> int:
        nonlocal most
        qid = real_send(channel, *args)
        most = max(most, len(channel.pending))  # queries sent and not yet answered
        return qid

    monkeypatch.setattr(_UdpChannel, "send", counting_send)
    resolver = LiveResolver(server.nameserver, concurrency=3)
    asked = [(f"absent-{i}.example.com", RdType.A) for i in range(30)]
    outcomes = run(live_outcomes(resolver, asked))  # all 30 asked at once
    assert all(isinstance(o, Answer) and o.nxdomain for o in outcomes.values())
    assert most == 3
    assert resolver.stats.queries == 30


# --- TCP fallback ----------------------------------------------------------------------------


@pytest.mark.slow
def test_truncated_answer_is_asked_again_over_tcp(
    nsd_factory: StartNsd, zones: ZoneDirResolver
) -> None:
    server = nsd_factory(ZONES)
    expected = zones.answer("big.example.com", RdType.TXT)
    assert len(expected.records[0]) > 512  # larger than a UDP answer without EDNS

    resolver = LiveResolver(server.nameserver, udp_payload=None)  # no EDNS: 512 octets
    tcp_before = server.stats()["num.tcp"]
    assert run(resolver.resolve("big.example.com", RdType.TXT)) == expected
    assert resolver.stats.tcp_retries == 1
    assert resolver.stats.queries == 2  # the truncated UDP answer, then TCP
    assert server.stats()["num.tcp"] == tcp_before + 1

    # Small answers stay on UDP; with a 1232-octet EDNS buffer the big one does too.
    assert run(resolver.resolve("example.org", RdType.TXT)).records
    assert resolver.stats.tcp_retries == 1
    edns = LiveResolver(server.nameserver)
    assert run(edns.resolve("big.example.com", RdType.TXT)) == expected
    assert edns.stats.tcp_retries == 0


@pytest.mark.slow
def test_a_tcp_exchange_leaves_nothing_for_the_cyclic_collector(
    nsd_factory: StartNsd, zones: ZoneDirResolver
) -> None:
    # A long audit runs the collector seldom: a TCP retry must be freed when it ends, not
    # leave its socket and buffers in a reference cycle (as asyncio's streams do).
    server = nsd_factory(ZONES)
    resolver = LiveResolver(server.nameserver, udp_payload=None)

    async def truncated_twice() -> None:
        for name in ("big.example.com", "big.example.com."):  # the second from the cache
            assert (await resolver.resolve(name, RdType.TXT)).records
        resolver._done.clear()
        assert (await resolver.resolve("big.example.com", RdType.TXT)).records

    gc.collect()
    gc.disable()
    try:
        run(truncated_twice())
        left = [type(o).__name__ for o in gc.get_objects()
                if isinstance(o, socket.socket | asyncio.BaseTransport)]
    finally:
        gc.enable()
    assert resolver.stats.tcp_retries == 2
    assert left == []


class _TruncatingServer:
    """Answers every UDP query truncated (TC, no records); over TCP, per ``tcp``:
    "close" (reads the query, then hangs up), "silent" (accepts, never answers) or "none"."""

    def __init__(self, tcp: str) -> None:
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", 0))
        self.udp.settimeout(0.05)
        self.port = self.udp.getsockname()[1]
        self.tcp: socket.socket | None = None
        if tcp != "none":
            self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.tcp.bind(("127.0.0.1", self.port))
            self.tcp.listen()
            self.tcp.settimeout(0.05)
        self.mode = tcp
        self.stop = threading.Event()
        self.held: list[socket.socket] = []
        self.threads = [threading.Thread(target=self._serve_udp, daemon=True)]
        if self.tcp is not None:
            self.threads.append(threading.Thread(target=self._serve_tcp, daemon=True))
        for thread in self.threads:
            thread.start()

    def _serve_udp(self) -> None:
        while not self.stop.is_set():
            try:
                data, peer = self.udp.recvfrom(4096)
            except TimeoutError:
                continue
            response = dns.message.make_response(dns.message.from_wire(data))
            response.flags |= dns.flags.TC
            self.udp.sendto(response.to_wire(), peer)

    def _serve_tcp(self) -> None:
        assert self.tcp is not None
        while not self.stop.is_set():
            try:
                connection, _ = self.tcp.accept()
            except TimeoutError:
                continue
            if self.mode == "close":  # reads the query, then hangs up
                connection.settimeout(1.0)
                connection.recv(4096)
                connection.close()
            else:
                self.held.append(connection)

    def close(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join()
        for sock in [self.udp, *self.held, *([self.tcp] if self.tcp else [])]:
            sock.close()


@pytest.mark.slow
@pytest.mark.parametrize(("tcp", "reason"), [
    ("close", "TCP failed (the server closed the connection before the whole answer)"),
    ("silent", "TCP timed out after 0.3 s"),
    ("none", "TCP failed (connection refused)"),
])
def test_a_failed_tcp_retry_names_what_happened(tcp: str, reason: str) -> None:
    try:
        server = _TruncatingServer(tcp)
    except OSError:  # the TCP port is taken by someone else: another port
        server = _TruncatingServer(tcp)
    try:
        resolver = LiveResolver(f"127.0.0.1:{server.port}", timeout=0.3, retries=0)
        started = time.monotonic()
        with pytest.raises(DnsError) as raised:
            run(resolver.resolve("example.org", RdType.TXT))
        assert time.monotonic() - started < 0.3 + 0.5
        assert raised.value.reason == (
            f"truncated UDP answer from 127.0.0.1:{server.port}, and {reason}")
        assert (resolver.stats.queries, resolver.stats.tcp_retries) == (2, 1)
    finally:
        server.close()


# --- failures -----------------------------------------------------------------------------------


@pytest.mark.slow
def test_port_where_nothing_listens_fails_within_the_timeout() -> None:
    port = free_port("127.0.0.1")
    resolver = LiveResolver(f"127.0.0.1:{port}", timeout=0.3, retries=1)
    started = time.monotonic()
    with pytest.raises(DnsError) as raised:
        run(resolver.resolve("example.org", RdType.TXT))
    elapsed = time.monotonic() - started
    assert elapsed < 0.3 * 2 + 0.5  # two tries of 0.3 s, with some slack
    assert f"127.0.0.1:{port}" in raised.value.reason
    # The shared socket is connected, so the kernel's ICMP "port unreachable" is heard.
    assert "connection refused" in raised.value.reason
    assert (resolver.stats.queries, resolver.stats.retries) == (2, 1)
    # The failure is cached: asking again costs no time and sends nothing.
    started = time.monotonic()
    with pytest.raises(DnsError):
        run(resolver.resolve("example.org", RdType.TXT))
    assert time.monotonic() - started < 0.1
    assert resolver.stats.queries == 2


@pytest.fixture
def silent_server() -> Iterator[tuple[int, list[bytes]]]:
    """A UDP port that receives queries and never answers; yields (port, datagrams)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.1)
    received: list[bytes] = []
    stop = threading.Event()

    def receive() -> None:
        while not stop.is_set():
            try:
                received.append(sock.recv(4096))
            except TimeoutError:
                continue

    thread = threading.Thread(target=receive, daemon=True)
    thread.start()
    yield sock.getsockname()[1], received
    stop.set()
    thread.join()
    sock.close()


@pytest.mark.slow
def test_retries_are_sent_and_counted(silent_server: tuple[int, list[bytes]]) -> None:
    port, received = silent_server
    resolver = LiveResolver(f"127.0.0.1:{port}", timeout=0.2, retries=2)
    with pytest.raises(DnsError, match="timed out"):
        run(resolver.resolve("example.org", RdType.TXT))
    time.sleep(0.15)  # the receiving thread's last recv
    assert len(received) == 3
    assert resolver.stats.queries == 3
    assert resolver.stats.retries == 2


@pytest.mark.slow
def test_server_stopped_mid_run(nsd_factory: StartNsd) -> None:
    server = nsd_factory(ZONES)
    resolver = LiveResolver(server.nameserver, timeout=0.3, retries=0)
    answer = run(resolver.resolve("example.net", RdType.NS))
    server.stop()
    assert not server.running
    assert run(resolver.resolve("example.net", RdType.NS)) == answer  # from the cache
    with pytest.raises(DnsError, match="connection refused"):
        run(resolver.resolve("smtp.example.net", RdType.A))
    server.start()
    fresh = LiveResolver(server.nameserver)
    assert run(fresh.resolve("smtp.example.net", RdType.A)).records == ("198.51.100.25",)


@pytest.mark.slow
def test_servfail_from_a_zone_the_server_could_not_load(
    nsd_factory: StartNsd, tmp_path: Path
) -> None:
    (tmp_path / "example.test.zone").write_text("$TTL 300\n@ SOA ns1 h 1 2 3 4 5\n@ A 999\n")
    (tmp_path / "example.org.zone").write_text((ZONES / "example.org.zone").read_text())
    server = nsd_factory(tmp_path)
    resolver = LiveResolver(server.nameserver)
    with pytest.raises(DnsError, match="SERVFAIL") as raised:
        run(resolver.resolve("example.test", RdType.A))
    assert raised.value.name == "example.test"
    assert run(resolver.resolve("mail.example.org", RdType.A)).records == ("192.0.2.25",)


@pytest.mark.slow
def test_other_loopback_address_and_ipv6(nsd_factory: StartNsd) -> None:
    second = nsd_factory(ZONES, address="127.0.0.2")
    assert second.nameserver == f"127.0.0.2:{second.port}"
    resolver = LiveResolver(second.nameserver)
    assert run(resolver.resolve("mail.example.org", RdType.AAAA)).records == ("2001:db8::25",)
    six = nsd_factory(ZONES, address="::1")
    assert six.nameserver == f"[::1]:{six.port}"
    resolver = LiveResolver(six.nameserver)
    assert resolver.nameservers == (("::1", six.port),)
    assert run(resolver.resolve("mail.example.org", RdType.A)).records == ("192.0.2.25",)


# --- name servers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("192.0.2.53", ("192.0.2.53", 53)),
        ("192.0.2.53:5353", ("192.0.2.53", 5353)),
        (" 198.51.100.1:53 ", ("198.51.100.1", 53)),
        ("2001:db8::53", ("2001:db8::53", 53)),
        ("2001:DB8:0:0::53", ("2001:db8::53", 53)),
        ("[2001:db8::53]:5353", ("2001:db8::53", 5353)),
        ("[2001:db8::53]", ("2001:db8::53", 53)),
        ("::1", ("::1", 53)),
    ],
)
def test_parse_nameserver(text: str, expected: tuple[str, int]) -> None:
    assert parse_nameserver(text) == expected


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "is neither an IP address nor a host name"),
        ("ns1..example.net", "is neither an IP address nor a host name"),
        ("-ns.example.net:53", "is neither an IP address nor a host name"),
        ("[ns1.example.net]:53", "is neither an IP address nor a host name"),
        ("192.0.2.300", "is neither an IP address nor a host name"),
        ("192.0.2.53:", "port '' is not a number from 1 to 65535"),
        ("192.0.2.53:0", "port '0' is not a number from 1 to 65535"),
        ("192.0.2.53:65536", "port '65536'"),
        ("192.0.2.53:dns", "port 'dns'"),
        ("[2001:db8::53", "no closing ']'"),
        ("[2001:db8::53]5353", "':PORT' must follow ']'"),
        ("[192.0.2.53]:53", "brackets are for IPv6"),
        ("2001:db8::53:5353:1:2:3:4", "is neither an IP address nor a host name"),
    ],
)
def test_parse_nameserver_rejects_bad_values_clearly(text: str, why: str) -> None:
    with pytest.raises(UsageError) as raised:
        parse_nameserver(text)
    message = str(raised.value)
    assert message.startswith(f"bad nameserver {text!r}")
    assert why in message
    assert "expected HOST[:PORT]" in message
    assert "[2001:db8::53]:5353" in message


def test_parse_nameserver_looks_up_a_host_name_once() -> None:
    # localhost is in every /etc/hosts: the system gives its loopback address.
    address, port = parse_nameserver("localhost:5353")
    assert ipaddress.ip_address(address).is_loopback
    assert port == 5353


def test_parse_nameserver_host_name_that_does_not_resolve(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # .invalid never resolves (RFC 6761 6.4); the system's answer is stood in for so
    # the test does not wait on whatever resolvers the machine has.
    asked: list[object] = []

    def no_such_host(host: object, *args: object, **kwargs: object) -> object:
        asked.append(host)
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_host)
    with pytest.raises(UsageError) as raised:
        parse_nameserver("ns1.example.invalid")
    message = str(raised.value)
    assert message.startswith("bad nameserver 'ns1.example.invalid': host name")
    assert "does not resolve" in message
    assert "give the server's IP address" in message
    assert "Name or service not known" in message
    assert asked == ["ns1.example.invalid"]


def test_bad_nameserver_fails_at_construction() -> None:
    with pytest.raises(UsageError, match=r"bad nameserver 'ns1\.example\.net'"):
        LiveResolver("ns1.example.net")


def test_system_nameservers_come_from_resolv_conf(tmp_path: Path) -> None:
    conf = tmp_path / "resolv.conf"
    conf.write_text("search example.org\nnameserver 192.0.2.53\nnameserver 2001:db8::53\n")
    assert system_nameservers(conf) == [("192.0.2.53", 53), ("2001:db8::53", 53)]
    assert LiveResolver(resolv_conf=conf).nameservers == (("192.0.2.53", 53), ("2001:db8::53", 53))
    empty = tmp_path / "empty.conf"
    empty.write_text("search example.org\n")
    with pytest.raises(UsageError, match=r"no name server in .*nameserver=HOST\[:PORT\]"):
        LiveResolver(resolv_conf=empty)
    with pytest.raises(UsageError, match="no name server"):
        LiveResolver(resolv_conf=tmp_path / "missing.conf")


def test_bad_settings_are_usage_errors() -> None:
    for settings in ({"timeout": 0}, {"retries": -1}, {"concurrency": 0}, {"udp_payload": 100}):
        with pytest.raises(UsageError):
            LiveResolver("192.0.2.53", **settings)  # type: ignore[arg-type]


def test_missing_nsd_fails_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    import tests.nsd
    from tests.conftest import _require_nsd

    monkeypatch.setattr(tests.nsd.shutil, "which", lambda *args, **kwargs: None)
    with pytest.raises(tests.nsd.NsdNotFound, match=r"run `make nsd`"):
        tests.nsd.find_binary("nsd")
    with pytest.raises(
        pytest.fail.Exception, match=r"^nsd not found: run `make nsd` \(Debian package nsd\)$"
    ):
        _require_nsd()
