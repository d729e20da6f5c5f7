"""Questions out, answers in: how engines that need DNS are written without doing I/O.

An engine (``check_host()``, the lookup budget's walk, a plan, an audit check) is a
generator. Each time it needs DNS it yields a batch of questions, ``(name, type)``
pairs, and is sent back one outcome per question: an ``Answer``, or the
``DnsError`` the resolver raised. It asks a whole batch when it knows the
questions at once (every term of a record, every record set a plan compares),
so a live resolver can ask them concurrently; ``ask`` asks one and raises its
error where it is needed.

Two drivers run an engine, one per resolver face: ``run`` answers through a
``SyncResolver`` (memory, zone files) with no event loop and no coroutine per
question; ``run_async`` answers through a ``Resolver`` (live DNS), a batch at a
time, concurrently. The audit drives its engines itself, through the callback face
(``callback_face``), many domains at once. The engine is the same either way, as dnspython's
``_Resolution`` serves its sync and async resolvers and h11's ``Connection``
serves any socket.

One deliberate exception: ``check_host()`` is plain functions over the answers it
has (``mailzone.spf.check``). ``check_host_sync`` hands it the synchronous
resolver's ``answer`` and runs it once, straight through; as an engine
(``evaluate``) it yields the first question it lacks and runs again once answered.
A chain of generators, one per record and per term, cost more than the evaluation
itself; the logic is the same either way.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Generator, Sequence
from typing import TypeAlias, TypeVar

from mailzone.dns.resolver import Answer, CallbackResolver, RdType, Resolver, SyncResolver
from mailzone.errors import DnsError

T = TypeVar("T")

Question: TypeAlias = tuple[str, RdType]
Outcome: TypeAlias = Answer | DnsError
#: An engine: yields batches of questions, is sent their outcomes, returns a ``T``.
Exchange: TypeAlias = Generator[tuple[Question, ...], tuple[Outcome, ...], T]


def ask(name: str, rdtype: RdType) -> Exchange[Answer]:
    """One question; raises its ``DnsError`` in the engine (``answer = yield from ask(...)``)."""
    (outcome,) = yield ((name, rdtype),)
    if isinstance(outcome, DnsError):
        raise outcome.fresh()
    return outcome


def ask_all(questions: Sequence[Question]) -> Exchange[tuple[Outcome, ...]]:
    """A batch of questions, answered together; failures come back as ``DnsError`` values."""
    if not questions:
        return ()
    return (yield tuple(questions))


def _answer_now(resolver: SyncResolver, question: Question) -> Outcome:
    try:
        return resolver.answer(*question)
    except DnsError as exc:
        return exc


def run(engine: Exchange[T], resolver: SyncResolver) -> T:
    """Run ``engine`` to its end through a resolver that answers at once."""
    try:
        questions = next(engine)
        while True:
            if len(questions) == 1:
                questions = engine.send((_answer_now(resolver, questions[0]),))
            else:
                questions = engine.send(tuple(_answer_now(resolver, q) for q in questions))
    except StopIteration as done:
        result: T = done.value
        return result
    finally:
        engine.close()  # an engine stopped by an error still runs its cleanup


async def _resolve(resolver: Resolver, question: Question) -> Outcome:
    try:
        return await resolver.resolve(*question)
    except DnsError as exc:
        return exc


async def _resolve_all(resolver: Resolver, questions: tuple[Question, ...]
                       ) -> tuple[Outcome, ...]:
    """A batch at once; a failure that is not a DNS answer (a bug) cancels the rest."""
    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(_resolve(resolver, q)) for q in questions]
    return tuple(task.result() for task in tasks)


async def run_async(engine: Exchange[T], resolver: Resolver) -> T:
    """Run ``engine`` to its end through any resolver, each batch asked concurrently."""
    try:
        questions = next(engine)
        while True:
            if len(questions) == 1:
                questions = engine.send((await _resolve(resolver, questions[0]),))
            else:
                questions = engine.send(await _resolve_all(resolver, questions))
    except StopIteration as done:
        result: T = done.value
        return result
    finally:
        engine.close()


class _TaskFace:
    """Any ``Resolver`` through the callback face: a task per question."""

    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver

    def submit(self, name: str, rdtype: RdType,
               done: Callable[[Answer | Exception], None]) -> Answer | DnsError | None:
        def finished(task: asyncio.Task[Answer]) -> None:
            if task.cancelled():
                done(DnsError(name, rdtype, "cancelled"))
                return
            failure = task.exception()
            if failure is None:
                done(task.result())
            elif isinstance(failure, Exception):
                done(failure)
            else:
                raise failure

        asyncio.ensure_future(self.resolver.resolve(name, rdtype)).add_done_callback(finished)
        return None


def callback_face(resolver: Resolver) -> CallbackResolver:
    """``resolver``'s callback face: its own when it has one (live DNS), else a task
    per question through its async face."""
    if isinstance(resolver, CallbackResolver):
        return resolver
    return _TaskFace(resolver)
