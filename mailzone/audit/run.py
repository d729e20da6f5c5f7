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
another's: each domain's questions go through its own view of the shared
resolver, shielded so that cancelling one domain never cancels a query another
domain waits for.

Fetch first, judge after: each area (``spf``, ``dmarc``, ``mx``, ``dkim``, and
``spf.ip_area``) is an engine that yields its questions (``mailzone.dns.exchange``),
a level of the tree at a time, and judges what came back with functions of the
answers alone (no I/O), which fill the area's facts and return its findings;
``cross.judge_domain`` then judges the areas together. This module schedules the
engines: one task per area, each through its own capped view of the shared
resolver, within the domain's time bound. The model is in ``model``.

This package is the core: no output, no rich, no argument parsing.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from functools import partial

from mailzone.audit.bulk import bulk_area, judge_bulk, senders_of
from mailzone.audit.cross import judge_domain
from mailzone.audit.dkim import dkim_area
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
from mailzone.dns.capped import CappedResolver
from mailzone.dns.exchange import Exchange, run_async
from mailzone.dns.resolver import Answer, RdType, Resolver, normalize_name
from mailzone.findings import Finding, unique
from mailzone.mail.dkim import dkim_name
from mailzone.registry import CHECK_INTERNAL_ERROR, CHECK_TIMEOUT, DKIM_NOT_CHECKED

__all__ = ["Audit", "audit"]


# -- one domain's view of the shared resolver -------------------------------------------


class _DomainResolver:
    """The shared resolver as one domain sees it: memoised, counted and shielded.

    The shield matters: when a domain runs out of time its tasks are cancelled,
    and a query in flight that other domains also wait for must go on.
    """

    def __init__(self, shared: Resolver, seen: set[tuple[str, RdType]]) -> None:
        self.shared = shared
        self.seen = seen  # the run's distinct questions
        self.asked: dict[tuple[str, RdType], asyncio.Future[Answer]] = {}

    async def ask(self, key: tuple[str, RdType]) -> Answer:
        future = self.asked.get(key)
        if future is None:
            self.seen.add(key)
            future = asyncio.ensure_future(self.shared.resolve(*key))
            future.add_done_callback(_retrieve)
            self.asked[key] = future
        return await asyncio.shield(future)

    async def resolve(self, name: str, rdtype: RdType) -> Answer:
        return await self.ask((normalize_name(name), RdType(rdtype)))

    def capped(self, cap: int) -> CappedResolver:
        """One area's questions, at most ``cap`` distinct ones (a lookup bomb stops there).

        Each area of a domain has its own cap, so an exploding SPF tree never takes
        the questions of the DMARC or MX checks running beside it.
        """
        return CappedResolver(self, cap)


def _retrieve(future: asyncio.Future[Answer]) -> None:
    if not future.cancelled():
        future.exception()


# -- the run ---------------------------------------------------------------------------


Section = Callable[[], Awaitable[None]]


class Audit:
    """Checks domains through one shared resolver; counts the run's distinct questions."""

    def __init__(self, resolver: Resolver, options: AuditOptions | None = None) -> None:
        self.resolver = resolver
        self.options = options or AuditOptions()
        self.questions: set[tuple[str, RdType]] = set()
        self.asked = 0  # questions asked by all domains, each domain's repeats not counted

    async def check(self, target: Target) -> DomainReport:
        """Every check of one domain, within the time bound; never raises a DNS fault."""
        options = self.options
        started = time.perf_counter()
        domain = normalize_name(target.domain)
        report = DomainReport(domain, origin=target.origin)
        report.mail_from = normalize_name(target.mail_from) if target.mail_from else None
        report.ip = options.ip
        shared = _DomainResolver(self.resolver, self.questions)
        cap = options.query_cap

        def resolver() -> CappedResolver:
            return shared.capped(cap)

        # Each area writes its findings to its own list, so that a timeout keeps them.
        parts: dict[str, list[Finding]] = {}

        def section(name: str, engine: Callable[[list[Finding]], Exchange[None]]) -> Section:
            """One area's engine, run through its own capped view of the resolver."""
            found = parts.setdefault(name, [])

            async def run() -> None:
                try:
                    await run_async(engine(found), resolver())
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # a bug must not take the run down
                    # A batch's concurrent questions fail together: name the first cause.
                    while isinstance(exc, ExceptionGroup) and exc.exceptions:
                        exc = exc.exceptions[0]
                    found.append(CHECK_INTERNAL_ERROR.error(
                        f"the {name} check failed unexpectedly: {type(exc).__name__}: {exc}. "
                        "Please report this; the other checks ran",
                        domain,
                    ))
            return run

        sections: dict[str, Section] = {
            "spf": section("spf", lambda f: spf_area(report.spf, f, mail_from=False)),
            "dmarc": section("dmarc", lambda f: dmarc_area(report.dmarc, f, domain=domain,
                                                           mail_from=report.mail_from)),
            "mx": section("mx", lambda f: mx_area(report.mx, f, mail_from=False)),
        }
        if report.mail_from is not None:
            report.mail_from_spf = SpfFacts(report.mail_from)
            report.mail_from_mx = MxFacts(report.mail_from)
            mf_spf, mf_mx = report.mail_from_spf, report.mail_from_mx
            sections["mail-from spf"] = section(
                "mail-from spf", lambda f: spf_area(mf_spf, f, mail_from=True))
            sections["mail-from mx"] = section(
                "mail-from mx", lambda f: mx_area(mf_mx, f, mail_from=True))
        for selector in target.dkim_selectors:
            facts = DkimFacts(selector, dkim_name(selector, domain))
            report.dkim.append(facts)
            sections[f"dkim {selector}"] = section(
                f"dkim {selector}", partial(dkim_area, facts))
        if options.ip is not None:
            sections["ip"] = section("ip", lambda f: ip_area(report, f))

        tasks = {name: asyncio.ensure_future(run()) for name, run in sections.items()}
        _, pending = await asyncio.wait(tasks.values(), timeout=options.domain_timeout)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
        unfinished = [name for name, task in tasks.items() if task in pending]
        findings: list[Finding] = []
        for name in sections:
            findings.extend(parts.get(name, []))
        if not target.dkim_selectors and target.ses_identity:
            findings.append(DKIM_NOT_CHECKED.warning(
                f"{domain} signs with SES Easy DKIM, whose three tokens are stack outputs "
                "that only the Pulumi CLI can read: DKIM was not checked. Pass them with "
                "--dkim-selector TOKEN (see 'pulumi stack output')",
                domain,
            ))
        if not unfinished and options.profile is Profile.BULK_SENDER:
            findings.extend(await self._bulk(report, resolver(), started, unfinished))
        if unfinished:
            report.timed_out = True
            self._unfinished(report, unfinished, findings)
        else:
            findings.extend(judge_domain(report))
        report.findings = unique(findings)
        report.questions = len(shared.asked)
        self.asked += len(shared.asked)
        report.elapsed = time.perf_counter() - started
        return report

    async def _bulk(self, report: DomainReport, resolver: CappedResolver, started: float,
                    unfinished: list[str]) -> list[Finding]:
        """The bulk-sender bar, once the areas are in: the senders' catalogue selectors are
        asked within what is left of the domain's time bound."""
        probes: list[DkimFacts] = []
        left = self.options.domain_timeout - (time.perf_counter() - started)
        try:
            await asyncio.wait_for(
                run_async(bulk_area(report, probes, senders_of(report)), resolver),
                timeout=max(left, 0.001))
        except TimeoutError:
            unfinished.append("bulk-sender")
            return []
        report.bulk, findings = judge_bulk(report, probes)
        return findings

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
        the input order back.
        """
        if concurrency < 1:
            raise ValueError("concurrency must be 1 or more")
        queue: asyncio.Queue[DomainReport | None] = asyncio.Queue()
        items = enumerate(targets)

        async def worker() -> None:
            try:
                for index, target in items:
                    report = await self.check(target)
                    report.index = index
                    await queue.put(report)
            finally:
                await queue.put(None)

        workers = [asyncio.ensure_future(worker()) for _ in range(concurrency)]
        running = len(workers)
        try:
            while running:
                item = await queue.get()
                if item is None:
                    running -= 1
                    continue
                yield item
            for task in workers:
                task.result()  # surface a bug in a worker
        finally:
            for task in workers:
                task.cancel()
            await asyncio.gather(*workers, return_exceptions=True)


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
