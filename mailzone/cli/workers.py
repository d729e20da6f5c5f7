"""``mailzone check --jobs N``: the audit in N processes, one share of the domains each.

The run is CPU-bound in one process (the checks, the answers' reading), while the DNS
server and the machine's other cores wait. Here the parent forks N workers once the
list is read and checked (``fork``: they inherit the parsed arguments, the targets and
the resolver's settings, and the interpreter's hash secret, so their question counts
can be merged); worker ``k`` checks the ``k``-th, ``k+N``-th, ... domain and sends each
report back through a pipe as the bytes the parent will write (``json``, ``jsonl``) or
as the report itself (``text``, which is rendered whole at the end), with what the
summary counts of it. At the end each sends its resolver's counts and the hashes of
the distinct questions it asked, which the parent merges into its own table: the
summary's distinct questions are the run's, counted once.

Each worker has its own cache, so a question two shares ask (a provider's include) is
sent by both: the domains' own questions, most of them, are asked by one worker only
(1,000 domains over two workers: 11,701 queries for 11,664 distinct questions). The
bench shows what it buys (bench/README.md).

The workers are forked before anything starts a thread (the progress bar is drawn by
the parent once they are all running). A worker never writes to the standard streams
and leaves with ``os._exit``; one that fails or is killed fails the run with
``WorkerFailed``, naming it and how it ended, and the parent stops the others. Ctrl-C
stops them all.
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

from mailzone.errors import UsageError, WorkerFailed

if TYPE_CHECKING:
    from mailzone.audit.model import Target

#: What the summary counts of one report: has errors, has findings, timed out, codes.
ReportTally = tuple[bool, bool, bool, tuple[str, ...]]
#: A report as a worker sends it: its index in the worker's share, its domain, its
#: tally, and what the parent writes.
Sent = tuple[int, str, ReportTally, Any]
#: A worker's run over its share of the targets; each report goes to the callable.
Work = Callable[[Iterator["Target"], Callable[[Sent], None]], None]
#: What a worker says when done: its resolver's counts, the questions its domains asked,
#: and the hashes of the distinct ones.
Finished = tuple[dict[str, int], int, "array[int]"]

_FRAME_HEADER = 4  # a frame: its length in four octets, then a pickle


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


def run_shared(jobs: int, targets: Iterable[Target], work: Work,
               finish: Callable[[], Finished],
               take: Callable[[int, str, ReportTally, Any], None],
               merge: Callable[[array[int]], None],
               forked: Callable[[], None] = lambda: None) -> Totals:
    """Fork ``jobs`` workers; worker ``k`` runs ``work`` over its share of ``targets``
    (the ``k``-th, ``k+jobs``-th, ...) and ``finish`` once it is done. In the parent,
    ``forked`` is called once all are running, ``take`` gets every report as it arrives
    (with its position in ``targets``), ``merge`` each worker's question hashes."""
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
        forked()
        totals = _collect(workers, jobs, take, merge)
    except BaseException:
        for pid in workers.values():
            _stop(pid)
        raise
    finally:
        for read_end in workers:
            os.close(read_end)
    for pid in workers.values():
        _reap(pid)
    return totals


def _serve(write_end: int, share: int, jobs: int, targets: Iterable[Target], work: Work,
           finish: Callable[[], Finished]) -> None:
    status = 0
    pipe = os.fdopen(write_end, "wb", buffering=1 << 16)
    try:
        mine = (target for position, target in enumerate(targets)
                if position % jobs == share)
        work(mine, lambda sent: _send(pipe, ("report", *sent)))
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


def _collect(workers: dict[int, int], jobs: int,
             take: Callable[[int, str, ReportTally, Any], None],
             merge: Callable[[array[int]], None]) -> Totals:
    totals = Totals()
    buffers = {read_end: bytearray() for read_end in workers}
    shares = {read_end: share for share, read_end in enumerate(workers)}
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
                share = shares[read_end]
                for message in _frames(buffer):
                    kind = message[0]
                    if kind == "report":
                        # The share's n-th target is the list's (share + n * jobs)-th.
                        take(share + message[1] * jobs, message[2], message[3], message[4])
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
