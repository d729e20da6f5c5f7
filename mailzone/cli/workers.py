"""``mailzone check --jobs N``: the audit in N processes, one share of the domains each.

The run is CPU-bound in one process (the checks, the answers' reading), while the DNS
server and the machine's other cores wait. Here the parent forks N workers once the
list is read and checked (``fork``: they inherit the parsed arguments, the targets and
the resolver's settings, and the interpreter's hash secret, so their question counts
can be merged); worker ``k`` checks the ``k``-th, ``k+N``-th, ... domain and sends each
report back through a pipe as the bytes the parent will write (``json``, ``jsonl``) or
as the report itself (``text``, which is rendered whole at the end), with what the
summary counts of it. At the end each sends its resolver's counts and the hashes of
the distinct questions it asked: the parent's summary is the run's, the distinct
questions counted once across the workers.

Each worker has its own cache, so a question two shares ask (a provider's include) is
sent by both: the domains' own questions, most of them, are asked by one worker only
(1,000 domains over two workers: 11,701 queries for 11,664 distinct questions). The
bench shows what it buys (bench/README.md).

A worker never writes to the standard streams and leaves with ``os._exit``; a failure
in one is re-raised in the parent, which stops the others. Ctrl-C stops them all.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import selectors
import signal
import traceback
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mailzone.errors import UsageError

if TYPE_CHECKING:
    from mailzone.audit.model import DomainReport, Target

#: What the summary counts of one report: has errors, has findings, timed out, codes.
ReportTally = tuple[bool, bool, bool, tuple[str, ...]]
#: A report as a worker sends it: its position, its tally, what the parent writes.
Sent = tuple[int, ReportTally, Any]
#: A worker's run: its targets with their positions, and where each report goes.
Work = Callable[[Iterator[tuple[int, "Target"]], Callable[[Sent], None]], None]
#: What a worker says when done: its resolver's counts, the questions its domains asked,
#: and the hashes of the distinct ones.
Finished = tuple[dict[str, int], int, "array[int]"]

_FRAME_HEADER = 4  # a frame: its length in four octets, then a pickle


def tally_of(report: DomainReport) -> ReportTally:
    return (report.has_errors, bool(report.findings), report.timed_out,
            tuple(dict.fromkeys(finding.code for finding in report.findings)))


@dataclass
class Totals:
    """What the workers counted, added up: the resolvers' counts, the questions asked
    by the domains, and the distinct questions across all of them."""

    stats: dict[str, int] = field(default_factory=dict)
    asked: int = 0
    distinct: set[int] = field(default_factory=set)


def check_jobs(jobs: int) -> None:
    """``UsageError`` for a ``--jobs`` the system cannot run."""
    if jobs < 1:
        raise UsageError(f"bad --jobs {jobs}: give 1 or more")
    if jobs > 1 and not hasattr(os, "fork"):
        raise UsageError("--jobs above 1 needs fork(), which this system lacks: use --jobs 1")


def run_shared(jobs: int, targets: Iterable[Target], work: Work,
               finish: Callable[[], Finished], take: Callable[[int, ReportTally, Any], None]
               ) -> Totals:
    """Fork ``jobs`` workers; worker ``k`` runs ``work`` over its share of ``targets``
    (with their positions), sending each report, and ``finish`` once it is done; the
    parent hands every report to ``take`` as it arrives and returns the totals."""
    workers: dict[int, int] = {}  # read end -> pid
    try:
        for share in range(jobs):
            read_end, write_end = os.pipe()
            pid = os.fork()
            if pid == 0:  # the worker
                os.close(read_end)
                for other in workers:
                    os.close(other)
                _serve(write_end, share, jobs, targets, work, finish)  # never returns
            os.close(write_end)
            workers[read_end] = pid
        totals = _collect(workers, take)
    except BaseException:
        for pid in workers.values():
            _stop(pid)
        raise
    finally:
        for read_end in workers:
            os.close(read_end)
    for pid in workers.values():
        os.waitpid(pid, 0)
    return totals


def _serve(write_end: int, share: int, jobs: int, targets: Iterable[Target], work: Work,
           finish: Callable[[], Finished]) -> None:
    status = 0
    pipe = os.fdopen(write_end, "wb", buffering=1 << 16)
    try:
        mine = ((position, target) for position, target in enumerate(targets)
                if position % jobs == share)
        work(mine, lambda sent: _send(pipe, ("report", *sent)))
        _send(pipe, ("done", *finish()))
    except KeyboardInterrupt:
        status = 130  # Ctrl-C: the parent says so
    except BrokenPipeError:
        status = 141  # the parent is gone
    except BaseException:  # a bug: the parent re-raises it with this text
        status = 70
        with contextlib.suppress(OSError):
            _send(pipe, ("failed", traceback.format_exc()))
    finally:
        with contextlib.suppress(OSError):
            pipe.close()
    os._exit(status)


def _send(pipe: Any, message: tuple[Any, ...]) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    pipe.write(len(data).to_bytes(_FRAME_HEADER, "big") + data)


def _collect(workers: dict[int, int], take: Callable[[int, ReportTally, Any], None]
             ) -> Totals:
    totals = Totals()
    buffers = {read_end: bytearray() for read_end in workers}
    done: set[int] = set()
    with selectors.DefaultSelector() as selector:
        for read_end in workers:
            selector.register(read_end, selectors.EVENT_READ)
        while buffers:  # until every worker has closed its end
            for key, _ in selector.select():
                read_end = int(key.fd)
                chunk = os.read(read_end, 1 << 16)
                if not chunk:
                    selector.unregister(read_end)
                    buffers.pop(read_end)
                    if read_end not in done:
                        raise RuntimeError("a --jobs worker stopped before its share was done")
                    continue
                buffer = buffers[read_end]
                buffer += chunk
                for message in _frames(buffer):
                    kind = message[0]
                    if kind == "report":
                        take(message[1], message[2], message[3])
                    elif kind == "done":
                        stats, asked, codes = message[1], message[2], message[3]
                        for name, value in stats.items():
                            totals.stats[name] = totals.stats.get(name, 0) + value
                        totals.asked += asked
                        totals.distinct.update(codes)
                        done.add(read_end)
                    else:
                        raise RuntimeError(f"a --jobs worker failed:\n{message[1]}")
    return totals


def _frames(buffer: bytearray) -> Iterator[tuple[Any, ...]]:
    """The whole messages at the start of ``buffer``, taken out of it."""
    start = 0
    while len(buffer) - start >= _FRAME_HEADER:
        size = int.from_bytes(buffer[start:start + _FRAME_HEADER], "big")
        end = start + _FRAME_HEADER + size
        if end > len(buffer):
            break
        yield pickle.loads(buffer[start + _FRAME_HEADER:end])
        start = end
    del buffer[:start]


def _stop(pid: int) -> None:
    """Wait for a worker; one still running (the parent failed or was stopped) is ended."""
    try:
        finished, _ = os.waitpid(pid, os.WNOHANG)
        if finished == 0:
            os.kill(pid, signal.SIGTERM)
            os.waitpid(pid, 0)
    except ChildProcessError:
        pass
