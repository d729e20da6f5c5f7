"""Engines that yield questions: the same engine through the sync and the async driver."""

from __future__ import annotations

import asyncio

import pytest

from mailzone.dns.exchange import Exchange, Outcome, ask, ask_all, callback_face, run, run_async
from mailzone.dns.memory import MemoryResolver
from mailzone.dns.resolver import Answer, RdType
from mailzone.errors import DnsError

TXT, A = RdType.TXT, RdType.A


def resolver() -> MemoryResolver:
    return MemoryResolver({"a.example": {TXT: ["one"], A: ["192.0.2.1"]},
                           "b.example": {TXT: ["two"]}}, timeouts=["slow.example"])


def engine(log: list[tuple[tuple[str, RdType], ...]]) -> Exchange[list[str]]:
    """Asks one question, then a batch, then one that fails, recording each batch."""
    first = yield from ask("a.example", TXT)
    batch: tuple[Outcome, ...] = yield from ask_all(
        [("a.example", A), ("b.example", TXT), ("slow.example", TXT)])
    out = [*first.records]
    for outcome in batch:
        out.append(str(outcome) if isinstance(outcome, DnsError) else ",".join(outcome.records))
    try:
        yield from ask("slow.example", A)
    except DnsError as exc:
        out.append(f"raised: {exc.rdtype}")
    nothing = yield from ask_all([])
    out.append(f"empty batch: {nothing!r}")
    return out


def recording(inner: Exchange[list[str]], log: list[tuple[tuple[str, RdType], ...]]
              ) -> Exchange[list[str]]:
    outcomes = None
    try:
        while True:
            questions = inner.send(outcomes)  # type: ignore[arg-type]
            log.append(questions)
            outcomes = yield questions
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]


EXPECTED = ["one", "192.0.2.1", "two", "slow.example TXT: timed out", "raised: A",
            "empty batch: ()"]


def test_the_sync_driver_answers_batches_with_no_event_loop() -> None:
    log: list[tuple[tuple[str, RdType], ...]] = []
    assert run(recording(engine(log), log), resolver()) == EXPECTED
    assert [len(batch) for batch in log] == [1, 3, 1]  # the empty batch is never sent


def test_the_async_driver_gives_the_same_answers() -> None:
    log: list[tuple[tuple[str, RdType], ...]] = []
    assert asyncio.run(run_async(recording(engine(log), log), resolver())) == EXPECTED
    assert [len(batch) for batch in log] == [1, 3, 1]


def test_a_batch_is_asked_concurrently() -> None:
    """Three questions that each take 0.2 s are answered in one round, not three."""

    class Slow:
        async def resolve(self, name: str, rdtype: RdType) -> Answer:
            await asyncio.sleep(0.2)
            return Answer(name, rdtype, ("x",))

    def three() -> Exchange[int]:
        outcomes = yield from ask_all([(f"n{i}.example", TXT) for i in range(3)])
        return len(outcomes)

    async def timed() -> tuple[int, float]:
        loop = asyncio.get_running_loop()
        started = loop.time()
        count = await run_async(three(), Slow())
        return count, loop.time() - started

    count, seconds = asyncio.run(timed())
    assert count == 3
    assert seconds < 0.5


def test_a_cancelled_run_closes_the_engine() -> None:
    closed: list[bool] = []

    class Never:
        async def resolve(self, name: str, rdtype: RdType) -> Answer:
            await asyncio.sleep(10)
            raise AssertionError("not reached")

    def waits() -> Exchange[None]:
        try:
            yield from ask("a.example", TXT)
        finally:
            closed.append(True)

    async def cancel() -> None:
        task = asyncio.ensure_future(run_async(waits(), Never()))
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(cancel())
    assert closed == [True]


def test_an_engine_stopped_by_a_bug_still_runs_its_cleanup() -> None:
    closed: list[bool] = []

    class Broken(MemoryResolver):
        def answer(self, name: str, rdtype: RdType) -> Answer:
            raise RuntimeError("a bug")

    def waits() -> Exchange[None]:
        try:
            yield from ask("a.example", TXT)
        finally:
            closed.append(True)

    with pytest.raises(RuntimeError, match="a bug"):
        run(waits(), Broken())
    assert closed == [True]


def test_a_bug_in_a_batch_cancels_the_rest_of_the_batch() -> None:
    finished: list[str] = []

    class HalfBroken:
        async def resolve(self, name: str, rdtype: RdType) -> Answer:
            if name == "bad.example":
                raise RuntimeError("a bug")
            await asyncio.sleep(0.5)
            finished.append(name)
            return Answer(name, rdtype)

    def batch() -> Exchange[None]:
        yield from ask_all([("bad.example", TXT), ("slow1.example", TXT),
                            ("slow2.example", TXT)])

    async def go() -> None:
        with pytest.raises(BaseExceptionGroup):
            await run_async(batch(), HalfBroken())
        await asyncio.sleep(0.6)

    asyncio.run(go())
    assert finished == []  # the siblings were cancelled, not left running


def test_the_callback_face_of_any_resolver_calls_back_from_the_loop() -> None:
    """A resolver without a callback face of its own gets one (a task per question):
    the outcome comes later, never inside submit; a DNS fault is an outcome, a bug
    is handed over as the exception it is."""

    class Broken(MemoryResolver):
        def answer(self, name: str, rdtype: RdType) -> Answer:
            if name == "bug.example":
                raise RuntimeError("a bug")
            return super().answer(name, rdtype)

    async def ask_each() -> list[object]:
        face = callback_face(Broken({"a.example": {TXT: ["one"]}}, timeouts=["slow.example"]))
        got: list[object] = []
        done = asyncio.get_running_loop().create_future()

        def back(outcome: Answer | Exception) -> None:
            got.append(outcome)
            if len(got) == 3:
                done.set_result(None)

        for name in ("a.example", "slow.example", "bug.example"):
            assert face.submit(name, TXT, back) is None
            assert len(got) == 0  # not from inside submit
        await done
        return got

    answer, fault, bug = asyncio.run(ask_each())
    assert answer == Answer("a.example", TXT, ("one",))
    assert isinstance(fault, DnsError) and "timed out" in fault.reason
    assert isinstance(bug, RuntimeError) and str(bug) == "a bug"


def test_a_resolver_with_a_callback_face_is_its_own() -> None:
    from mailzone.dns.live import LiveResolver

    live = LiveResolver("192.0.2.53")
    assert callback_face(live) is live
