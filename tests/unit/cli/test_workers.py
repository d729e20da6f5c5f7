"""``mailzone.cli.workers``: the domains shared by forked processes, reports sent back.

The real audit runs through it in tests/integration/test_check.py (the same reports as
one process, over NSD); here the machinery itself, with work that needs no DNS.
"""

from __future__ import annotations

import os
from array import array
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from mailzone.audit.model import Target
from mailzone.cli import workers
from mailzone.errors import UsageError

TARGETS = [Target(f"d{n}.example.com") for n in range(23)]


def _echo(mine: Iterator[tuple[int, Target]], send: Callable[[workers.Sent], None]) -> None:
    for position, target in mine:
        send((position, (position % 2 == 0, True, False, ("code",)), target.domain * 50))


def _finish() -> workers.Finished:
    return {"queries": 1, "questions": 2}, 3, array("Q", [os.getpid() % 7 + 1, 99])


def test_every_target_is_worked_once_and_the_counts_are_added() -> None:
    taken: dict[int, tuple[Any, ...]] = {}

    def take(index: int, tally: workers.ReportTally, written: Any) -> None:
        assert index not in taken
        taken[index] = (tally, written)

    totals = workers.run_shared(3, TARGETS, _echo, _finish, take)
    assert sorted(taken) == list(range(len(TARGETS)))
    assert all(written == TARGETS[i].domain * 50 for i, (_, written) in taken.items())
    assert taken[4][0] == (True, True, False, ("code",))
    assert totals.stats == {"queries": 3, "questions": 6}
    assert totals.asked == 9
    assert 99 in totals.distinct and len(totals.distinct) <= 4  # 99 counted once


def test_a_failing_worker_is_a_failure_of_the_run() -> None:
    def broken(mine: Iterator[tuple[int, Target]], send: Callable[[workers.Sent], None]
               ) -> None:
        for position, _ in mine:
            if position == 7:
                raise ValueError("a bug in the checks")
            send((position, (False, False, False, ()), ""))

    with pytest.raises(RuntimeError, match=r"(?s)a --jobs worker failed:.*ValueError: a bug"):
        workers.run_shared(2, TARGETS, broken, _finish, lambda *args: None)


def test_a_worker_that_dies_is_a_failure_of_the_run() -> None:
    def dying(mine: Iterator[tuple[int, Target]], send: Callable[[workers.Sent], None]
              ) -> None:
        next(mine)
        os._exit(9)  # as if killed: it says nothing more

    with pytest.raises(RuntimeError, match="stopped before its share was done"):
        workers.run_shared(2, TARGETS, dying, _finish, lambda *args: None)


def test_large_reports_cross_the_pipe_whole() -> None:
    big = "x" * 300_000  # several pipe buffers, cut anywhere

    def large(mine: Iterator[tuple[int, Target]], send: Callable[[workers.Sent], None]
              ) -> None:
        for position, _ in mine:
            send((position, (False, False, False, ()), big + str(position)))

    got: list[str] = []
    workers.run_shared(2, TARGETS[:6], large, _finish, lambda i, t, w: got.append(w))
    assert sorted(got) == sorted(big + str(n) for n in range(6))


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
