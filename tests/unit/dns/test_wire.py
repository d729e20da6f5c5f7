"""The lean DNS wire format against dnspython: the same queries, the same reading of answers.

``decode`` must give, for every datagram, what dnspython gives (``from_wire`` then
``reply_of``, or None where dnspython refuses the message): over messages generated
with compression pointers, every record type the audit reads, types and classes it
does not, EDNS with and without options, and broken ones (cut short, bytes changed,
trailing octets); and over responses captured from NSD.
"""

from __future__ import annotations

import socket
import struct
from pathlib import Path

import dns.exception
import dns.message
import dns.name
import dns.rdatatype
import dns.rrset
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from mailzone.dns import wire
from mailzone.dns.resolver import RdType
from mailzone.dns.zonedir import ZoneDirResolver
from tests.nsd import NsdServer

ZONES = Path(__file__).parent.parent.parent / "zones"


def dnspython_reply(data: bytes) -> wire.Reply | None:
    """What dnspython alone makes of a datagram."""
    try:
        message = dns.message.from_wire(data)
    except (dns.exception.DNSException, ValueError):
        return None
    return wire.reply_of(message)


def lean_only(data: bytes) -> wire.Reply:
    """The lean reader alone; raises when it hands the message to dnspython."""
    return wire._decode(data)


# -- queries ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["example.com", "_dmarc.example.org", "a-b_c.example.net",
                                  "", "xn--bcher-kva.example", "s1._domainkey.example.com",
                                  "a\\.b.example", "UPPER.example", "a" * 63 + ".example"])
@pytest.mark.parametrize("rdtype", list(RdType))
@pytest.mark.parametrize("payload", [1232, 4096, None])
def test_queries_are_what_dnspython_writes(name: str, rdtype: RdType, payload: int | None
                                           ) -> None:
    code = int(dns.rdatatype.from_text(rdtype.value))
    question = wire.encode_question(name, code, payload)
    assert question is not None
    expected = dns.message.make_query(name + "." if name else ".", rdtype.value,
                                      use_edns=0 if payload is not None else False,
                                      payload=payload or 1232)
    expected.id = 4660
    assert wire.query(4660, question) == expected.to_wire()
    assert question.text == expected.question[0].name.to_text().lower()


@pytest.mark.parametrize("name", ["a..example", "a" * 64 + ".example",
                                  ".".join(["a" * 60] * 5)])
def test_names_dns_cannot_carry_have_no_query(name: str) -> None:
    assert wire.encode_question(name, 16, 1232) is None


# -- generated responses ------------------------------------------------------------------

LABEL_OCTETS = st.sampled_from(list(b"abcxyz019-_") + list(b"AZ") + [0x2E, 0x20, 0x5C, 0x40,
                                                                        0x00, 0xC3, 0xFF])
LABELS = st.lists(st.binary(min_size=1, max_size=8).map(bytes) | st.lists(
    LABEL_OCTETS, min_size=1, max_size=6).map(bytes), min_size=0, max_size=4)
NAMES = st.one_of(
    st.sampled_from([(b"example", b"com"), (b"mail", b"example", b"com"), (b"example", b"org"),
                     (b"_dmarc", b"example", b"com"), ()]),
    LABELS.map(tuple),
)
OURS = [wire.A, wire.AAAA, wire.MX, wire.TXT, wire.CNAME, wire.NS, wire.PTR, wire.SOA]
TYPES = st.sampled_from(OURS * 4 + [39, 99, 13, 46])  # DNAME, SPF, HINFO, RRSIG: not ours
CLASSES = st.sampled_from([1] * 12 + [3, 255])


class Writer:
    """Builds a message by hand, compressing names (or not) as the draw says."""

    def __init__(self, compress: bool) -> None:
        self.data = bytearray()
        self.compress = compress
        self.offsets: dict[tuple[bytes, ...], int] = {}

    def name(self, labels: tuple[bytes, ...], data: st.DataObject) -> bytes:
        out = bytearray()
        start = len(self.data)
        for i in range(len(labels)):
            suffix = tuple(label.lower() for label in labels[i:])
            if self.compress and suffix in self.offsets and data.draw(st.booleans()):
                pointer = self.offsets[suffix]
                out += struct.pack("!H", 0xC000 | pointer)
                return bytes(out)
            if start + len(out) < 0x3FFF:
                self.offsets.setdefault(suffix, start + len(out))
            out += bytes([len(labels[i])]) + labels[i]
        return bytes(out + b"\0")

    def rdata(self, rdtype: int, data: st.DataObject) -> bytes:
        if data.draw(st.sampled_from([False] * 20 + [True])):
            return data.draw(st.binary(max_size=12))  # whatever: dnspython decides
        start = len(self.data) + 10  # where the rdata begins, after the record header
        if rdtype == wire.A:
            return data.draw(st.binary(min_size=4, max_size=4))
        if rdtype == wire.AAAA:
            return data.draw(st.sampled_from([bytes(16), bytes(10) + b"\xff\xff" + bytes(4),
                                              bytes(12) + b"\1\2\3\4", b"\x20\x01\x0d\xb8"
                                              + bytes(11) + b"\1"]) | st.binary(
                                                  min_size=16, max_size=16))
        if rdtype == wire.TXT:
            strings = data.draw(st.lists(st.binary(max_size=20) | st.text(max_size=8).map(
                lambda s: s.encode()), min_size=1, max_size=3))
            return b"".join(bytes([len(s)]) + s for s in strings)
        if rdtype in (wire.CNAME, wire.NS, wire.PTR, wire.MX, wire.SOA):
            saved = len(self.data)
            self.data += bytes(10)  # the header's room, so offsets in the rdata are right
            prefix = struct.pack("!H", data.draw(st.integers(0, 65535))) if (
                rdtype == wire.MX) else b""
            self.data += prefix
            first = self.name(data.draw(NAMES), data)
            out = prefix + first
            if rdtype == wire.SOA:
                self.data += first
                second = self.name(data.draw(NAMES), data)
                out += second + struct.pack("!IIIII", 1, 2, 3, 4, 5)
            del self.data[saved:]
            assert start == saved + 10
            return out
        return data.draw(st.binary(max_size=10))

    def record(self, data: st.DataObject, *, additional: bool = False) -> None:
        owner = self.name(data.draw(NAMES), data)
        self.data += owner
        rdtype = data.draw(TYPES)
        rdclass = data.draw(CLASSES)
        rdata = self.rdata(rdtype, data)
        self.data += struct.pack("!HHIH", rdtype, rdclass, data.draw(st.sampled_from(
            [300, 0, 2**31 + 5])), len(rdata)) + rdata


@st.composite
def messages(draw: st.DrawFn) -> bytes:
    data = draw(st.data())
    writer = Writer(compress=draw(st.booleans()))
    flags = draw(st.sampled_from([0x8180, 0x8580, 0x8183, 0x8182, 0x8185, 0x8380, 0x8000,
                                  0x0100, 0x9180])) | draw(st.sampled_from([0, 0, 0, 0x10]))
    questions = draw(st.sampled_from([1, 1, 1, 1, 0, 2]))
    counts = [questions] + [draw(st.integers(0, 4)) for _ in range(2)] + [draw(st.integers(0, 2))]
    writer.data += struct.pack("!HHHHHH", draw(st.integers(0, 65535)), flags, *counts)
    for _ in range(questions):
        writer.data += writer.name(draw(NAMES), data) + struct.pack(
            "!HH", draw(TYPES), draw(CLASSES))
    for _ in range(counts[1] + counts[2]):
        writer.record(data)
    for _ in range(counts[3]):
        if draw(st.sampled_from([True, True, True, False])):
            # None, a cookie, Extended DNS Errors (RFC 8914: an info-code, UTF-8 text,
            # perhaps NUL-ended) well and badly formed, and an EDE beside a cookie.
            options = draw(st.sampled_from([
                b"", b"", b"\0\x0a\0\x08" + bytes(8), b"\0\x0f\0\x02\0\x14",
                b"\0\x0f\0\x07\0\x14refuse", b"\0\x0f\0\x05\0\x06ok\0",
                b"\0\x0f\0\x04\0\x01\xff\xfe", b"\0\x0f\0\x01\0", b"\0\x0f\0\x09\0\x14",
                b"\0\x0f\0\x02\0\x14\0\x0a\0\x08" + bytes(8),
                b"\0\x0f\0\x02\0\x14\0\x0f\0\x03\0\x02x"]))
            writer.data += b"\0" + struct.pack("!HHIH", 41, draw(st.sampled_from(
                [1232, 512, 4096])), draw(st.sampled_from([0, 0, 1 << 24, 1 << 15])),
                len(options)) + options
        else:
            writer.record(data, additional=True)
    out = bytes(writer.data)
    mutation = draw(st.sampled_from(["none"] * 12 + ["cut", "change", "append", "count"]))
    if mutation == "cut" and out:
        out = out[:draw(st.integers(0, len(out) - 1))]
    elif mutation == "change" and out:
        at = draw(st.integers(0, len(out) - 1))
        out = out[:at] + bytes([draw(st.integers(0, 255))]) + out[at + 1:]
    elif mutation == "append":
        out += draw(st.binary(min_size=1, max_size=3))
    elif mutation == "count" and len(out) > 12:  # a count that says more or less than there is
        at = draw(st.sampled_from([7, 9, 11]))
        out = out[:at] + bytes([(out[at] + draw(st.sampled_from([1, 255]))) % 256]) + out[at + 1:]
    return out


@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(messages())
def test_every_datagram_reads_as_dnspython_reads_it(data: bytes) -> None:
    expected = dnspython_reply(data)
    assert wire.decode(data) == expected
    try:
        lean = lean_only(data)
    except (wire._Unusual, IndexError):
        return
    assert lean == expected  # what the lean reader accepts, dnspython reads the same


@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(messages(), NAMES, TYPES, st.sampled_from([1232, None]))
def test_the_question_sent_changes_nothing_of_what_is_read(
        data: bytes, labels: tuple[bytes, ...], rdtype: int, payload: int | None) -> None:
    try:
        name = dns.name.Name((*labels, b"")).to_text().rstrip(".").lower()
    except dns.exception.DNSException:
        name = "example.com"
    question = wire.encode_question(name, rdtype, payload)
    assume(question is not None)
    assert question is not None
    assert wire.decode(data, question) == dnspython_reply(data)
    # The datagram with the question sent in place of its own (in upper case): the rest
    # is read after it, and names pointing to offset 12 now point to it.
    end = _question_end(data)
    if end is not None:
        own = question.section[:-4].upper() + question.section[-4:]  # the name's case only
        changed = data[:12] + own + data[end:]
        assert wire.decode(changed, question) == dnspython_reply(changed)


def _question_end(data: bytes) -> int | None:
    """Where the one question of a datagram ends, if it has one made of labels."""
    if data[4:6] != b"\0\1":
        return None
    pos = 12
    while pos < len(data) and 0 < data[pos] < 64:
        pos += data[pos] + 1
    return pos + 5 if pos < len(data) and data[pos] == 0 else None


def test_only_the_name_of_a_known_question_is_compared_without_case() -> None:
    # Type 99 is the octet 'c': a response asking type 67 ('C') is another question.
    question = wire.encode_question("example.com", 99, None)
    assert question is not None
    other = b"\0\x07\x81\x80\0\x01\0\0\0\0\0\0\x07EXAMPLE\x03com\0\0\x43\0\x01"
    reply = wire.decode(other, question)
    assert reply is not None and reply.question == (("example.com.", 67, 1),)
    assert not reply.answers(question, 7)
    same = other[:-3] + b"\x63\0\x01"
    reply = wire.decode(same, question)
    assert reply is not None and reply.answers(question, 7)


def test_a_known_question_is_not_read_again(monkeypatch: pytest.MonkeyPatch) -> None:
    question = wire.encode_question("example.com", 16, 1232)
    assert question is not None
    response = dns.message.make_response(dns.message.from_wire(wire.query(7, question)))
    response.answer.append(dns.rrset.from_text("EXAMPLE.com.", 300, "IN", "TXT", '"v=spf1 -all"'))
    data = response.to_wire()
    reads: list[int] = []
    original = wire._read_name

    def counted(data: bytes, pos: int, *args: object, **kwargs: object) -> tuple[str, int]:
        reads.append(pos)
        return original(data, pos, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(wire, "_read_name", counted)
    assert wire.decode(data, question) == wire.decode(data)
    reply = wire.decode(data, question)
    assert reply is not None and reply.answer == {("example.com", 16): ["v=spf1 -all"]}
    reads.clear()
    wire.decode(data, question)
    assert 12 not in reads  # the question's name was not read: it is the one sent
    reads.clear()
    wire.decode(data)
    assert 12 in reads


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 65535), st.sampled_from(list(RdType)),
       st.sampled_from(["example.com", "Example.COM", "other.example", ""]))
def test_a_reply_answers_the_question_as_dnspython_says(
        qid: int, rdtype: RdType, asked_as: str) -> None:
    code = int(dns.rdatatype.from_text(rdtype.value))
    question = wire.encode_question("example.com", code, 1232)
    assert question is not None
    query = dns.message.from_wire(wire.query(qid, question))
    response = dns.message.make_response(dns.message.make_query(
        asked_as + "." if asked_as else ".", rdtype.value))
    for response_id in (qid, (qid + 1) % 65536):
        response.id = response_id
        reply = wire.decode(response.to_wire())
        assert reply is not None
        assert reply.answers(question, qid) == query.is_response(response)


# -- responses captured from NSD ---------------------------------------------------------------


def captured(server: NsdServer, zones: ZoneDirResolver) -> list[tuple[wire.Question, bytes]]:
    """NSD's response to every type at every name of the test zones, and absent names,
    each with the question it answers."""
    names = {f"absent.{zone}" for zone in zones.zones}
    for zone in zones.zones:
        names.update(zones.names_in(zone))
    out: list[tuple[wire.Question, bytes]] = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(2.0)
        sock.connect((server.address, server.port))
        for qid, (name, rdtype) in enumerate(
                (n, t) for n in sorted(names) for t in RdType):
            for payload in (1232, None):
                question = wire.encode_question(
                    name, int(dns.rdatatype.from_text(rdtype.value)), payload)
                assert question is not None
                sock.send(wire.query(qid, question))
                out.append((question, sock.recv(65535)))
    return out


@pytest.mark.slow
def test_nsd_responses_read_as_dnspython_reads_them_and_need_no_fallback(
        nsd: NsdServer) -> None:
    asked = captured(nsd, ZoneDirResolver(ZONES))
    assert len(asked) > 500
    for question, data in asked:
        expected = dnspython_reply(data)
        assert expected is not None
        assert lean_only(data) == expected  # read by the lean reader, and the same
        assert wire._decode(data, question) == expected  # and so with the question known
    kinds = [lean_only(data) for _, data in asked]
    assert any(reply.flags & 0x0200 for reply in kinds)  # truncated ones too (no EDNS)
    assert any(reply.soa_zones for reply in kinds) and any(reply.answer for reply in kinds)
    assert any(reply.rcode == 3 for reply in kinds)
