"""``mailzone check --jobs N``: the audit in N processes that share the list of domains.

The run is CPU-bound in one process (the checks, the answers' reading), while the DNS
server and the machine's other cores wait. Here the parent forks N workers once the
list is read and checked (``fork``: they inherit the parsed arguments, the targets and
the resolver's settings, and the interpreter's hash secret, so their question counts
can be merged). The workers take the list in runs of a few consecutive domains, each
the next run no worker has taken (``_Claims``, a counter they share), as their audit has
room: a worker whose domains are slow takes fewer, and all end together. (A fixed share,
every N-th domain, left one worker with twice the other's work when the list
alternated easy and hard domains, as the bench's does.) Each report goes back through a
pipe, with its position in the list, as the bytes the parent will write (``json``,
``jsonl``) or as the report itself (``text``, which is rendered whole at the end), with
what the summary counts of it. At the end each sends its resolver's counts and the hashes of
the distinct questions it asked, which the parent merges into its own table: the
summary's distinct questions are the run's, counted once.

Each worker has its own cache, so a question two workers ask (a provider's include) is
sent by both: the domains' own questions, most of them, are asked by one worker only
(1,000 domains over two workers: 11,821 queries for 11,664 distinct questions). The
bench shows what it buys (bench/README.md).

The workers are forked before anything starts a thread (the progress bar is drawn by
the parent once they are all running). A worker never writes to the standard streams
and leaves with ``os._exit``; one that fails or is killed fails the run with
``WorkerFailed``, naming it and how it ended, and the parent stops the others. Ctrl-C
stops them all.
"""

from __future__ import annotations

import contextlib
import mmap
import os
import pickle
import selectors
import signal
import traceback
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from mailzone.errors import UsageError, WorkerFailed

if TYPE_CHECKING:
    from mailzone.audit.model import Target

#: What the summary counts of one report: has errors, has findings, timed out, codes.
ReportTally = tuple[bool, bool, bool, tuple[str, ...]]
#: A report as a worker's audit gives it: its index in the targets given to that audit,
#: its domain, its tally, and what the parent writes.
Sent = tuple[int, str, ReportTally, Any]
#: A worker's run over the targets it takes; each report goes to the callable.
Work = Callable[[Iterator["Target"], Callable[[Sent], None]], None]
#: What a worker says when done: its resolver's counts, the questions its domains asked,
#: and the hashes of the distinct ones.
Finished = tuple[dict[str, int], int, "array[int]"]

class Targets(Protocol):
    """The list the workers share: counted, and read again by each worker."""

    def __len__(self) -> int: ...
    def __iter__(self) -> Iterator[Target]: ...


_FRAME_HEADER = 4  # a frame: its length in four octets, then a pickle
#: The most consecutive domains a worker takes at once: few enough that the workers end
#: together, enough that taking them costs nothing beside their checks.
_RUN = 16


@dataclass
class Totals:
    """The workers' resolver counts and the questions their domains asked, added up."""

    stats: dict[str, int] = field(default_factory=dict)
    asked: int = 0


def check_jobs(jobs: int) -> None:
    """``UsageError`` for a ``--jobs`` the system cannot run."""
    if jobs < 1:
        raise UsageError(f"bad --jobs {jobs}: give 1 or more")
    if jobs > 1 and not hasattr(os, "fork"):
        raise UsageError("--jobs above 1 needs fork(), which this system lacks: use --jobs 1")


def run_shared(jobs: int, targets: Targets, work: Work,
               finish: Callable[[], Finished],
               take: Callable[[int, str, ReportTally, Any], None],
               merge: Callable[[array[int]], None],
               forked: Callable[[], None] = lambda: None) -> Totals:
    """Fork ``jobs`` workers; each runs ``work`` over the runs of ``targets`` it takes
    (``_Claims``) and ``finish`` once none is left. In the parent,
    ``forked`` is called once all are running, ``take`` gets every report as it arrives
    (with its position in ``targets``), ``merge`` each worker's question hashes."""
    workers: dict[int, int] = {}  # read end -> pid
    claims = _Claims(len(targets), max(1, min(_RUN, len(targets) // (jobs * 8))))
    try:
        for _ in range(jobs):
            read_end, write_end = os.pipe()
            pid = os.fork()
            if pid == 0:  # the worker
                os.close(read_end)
                for other in workers:
                    os.close(other)
                _serve(write_end, claims, targets, work, finish)  # never returns
            os.close(write_end)
            workers[read_end] = pid
        forked()
        totals = _collect(workers, take, merge)
    except BaseException:
        for pid in workers.values():
            _stop(pid)
        raise
    finally:
        for read_end in workers:
            os.close(read_end)
        claims.close()
    for pid in workers.values():
        _reap(pid)
    return totals


class _Claims:
    """The list's runs of ``size`` domains, each taken by one worker: the start of the
    next run not taken is a counter in memory the forked workers share, read and moved
    on under a lock (a pipe holding one octet: who reads it holds the lock). A worker
    that ends holding it (killed, or Ctrl-C as its read returns) leaves the others
    waiting: the parent then stops them all, as it does for any worker that fails."""

    def __init__(self, total: int, size: int) -> None:
        self.total = total
        self.size = size
        self.counter = mmap.mmap(-1, 8)  # anonymous and shared: one for all workers
        self.lock_read, self.lock_write = os.pipe()
        os.write(self.lock_write, b".")

    def take(self) -> int:
        """The first position of a run no worker has taken (``total`` once none is left)."""
        os.read(self.lock_read, 1)
        try:
            start = int.from_bytes(self.counter, "little")
            if start < self.total:
                self.counter[:] = (start + self.size).to_bytes(8, "little")
        finally:
            os.write(self.lock_write, b".")
        return min(start, self.total)

    def mine(self, targets: Iterable[Target], positions: dict[int, int]
             ) -> Iterator[Target]:
        """The targets of the runs this worker takes, each taken when the audit asks for
        its first; ``positions`` maps each one's index here to its position in the list."""
        start = end = 0
        index = 0
        for position, target in enumerate(targets):
            if position >= end:
                start = self.take()
                if start >= self.total:
                    return
                end = start + self.size
            if position >= start:
                positions[index] = position
                index += 1
                yield target

    def close(self) -> None:
        self.counter.close()
        os.close(self.lock_read)
        os.close(self.lock_write)


def _serve(write_end: int, claims: _Claims, targets: Iterable[Target], work: Work,
           finish: Callable[[], Finished]) -> None:
    status = 0
    pipe = os.fdopen(write_end, "wb", buffering=1 << 16)
    positions: dict[int, int] = {}  # the reports not sent yet: index -> list position

    def send(sent: Sent) -> None:
        index, domain, tally, written = sent
        _send(pipe, ("report", positions.pop(index), domain, tally, written))

    try:
        work(claims.mine(targets, positions), send)
        _send(pipe, ("done", *finish()))
    except KeyboardInterrupt:
        status = 130  # Ctrl-C: the parent says so
    except BrokenPipeError:
        status = 141  # the parent is gone
    except BaseException as exc:  # a bug: the parent fails the run with it
        status = 70
        with contextlib.suppress(OSError):
            _send(pipe, ("failed", f"{type(exc).__name__}: {exc}", traceback.format_exc()))
    finally:
        with contextlib.suppress(OSError):
            pipe.close()
    os._exit(status)


def _send(pipe: Any, message: tuple[Any, ...]) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    pipe.write(len(data).to_bytes(_FRAME_HEADER, "big") + data)


def _collect(workers: dict[int, int],
             take: Callable[[int, str, ReportTally, Any], None],
             merge: Callable[[array[int]], None]) -> Totals:
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
                        pid = workers[read_end]
                        raise WorkerFailed(f"--jobs process {pid} {_ended(_reap(pid))} "
                                           "before its share was checked: the run is "
                                           "incomplete")
                    continue
                buffer = buffers[read_end]
                buffer += chunk
                for message in _frames(buffer):
                    kind = message[0]
                    if kind == "report":
                        take(message[1], message[2], message[3], message[4])
                    elif kind == "done":
                        stats, asked, codes = message[1], message[2], message[3]
                        for name, value in stats.items():
                            totals.stats[name] = totals.stats.get(name, 0) + value
                        totals.asked += asked
                        merge(codes)
                        done.add(read_end)
                    else:
                        raise WorkerFailed(
                            f"--jobs process {workers[read_end]} failed: {message[1]}. "
                            "Please report this (run with --jobs 1 for the traceback)")
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


def _reap(pid: int) -> int | None:
    """Wait for a worker to end; its wait status (None when it was reaped already)."""
    try:
        return os.waitpid(pid, 0)[1]
    except ChildProcessError:
        return None


def _ended(status: int | None) -> str:
    if status is None:
        return "ended"
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        with contextlib.suppress(ValueError):
            return f"was killed ({signal.Signals(number).name})"
        return f"was killed (signal {number})"
    return f"exited with status {os.waitstatus_to_exitcode(status)}"


def _stop(pid: int) -> None:
    """End a worker still running (the parent failed or was stopped), and reap it."""
    try:
        finished, _ = os.waitpid(pid, os.WNOHANG)
        if finished == 0:
            os.kill(pid, signal.SIGTERM)
            os.waitpid(pid, 0)
    except (ChildProcessError, ProcessLookupError):
        pass
