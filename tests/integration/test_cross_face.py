"""One verdict whichever face asks: the cross-face corpus judged by all four faces.

Every case of ``cross_face_corpus`` is judged by each face that can express it,
through the face's own entry point:

- the components: ``check_spf_record`` / ``validate_dmarc`` on a record text
  (``SpfRecord.check`` / ``DmarcRecord.check``), or ``parse_domains`` and
  ``config_warnings`` on a stack config, then the records ``MailDomain`` writes;
- the policy pack over its gRPC Analyzer protocol (one pack process for the
  module): ``Analyze`` for every declared resource, ``AnalyzeStack`` for the case;
- ``mailzone plan`` (``plan_offline``) over a zone directory of the corpus;
- ``mailzone check`` (``audit``) against one NSD serving the same zone files.

For each case and each pair of faces that both express it, the codes each face
reports for the rules both faces run (``REGISTRY.named_set``) are the same; no
face reports a rule the registry says it leaves out; and across the corpus every
rule of the registry is reported by at least one of its faces.

Every violation of the pack ends with its finding's code in brackets, and the
code must be one the violation's policy reports. A stack config that validation
refuses yields its problems, not findings: their codes are read from the rules'
own wording (sender addresses: the rule's message; a lookup budget over 10).
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import time
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from typing import Any

import pytest
from pulumi.runtime.proto import analyzer_pb2

from mailzone.audit.run import AuditOptions, audit
from mailzone.dns.live import LiveResolver
from mailzone.dns.zonedir import ZoneDirResolver
from mailzone.errors import ConfigError
from mailzone.findings import Finding
from mailzone.mail.dmarc import validate_dmarc
from mailzone.plan.build import plan_offline, snapshot_findings
from mailzone.plan.lock import Lock
from mailzone.plan.model import Action, ValueStatus
from mailzone.registry import REGISTRY, Face
from mailzone.stack.config import StackConfig, config_warnings, include_costs, parse_domains
from mailzone.stack.desired import check_spf_record, desired_records
from tests.integration import cross_face_corpus as corpus_module
from tests.integration.cross_face_corpus import (
    CHECK_IP,
    DRIFTED_INCLUDE,
    PREVIOUS_LOCK,
    REGION,
    TIMEOUT_RUN_SECONDS,
    Case,
    corpus,
    drifted_provider_zone,
    pack_config,
    zone_texts,
)
from tests.nsd import NSD_MISSING, NsdNotFound, NsdServer, find_binary
from tests.policies.harness import LEVEL_NAMES, Pack, to_struct, urn
from tests.unit.plan.fixtures import provider_zones_module, zone_dir

pytestmark = pytest.mark.slow

CASES = corpus()
FACES = (Face.COMPONENTS, Face.PACK, Face.PLAN, Face.CHECK)
#: Rules no public entry point of any face can be made to report, and why.
UNREACHABLE = {
    "check-internal-error": "reported only when a check raises unexpectedly, i.e. on a bug",
    "bulk-sender-unmet": "reported only under check --profile bulk-sender, which the corpus "
                         "does not run: tests/integration/test_bulk_sender.py holds it",
}


# -- reading codes back from what a face says ----------------------------------------------

_SPF_VALID_CODE = re.compile(r"\((spf-[a-z0-9-]+)\): ")
# (code, wording): how the config's problems about sender addresses say which rule
# refuses them (a ConfigError carries no code). The wordings are mailzone.rules.sender's.
_WORDINGS: dict[str, tuple[tuple[str, re.Pattern[str]], ...]] = {
    "sender-address": (
        ("sender-no-domain", re.compile(r"has no domain: |the sender address is empty")),
        ("sender-invalid", re.compile(r"is not an email address|has no mailbox before|"
                                      r"has an invalid mailbox part|has an invalid domain")),
        ("sender-noreply", re.compile(r"is a no-reply address")),
        ("sender-placeholder-domain", re.compile(r"a placeholder-looking domain")),
        ("sender-unmanaged-domain", re.compile(r"which has no SES identity and no managed")),
    ),
}


def _worded(policy: str, message: str) -> list[str]:
    return [code for code, pattern in _WORDINGS[policy] if pattern.search(message)]


_CODE_SUFFIX = re.compile(r" \[([a-z0-9-]+)\]$")


def pack_code(policy: str, message: str) -> str:
    """The rule a pack diagnostic reports: every violation ends with its code."""
    found = _CODE_SUFFIX.search(message)
    assert found, f"{policy}: a violation without its code: {message!r}"
    code = found.group(1)
    assert code in REGISTRY.policy_set(policy), (policy, code)
    return code


def refusal_codes(path: str, message: str) -> list[str]:
    """The rules behind one problem of a refused config."""
    if ".senderAddresses[" in path:
        parts = [p for p in message.split("; ") if p]
        codes = [c for part in parts for c in _worded("sender-address", part)]
        assert codes, f"{path}: no sender rule says {message!r}"
        return codes
    if path.endswith(".senders") and "over RFC 7208's limit" in message:
        return ["spf-lookup-limit"]
    raise AssertionError(f"the corpus's config is refused for a reason that is no rule: "
                         f"{path}: {message}")


# -- the four faces ------------------------------------------------------------------------


def components_verdict(case: Case) -> set[str]:
    given = case.components
    assert given is not None
    found: list[Finding] = []
    if given.config is not None:
        try:
            [domain] = parse_domains([dict(given.config)], default_region=REGION)
        except ConfigError as exc:
            return {c for path, message in exc.problems for c in refusal_codes(path, message)}
        found += config_warnings([domain])
        # What MailDomain judges before it declares anything (SpfRecord/DmarcRecord.check).
        by_key = {r.key: r for r in desired_records(domain)}
        spf = by_key["spf"]
        found += check_spf_record(str(spf.values[0]), include_costs(domain.senders),
                                  domain=str(spf.name))
        if "dmarc" in by_key:
            found += validate_dmarc(str(by_key["dmarc"].values[0]), domain.domain)
    if given.spf is not None:
        found += check_spf_record(given.spf, given.include_costs, domain=case.domain)
    if given.dmarc is not None:
        found += validate_dmarc(given.dmarc, case.domain)
    return {f.code for f in found}


#: Calls in flight at once: the pack serves four at a time (pulumi_policy's thread pool),
#: and a flood of queued calls gets some of them cancelled.
PACK_WINDOW = 4


def pack_verdicts(pack: Pack, cases: list[Case]) -> dict[str, set[str]]:
    """Every case's resources through Analyze, and the case through AnalyzeStack."""
    pack.configure(pack_config())
    verdicts: dict[str, set[str]] = {case.id: set() for case in cases}
    in_flight: deque[tuple[str, Any]] = deque()  # (case id, a call's future)

    def collect() -> None:
        case_id, call = in_flight.popleft()
        for d in call.result().diagnostics:
            assert LEVEL_NAMES[d.enforcementLevel] in ("mandatory", "advisory")
            description = REGISTRY.policy(d.policyName).description
            message = d.message.removeprefix(description + "\n")
            verdicts[case_id].add(pack_code(d.policyName, message))

    def send(case_id: str, call: Any) -> None:
        in_flight.append((case_id, call))
        if len(in_flight) >= PACK_WINDOW:
            collect()

    for case in cases:
        assert case.pack is not None
        resources = [(t, f"{case.id}-{name}", props) for t, name, props in case.pack]
        for type_token, name, props in resources:
            send(case.id, pack.stub.Analyze.future(analyzer_pb2.AnalyzeRequest(
                type=type_token, properties=to_struct(props), urn=urn(type_token, name),
                name=name, options=analyzer_pb2.AnalyzerResourceOptions())))
        send(case.id, pack.stub.AnalyzeStack.future(analyzer_pb2.AnalyzeStackRequest(
            resources=[analyzer_pb2.AnalyzerResource(
                type=t, properties=to_struct(p), urn=urn(t, n), name=n,
                options=analyzer_pb2.AnalyzerResourceOptions()) for t, n, p in resources])))
    while in_flight:
        collect()
    return verdicts


def plan_verdicts(zones: Path, cases: list[Case], *, lock: Lock | None = None
                  ) -> tuple[dict[str, set[str]], dict[str, list[str]]]:
    """One plan of all ``cases``' configs over ``zones``: codes, and the values the plan
    would change, per case."""
    configs = [dict(case.plan) for case in cases if case.plan is not None]
    stack = StackConfig(path=Path("Pulumi.cross-face.yaml"), stack="cross-face",
                        domains=parse_domains(configs, default_region=REGION),
                        aws_region=REGION)
    resolver = ZoneDirResolver(zones)
    # As the command line plans a snapshot: a domain without a zone there is said so.
    notes = snapshot_findings(stack, resolver.zone_of, source=f"zones:{zones}")
    plan = plan_offline(stack, resolver, source=f"zones:{zones}", previous_lock=lock,
                        notes=notes)
    assert not plan.findings, plan.findings
    by_domain = {d.domain: d for d in plan.domains}
    codes: dict[str, set[str]] = {}
    changes: dict[str, list[str]] = {}
    for case in cases:
        domain_plan = by_domain[case.domain]
        codes[case.id] = {f.code for f in domain_plan.findings}
        changes[case.id] = [
            f"{r.key}: {v.status.value} {v.value!r}" for r in domain_plan.records
            if r.action not in (Action.UNCHANGED, Action.KNOWN_AFTER_APPLY)
            for v in r.values if v.status not in (ValueStatus.UNCHANGED, ValueStatus.KEPT,
                                                  ValueStatus.UNMANAGED)]
    return codes, changes


def check_verdicts(server: NsdServer, cases: list[Case], options: AuditOptions
                   ) -> dict[str, set[str]]:
    targets = [case.check for case in cases if case.check is not None]
    resolver = LiveResolver(nameserver=server.nameserver, timeout=2.0)
    reports = asyncio.run(audit(targets, resolver, options, concurrency=32))
    by_domain = {r.domain: r for r in reports}
    return {case.id: {f.code for f in by_domain[case.domain].findings} for case in cases}


# -- the run, once for the module -------------------------------------------------------------


@dataclass
class Verdicts:
    codes: dict[str, dict[Face, set[str]]]  # case id -> face -> codes
    plan_changes: dict[str, list[str]]
    seconds: dict[str, float]


@pytest.fixture(scope="module")
def verdicts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Verdicts]:
    try:
        find_binary("nsd")
        find_binary("nsd-control")
    except NsdNotFound:
        pytest.fail(NSD_MISSING, pytrace=False)
    base = tmp_path_factory.mktemp("cross-face")
    providers = provider_zones_module().provider_zones()
    texts = zone_texts(providers)
    zones = zone_dir(base / "zones", texts, providers=False)
    drift = zone_dir(base / "drift", {
        **texts, DRIFTED_INCLUDE: drifted_provider_zone(texts[DRIFTED_INCLUDE])},
        providers=False)
    codes: dict[str, dict[Face, set[str]]] = {case.id: {} for case in CASES}
    seconds: dict[str, float] = {}

    started = time.perf_counter()
    for case in CASES:
        if case.components is not None:
            codes[case.id][Face.COMPONENTS] = components_verdict(case)
    seconds["components"] = time.perf_counter() - started

    started = time.perf_counter()
    plan_changes: dict[str, list[str]] = {}
    runs = {"main": (zones, None), "lock": (zones, PREVIOUS_LOCK), "drift": (drift, None)}
    for run, (directory, lock) in runs.items():
        run_cases = [c for c in CASES if c.plan is not None and c.plan_run == run]
        found, changes = plan_verdicts(directory, run_cases, lock=lock)
        plan_changes.update(changes)
        for case_id, case_codes in found.items():
            codes[case_id][Face.PLAN] = case_codes
    seconds["plan"] = time.perf_counter() - started

    started = time.perf_counter()
    pack = Pack()
    try:
        for case_id, case_codes in pack_verdicts(
                pack, [c for c in CASES if c.pack is not None]).items():
            codes[case_id][Face.PACK] = case_codes
    finally:
        pack.close()
    seconds["pack"] = time.perf_counter() - started

    started = time.perf_counter()
    options = {"main": AuditOptions(), "ip": AuditOptions(ip=CHECK_IP),
               "timeout": AuditOptions(domain_timeout=TIMEOUT_RUN_SECONDS)}
    with NsdServer(zones, base / "nsd") as server:
        for run, run_options in options.items():
            run_cases = [c for c in CASES if c.check is not None and c.check_run == run]
            for case_id, case_codes in check_verdicts(server, run_cases, run_options).items():
                codes[case_id][Face.CHECK] = case_codes
    seconds["check"] = time.perf_counter() - started
    yield Verdicts(codes, plan_changes, seconds)


# -- the tests --------------------------------------------------------------------------------


def test_the_corpus_is_large_and_every_face_judges_much_of_it() -> None:
    assert len(CASES) >= 200
    assert len({c.id for c in CASES}) == len(CASES)
    assert len({c.domain for c in CASES}) == len(CASES)
    for face in FACES:
        assert sum(face in c.faces for c in CASES) >= 50, face
    assert sum(len(c.faces) >= 2 for c in CASES) >= 200


_RESERVED_NAME = re.compile(
    r"(^|\.)(example\.(com|org|net)|[a-z0-9-]+\.example|example|[a-z0-9-]+\.test|"
    r"[a-z0-9-]+\.invalid|localhost)\.?$")
_NAME = re.compile(r"(?<![\w.-])((?:[A-Za-z0-9_-]+\.)+[A-Za-z]{2,}\.?)(?![\w-])")
_IPV4 = re.compile(r"(?<![\d.])(\d{1,3}(?:\.\d{1,3}){3})(?![\d.])")
_IPV6 = re.compile(r"(?<![\w:])([0-9a-fA-F]{1,4}(?::[0-9a-fA-F]{0,4}){2,7})(?:/\d+)?")


def _corpus_text() -> str:
    parts: list[str] = []
    for case in CASES:
        parts += [case.domain, *case.records, repr(case.components), repr(case.pack),
                  repr(case.plan), repr(case.check)]
    return "\n".join(parts)


def test_the_corpus_uses_only_reserved_names_and_documentation_addresses() -> None:
    allowed_names = {s.spf_include for s in corpus_module.catalogue.senders()}
    allowed_suffixes = ("amazonses.com", "amazonaws.com")  # SES's own hosts (docs/design.md)
    not_names = {"app.handler"}  # the Lambda shapes' handler: a Python module path
    text = _corpus_text()
    bad_names = sorted({
        name.rstrip(".") for name in _NAME.findall(text)
        if not _RESERVED_NAME.search(name.lower().rstrip("."))
        and name.rstrip(".").lower() not in allowed_names
        and not name.rstrip(".").lower().endswith(allowed_suffixes)
        and not re.fullmatch(r"[\d.]+", name.rstrip(".")) and name not in not_names
    })
    assert bad_names == [], bad_names
    documentation = [ipaddress.ip_network(n) for n in (
        "192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")]
    addresses = []
    for candidate in [*_IPV4.findall(text), *_IPV6.findall(text)]:
        try:
            addresses.append(ipaddress.ip_address(candidate))
        except ValueError:
            continue  # not an address (192.0.2.256, fo=1:d:s)
    assert addresses
    bad = sorted({str(ip) for ip in addresses
                  if not any(ip in network for network in documentation)})
    assert bad == []


def test_each_face_reports_only_the_rules_the_registry_gives_it(verdicts: Verdicts) -> None:
    wrong = {}
    for case in CASES:
        for face in case.faces:
            extra = verdicts.codes[case.id][face] - REGISTRY.named_set(face)
            if extra:
                wrong[f"{case.id} [{face.value}]"] = sorted(extra)
    assert wrong == {}


def test_where_plan_and_check_both_judge_the_plan_changes_nothing(verdicts: Verdicts) -> None:
    # The plan judges the records as they will be; check, as they are. Compared, they
    # must be the same records, or a disagreement would say nothing about the faces.
    changing = {c.id: verdicts.plan_changes[c.id] for c in CASES
                if {Face.PLAN, Face.CHECK} <= c.faces and verdicts.plan_changes[c.id]}
    assert changing == {}


def disagreements(case: Case, codes: Mapping[Face, set[str]]) -> list[str]:
    out = []
    for first, second in combinations([f for f in FACES if f in case.faces], 2):
        shared = REGISTRY.named_set(first) & REGISTRY.named_set(second)
        one, other = codes[first] & shared, codes[second] & shared
        if one != other:
            out.append(f"{first.value} {sorted(one - other)} vs {second.value} "
                       f"{sorted(other - one)}")
    return out


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_faces_agree_on_the_rules_they_share(case: Case, verdicts: Verdicts) -> None:
    codes = verdicts.codes[case.id]
    assert set(codes) == case.faces
    found = disagreements(case, codes)
    assert found == [], (f"{case.id} ({case.why}): "
                         + "; ".join(found) + "; all codes: "
                         + ", ".join(f"{f.value} {sorted(c)}" for f, c in codes.items()))


def test_every_rule_is_reported_by_one_of_its_faces(verdicts: Verdicts) -> None:
    covered = {code for case_codes in verdicts.codes.values()
               for face, codes in case_codes.items()
               for code in codes & REGISTRY.named_set(face)}
    missing = {r.code for r in REGISTRY.rules()} - covered
    assert missing == set(UNREACHABLE), sorted(missing)
