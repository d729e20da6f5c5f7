"""The live audit behind ``mailzone check``: what the world sees of a mail domain.

``Audit`` checks domains through one shared ``Resolver`` (normally a
``LiveResolver``, whose cache makes each (name, type) a single query per run
whatever the number of domains sharing it). Per domain it looks at:

- SPF: the TXT values at the domain, exactly one ``v=spf1`` record, the lint
  findings of ``mailzone.spf.lint``, the lookup budget of the whole live
  include tree (``mailzone.spf.budget.walk``: lookups, void lookups, loops,
  missing includes, IP literals in the domain's own records versus inside
  third parties' includes), the record's size against 450/512 octets and the
  size of the whole TXT answer. ``status`` says what a receiver gets from the
  record whatever the client: ``none``, ``ok``, ``permerror`` or ``temperror``.
- DMARC: the record at ``_dmarc.<domain>`` (or, when there is none, at the
  organisational domain, ``mailzone.mail.dmarc.organisational_domain``), its syntax and
  policy (``mailzone.mail.dmarc``), report destinations outside the domain and
  whether each authorises them at ``<domain>._report._dmarc.<dest>``, and
  SPF alignment of the MAIL FROM domain.
- MX: the exchanges and their addresses, or a null MX (``0 .``, RFC 7505) for
  a domain that takes no mail, which must come with ``v=spf1 -all``.
- The MAIL FROM domain, when known (``Target.mail_from``): its MX (bounces
  come back there) and its SPF, checked as the domain's own.
- DKIM: the key record of each selector in ``Target.dkim_selectors``.
- With ``AuditOptions.ip``: the ``check_host()`` result for mail from that
  address, for the MAIL FROM domain when known and for the domain itself.

Faults are answers. Every DNS failure becomes a finding (SPF: temperror);
``AuditOptions.domain_timeout`` bounds each domain's checks, after which the
unfinished parts are reported as such; ``AuditOptions.query_cap`` bounds the
distinct questions one domain may ask (an include tree built to explode, a
"lookup bomb", stops there with a finding). A domain's failure never touches
another's: a domain out of time stops waiting, and the queries it asked go on
for the other domains that wait for them.

Fetch first, judge after: each area (``spf``, ``dmarc``, ``mx``, ``dkim``, and
``spf.ip_area``) is an engine that yields its questions (``mailzone.dns.exchange``),
a level of the tree at a time, and judges what came back with functions of the
answers alone (no I/O), which fill the area's facts and return its findings;
``cross.judge_domain`` then judges the areas together. This module schedules the
engines without a task or a coroutine per question: a domain's areas start
together, every question an area yields goes out at once (through the
resolver's callback face, ``mailzone.dns.exchange.callback_face``), and an
engine is stepped as soon as its batch is answered, so one level of every
area's tree costs one round trip. Each area has its own cap of distinct
questions; the domain remembers its own answers (each question once per
domain) and nothing of it is kept after its report is made. The model is in
``model``.

This package is the core: no output, no rich, no argument parsing.
"""

from __future__ import annotations

import asyncio
import time
from array import array
from collections import deque
from collections.abc import AsyncIterator, Callable, Hashable, Iterable
from functools import partial

from mailzone.audit.cross import judge_domain
from mailzone.audit.dkim import dkim_area, dkim_zone_area
from mailzone.audit.dmarc import dmarc_area
from mailzone.audit.model import (
    AuditOptions,
    DkimFacts,
    DkimStatus,
    DmarcStatus,
    DomainReport,
    IpResult,
    MxFacts,
    MxStatus,
    Profile,
    SpfFacts,
    SpfStatus,
    Target,
)
from mailzone.audit.mx import mx_area
from mailzone.audit.spf import ip_area, spf_area
from mailzone.dns.exchange import Exchange, Outcome, Question, callback_face
from mailzone.dns.resolver import Answer, CallbackResolver, RdType, Resolver, normalize_name
from mailzone.errors import DnsError, QueryCapReached
from mailzone.findings import Finding, unique
from mailzone.mail.dkim import dkim_name
from mailzone.registry import (
    CHECK_INTERNAL_ERROR,
    CHECK_TIMEOUT,
    DKIM_NOT_CHECKED,
    SES_DKIM_MISSING,
)

__all__ = ["Audit", "audit"]

_Key = tuple[str, RdType]
#: What a question's slot holds: its outcome, or the exception of a broken resolver.
_Got = Answer | Exception


class _Distinct:
    """How many distinct keys were added, in 8 to 16 octets per key.

    A table of the keys' 64-bit hashes (open addressing) instead of a set of names
    and types: a run over many domains keeps no name of a finished domain. Two keys
    are told apart by their hashes, which collide once in 2**64. The table starts
    with room for 131,072 keys (2 MiB; 10,000 domains ask about 110,000), so that
    a run's memory does not grow with its domains until far beyond that.
    """

    __slots__ = ("count", "mask", "table")

    def __init__(self, slots: int = 1 << 18) -> None:
        self.table = array("Q", bytes(8 * slots))
        self.mask = slots - 1
        self.count = 0

    def add(self, key: Hashable) -> None:
        self.add_code(hash(key) & 0xFFFF_FFFF_FFFF_FFFF or 1)  # 0 marks an empty slot

    def add_code(self, code: int) -> None:
        table, mask = self.table, self.mask
        slot = code & mask
        while True:
            held = table[slot]
            if held == code:
                return
            if held == 0:
                break
            slot = (slot + 1) & mask
        table[slot] = code
        self.count += 1
        if self.count * 2 > mask:
            self._grow()

    def _grow(self) -> None:
        old = self.table
        self.table = array("Q", bytes(16 * len(old)))
        self.mask = 2 * len(old) - 1
        self.count = 0
        for code in old:
            if code:
                self._place(code)

    def _place(self, code: int) -> None:
        table, mask = self.table, self.mask
        slot = code & mask
        while table[slot]:
            slot = (slot + 1) & mask
        table[slot] = code
        self.count += 1


# -- one domain -----------------------------------------------------------------------------


class _Area:
    """One area's engine, its findings (kept when time runs out) and its question cap."""

    __slots__ = ("engine", "findings", "keys", "missing", "name", "open", "slots")

    def __init__(self, name: str, engine: Exchange[None], findings: list[Finding]) -> None:
        self.name = name
        self.engine = engine
        self.findings = findings
        self.keys: set[_Key] = set()  # the distinct questions it asked, for its cap
        self.slots: list[_Got | None] = []  # the outcomes of the batch it waits for
        self.missing = 0  # of them, not in yet
        self.open = True


class _DomainCheck:
    """One domain's checks in progress: its areas, the answers it has, its time bound."""

    def __init__(self, audit: Audit, face: CallbackResolver, target: Target,
                 done: Callable[[_DomainCheck, DomainReport], None]) -> None:
        self.audit = audit
        self.face = face
        self.target = target
        self.done = done
        self.cap = audit.options.query_cap
        self.finished = False
        self.timer: asyncio.TimerHandle | None = None
        self.started = 0.0
        # Each question once per domain: its outcome, or the areas' slots waiting for it.
        self.known: dict[_Key, _Got | list[tuple[_Area, int]]] = {}
        domain = normalize_name(target.domain)
        report = self.report = DomainReport(domain, origin=target.origin)
        report.mail_from = normalize_name(target.mail_from) if target.mail_from else None
        report.ip = audit.options.ip
        self.areas: list[_Area] = []
        # With --profile bulk-sender: the senders' catalogue keys, asked once the areas
        # are in (within the same time bound), and the bar's findings.
        self.bulk_probes: list[DkimFacts] | None = None
        self.bulk_findings: list[Finding] = []
        self._add("spf", lambda f: spf_area(report.spf, f, mail_from=False))
        self._add("dmarc", lambda f: dmarc_area(report.dmarc, f, domain=domain,
                                                mail_from=report.mail_from))
        self._add("mx", lambda f: mx_area(report.mx, f, mail_from=False))
        if report.mail_from is not None:
            report.mail_from_spf = SpfFacts(report.mail_from)
            report.mail_from_mx = MxFacts(report.mail_from)
            mf_spf, mf_mx = report.mail_from_spf, report.mail_from_mx
            self._add("mail-from spf", lambda f: spf_area(mf_spf, f, mail_from=True))
            self._add("mail-from mx", lambda f: mx_area(mf_mx, f, mail_from=True))
        for other in dict.fromkeys(normalize_name(m) for m in target.more_mail_from):
            if other == report.mail_from:
                continue
            more = report.more_mail_from[other] = (SpfFacts(other), MxFacts(other))
            self._add(f"mail-from spf {other}", partial(spf_area, more[0], mail_from=True))
            self._add(f"mail-from mx {other}", partial(mx_area, more[1], mail_from=True))
        for selector in target.dkim_selectors:
            facts = DkimFacts(selector, dkim_name(selector, domain))
            report.dkim.append(facts)
            self._add(f"dkim {selector}", partial(dkim_area, facts))
            if target.dkim_zones:
                self._add(f"dkim zone {selector}",
                          partial(dkim_zone_area, facts.name, target.dkim_zones))
        if audit.options.ip is not None:
            self._add("ip", lambda f: ip_area(report, f))
        self.open = len(self.areas)

    def _add(self, name: str, engine: Callable[[list[Finding]], Exchange[None]]) -> None:
        findings: list[Finding] = []
        self.areas.append(_Area(name, engine(findings), findings))

    def start(self) -> None:
        self.started = time.perf_counter()
        loop = asyncio.get_running_loop()
        self.timer = loop.call_later(self.audit.options.domain_timeout, self._out_of_time)
        for area in self.areas:
            self._step(area, None)
        self._finish_if_done()

    def abandon(self) -> None:
        """Stop without a report (the run was cancelled)."""
        self.finished = True
        if self.timer is not None:
            self.timer.cancel()
        for area in self.areas:
            area.engine.close()

    # -- the engines ------------------------------------------------------------------------

    def _step(self, area: _Area, outcomes: tuple[Outcome, ...] | None) -> None:
        """Run the area's engine until it waits for answers not in yet, or ends."""
        while True:
            try:
                questions = next(area.engine) if outcomes is None else area.engine.send(outcomes)
            except StopIteration:
                self._close(area)
                return
            except Exception as exc:  # a bug must not take the run down
                self._broken(area, exc)
                return
            outcomes = self._ask(area, questions)
            if outcomes is None:
                return

    def _ask(self, area: _Area, questions: tuple[Question, ...]) -> tuple[Outcome, ...] | None:
        """The outcomes of a batch when all are known now; else None, and the area waits."""
        slots: list[_Got | None] = [None] * len(questions)
        missing = 0
        known = self.known
        for index, (name, rdtype) in enumerate(questions):
            # Engines yield RdType members: converting one again costs an enum call.
            key = (normalize_name(name), rdtype if rdtype.__class__ is RdType else RdType(rdtype))
            if key not in area.keys:
                if len(area.keys) >= self.cap:
                    slots[index] = QueryCapReached(key[0], key[1].value, self.cap)
                    continue
                area.keys.add(key)
            got = known.get(key)
            if got is None:
                self.audit._distinct.add(key)
                now = self.face.submit(key[0], key[1], partial(self._answered, key))
                if now is None:
                    known[key] = [(area, index)]
                    missing += 1
                    continue
                known[key] = got = now
            elif isinstance(got, list):
                got.append((area, index))
                missing += 1
                continue
            slots[index] = got
        if missing:
            area.slots, area.missing = slots, missing
            return None
        return self._outcomes(area, slots)

    def _outcomes(self, area: _Area, slots: list[_Got | None]) -> tuple[Outcome, ...] | None:
        for got in slots:
            if not isinstance(got, Answer | DnsError):
                assert isinstance(got, Exception)
                self._broken(area, got)
                return None
        return tuple(slots)  # type: ignore[arg-type]  # all Answer or DnsError now

    def _answered(self, key: _Key, got: _Got) -> None:
        if self.finished:
            return
        try:
            waiting = self.known.get(key)
            self.known[key] = got
            if isinstance(waiting, list):
                for area, index in waiting:
                    if not area.open:
                        continue
                    area.slots[index] = got
                    area.missing -= 1
                    if area.missing == 0:
                        outcomes = self._outcomes(area, area.slots)
                        area.slots = []
                        if outcomes is not None:
                            self._step(area, outcomes)
            self._finish_if_done()
        except Exception as exc:  # a bug in the scheduler: the run must say so, not hang
            self.audit._fail(exc)

    def _broken(self, area: _Area, exc: Exception) -> None:
        area.findings.append(CHECK_INTERNAL_ERROR.error(
            f"the {area.name} check failed unexpectedly: {type(exc).__name__}: {exc}. "
            "Please report this; the other checks ran",
            self.report.domain,
        ))
        self._close(area)

    def _close(self, area: _Area) -> None:
        if area.open:
            area.open = False
            area.engine.close()  # an engine stopped by an error still runs its cleanup
            self.open -= 1

    # -- the report -------------------------------------------------------------------------

    def _out_of_time(self) -> None:
        self.timer = None
        try:
            unfinished = [area.name for area in self.areas if area.open]
            for area in self.areas:
                self._close(area)
            self._finish(unfinished)
        except Exception as exc:
            self.audit._fail(exc)

    def _finish_if_done(self) -> None:
        if self.open or self.finished:
            return
        report = self.report
        if self.audit.options.profile is Profile.BULK_SENDER:
            # Here: the bar and the senders' catalogue are loaded only by the runs that ask.
            from mailzone.audit.bulk import bulk_area, judge_bulk, senders_of

            if self.bulk_probes is None:  # the areas are in: the bar's own questions
                probes: list[DkimFacts] = []
                self.bulk_probes = probes
                findings: list[Finding] = []
                area = _Area("bulk-sender", bulk_area(report, probes, senders_of(report)),
                             findings)
                self.areas.append(area)
                self.open += 1
                self._step(area, None)
                if self.open:
                    return
            if not any(area.name == "bulk-sender" and area.findings for area in self.areas):
                wrong = {f.where for area in self.areas for f in area.findings
                         if f.code == SES_DKIM_MISSING.code}
                report.bulk, self.bulk_findings = judge_bulk(report, self.bulk_probes, wrong)
        self._finish([])

    def _finish(self, unfinished: list[str]) -> None:
        self.finished = True
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        report, target = self.report, self.target
        findings: list[Finding] = []
        for area in self.areas:
            findings.extend(area.findings)
        if not target.dkim_selectors and target.ses_identity:
            findings.append(DKIM_NOT_CHECKED.warning(
                f"{report.domain} signs with SES Easy DKIM, whose three tokens are stack "
                "outputs that only the Pulumi CLI can read: DKIM was not checked. Pass them "
                "with --dkim-selector TOKEN (see 'pulumi stack output')",
                report.domain,
            ))
        findings.extend(self.bulk_findings)
        if unfinished:
            report.timed_out = True
            self.audit._unfinished(report, unfinished, findings)
        else:
            findings.extend(judge_domain(report))
        report.findings = unique(findings)
        report.questions = len(self.known)
        self.audit.asked += len(self.known)
        report.elapsed = time.perf_counter() - self.started
        self.known = {}
        self.areas = []
        self.done(self, report)


# -- the run ---------------------------------------------------------------------------


class Audit:
    """Checks domains through one shared resolver; counts the run's distinct questions."""

    def __init__(self, resolver: Resolver, options: AuditOptions | None = None) -> None:
        self.resolver = resolver
        self.options = options or AuditOptions()
        self.asked = 0  # questions asked by all domains, each domain's repeats not counted
        self._distinct = _Distinct()
        self._face: CallbackResolver | None = None
        self._failures: list[Exception] = []
        self._wake: asyncio.Future[None] | None = None

    @property
    def distinct_questions(self) -> int:
        """Distinct (name, type) questions the run's domains asked."""
        return self._distinct.count

    def distinct_hashes(self) -> array[int]:
        """The 64-bit hashes of those questions, by which the counts of audits run in
        processes that share the interpreter's hash secret (forked) are merged."""
        return array("Q", (code for code in self._distinct.table if code))

    def count_distinct_hashes(self, codes: Iterable[int]) -> None:
        """Count another audit's questions (``distinct_hashes``) as this one's: one
        asked by both counts once."""
        distinct = self._distinct
        for code in codes:
            distinct.add_code(code)

    def _callback_face(self) -> CallbackResolver:
        if self._face is None:
            self._face = callback_face(self.resolver)
        return self._face

    def _fail(self, exc: Exception) -> None:
        self._failures.append(exc)
        self._wake_up()

    def _wake_up(self) -> None:
        if self._wake is not None and not self._wake.done():
            self._wake.set_result(None)

    async def check(self, target: Target) -> DomainReport:
        """Every check of one domain, within the time bound; never raises a DNS fault."""
        future: asyncio.Future[DomainReport] = asyncio.get_running_loop().create_future()

        def done(_: _DomainCheck, report: DomainReport) -> None:
            if not future.done():
                future.set_result(report)

        check = _DomainCheck(self, self._callback_face(), target, done)
        check.start()
        try:
            return await future
        except asyncio.CancelledError:
            check.abandon()
            raise

    def _unfinished(
        self, report: DomainReport, unfinished: list[str], findings: list[Finding]
    ) -> None:
        bound = self.options.domain_timeout
        findings.append(CHECK_TIMEOUT.error(
            f"the checks of {report.domain} did not finish within {bound:g} s "
            f"(unfinished: {', '.join(unfinished)}); their results are unknown, as a receiver "
            "would find them: temperror. Check the name servers, or raise --domain-timeout",
            report.domain,
        ))
        late = f"not finished within {bound:g} s"
        if "spf" in unfinished:
            report.spf.status, report.spf.reason = SpfStatus.TEMPERROR, late
        if report.mail_from_spf is not None and "mail-from spf" in unfinished:
            report.mail_from_spf.status, report.mail_from_spf.reason = SpfStatus.TEMPERROR, late
        if "dmarc" in unfinished:
            report.dmarc.status = DmarcStatus.TIMEOUT
        if "mx" in unfinished:
            report.mx.status = MxStatus.TIMEOUT
        if report.mail_from_mx is not None and "mail-from mx" in unfinished:
            report.mail_from_mx.status = MxStatus.TIMEOUT
        for other, (spf, mx) in report.more_mail_from.items():
            if f"mail-from spf {other}" in unfinished:
                spf.status, spf.reason = SpfStatus.TEMPERROR, late
            if f"mail-from mx {other}" in unfinished:
                mx.status = MxStatus.TIMEOUT
        for dkim in report.dkim:
            if f"dkim {dkim.selector}" in unfinished:
                dkim.status = DkimStatus.TIMEOUT
        if "ip" in unfinished and report.ip is not None:
            done = {result.identity for result in report.ip_results}
            for identity in dict.fromkeys(filter(None, (report.mail_from, report.domain))):
                if identity not in done:
                    report.ip_results.append(IpResult(
                        identity=identity, result="temperror", reason=late, mechanism=None,
                        lookups=0, void_lookups=0))

    async def run(
        self, targets: Iterable[Target], *, concurrency: int = 32
    ) -> AsyncIterator[DomainReport]:
        """Check every target, at most ``concurrency`` at once; yield each as it finishes.

        ``DomainReport.index`` is the target's position, for callers that want
        the input order back. Targets are taken from ``targets`` as room frees up.
        """
        if concurrency < 1:
            raise ValueError("concurrency must be 1 or more")
        loop = asyncio.get_running_loop()
        face = self._callback_face()
        ready: deque[DomainReport] = deque()
        running: set[_DomainCheck] = set()
        items = enumerate(targets)
        state = {"exhausted": False, "filling": False}

        def finished(check: _DomainCheck, report: DomainReport) -> None:
            running.discard(check)
            ready.append(report)
            fill()
            self._wake_up()

        def fill() -> None:
            # A domain may finish inside start() (every answer cached): the loop, not a
            # nested call, starts the next one.
            if state["filling"]:
                return
            state["filling"] = True
            try:
                while len(running) < concurrency and not state["exhausted"]:
                    try:
                        index, target = next(items)
                    except StopIteration:
                        state["exhausted"] = True
                        break
                    check = _DomainCheck(self, face, target, finished)
                    check.report.index = index
                    running.add(check)
                    check.start()
            except Exception as exc:
                self._fail(exc)
            finally:
                state["filling"] = False

        fill()
        try:
            while True:
                if self._failures:
                    raise self._failures[0]
                if ready:
                    yield ready.popleft()
                    continue
                if not running and state["exhausted"]:
                    break
                self._wake = loop.create_future()
                await self._wake
                self._wake = None
        finally:
            for check in list(running):
                check.abandon()
            running.clear()


async def audit(
    targets: Iterable[Target],
    resolver: Resolver,
    options: AuditOptions | None = None,
    *,
    concurrency: int = 32,
) -> list[DomainReport]:
    """Check every target; the reports in the targets' order."""
    run = Audit(resolver, options)
    reports = [report async for report in run.run(targets, concurrency=concurrency)]
    return sorted(reports, key=lambda r: r.index)
