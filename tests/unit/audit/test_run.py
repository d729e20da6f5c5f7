"""The live audit's core (``mailzone.audit.run``) over offline resolvers.

The generated internet (``tests/internet``) is read through ``ZoneDirResolver``,
the same files the integration tests serve with NSD; single cases use
``MemoryResolver``. Time bounds and shared queries use a resolver that holds
answers back, as a slow server would.
"""

from __future__ import annotations

import asyncio
import base64
import json
import random
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from functools import partial

import pytest

from mailzone import names
from mailzone.audit.model import AuditOptions, DomainReport, Target
from mailzone.audit.run import Audit, audit
from mailzone.dns.memory import MemoryResolver
from mailzone.dns.resolver import Answer, RdType
from mailzone.dns.zonedir import ZoneDirResolver
from mailzone.errors import DnsError
from mailzone.mail.dkim import rsa_key_bits
from mailzone.registry import REGISTRY, Face
from tests.internet.generate import (
    GOOD_KINDS,
    KINDS,
    PATTERN,
    SES_SENDER_IP,
    Internet,
    generate,
    rsa_public_key,
)

TXT, MX, A = RdType.TXT, RdType.MX, RdType.A


def run(targets: Iterable[Target], resolver: object, **options: object) -> list[DomainReport]:
    return asyncio.run(audit(list(targets), resolver, AuditOptions(**options)))  # type: ignore[arg-type]


def one(target: Target | str, resolver: object, **options: object) -> DomainReport:
    if isinstance(target, str):
        target = Target(target)
    return run([target], resolver, **options)[0]


def errors(report: DomainReport) -> set[str]:
    return {f.code for f in report.findings if f.is_error}


def warnings(report: DomainReport) -> set[str]:
    return {f.code for f in report.findings if not f.is_error}


def memory(records: Mapping[str, Mapping[RdType, list[str]]],
           timeouts: Iterable[str] = ()) -> MemoryResolver:
    return MemoryResolver(records, timeouts=timeouts)


def healthy(domain: str = "example.com", spf: str = "v=spf1 include:_spf.example.net -all",
            **extra: Mapping[RdType, list[str]]) -> dict[str, dict[RdType, list[str]]]:
    """A domain with nothing to say about it, plus ``extra`` names (dots as given)."""
    records: dict[str, dict[RdType, list[str]]] = {
        domain: {TXT: [spf], MX: [f"10 mx.{domain}"]},
        f"mx.{domain}": {A: ["192.0.2.25"]},
        f"_dmarc.{domain}": {TXT: [f"v=DMARC1; p=reject; rua=mailto:d@{domain}"]},
        "_spf.example.net": {TXT: ["v=spf1 ip4:198.51.100.0/24 -all"]},
    }
    for name, by_type in extra.items():
        records.setdefault(name, {}).update(by_type)
    return records


# -- the generated internet, offline ------------------------------------------------------


@pytest.fixture(scope="module")
def internet(tmp_path_factory: pytest.TempPathFactory) -> Internet:
    return generate(tmp_path_factory.mktemp("internet"))


@pytest.fixture(scope="module")
def offline_reports(internet: Internet) -> dict[str, DomainReport]:
    resolver = ZoneDirResolver(internet.directory)
    targets = [Target(s.name, s.mail_from, s.selectors) for s in internet.domains]
    return {r.domain: r for r in run(targets, resolver, ip=SES_SENDER_IP)}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_kind_of_domain_gets_exactly_its_errors(
    kind: str, internet: Internet, offline_reports: dict[str, DomainReport]
) -> None:
    specs = internet.of_kind(kind)
    assert specs, f"the default internet has no {kind} domain"
    for spec in specs:
        report = offline_reports[spec.name]
        found = errors(report) - {"check-ip-result"}
        assert found == spec.errors(offline=True), report.findings
        assert report.spf.status == spec.spf_status(offline=True), report.spf.reason
        assert spec.kind.warnings <= warnings(report)


def test_healthy_domains_have_no_findings_and_mail_from_ses_passes(
    internet: Internet, offline_reports: dict[str, DomainReport]
) -> None:
    for kind in GOOD_KINDS:
        for spec in internet.of_kind(kind.name):
            report = offline_reports[spec.name]
            if spec.mail_from is None:  # nullmx: sends nothing, so the address gets fail
                assert [r.result for r in report.ip_results] == ["fail"]
                assert {f.code for f in report.findings} == {"check-ip-result"}
                continue
            assert report.findings == []
            assert [(r.identity, r.result) for r in report.ip_results] == [
                (spec.mail_from, "pass"), (spec.name, "pass")]
            assert report.mail_from_mx is not None and report.mail_from_mx.status == "ok"
            assert [d.key_bits for d in report.dkim] == [2048] * len(spec.selectors)


def test_every_reported_code_is_a_rule_check_runs(
    offline_reports: dict[str, DomainReport],
) -> None:
    documented = REGISTRY.named_set(Face.CHECK)
    reported = {f.code for r in offline_reports.values() for f in r.findings}
    assert reported - documented == set()


def test_reports_are_json(offline_reports: dict[str, DomainReport]) -> None:
    for report in offline_reports.values():
        data = json.loads(json.dumps(report.to_json()))
        assert data["domain"] == report.domain
        assert data["errors"] == sum(1 for f in report.findings if f.is_error)
        assert data["spf"]["status"] == report.spf.status


def test_ip_literals_are_told_own_from_third_party(
    internet: Internet, offline_reports: dict[str, DomainReport]
) -> None:
    oversized = offline_reports[internet.of_kind("oversized")[0].name].to_json()["spf"]
    assert len(oversized["ip_literals"]["own"]) == 38
    assert {ip["domain"] for ip in oversized["ip_literals"]["third_party"]} == {"ses.example"}
    good = offline_reports[internet.of_kind("good")[0].name].to_json()["spf"]
    assert good["ip_literals"]["own"] == []
    assert {ip["domain"] for ip in good["ip_literals"]["third_party"]} == {
        "_netblocks.workspace.example", "_netblocks2.workspace.example",
        "_netblocks3.workspace.example", "ses.example"}


def test_the_generator_covers_every_kind_in_its_pattern() -> None:
    assert set(PATTERN) == set(KINDS)


# -- sharing: one question per run ----------------------------------------------------------


class Recording:
    """Wraps a resolver; counts each question and the most in flight at once."""

    def __init__(self, inner: object, delay: float = 0.0) -> None:
        self.inner = inner
        self.delay = delay
        self.asked: Counter[tuple[str, RdType]] = Counter()
        self.in_flight = 0
        self.most_in_flight = 0

    async def resolve(self, name: str, rdtype: RdType) -> Answer:
        self.asked[(name, rdtype)] += 1
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            return await self.inner.resolve(name, rdtype)  # type: ignore[attr-defined,no-any-return]
        finally:
            self.in_flight -= 1


def test_each_domain_asks_each_question_once_and_the_run_counts_distinct_ones(
    internet: Internet,
) -> None:
    resolver = Recording(ZoneDirResolver(internet.directory))
    targets = [Target(s.name, s.mail_from, s.selectors) for s in internet.domains]
    checker = Audit(resolver)  # type: ignore[arg-type]

    async def go() -> list[DomainReport]:
        return [r async for r in checker.run(targets, concurrency=4)]

    reports = asyncio.run(go())
    assert len(reports) == len(targets)
    assert len(resolver.asked) == checker.distinct_questions
    # Without the run's shared cache each domain asks again what others asked.
    assert checker.asked == sum(resolver.asked.values()) == sum(r.questions for r in reports)
    assert checker.asked > checker.distinct_questions
    # A provider's record is asked once by every domain whose tree was walked through it
    # (a domain with two records has each record's tree walked).
    walked = [r for r in reports if (r.spf.budget is not None
                                     and "_spf.workspace.example" in r.spf.budget.includes)
              or (len(r.spf.values) > 1
                  and any("include:_spf.workspace.example" in v for v in r.spf.values))]
    assert len(walked) > 2
    assert resolver.asked[("_spf.workspace.example", TXT)] == len(walked)


def test_concurrency_bounds_the_domains_in_progress(internet: Internet) -> None:
    resolver = Recording(ZoneDirResolver(internet.directory), delay=0.001)
    targets = [Target(s.name) for s in internet.domains[:12]]
    checker = Audit(resolver)  # type: ignore[arg-type]

    async def go(concurrency: int) -> list[int]:
        return [r.index async for r in checker.run(targets, concurrency=concurrency)]

    indexes = asyncio.run(go(1))
    assert indexes == list(range(12))  # one at a time: in order
    # One domain's checks run side by side (SPF, DMARC, MX, a tree level's includes);
    # six domains at once put more questions in flight than one does.
    one_domain = resolver.most_in_flight
    resolver.most_in_flight = 0
    assert sorted(asyncio.run(go(6))) == list(range(12))
    assert resolver.most_in_flight > one_domain


# -- faults ----------------------------------------------------------------------------------


class Held:
    """Answers from ``inner``, except names in ``held``, which answer after ``delay``.

    Concurrent askers of one held question share one future, awaited bare (no
    shield), as a resolver with in-flight sharing might do: cancelling one
    asker cancels it for all unless the audit shields it.
    """

    def __init__(self, inner: MemoryResolver, held: Iterable[str], delay: float) -> None:
        self.inner = inner
        self.held = set(held)
        self.delay = delay
        self.futures: dict[tuple[str, RdType], asyncio.Future[Answer]] = {}
        self.tasks: list[asyncio.Task[None]] = []

    async def resolve(self, name: str, rdtype: RdType) -> Answer:
        if name not in self.held:
            return self.inner.answer(name, rdtype)
        key = (name, rdtype)
        if key not in self.futures:
            future: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
            self.futures[key] = future

            async def later() -> None:
                await asyncio.sleep(self.delay)
                future.set_result(self.inner.answer(name, rdtype))

            self.tasks.append(asyncio.ensure_future(later()))
        return await self.futures[key]


def test_a_domain_out_of_time_reports_what_it_has_and_leaves_others_their_answers() -> None:
    records = healthy("example.com", "v=spf1 include:_spf.example.net -all")
    records.update(healthy("example.org", "v=spf1 include:_spf.example.net -all"))
    resolver = Held(memory(records), ["_spf.example.net"], delay=0.4)
    hasty = Audit(resolver, AuditOptions(domain_timeout=0.1))  # type: ignore[arg-type]
    patient = Audit(resolver, AuditOptions(domain_timeout=5))  # type: ignore[arg-type]

    async def go() -> tuple[DomainReport, DomainReport, float]:
        started = time.perf_counter()
        first = asyncio.ensure_future(hasty.check(Target("example.com")))
        second = asyncio.ensure_future(patient.check(Target("example.org")))
        short = await first
        elapsed = time.perf_counter() - started
        return short, await second, elapsed

    short, full, elapsed = asyncio.run(go())
    assert elapsed < 0.35  # the bound, not the slow answer
    assert short.timed_out and "check-timeout" in errors(short)
    assert short.spf.status == "temperror"
    # The areas that finished in time kept their results.
    assert short.dmarc.policy == "reject" and short.mx.status == "ok"
    # The other domain waited for the same question and got its answer.
    assert not full.timed_out and full.findings == []
    assert full.spf.status == "ok"


def test_dns_failures_are_temperror_findings_and_other_domains_are_unaffected() -> None:
    records = healthy("example.com")
    records.update(healthy("example.org", "v=spf1 include:_spf.example.net "
                                          "include:slow.example.net -all"))
    resolver = memory(records, timeouts=["slow.example.net", "_dmarc.example.net"])
    records_net = {"example.net": {TXT: ["v=spf1 -all"], MX: ["0 ."]}}
    for name, by_type in records_net.items():
        for rdtype, values in by_type.items():
            resolver.add(name, rdtype, values)
    reports = run([Target("example.com"), Target("example.org"), Target("example.net")],
                  resolver)
    assert reports[0].findings == []
    broken = reports[1]
    assert broken.spf.status == "temperror"
    assert errors(broken) == {"spf-dns-error"}
    assert "slow.example.net TXT: timed out" in broken.findings[0].message
    dmarc = reports[2]
    assert errors(dmarc) == {"check-dns-error"} and dmarc.dmarc.status == "dns-error"


def test_spf_fetch_failure_at_the_domain_itself() -> None:
    report = one("example.com", memory({}, timeouts=["example.com"]), ip="192.0.2.1")
    assert report.spf.status == "temperror"
    assert {"spf-dns-error", "check-dns-error", "check-ip-result"} <= errors(report)
    assert [r.result for r in report.ip_results] == ["temperror"]


def _bomb(fanout: int, depth: int) -> dict[str, dict[RdType, list[str]]]:
    records: dict[str, dict[RdType, list[str]]] = {}

    def node(path: str) -> None:
        name = f"n{path}.bomb.example"
        if len(path) == depth:
            records[name] = {TXT: ["v=spf1 -all"]}
            return
        kids = " ".join(f"include:n{path}{i}.bomb.example" for i in range(fanout))
        records[name] = {TXT: [f"v=spf1 {kids} -all"]}
        for i in range(fanout):
            node(f"{path}{i}")

    node("")
    return records


def test_a_lookup_bomb_stops_at_the_cap_without_starving_other_checks() -> None:
    records = healthy("example.com", "v=spf1 include:n.bomb.example -all")
    records.update(_bomb(5, 4))  # 781 records
    resolver = Recording(memory(records))
    report = one("example.com", resolver, query_cap=40)
    assert errors(report) == {"check-query-cap", "spf-lookup-limit"}
    assert report.spf.status == "permerror"
    txt_asked = sum(1 for (name, rdtype) in resolver.asked if name.endswith("bomb.example"))
    assert txt_asked == 39  # the cap, less the domain's own TXT question
    assert report.dmarc.policy == "reject" and report.mx.status == "ok"


def test_include_loops_end() -> None:
    records = healthy("example.com", "v=spf1 include:a.example.net -all",
                      **{"a.example.net": {TXT: ["v=spf1 include:b.example.net -all"]},
                         "b.example.net": {TXT: ["v=spf1 include:a.example.net -all"]}})
    report = one("example.com", memory(records))
    assert errors(report) == {"spf-loop"}
    assert report.spf.status == "permerror"
    assert "a.example.net -> b.example.net -> a.example.net" in report.spf.reason


def test_a_bug_in_one_area_is_a_finding_and_the_others_still_run() -> None:
    class Broken(MemoryResolver):
        def answer(self, name: str, rdtype: RdType) -> Answer:
            if name.startswith("_dmarc."):
                raise RuntimeError("boom")
            return super().answer(name, rdtype)

    report = one("example.com", Broken(healthy()))
    assert errors(report) == {"check-internal-error"}
    assert "RuntimeError: boom" in report.findings[0].message
    assert report.spf.status == "ok" and report.mx.status == "ok"


# -- SPF ---------------------------------------------------------------------------------------


def test_own_ip_literals_in_own_included_records_are_errors() -> None:
    records = healthy("example.com", "v=spf1 include:_spf.example.com include:_spf.example.net "
                                     "-all",
                      **{"_spf.example.com": {TXT: ["v=spf1 ip4:192.0.2.7 -all"]}})
    report = one("example.com", memory(records))
    literal = [f for f in report.findings if f.code == "spf-ip-literal"]
    assert [f.where for f in literal] == ["_spf.example.com"]
    spf = report.to_json()["spf"]
    assert spf["ip_literals"]["own"] == ["ip4:192.0.2.7"]
    assert spf["ip_literals"]["third_party"] == [
        {"domain": "_spf.example.net", "term": "ip4:198.51.100.0/24"}]


def test_a_large_txt_answer_is_a_warning_when_the_record_itself_fits() -> None:
    tokens = [f"verification-{i}=" + "x" * 60 for i in range(8)]
    records = healthy()
    records["example.com"][TXT] += tokens
    report = one("example.com", memory(records))
    assert warnings(report) == {"check-txt-answer-size"}
    assert report.spf.txt_answer_octets is not None and report.spf.txt_answer_octets > 512


def test_no_spf_record() -> None:
    records = healthy()
    records["example.com"][TXT] = ["site-verification=1"]
    report = one("example.com", memory(records))
    assert errors(report) == {"spf-missing"}
    assert report.spf.status == "none"
    assert "publishes no v=spf1 record" in report.spf.reason


# -- DMARC ------------------------------------------------------------------------------------


def test_external_destinations_authorised_or_not() -> None:
    records = healthy()
    records["_dmarc.example.com"][TXT] = [
        "v=DMARC1; p=reject; rua=mailto:a@reports.example.net,mailto:b@reports.example.org"]
    records["example.com._report._dmarc.reports.example.net"] = {TXT: ["v=DMARC1"]}
    report = one("example.com", memory(records))
    assert report.dmarc.destinations == {"reports.example.net": True,
                                         "reports.example.org": False}
    assert errors(report) == {"dmarc-rua-unauthorised"}
    assert "example.com._report._dmarc.reports.example.org" in report.findings[0].message
    # The offline guess is replaced by the live answer.
    assert "dmarc-rua-external" not in warnings(report)


def test_a_subdomain_uses_the_organisational_domains_record() -> None:
    records = healthy("mail.example.com")
    del records["_dmarc.mail.example.com"]
    records["_dmarc.example.com"] = {TXT: ["v=DMARC1; p=quarantine; sp=reject; "
                                           "rua=mailto:d@example.com"]}
    report = one("mail.example.com", memory(records))
    assert report.findings == []
    assert report.dmarc.source == "_dmarc.example.com"
    assert report.dmarc.subdomain_policy == "reject"


def test_several_dmarc_records_and_strict_spf_alignment() -> None:
    records = healthy()
    records["_dmarc.example.com"][TXT] = ["v=DMARC1; p=none", "v=DMARC1; p=reject"]
    assert errors(one("example.com", memory(records))) == {"dmarc-multiple"}
    records["_dmarc.example.com"][TXT] = ["v=DMARC1; p=reject; aspf=s; rua=mailto:d@example.com"]
    records["mail.example.com"] = {MX: ["10 mx.example.com"],
                                   TXT: ["v=spf1 include:_spf.example.net -all"]}
    report = one(Target("example.com", mail_from="mail.example.com"), memory(records))
    assert warnings(report) == {"dmarc-spf-unaligned"}
    assert errors(report) == set()


# -- MX ----------------------------------------------------------------------------------------


def test_null_mx_and_what_goes_with_it() -> None:
    records = healthy(spf="v=spf1 -all")
    records["example.com"][MX] = ["0 "]
    assert one("example.com", memory(records)).findings == []
    records["example.com"][MX] = ["0 ", "10 mx.example.com"]
    assert errors(one("example.com", memory(records))) == {"mx-null-mixed"}
    records["example.com"][MX] = ["0 "]
    records["example.com"][TXT] = ["v=spf1 include:_spf.example.net -all"]
    assert errors(one("example.com", memory(records))) == {"mx-null-spf"}


def test_missing_mx_is_an_error_only_for_a_domain_that_sends() -> None:
    records = healthy()
    del records["example.com"][MX]
    report = one("example.com", memory(records))
    assert errors(report) == {"mx-missing"}
    records["example.com"][TXT] = ["v=spf1 -all"]
    report = one("example.com", memory(records))
    assert errors(report) == set() and warnings(report) == {"mx-missing"}


def test_mx_hosts_that_are_addresses_or_have_none() -> None:
    records = healthy()
    records["example.com"][MX] = ["10 192.0.2.25", "20 gone.example.com"]
    report = one("example.com", memory(records))
    assert errors(report) == {"mx-ip-literal", "mx-host-void"}


def test_mail_from_domain_mx_and_spf() -> None:
    records = healthy()
    records["bounce.example.com"] = {MX: ["0 "]}
    report = one(Target("example.com", mail_from="bounce.example.com"), memory(records))
    assert errors(report) == {"mx-mail-from-null", "spf-missing"}
    assert report.mail_from_spf is not None and report.mail_from_spf.status == "none"


# -- DKIM --------------------------------------------------------------------------------------


def _der(tag: int, content: bytes) -> bytes:
    if len(content) < 0x80:
        return bytes([tag, len(content)]) + content
    size = (len(content).bit_length() + 7) // 8
    return bytes([tag, 0x80 | size]) + len(content).to_bytes(size, "big") + content


@pytest.mark.parametrize("bits", [512, 1024, 2048, 4096])
def test_rsa_key_sizes_from_spki_and_pkcs1(bits: int) -> None:
    spki = base64.b64decode(rsa_public_key(bits, random.Random(bits)))
    assert rsa_key_bits(spki) == bits
    # Some publish the PKCS#1 RSAPublicKey alone: SEQUENCE { INTEGER n, INTEGER e }.
    modulus = random.Random(bits).getrandbits(bits) | (1 << (bits - 1))
    pkcs1 = _der(0x30, _der(0x02, b"\x00" + modulus.to_bytes(bits // 8, "big"))
                 + _der(0x02, b"\x01\x00\x01"))
    assert rsa_key_bits(pkcs1) == bits


def test_rsa_key_bits_rejects_what_is_not_a_key() -> None:
    for data in (b"", b"\x30\x03\x02\x01", b"\x04\x02ab", b"\x30\x02\x05\x00"):
        with pytest.raises(ValueError):
            rsa_key_bits(data)


def _dkim(selector_records: dict[str, list[str]]) -> DomainReport:
    records = healthy()
    for selector, values in selector_records.items():
        records[f"{selector}._domainkey.example.com"] = {TXT: values}
    return one(Target("example.com", dkim_selectors=(*selector_records, "absent")),
               memory(records))


def test_dkim_records() -> None:
    key = rsa_public_key(2048, random.Random(1))
    weak = rsa_public_key(1024, random.Random(2))
    ed = base64.b64encode(bytes(32)).decode()
    report = _dkim({
        "good": [f"v=DKIM1; k=rsa; p={key[:100]} {key[100:]}"],  # spaces inside p= are fine
        "weak": [f"v=DKIM1; p={weak}"],
        "ed": [f"v=DKIM1; k=ed25519; p={ed}"],
        "test": [f"v=DKIM1; t=y; p={key}"],
        "sha1": [f"v=DKIM1; h=sha1; p={key}"],
        "revoked": ["v=DKIM1; p="],
        "badtype": [f"v=DKIM1; k=dsa; p={key}"],
        "notb64": ["v=DKIM1; p=!!!"],
        "vlast": [f"p={key}; v=DKIM1"],
        "two": [f"p={key}", f"p={weak}"],
    })
    status = {d.selector: (d.status, d.key_bits) for d in report.dkim}
    assert status == {
        "good": ("ok", 2048), "weak": ("ok", 1024), "ed": ("ok", 256), "test": ("ok", 2048),
        "sha1": ("ok", 2048), "revoked": ("revoked", None), "badtype": ("syntax", None),
        "notb64": ("syntax", None), "vlast": ("syntax", None), "two": ("multiple", None),
        "absent": ("missing", None),
    }
    by_code = Counter(f.code for f in report.findings)
    assert by_code == Counter({"dkim-weak-key": 1, "dkim-testing": 1, "dkim-sha1": 1,
                               "dkim-revoked": 1, "dkim-key-type": 1, "dkim-syntax": 2,
                               "dkim-multiple": 1, "dkim-missing": 1})
    assert warnings(report) == {"dkim-weak-key", "dkim-testing"}


def test_a_stack_identity_without_selectors_says_dkim_was_not_checked() -> None:
    report = one(Target("example.com", ses_identity=True), memory(healthy()))
    assert warnings(report) == {"dkim-not-checked"} and errors(report) == set()
    report = one(Target("example.com", dkim_selectors=("s",), ses_identity=True),
                 memory(healthy(**{"s._domainkey.example.com": {TXT: ["p="]}})))
    assert "dkim-not-checked" not in warnings(report)


# -- --ip --------------------------------------------------------------------------------------


def test_predicted_result_for_an_address() -> None:
    records = healthy()
    assert one("example.com", memory(records), ip="198.51.100.9").findings == []
    report = one("example.com", memory(records), ip="192.0.2.9")
    assert [(r.result, r.mechanism) for r in report.ip_results] == [("fail", "-all")]
    assert errors(report) == {"check-ip-result"}


def test_domain_names_are_checked() -> None:
    # mailzone check accepts names that only hold records (_dmarc, _spf) too.
    domain_problem = partial(names.domain_problem, underscores=True)
    assert domain_problem("example.com") is None
    assert domain_problem("_dmarc.example.com.") is None
    assert domain_problem("localhost") is not None
    assert domain_problem("exa mple.com") is not None
    assert domain_problem("-bad.example") is not None
    assert domain_problem("a" * 64 + ".example") is not None


class Failing:
    async def resolve(self, name: str, rdtype: RdType) -> Answer:
        raise DnsError(name, rdtype, "SERVFAIL from 192.0.2.53:53")


def test_servfail_everywhere_gives_findings_not_exceptions() -> None:
    report = one(Target("example.com", mail_from="mail.example.com", dkim_selectors=("s",)),
                 Failing(), ip="192.0.2.1")
    assert report.spf.status == "temperror"
    assert report.mail_from_spf is not None and report.mail_from_spf.status == "temperror"
    assert errors(report) == {"spf-dns-error", "check-dns-error", "check-ip-result"}
    assert all("SERVFAIL" in f.message for f in report.findings)


def test_distinct_questions_are_counted_exactly_past_the_tables_first_size() -> None:
    from mailzone.audit.run import _Distinct

    counter = _Distinct(slots=8)  # grows many times
    keys = [(f"n{i}.example", TXT) for i in range(5000)]
    for key in keys + keys[::3] + [(name, MX) for name, _ in keys[:100]]:
        counter.add(key)
    assert counter.count == 5100
