"""DNS messages on the wire, for the questions mailzone asks, without message objects.

A query is encoded once per question (``encode_question``: the header after its ID,
the question and the EDNS OPT record) and sent as ``query(qid, encoded)``.
A response is read by ``decode`` into a ``Reply``: what the live resolver needs
of it (ID, flags, rcode, question, the answer's records by owner and type as
``Answer.records`` texts, whether the authority section holds NS or SOA records
and the SOA owners). dnspython builds a name object per name, an rdata object per
record and an rdataset per owner and type; that was about 40% of ``mailzone
check``'s time. Here the types the audit asks (A, AAAA, MX, TXT, CNAME, NS, PTR,
with SOA in the authority section for negative answers) are read straight from
the bytes, compression pointers included.

Anything else goes to dnspython (``dns.message.from_wire``, then ``reply_of``):
EDNS options other than Extended DNS Errors, classes other than IN, other record
types, TSIG, more than one question, an opcode other than QUERY, and anything
malformed, so that what is accepted, what is refused and what is read is
dnspython's in every case.
``tests/unit/dns/test_wire.py`` holds the two to each other over generated and
captured messages.
"""

from __future__ import annotations

import re
import socket
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final, NamedTuple

import dns.exception
import dns.flags
import dns.ipv6

from mailzone.dns.resolver import Answer, normalize_name

if TYPE_CHECKING:
    import dns.message

# dnspython's message, name and zone modules are imported where the unusual case is
# met: ``mailzone check`` reads every usual answer without them, and starts sooner.

A: Final = 1
NS: Final = 2
CNAME: Final = 5
SOA: Final = 6
PTR: Final = 12
MX: Final = 15
TXT: Final = 16
AAAA: Final = 28
OPT: Final = 41
_EDE: Final = 15  # the EDNS option code of Extended DNS Errors
CLASS_IN: Final = 1
#: Types whose records become ``Answer.records`` texts (``RdType``'s).
TEXT_TYPES: Final = frozenset({A, NS, CNAME, PTR, MX, TXT, AAAA})
# Header flags as plain ints: an int masked with dnspython's IntFlag members makes a
# new enum member, every time.
QR: Final = int(dns.flags.QR)
AA: Final = int(dns.flags.AA)
TC: Final = int(dns.flags.TC)
#: Rcodes whose responses need not repeat the question (as dnspython's ``is_response``).
_NO_QUESTION_NEEDED: Final = frozenset({1, 2, 4, 5})  # FORMERR SERVFAIL NOTIMP REFUSED
#: As dnspython: at most this many compression pointers in one name.
_MAX_POINTERS: Final = 16
#: A query's header after its ID: RD, one question, and an OPT record or none.
_HEADER: Final = b"\x01\0\0\x01\0\0\0\0\0\0"
_HEADER_EDNS: Final = b"\x01\0\0\x01\0\0\0\0\0\x01"

#: A name of plain labels, as the core writes them: encoded here, anything else by dnspython.
_PLAIN_NAME = re.compile(r"(?:[a-z0-9_-]{1,63}\.)*[a-z0-9_-]{1,63}")
#: Octets dnspython writes escaped in a name's text.
_NEEDS_ESCAPE = re.compile(rb'[^\x21-\x7e]|["().;\\@$]')
_ESCAPED = b'"().;\\@$'


class _Unusual(Exception):
    """Not for the lean reader: dnspython reads this message."""


class Question(NamedTuple):
    """One question, encoded: ``query`` puts an ID in front of ``wire``. (A named tuple:
    one is made for every distinct question of a run.)"""

    text: str  # the name as dnspython writes it, lower case (for matching the response)
    rdtype: int
    wire: bytes  # the query after its ID
    #: The question section as a response repeats it: the name (in lower case), the
    #: type and the class.
    section: bytes = b""


def encode_question(name: str, rdtype: int, payload: int | None) -> Question | None:
    """The query for ``rdtype`` at ``name`` (normalised), as ``dns.message.make_query``
    writes it (RD set; an OPT record offering ``payload`` octets unless None).

    None when ``name`` cannot be carried by DNS (an empty label, over 255 octets).
    """
    if len(name) < 254 and _PLAIN_NAME.fullmatch(name):
        encoded_name = bytearray()
        for label in name.encode("ascii").split(b"."):
            encoded_name.append(len(label))
            encoded_name += label
        encoded_name.append(0)
        qname = bytes(encoded_name)
        text = name + "."
    else:
        import dns.name

        try:
            encoded = dns.name.from_text(name + "." if name else ".").to_wire()
        except dns.exception.DNSException:
            return None
        assert encoded is not None
        qname = encoded
        text = _read_name(qname, 0, len(qname), {})[0] + "."
    opt = b"" if payload is None else b"\0\0\x29" + payload.to_bytes(2, "big") + bytes(6)
    header = _HEADER_EDNS if opt else _HEADER
    section = qname + rdtype.to_bytes(2, "big") + b"\0\x01"
    return Question(text.lower(), rdtype, header + section + opt,
                    qname.lower() + section[-4:])


def query(qid: int, question: Question) -> bytes:
    """The query's datagram with ID ``qid``."""
    return qid.to_bytes(2, "big") + question.wire


@dataclass(slots=True)
class Reply:
    """What the live resolver reads of a response (see the module's docstring)."""

    id: int
    flags: int
    rcode: int  # with the EDNS extended bits
    question: tuple[tuple[str, int, int], ...]  # (name text in lower case, type, class)
    has_answer: bool  # the answer section holds any record at all
    #: IN records of ``TEXT_TYPES`` in the answer section, (owner, type) -> texts in order.
    answer: dict[tuple[str, int], list[str]] = field(default_factory=dict)
    authority_ns: bool = False
    soa_zones: tuple[str, ...] = ()  # owners of the SOA records in the authority section
    #: The answer to the reply's own question once read from it alone (the resolver's cache).
    own: Answer | None = None

    def answers(self, question: Question, qid: int) -> bool:
        """Whether this is the response to ``question`` sent with ``qid`` (as dnspython's
        ``Message.is_response``)."""
        if not self.flags & QR or self.id != qid or self.flags & 0x7800:
            return False
        if not self.question:
            return self.rcode in _NO_QUESTION_NEEDED
        wanted = (question.text, question.rdtype, CLASS_IN)
        return all(asked == wanted for asked in self.question)


def decode(data: bytes, asked: Question | None = None) -> Reply | None:
    """The ``Reply`` in a datagram, or None when dnspython would refuse it.

    ``asked``, the question the datagram should answer, only saves work: when the
    response repeats it (case aside), its name is not read again, and the names that
    point back to it are known. What is read is the same either way."""
    try:
        return _decode(data, asked)
    except (_Unusual, IndexError):
        pass
    import dns.message

    try:
        message = dns.message.from_wire(data)
    except (dns.exception.DNSException, ValueError):
        return None
    return reply_of(message)


def reply_of(message: dns.message.Message) -> Reply:
    """The ``Reply`` of a message dnspython read (TCP answers, unusual datagrams)."""
    from mailzone.dns.zonedir import rdata_text

    answer: dict[tuple[str, int], list[str]] = {}
    for rrset in message.answer:
        if rrset.rdclass == CLASS_IN and rrset.rdtype in TEXT_TYPES:
            key = (normalize_name(rrset.name.to_text()), int(rrset.rdtype))
            texts = []
            for rdata in rrset:
                try:
                    texts.append(rdata_text(rdata))
                except ValueError:  # data dnspython holds without reading it
                    continue
            answer[key] = texts
    authority = [rrset for rrset in message.authority]
    question = tuple((rrset.name.to_text().lower(), int(rrset.rdtype), int(rrset.rdclass))
                     for rrset in message.question)
    return Reply(
        id=message.id, flags=int(message.flags), rcode=int(message.rcode()),
        question=question, has_answer=bool(message.answer), answer=answer,
        authority_ns=any(rrset.rdtype == NS for rrset in authority),
        soa_zones=tuple(normalize_name(rrset.name.to_text()) for rrset in authority
                        if rrset.rdtype == SOA),
    )


# -- the lean reader ------------------------------------------------------------------------


def _label_text(label: bytes) -> str:
    """A label as dnspython writes it: specials escaped with '\\', other octets as \\DDD."""
    if _NEEDS_ESCAPE.search(label) is None:
        return label.decode("ascii")
    return "".join("\\" + chr(c) if c in _ESCAPED else chr(c) if 0x20 < c < 0x7F
                   else f"\\{c:03d}" for c in label)


#: A name read at an offset of a message: its labels' text (no final dot), its octets
#: (the root's included), where its first run of labels ends, and its pointers.
_Read = tuple[str, int, int, int]


def _read_name(data: bytes, pos: int, end: int, seen: dict[int, _Read],
               text: bool = True) -> tuple[str, int]:
    """The name at ``pos``, as dnspython's ``to_text()`` writes it less the final dot,
    and the position after it. With ``text=False`` the name is only checked (most of
    a response's names are never read): it stands as '' for the root, '?' for others.

    The reads follow dnspython's rules: a pointer must point before the previous
    one and before the start of the labels that hold it, at most 16 pointers,
    at most 255 octets; nothing is read at or past ``end``. ``seen`` holds the
    names already read in this message by offset, which compression points back to.
    """
    first = pos
    labels: list[str] = []
    octets = 1
    start = pos
    after = -1
    pointers = 0
    while True:
        if pos >= end:
            raise _Unusual
        length = data[pos]
        if length == 0:
            pos += 1
            break
        if length < 64:
            stop = pos + 1 + length
            if stop > end:
                raise _Unusual
            if text:
                labels.append(_label_text(data[pos + 1:stop]))
            octets += length + 1
            pos = stop
        elif length >= 192:
            if pos + 2 > end:
                raise _Unusual
            target = ((length & 0x3F) << 8) | data[pos + 1]
            if after < 0:
                after = pos + 2
            pointers += 1
            # ``start`` is the biggest pointer yet (or the name's start): point before it.
            if target >= start or pointers > _MAX_POINTERS:
                raise _Unusual
            known = seen.get(target)
            # A name read before stands for the rest when it fits where it is pointed
            # to from: its first labels end before this run's start, as dnspython wants.
            if known is not None and known[2] <= start and pointers + known[3] <= _MAX_POINTERS:
                if known[0]:
                    labels.append(known[0])
                octets += known[1] - 1
                pointers += known[3]
                break
            end = start  # the target may not overlap this name
            start = pos = target
        else:
            raise _Unusual
    if octets > 255:
        raise _Unusual
    if after < 0:
        after = pos
    if not text:
        return ("" if octets == 1 else "?"), after
    joined = ".".join(labels)
    seen[first] = (joined, octets, after, pointers)
    return joined, after


def _decode(data: bytes, asked: Question | None = None) -> Reply:
    size = len(data)
    if size < 12:
        raise _Unusual
    qid = (data[0] << 8) | data[1]
    flags = (data[2] << 8) | data[3]
    if flags & 0x7800:  # an opcode other than QUERY: another kind of message
        raise _Unusual
    qdcount = (data[4] << 8) | data[5]
    ancount = (data[6] << 8) | data[7]
    nscount = (data[8] << 8) | data[9]
    arcount = (data[10] << 8) | data[11]
    if qdcount > 1:
        raise _Unusual
    question: tuple[tuple[str, int, int], ...] = ()
    seen_names: dict[int, _Read] = {}
    pos = 12
    name_end = 8 + len(asked.section) if asked is not None else 0  # 12 + the name
    if (qdcount and asked is not None and data[12:name_end].lower() == asked.section[:-4]
            and data[name_end:name_end + 4] == asked.section[-4:]):
        # The question as sent (the name's case aside, as DNS has it): a name of labels
        # alone, ``asked.text``, that names pointing to it stand for.
        pos = name_end + 4
        seen_names[12] = (asked.text[:-1], name_end - 12, name_end, 0)
        question = ((asked.text, asked.rdtype, CLASS_IN),)
    elif qdcount:
        text, pos = _read_name(data, pos, size, seen_names)
        if pos + 4 > size:
            raise _Unusual
        question = ((text.lower() + ".", (data[pos] << 8) | data[pos + 1],
                     (data[pos + 2] << 8) | data[pos + 3]),)
        pos += 4
    answer: dict[tuple[str, int], list[str]] = {}
    authority_ns = False
    soa_zones: list[str] = []
    rcode = flags & 0xF
    opt_seen = False
    values: set[tuple[tuple[str, int], bytes | str]] = set()
    for section, count in ((1, ancount), (2, nscount), (3, arcount)):
        for _ in range(count):
            known = seen_names.get(((data[pos] & 0x3F) << 8) | data[pos + 1]) if (
                data[pos] >= 0xC0 and pos + 2 <= size) else None
            # Owners are read in the answer (its keys) and the authority (SOA zones);
            # the additional section's are only checked.
            if known is not None and known[2] <= pos and known[3] < _MAX_POINTERS:
                # A pointer alone to a name read before (nearly every owner): what
                # ``_read_name`` would make of it, without the call.
                owner = known[0] if section != 3 or not known[0] else "?"
                if section != 3:
                    seen_names[pos] = (owner, known[1], pos + 2, known[3] + 1)
                pos += 2
            else:
                owner, pos = _read_name(data, pos, size, seen_names, text=section != 3)
            if pos + 10 > size:
                raise _Unusual
            rdtype = (data[pos] << 8) | data[pos + 1]
            rdclass = (data[pos + 2] << 8) | data[pos + 3]
            rdlen = (data[pos + 8] << 8) | data[pos + 9]
            start = pos + 10
            stop = start + rdlen
            if stop > size:
                raise _Unusual
            if rdtype == OPT:
                if section != 3 or opt_seen or owner != "" or not _plain_options(
                        data, start, stop):
                    raise _Unusual  # misplaced, or with other options: dnspython judges it
                opt_seen = True
                rcode |= data[pos + 4] << 4  # the extended rcode: the TTL's top octet
                pos = stop
                continue
            if rdclass != CLASS_IN:
                raise _Unusual
            text = _rdata(data, rdtype, start, stop, seen_names, text=section == 1)
            pos = stop
            if section == 1:
                if rdtype != SOA:
                    # One record per value, as dnspython's rdatasets: TXT values are
                    # told apart by their strings, the others by their text.
                    key = (owner.rstrip(".").lower(), rdtype)
                    same = (key, data[start:stop] if rdtype == TXT else text)
                    if rdtype == CNAME:  # one CNAME per name: the last one read stands
                        answer[key] = [text]
                    elif same not in values:
                        values.add(same)
                        answer.setdefault(key, []).append(text)
            elif section == 2:
                if rdtype == NS:
                    authority_ns = True
                elif rdtype == SOA:
                    soa_zones.append(owner.rstrip(".").lower())
    if pos != size:
        raise _Unusual  # trailing octets: dnspython refuses the message
    return Reply(qid, flags, rcode, question, ancount > 0, answer, authority_ns,
                 tuple(dict.fromkeys(soa_zones)))


def _plain_options(data: bytes, start: int, stop: int) -> bool:
    """Whether an OPT record's options are none but Extended DNS Errors (RFC 8914), which
    servers add to refusals and failures, in the form dnspython accepts: an info-code
    and UTF-8 text. Nothing of them is read: the rcode says what the audit needs."""
    pos = start
    while pos < stop:
        if pos + 4 > stop:
            return False
        code = (data[pos] << 8) | data[pos + 1]
        length = (data[pos + 2] << 8) | data[pos + 3]
        end = pos + 4 + length
        if code != _EDE or length < 2 or end > stop:
            return False
        text = data[pos + 6:end]
        try:
            (text[:-1] if text.endswith(b"\0") else text).decode("utf-8")
        except UnicodeDecodeError:
            return False
        pos = end
    return True


def _rdata(data: bytes, rdtype: int, start: int, stop: int, seen: dict[int, _Read],
           text: bool = True) -> str:
    """One record's data as ``Answer.records`` writes it (SOA gives ''); with
    ``text=False`` only checked, and '' stands for it."""
    if rdtype == A:
        if stop - start != 4:
            raise _Unusual
        return socket.inet_ntoa(data[start:stop]) if text else ""
    if rdtype == TXT:
        if stop == start:
            raise _Unusual  # no string at all: dnspython refuses the record
        strings = []
        pos = start
        while pos < stop:
            length = data[pos]
            pos += 1 + length
            if pos > stop:
                raise _Unusual
            strings.append(data[pos - length:pos])
        return b"".join(strings).decode("utf-8", errors="replace") if text else ""
    if rdtype in (CNAME, NS, PTR):
        name, pos = _read_name(data, start, stop, seen, text)
        if pos != stop:
            raise _Unusual
        return name.rstrip(".").lower()
    if rdtype == MX:
        if stop - start < 3:
            raise _Unusual
        name, pos = _read_name(data, start + 2, stop, seen, text)
        if pos != stop:
            raise _Unusual
        return f"{(data[start] << 8) | data[start + 1]} {name.rstrip('.').lower()}"
    if rdtype == AAAA:
        if stop - start != 16:
            raise _Unusual
        return dns.ipv6.inet_ntoa(data[start:stop]) if text else ""
    if rdtype == SOA:
        _, pos = _read_name(data, start, stop, seen, text=False)
        _, pos = _read_name(data, pos, stop, seen, text=False)
        if stop - pos != 20:
            raise _Unusual
        return ""
    raise _Unusual
