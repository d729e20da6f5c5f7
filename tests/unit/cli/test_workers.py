"""``mailzone.cli.workers``: the domains shared by forked processes, reports sent back.

The real audit runs through it in tests/integration/test_check.py (the same reports as
one process, over NSD); here the machinery itself, with work that needs no DNS.
"""

from __future__ import annotations

import os
import signal
import time
from array import array
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from mailzone.audit.model import Target
from mailzone.cli import workers
from mailzone.errors import ExitStatus, UsageError, WorkerFailed

TARGETS = [Target(f"d{n}.example.com") for n in range(23)]


def _echo(mine: Iterator[Target], send: Callable[[workers.Sent], None]) -> None:
    for index, target in enumerate(mine):
        number = int(target.domain[1:].split(".")[0])
        send((index, target.domain, (number % 2 == 0, True, False, ("code",)),
              target.domain * 50))


def _nothing(*args: Any) -> None:
    pass


def _finish() -> workers.Finished:
    return {"queries": 1, "questions": 2}, 3, array("Q", [os.getpid() % 7 + 1, 99])


def test_every_target_is_worked_once_and_the_counts_are_added() -> None:
    taken: dict[int, tuple[Any, ...]] = {}
    merged: list[int] = []
    started: list[bool] = []

    def take(index: int, domain: str, tally: workers.ReportTally, written: Any) -> None:
        assert index not in taken and started  # reports come once all are forked
        taken[index] = (domain, tally, written)

    totals = workers.run_shared(3, TARGETS, _echo, _finish, take, merged.extend,
                                lambda: started.append(True))
    # Each report at its position in the list, whatever worker checked it.
    assert sorted(taken) == list(range(len(TARGETS)))
    assert all(taken[i] == (t.domain, (i % 2 == 0, True, False, ("code",)), t.domain * 50)
               for i, t in enumerate(TARGETS))
    assert totals.stats == {"queries": 3, "questions": 6}
    assert totals.asked == 9
    assert merged.count(99) == 3  # every worker's hashes, for the caller to count once


def test_a_worker_held_up_by_a_slow_domain_takes_fewer() -> None:
    # The workers take the list a run at a time as they have room, so one slow domain
    # does not leave a fixed share of the list waiting behind it.
    def slow_first(mine: Iterator[Target], send: Callable[[workers.Sent], None]) -> None:
        for index, target in enumerate(mine):
            if target.domain == "d0.example.com":
                time.sleep(1.0)
            send((index, target.domain, (False, False, False, ()), os.getpid()))

    by: dict[int, int] = {}
    workers.run_shared(2, TARGETS, slow_first, _finish,
                       lambda i, d, t, pid: by.__setitem__(i, pid), _nothing)
    assert sorted(by) == list(range(len(TARGETS)))
    slow = by[0]
    assert sum(pid == slow for pid in by.values()) <= 3  # a fixed half would be 12
    assert len(set(by.values())) == 2


def test_a_failing_worker_is_a_failure_of_the_run() -> None:
    def broken(mine: Iterator[Target], send: Callable[[workers.Sent], None]) -> None:
        for index, target in enumerate(mine):
            if target.domain == "d7.example.com":
                raise ValueError("a bug in the checks")
            send((index, target.domain, (False, False, False, ()), ""))

    with pytest.raises(WorkerFailed, match=r"--jobs process \d+ failed: ValueError: a bug "
                       r"in the checks\. Please report this") as raised:
        workers.run_shared(2, TARGETS, broken, _finish, _nothing, _nothing)
    assert raised.value.exit_status == ExitStatus.WORKER_FAILED == 70


@pytest.mark.parametrize(("end", "how"), [
    (lambda: os._exit(9), "exited with status 9"),
    (lambda: os.kill(os.getpid(), signal.SIGKILL), r"was killed \(SIGKILL\)"),
])
def test_a_worker_that_dies_is_a_failure_of_the_run(end: Callable[[], None], how: str
                                                    ) -> None:
    def dying(mine: Iterator[Target], send: Callable[[workers.Sent], None]) -> None:
        next(mine)
        end()  # as the OOM killer would: it says nothing more

    with pytest.raises(WorkerFailed, match=rf"--jobs process \d+ {how} before its share "
                       "was checked: the run is incomplete"):
        workers.run_shared(2, TARGETS, dying, _finish, _nothing, _nothing)


def test_large_reports_cross_the_pipe_whole() -> None:
    big = "x" * 300_000  # several pipe buffers, cut anywhere

    def large(mine: Iterator[Target], send: Callable[[workers.Sent], None]) -> None:
        for index, target in enumerate(mine):
            send((index, target.domain, (False, False, False, ()), big + target.domain))

    got: dict[int, str] = {}
    workers.run_shared(2, TARGETS[:6], large, _finish,
                       lambda i, d, t, w: got.__setitem__(i, w), _nothing)
    assert got == {n: big + TARGETS[n].domain for n in range(6)}


@pytest.mark.parametrize(("jobs", "message"), [(0, "bad --jobs 0: give 1 or more"),
                                               (-3, "bad --jobs -3: give 1 or more")])
def test_jobs_below_one_are_refused(jobs: int, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        workers.check_jobs(jobs)


def test_without_fork_only_one_job_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(os, "fork")
    workers.check_jobs(1)
    with pytest.raises(UsageError, match="needs fork"):
        workers.check_jobs(2)
