"""What the live audit's DNS traffic needs at least: its questions through a minimal client.

    .venv/bin/python bench/audit_floor.py NAMESERVER_ADDRESS DOMAIN_LIST OUT.json [RUNS]

First ``mailzone check`` runs in this process, untimed, and the distinct
questions it asked are recorded as its ``Audit`` counts them. Then those
questions go to the same server through the smallest asyncio UDP client that
still does the work: one socket, a window of 32 in flight (``check``'s
default concurrency), queries built with ``struct``, answers cut into their
records without building objects. Its time is the floor for the exchange in
Python on this machine; the audit's own work (parsing records, judging) comes
on top.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import statistics
import struct
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

WINDOW = 32


def record_questions(address: str, listing: str) -> list[tuple[str, int]]:
    """The distinct questions of a ``mailzone check`` run: every key its ``Audit``
    counts as asked (``_Distinct.add``, which keeps only their hashes)."""
    import dns.rdatatype

    from mailzone.audit import run as audit_module
    from mailzone.cli.main import main

    asked: set[tuple[str, object]] = set()
    original = audit_module._Distinct.add

    def recording(self: Any, key: Any) -> None:
        asked.add(key)
        original(self, key)

    audit_module._Distinct.add = recording  # type: ignore[method-assign]
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            main(["check", "--file", listing, "--nameserver", f"{address}:53",
                  "--format", "jsonl", "--no-progress"])
    finally:
        audit_module._Distinct.add = original  # type: ignore[method-assign]
    return sorted((name, int(dns.rdatatype.from_text(str(rdtype)))) for name, rdtype in asked)


def query_wire(qid: int, name: str, rdtype: int) -> bytes:
    out = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 1)
    for label in name.rstrip(".").split("."):
        data = label.encode()
        out += bytes([len(data)]) + data
    return out + b"\0" + struct.pack("!HH", rdtype, 1) + b"\0" + struct.pack(
        "!HHIH", 41, 1232, 0, 0)


def _skip_name(data: bytes, pos: int) -> int:
    while True:
        length = data[pos]
        if length == 0:
            return pos + 1
        if length & 0xC0 == 0xC0:
            return pos + 2
        pos += length + 1


def answer_records(data: bytes) -> tuple[int, int, list[tuple[int, bytes]]]:
    qid, flags, qdcount, ancount = struct.unpack_from("!HHHH", data)
    pos = 12
    for _ in range(qdcount):
        pos = _skip_name(data, pos) + 4
    records = []
    for _ in range(ancount):
        pos = _skip_name(data, pos)
        rdtype, _, _, length = struct.unpack_from("!HHIH", data, pos)
        pos += 10
        records.append((rdtype, data[pos:pos + length]))
        pos += length
    return qid, flags & 0xF, records


class _Client(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.waiting: dict[int, asyncio.Future[tuple[int, list[tuple[int, bytes]]]]] = {}

    def datagram_received(self, data: bytes, addr: Any) -> None:
        qid, rcode, records = answer_records(data)
        future = self.waiting.pop(qid, None)
        if future is not None and not future.done():
            future.set_result((rcode, records))


async def exchange(address: str, questions: list[tuple[str, int]]) -> float:
    loop = asyncio.get_running_loop()
    transport, client = await loop.create_datagram_endpoint(_Client, remote_addr=(address, 53))
    window = asyncio.Semaphore(WINDOW)
    next_id = iter(range(1, 65536))

    async def ask(name: str, rdtype: int) -> tuple[int, list[tuple[int, bytes]]]:
        async with window:
            qid = next(next_id)
            future = loop.create_future()
            client.waiting[qid] = future
            transport.sendto(query_wire(qid, name, rdtype))
            return await asyncio.wait_for(future, 2.0)

    started = time.perf_counter()
    await asyncio.gather(*(ask(name, rdtype) for name, rdtype in questions))
    seconds = time.perf_counter() - started
    transport.close()
    return seconds


def main() -> int:
    address, listing, out = sys.argv[1:4]
    runs = int(sys.argv[4]) if len(sys.argv) > 4 else 3
    questions = record_questions(address, listing)[:65000]
    asyncio.run(exchange(address, questions))  # warm-up
    times = [asyncio.run(exchange(address, questions)) for _ in range(runs)]
    Path(out).write_text(json.dumps({"questions": len(questions), "seconds": times,
                                     "median": statistics.median(times)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
