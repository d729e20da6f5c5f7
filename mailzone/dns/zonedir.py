"""A resolver over a directory of BIND zone files: the offline default.

``ZoneDirResolver(directory)`` reads every ``*.zone`` file in ``directory``, and
every ``db.*`` file as BIND's own examples name them. The zone's origin is the
file name minus ``.zone`` (``example.org.zone`` holds the zone ``example.org``)
or minus ``db.`` (``db.example.org``), as the integration tests' NSD serves the
``.zone`` files; ``$ORIGIN`` inside a file only changes how relative names are
completed.
Each file needs an SOA and an NS record at that origin.

Answers are what a recursive resolver would give if the zones were the whole
internet:

- CNAME chains are followed, across zones too (``MemoryResolver`` does it);
- a name that does not exist in its zone is NXDOMAIN; a name that exists (or
  has names below it: an empty non-terminal) without data of the asked type is
  an empty answer that is not NXDOMAIN;
- a name outside every zone of the directory is NXDOMAIN (a live server would
  refuse it or answer from the real internet; offline, it does not exist);
- where zones nest (``example.com`` and ``sub.example.com``), the most specific
  zone alone answers for its names, as an authoritative server does;
- records come in sorted order (an RRset has no order), and only the types of
  ``RdType`` are kept; other types (SOA, CAA, SRV, ...) are checked and dropped.

A file that is not a clean zone file raises ``ZoneFileError`` naming the file,
the line and the fix; nothing is loaded when any file is bad. Beyond syntax,
the checks NSD makes are made too: data outside the zone, a CNAME beside other
data, two CNAMEs at one name. Wildcard owners (``*.example.com``) are refused
(they would need synthesis this resolver does not do), and so are the
directives other than ``$ORIGIN`` and ``$TTL`` (``$INCLUDE``, ``$GENERATE``).

Speed: dnspython's zone reader (``dns.zone.from_file``) is the reference but
takes about a millisecond per small zone. Files in the plain subset of the
syntax that real zone files use (printable ASCII, no backslash escapes, names
of letters, digits, ``-`` and ``_``) are read by a small scanner here instead;
anything it is unsure of is read by dnspython, which also words every syntax
error. Tests hold both readers to the same results.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import dns.exception
import dns.ipv4
import dns.ipv6
import dns.name
import dns.node
import dns.rdata
import dns.rdataclass
import dns.rdataset
import dns.rdatatype
import dns.rdtypes.ANY.CNAME
import dns.rdtypes.ANY.MX
import dns.rdtypes.ANY.NS
import dns.rdtypes.ANY.PTR
import dns.rdtypes.ANY.TXT
import dns.rdtypes.IN.A
import dns.rdtypes.IN.AAAA
import dns.transaction
import dns.ttl
import dns.zone
import dns.zonefile

from mailzone.dns.memory import MemoryResolver
from mailzone.dns.resolver import Answer, RdType, normalize_name
from mailzone.errors import ZoneFileError

ZONE_SUFFIX = ".zone"
ZONE_PREFIX = "db."  # BIND's naming: db.example.org
#: How a file names its zone, for messages.
FILE_NAMES = f"<zone>{ZONE_SUFFIX} or {ZONE_PREFIX}<zone>"

# name -> type -> values, for one zone while it is read.
_Records = dict[str, dict[RdType, set[str]]]

_RDTYPES: dict[int, RdType] = {dns.rdatatype.from_text(t.value): t for t in RdType}

_GENERIC_FIX = (
    "correct that line (zone file syntax: RFC 1035 section 5); "
    "`nsd-checkzone {zone} {path}` checks a file the way the test server reads it"
)


def rdata_text(rdata: dns.rdata.Rdata) -> str:
    """The presentation form ``Answer.records`` uses for one rdata (see ``Answer``).

    Raises ``ValueError`` for a type that is not an ``RdType``.
    """
    if isinstance(rdata, dns.rdtypes.ANY.TXT.TXT):
        return b"".join(rdata.strings).decode("utf-8", errors="replace")
    if isinstance(rdata, dns.rdtypes.IN.A.A | dns.rdtypes.IN.AAAA.AAAA):
        return str(rdata.address)
    if isinstance(rdata, dns.rdtypes.ANY.MX.MX):
        return f"{rdata.preference} {normalize_name(rdata.exchange.to_text())}"
    if isinstance(
        rdata, dns.rdtypes.ANY.CNAME.CNAME | dns.rdtypes.ANY.NS.NS | dns.rdtypes.ANY.PTR.PTR
    ):
        return normalize_name(rdata.target.to_text())
    raise ValueError(f"no presentation form for {dns.rdatatype.to_text(rdata.rdtype)}")


def _in_zone(name: str, zone: str) -> bool:
    return not zone or name == zone or name.endswith("." + zone)


class ZoneDirResolver(MemoryResolver):
    """Answers from the zone files of ``directory`` (see the module's docstring)."""

    def __init__(self, directory: Path | str) -> None:
        self._directory = Path(directory)
        if not self._directory.is_dir():
            raise ZoneFileError(
                f"zone directory {self._directory} does not exist or is not a directory: "
                f"give a directory holding one {FILE_NAMES} file per zone"
            )
        loaded: dict[str, tuple[Path, _Records]] = {}
        paths = {*self._directory.glob("*" + ZONE_SUFFIX), *self._directory.glob(ZONE_PREFIX + "*")}
        for path in sorted(paths):
            if not path.is_file():
                continue
            zone = _zone_of_file(path)
            if zone in loaded:
                raise ZoneFileError(
                    f"{path}: zone {zone} is also in {loaded[zone][0]}: "
                    f"keep one file per zone (file names are compared in lower case)"
                )
            loaded[zone] = (path, read_zone_file(path, zone))
        super().__init__()
        self._zones = tuple(sorted(loaded))
        self._zone_set = frozenset(self._zones)
        self._by_name: dict[str, dict[RdType, tuple[str, ...]]] = {}
        self._names_in: dict[str, list[str]] = {zone: [] for zone in self._zones}
        for zone, (_, records) in loaded.items():
            for name, by_type in records.items():
                if self.zone_of(name) != zone:
                    continue  # a more specific zone of the directory owns this name
                if not by_type:
                    self.add_name(name)  # it holds only types not kept (SRV, CAA, ...)
                    continue
                self._names_in[zone].append(name)
                sorted_types: dict[RdType, tuple[str, ...]] = {}
                for rdtype, values in by_type.items():
                    sorted_types[rdtype] = tuple(sorted(values))
                    self.add(name, rdtype, sorted_types[rdtype])
                self._by_name[name] = sorted_types
        for names in self._names_in.values():
            names.sort()

    @property
    def directory(self) -> Path:
        return self._directory

    @property
    def zones(self) -> tuple[str, ...]:
        """The zones of the directory, sorted (names lower case, no trailing dot)."""
        return self._zones

    def zone_of(self, name: str) -> str | None:
        """The most specific zone of the directory that ``name`` falls in, if any."""
        current = normalize_name(name)
        while True:
            if current in self._zone_set:
                return current
            if not current:
                return None
            _, _, current = current.partition(".")

    def names_in(self, zone: str) -> list[str]:
        """The names holding records of ``zone`` (of the ``RdType`` types), sorted."""
        return list(self._names_in.get(normalize_name(zone), []))

    def records_at(self, name: str) -> dict[RdType, tuple[str, ...]]:
        """Every record set at ``name`` itself (no CNAME following), by type."""
        return dict(self._by_name.get(normalize_name(name), {}))

    def answer(self, name: str, rdtype: RdType) -> Answer:
        asked = normalize_name(name)
        if self.zone_of(asked) is None:
            return Answer(asked, rdtype, (), nxdomain=True)
        return super().answer(asked, rdtype)


def _zone_of_file(path: Path) -> str:
    name = path.name
    text = name[: -len(ZONE_SUFFIX)] if name.endswith(ZONE_SUFFIX) else name[len(ZONE_PREFIX):]
    plain = text.rstrip(".")
    if _NAME_BODY.fullmatch(plain) and len(plain) <= 253:
        return plain.lower()
    try:
        origin = dns.name.from_text(text.rstrip(".") + ".")
    except dns.exception.DNSException as error:
        raise ZoneFileError(
            f"{path}: the file name must be {FILE_NAMES}, and {text!r} is not a "
            f"domain name ({error}): rename the file after the zone it holds"
        ) from None
    if origin == dns.name.root:
        raise ZoneFileError(f"{path}: the file name must be {FILE_NAMES}: name the zone")
    return normalize_name(origin.to_text())


def read_zone_file(path: Path, zone: str) -> dict[str, dict[RdType, set[str]]]:
    """The records of one zone file, by name and type: the zone's origin is ``zone``.

    Raises ``ZoneFileError`` naming the file, the line and the fix.
    """
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ZoneFileError(
            f"{path}: cannot read the zone file ({error.strerror}): check it exists and is readable"
        ) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ZoneFileError(
            f"{path}, line {line}: byte {data[error.start]:#04x} is not UTF-8 text: "
            f"save the file as UTF-8 (write other bytes in TXT data as \\DDD escapes)"
        ) from None
    records = _Scanner(text, zone, path).scan()
    if records is None:
        records = _read_with_dnspython(text, zone, path)
    return records


# --- dnspython: the reference reader ------------------------------------------------------


def _show(name: dns.name.Name) -> str:
    return normalize_name(name.to_text())


def _dns_syntax_error(message: str) -> dns.exception.SyntaxError:
    return dns.exception.SyntaxError(message)  # type: ignore[no-untyped-call]


def _strict_checks(txn: dns.transaction.Transaction) -> None:
    """Checks NSD makes and dnspython does not, raised as syntax errors to get a line."""

    def check(
        txn: dns.transaction.Transaction, name: dns.name.Name, rdataset: dns.rdataset.Rdataset
    ) -> None:
        if name.is_wild():
            raise _dns_syntax_error(
                f"wildcard owner {_show(name)}: this resolver does not synthesise wildcard "
                f"answers; list the names the wildcard stands for"
            )
        node = txn.get_node(name)
        if node is None:
            return
        kind = dns.node.NodeKind.classify_rdataset(rdataset)
        node_kind = node.classify()
        if {kind, node_kind} == {dns.node.NodeKind.CNAME, dns.node.NodeKind.REGULAR}:
            raise _dns_syntax_error(
                f"CNAME and other data at {_show(name)}: a name with a CNAME can hold no other "
                f"record (RFC 1034 3.6.2); remove the CNAME or the other records"
            )
        if rdataset.rdtype == dns.rdatatype.CNAME:
            existing = txn.get(name, dns.rdatatype.CNAME)
            if existing is not None and set(existing) != set(rdataset):
                raise _dns_syntax_error(
                    f"two CNAMEs at {_show(name)}: a name has at most one CNAME; keep one"
                )

    txn.check_put_rdataset(check)


_DNSPYTHON_LINE = re.compile(r"^(?P<file>.*):(?P<line>\d+): (?P<detail>.*)$", re.DOTALL)


def _parse_with_dnspython(text: str, zone: str, path: Path, check_origin: bool) -> dns.zone.Zone:
    return dns.zone.from_file(
        io.StringIO(text),
        origin=zone + ".",
        relativize=False,
        filename=str(path),
        allow_include=False,
        allow_directives=["$ORIGIN", "$TTL"],
        check_origin=check_origin,
        transaction_setup=_strict_checks,
    )


def _error_line(text: str, zone: str, path: Path, line: int, detail: str) -> int:
    """The line of a dnspython syntax error: it often reports the next one.

    dnspython reads the end of the offending line before it notices, and names
    the line after it. If the file cut before the reported line fails the same
    way, the problem is on the line before.
    """
    if line <= 1:
        return line
    prefix = "".join(text.splitlines(keepends=True)[: line - 1])
    try:
        _parse_with_dnspython(prefix, zone, path, check_origin=False)
    except dns.exception.SyntaxError as error:
        match = _DNSPYTHON_LINE.match(str(error))
        if match is not None and match["detail"] == detail:
            return line - 1
    except (dns.exception.DNSException, ValueError):
        pass
    return line


def _read_with_dnspython(text: str, zone: str, path: Path) -> _Records:
    try:
        parsed = _parse_with_dnspython(text, zone, path, check_origin=True)
    except dns.exception.SyntaxError as error:
        raise _syntax_error(str(error), text, zone, path) from None
    except dns.zone.NoSOA:
        raise ZoneFileError(
            f"{path}: no SOA record at the zone's apex {zone} (the zone is named after the "
            f"file): add `@ SOA <primary-ns> <hostmaster> <serial> <refresh> <retry> <expire> "
            f"<minimum>`, or rename the file after the zone it holds"
        ) from None
    except dns.zone.NoNS:
        raise ZoneFileError(
            f"{path}: no NS record at the zone's apex {zone}: add `@ NS <name server>`"
        ) from None
    except ValueError as error:  # dnspython's transaction refuses an SOA away from the apex
        if "non-origin SOA" in str(error):
            raise ZoneFileError(
                f"{path}: an SOA record is not at the zone's apex {zone} (the zone is named "
                f"after the file): the SOA belongs at @; remove the other one"
            ) from None
        raise ZoneFileError(
            f"{path}: {error}: {_GENERIC_FIX.format(zone=zone, path=path)}"
        ) from None
    except dns.exception.DNSException as error:
        raise ZoneFileError(
            f"{path}: {error}: {_GENERIC_FIX.format(zone=zone, path=path)}"
        ) from None
    records: _Records = {}
    for owner, node in parsed.nodes.items():
        name = normalize_name(owner.to_text())
        records.setdefault(name, {})
        for rdataset in node:
            rdtype = _RDTYPES.get(rdataset.rdtype)
            if rdtype is None or rdataset.covers != dns.rdatatype.NONE:
                continue
            values = records.setdefault(name, {}).setdefault(rdtype, set())
            values.update(rdata_text(rdata) for rdata in rdataset)
    return records


def _syntax_error(message: str, text: str, zone: str, path: Path) -> ZoneFileError:
    match = _DNSPYTHON_LINE.match(message)
    if match is None:
        return ZoneFileError(f"{path}: {message}: {_GENERIC_FIX.format(zone=zone, path=path)}")
    line = _error_line(text, zone, path, int(match["line"]), match["detail"])
    detail = match["detail"].rstrip(".")
    lines = text.splitlines()
    if 0 < line <= len(lines) and lines[line - 1].strip():
        shown = lines[line - 1].strip()
        detail += f" in `{shown[:77] + '...' if len(shown) > 80 else shown}`"
    if "directive" in detail and "not allowed" in detail:
        fix = "only $ORIGIN and $TTL are read: inline $INCLUDEd files and expand $GENERATE"
    elif detail.startswith(("wildcard", "CNAME and other", "two CNAMEs")):
        return ZoneFileError(f"{path}, line {line}: {detail}")
    elif detail.startswith("unknown rdatatype"):
        fix = "check the record type's spelling (A, AAAA, MX, TXT, CNAME, NS, PTR, ...)"
    elif "Missing default TTL" in detail:
        fix = "put `$TTL 3600` (or the TTL you want) at the top of the file"
    else:
        fix = _GENERIC_FIX.format(zone=zone, path=path)
    return ZoneFileError(f"{path}, line {line}: {detail}: {fix}")


# --- the fast reader for plain zone files ------------------------------------------------

# Characters a plain file may hold: printable ASCII, tab, newline (dnspython treats
# a carriage return as data, so CRLF files go to dnspython).
_NOT_PLAIN = re.compile(r"[^\t\n\x20-\x7e]")
# A quoted string (no escapes), a comment, a parenthesis, a word, or any other
# character (a backslash, an unterminated quote: not plain).
_TOKEN = re.compile(r'"[^"\\]*"|;.*|[()]|[^ \t"();\\]+|[^ \t]')
_NAME_BODY = re.compile(r"[A-Za-z0-9_-]{1,63}(?:\.[A-Za-z0-9_-]{1,63})*")
_UINT16_MAX = 0xFFFF
_UINT32_MAX = 0xFFFFFFFF
_NATIVE = {
    dns.rdatatype.A,
    dns.rdatatype.AAAA,
    dns.rdatatype.MX,
    dns.rdatatype.TXT,
    dns.rdatatype.CNAME,
    dns.rdatatype.NS,
    dns.rdatatype.PTR,
    dns.rdatatype.SOA,
}


_TYPE_CACHE: dict[str, dns.rdatatype.RdataType] = {}


class _NotPlain(Exception):
    """The scanner is unsure: dnspython reads the file instead."""


class _Scanner:
    """Reads a plain zone file (see the module's docstring) or gives up with ``None``.

    It accepts only what dnspython accepts, and yields the same records: where it
    is not sure, it gives up and dnspython decides. It raises ``ZoneFileError``
    itself only for data outside the zone, which dnspython ignores and NSD refuses, and
    for an SOA away from the apex, which dnspython refuses without a line number.
    """

    def __init__(self, text: str, zone: str, path: Path) -> None:
        self.text = text
        self.zone = zone
        self.path = path
        self.records: _Records = {}
        self.kinds: dict[str, set[dns.rdatatype.RdataType]] = {}
        self.cnames: dict[str, set[str]] = {}
        self.origin = zone
        self.last_name = zone
        self.ttl_known = False
        self.soa = False
        self.line = 0

    def scan(self) -> _Records | None:
        if _NOT_PLAIN.search(self.text) or _NAME_BODY.fullmatch(self.zone) is None:
            return None
        try:
            for line, indented, tokens in self._lines():
                self._line(line, indented, tokens)
        except _NotPlain:
            return None
        if not self.soa or dns.rdatatype.NS not in self.kinds.get(self.zone, set()):
            return None  # dnspython words the error
        for name, kinds in self.kinds.items():
            if dns.rdatatype.CNAME in kinds and (
                len(self.cnames[name]) > 1
                or any(
                    dns.node.NodeKind.classify(kind, dns.rdatatype.NONE)
                    is dns.node.NodeKind.REGULAR
                    for kind in kinds
                )
            ):
                return None  # dnspython, with the checks above, words the error
        return self.records

    def _lines(self) -> Iterator[tuple[int, bool, list[str]]]:
        """Logical lines: (first line number, starts with blank, tokens without parens)."""
        tokens: list[str] = []
        depth = 0
        first = 0
        indented = False
        for number, physical in enumerate(self.text.split("\n"), start=1):
            if depth == 0:
                first = number
                indented = physical[:1] in (" ", "\t")
            for token in _TOKEN.findall(physical):
                if token == "(":
                    depth += 1
                elif token == ")":
                    depth -= 1
                    if depth < 0:
                        raise _NotPlain
                elif token[0] == ";":
                    pass  # a comment
                elif len(token) == 1 and token in '"\\':
                    raise _NotPlain
                else:
                    tokens.append(token)
            if depth == 0 and tokens:
                yield first, indented, tokens
                tokens = []
        if depth:
            raise _NotPlain

    def _name(self, token: str) -> str:
        if token == "@":
            return self.origin
        absolute = token.endswith(".")
        body = token[:-1] if absolute else token
        if _NAME_BODY.fullmatch(body) is None:
            raise _NotPlain
        body = body.lower()
        name = body if absolute or not self.origin else f"{body}.{self.origin}"
        if len(name) > 253:
            raise _NotPlain
        return name

    @staticmethod
    def _ttl(token: str) -> int | None:
        if token.isdigit():
            value = int(token)
            return value if value <= dns.ttl.MAX_TTL else None
        if not token[:1].isdigit():
            return None
        try:
            return dns.ttl.from_text(token)
        except dns.exception.DNSException:
            return None

    def _line(self, line: int, indented: bool, tokens: list[str]) -> None:
        self.line = line
        if tokens[0][0] == '"':
            raise _NotPlain
        if not indented and tokens[0][0] == "$":
            self._directive(tokens)
            return
        if not indented:
            self.last_name = self._name(tokens.pop(0))
        owner = self.last_name
        # [TTL] [class] [TTL] type rdata..., as dnspython reads them.
        ttl = self._ttl(tokens[0]) if tokens else None
        if ttl is not None:
            tokens.pop(0)
        if tokens and tokens[0].upper() == "IN":
            tokens.pop(0)
        elif tokens and tokens[0].upper() in ("CH", "CHAOS", "HS", "HESIOD", "NONE", "ANY"):
            raise _NotPlain
        if ttl is None and tokens:
            ttl = self._ttl(tokens[0])
            if ttl is not None:
                tokens.pop(0)
        if not tokens or tokens[0][0] == '"':
            raise _NotPlain
        mnemonic = tokens.pop(0).upper()
        rdtype = _TYPE_CACHE.get(mnemonic)
        if rdtype is None:
            try:
                rdtype = _TYPE_CACHE[mnemonic] = dns.rdatatype.from_text(mnemonic)
            except dns.exception.DNSException:
                raise _NotPlain from None
        if ttl is None and not self.ttl_known and rdtype != dns.rdatatype.SOA:
            raise _NotPlain  # dnspython: missing default TTL
        # A TTL is known from here on; without $TTL, an SOA gives its minimum.
        self.ttl_known = True
        if not _in_zone(owner, self.zone):
            raise ZoneFileError(
                f"{self.path}, line {line}: {owner or '.'} is outside the zone {self.zone} "
                f"(the zone is named after the file): move the record to the file of its "
                f"zone, or fix a missing or extra trailing dot"
            )
        value = self._rdata(rdtype, tokens, owner)
        self.kinds.setdefault(owner, set()).add(rdtype)
        by_type = self.records.setdefault(owner, {})
        known = _RDTYPES.get(rdtype)
        if known is not None and value is not None:
            by_type.setdefault(known, set()).add(value)
            if known is RdType.CNAME:
                self.cnames.setdefault(owner, set()).add(value)

    def _directive(self, tokens: list[str]) -> None:
        directive = tokens[0].upper()
        if len(tokens) != 2 or tokens[1][0] == '"':
            raise _NotPlain
        if directive == "$TTL":
            if self._ttl(tokens[1]) is None:
                raise _NotPlain
            self.ttl_known = True
        elif directive == "$ORIGIN":
            self.origin = self._name(tokens[1])
        else:
            raise _NotPlain

    def _rdata(self, rdtype: dns.rdatatype.RdataType, tokens: list[str], owner: str) -> str | None:
        """The presentation form of one record's data (None: a type not kept)."""
        if rdtype not in _NATIVE:
            try:
                dns.rdata.from_text(
                    dns.rdataclass.IN,
                    rdtype,
                    " ".join(tokens),
                    origin=dns.name.from_text(self.origin + "."),
                    relativize=False,
                )
            except Exception:
                raise _NotPlain from None
            return None
        if rdtype == dns.rdatatype.TXT:
            if not tokens:
                raise _NotPlain
            strings = [token[1:-1] if token[0] == '"' else token for token in tokens]
            if any(len(string) > 255 for string in strings):
                raise _NotPlain
            return "".join(strings)
        if any(token[0] == '"' for token in tokens):
            raise _NotPlain
        try:
            if rdtype == dns.rdatatype.A and len(tokens) == 1:
                return dns.ipv4.canonicalize(tokens[0])
            if rdtype == dns.rdatatype.AAAA and len(tokens) == 1:
                return dns.ipv6.canonicalize(tokens[0])
        except dns.exception.DNSException:
            raise _NotPlain from None
        if rdtype == dns.rdatatype.MX and len(tokens) == 2:
            if not tokens[0].isdigit() or int(tokens[0]) > _UINT16_MAX:
                raise _NotPlain
            return f"{int(tokens[0])} {self._name(tokens[1])}"
        if rdtype in (dns.rdatatype.CNAME, dns.rdatatype.NS, dns.rdatatype.PTR):
            if len(tokens) != 1:
                raise _NotPlain
            return self._name(tokens[0])
        if rdtype == dns.rdatatype.SOA and len(tokens) == 7:
            self._name(tokens[0])
            self._name(tokens[1])
            if not tokens[2].isdigit() or int(tokens[2]) > _UINT32_MAX:
                raise _NotPlain
            if any(self._ttl(token) is None for token in tokens[3:]):
                raise _NotPlain
            if owner != self.zone or self.soa:
                # dnspython words the refusal, so a file with several problems names the
                # same first one whichever reader met it.
                raise _NotPlain
            self.soa = True
            return None
        raise _NotPlain
