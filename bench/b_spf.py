"""2. SPF evaluation: our ``check_host()`` against pyspf, same pairs, same records, in memory.

The records are those of the generated internet (``tests/internet``), read
once through ``ZoneDirResolver`` and written as JSON; each side builds its
in-memory DNS from that JSON (``MemoryResolver`` here, a replaced
``spf.DNSLookup`` for pyspf, as pyspf's own test driver does) and evaluates
the same (address, MAIL FROM) pairs with the same HELO name. No DNS server,
no network: the figure is the evaluation itself.

Each side runs in a process of its own (ours in the project's environment,
pyspf in the peers'), warms up with one pass over all pairs, then times one
pass. The processes alternate, pair by pair. Every result of the last pair of
runs is compared; disagreements are listed.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path

from bench.common import (
    BENCH,
    PROJECT_PYTHON,
    Row,
    Section,
    Settings,
    Stat,
    interleaved,
    log,
    pairwise,
    run_child,
    verdict,
)
from mailzone.dns.zonedir import ZoneDirResolver
from tests.internet.generate import SES_SENDER_IP, Internet, generate

TARGET_RATIO = 20.0
HELO = "mta.example.net"
#: Client addresses: inside the providers' ranges and hosts (pass, softfail...), and outside.
ADDRESSES = (
    SES_SENDER_IP, "203.0.113.77", "198.51.100.10", "198.51.100.70", "198.51.100.140",
    "2001:db8:1::25", "2001:db8:2:3::1", "198.51.100.200", "198.51.100.225", "192.0.2.130",
    "192.0.2.131", "192.0.2.150", "192.0.2.200", "192.0.2.70", "192.0.2.1", "192.0.2.9",
    "198.51.100.250", "198.51.100.20", "203.0.113.200", "2001:db8:ffff::1", "2001:db8::25",
)
LOCAL_PARTS = ("app", "billing", "bounce+1f3a9c", "alerts.team", "postmaster")


def records_of(zones: Path) -> dict[str, dict[str, list[str]]]:
    """name -> type -> values, for every name of the zone directory."""
    resolver = ZoneDirResolver(zones)
    out: dict[str, dict[str, list[str]]] = {}
    for zone in resolver.zones:
        for name in resolver.names_in(zone):
            out[name] = {str(t): list(v) for t, v in resolver.records_at(name).items()}
    return out


def make_pairs(internet: Internet, count: int, seed: int = 7208) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    pairs = []
    for _ in range(count):
        spec = rng.choice(internet.domains)
        domain = spec.mail_from if spec.mail_from and rng.random() < 0.3 else spec.name
        pairs.append((rng.choice(ADDRESSES), f"{rng.choice(LOCAL_PARTS)}@{domain}"))
    return pairs


def run(settings: Settings) -> Section:
    section = Section("SPF evaluation")
    work = settings.work / "spf"
    log(f"spf: {settings.spf_pairs} pairs over {settings.spf_domains} domains")
    internet = generate(work / "zones", settings.spf_domains)
    pairs = make_pairs(internet, settings.spf_pairs)
    data = work / "data.json"
    data.write_text(json.dumps({"records": records_of(work / "zones"), "helo": HELO,
                                "pairs": pairs}))
    results: dict[str, list[str]] = {}

    def side(name: str, python: Path, script: str) -> float:
        out = work / f"{name}.json"
        run_child([python, BENCH / script, data, out], stderr=work / f"{name}.err")
        measured = json.loads(out.read_text())
        results[name] = measured["results"]
        return float(measured["seconds"])

    def ours() -> float:
        return side("ours", PROJECT_PYTHON, "spf_ours.py")

    peer = None
    if settings.peers_python is not None:
        peers_python = settings.peers_python

        def peer() -> float:
            return side("pyspf", peers_python, "spf_pyspf.py")

    mine, theirs = interleaved(settings.runs, ours, peer)
    n = len(pairs)
    rate = Stat.of([n / s for s in mine])
    row = Row("2. SPF evaluation", f"check_host() evaluations/s, {n} pairs in memory",
              rate.show())
    section.rows.append(row)
    ours_counts = Counter(results["ours"])
    section.raw.update({"pairs": n, "ours_seconds": mine,
                        "ours_results": dict(ours_counts)})
    section.notes.append(
        "SPF evaluation: results of our side: "
        + ", ".join(f"{k} {v}" for k, v in sorted(ours_counts.items())) + ".")
    if theirs:
        peer_rate = Stat.of([n / s for s in theirs])
        ratio = pairwise(theirs, mine)
        row.peer = peer_rate.show()
        row.ratio = ratio.show("x")
        row.target = f"≥ {TARGET_RATIO:g}x"
        row.status = verdict(ratio.median >= TARGET_RATIO)
        disagreements = [
            {"ip": ip, "sender": sender, "ours": a, "pyspf": b}
            for (ip, sender), a, b in zip(pairs, results["ours"], results["pyspf"], strict=True)
            if a != b
        ]
        (work / "disagreements.json").write_text(json.dumps(disagreements, indent=1))
        kinds = Counter((d["sender"].split("@")[1].split("-")[0].removeprefix("mail."),
                         d["ours"], d["pyspf"]) for d in disagreements)
        agree = Row("2. SPF evaluation", "results that agree with pyspf",
                    f"{n - len(disagreements)} of {n}", target="no disagreement",
                    status=verdict(not disagreements))
        section.rows.append(agree)
        section.raw.update({"peer_seconds": theirs, "disagreements": len(disagreements),
                            "disagreement_kinds": {f"{k} ours={a} pyspf={b}": c
                                                   for (k, a, b), c in kinds.items()}})
        if disagreements:
            section.notes.append(
                "SPF disagreements with pyspf, by customer kind (ours / pyspf): "
                + "; ".join(f"{k}: {a} / {b} x{c}" for (k, a, b), c in sorted(kinds.items()))
                + f". All of them: {work / 'disagreements.json'}; first: "
                + ", ".join(f"{d['ip']} {d['sender']} {d['ours']}/{d['pyspf']}"
                            for d in disagreements[:5]) + ".")
    if settings.peers_python is not None:
        section.rows.append(rfc_suite(settings.peers_python, work, section))
    return section


def rfc_suite(peers_python: Path, work: Path, section: Section) -> Row:
    """Both implementations over the RFC 7208 test suite; where their results differ."""
    from mailzone.spf.check import check_identity_sync
    from tests.rfc7208_suite import CACHE, SDIST, SuiteResolver, cases, suite_text

    suite = work / "rfc7208-tests.yml"
    suite.write_text(suite_text())  # fetched once (pip download of pyspf's sdist), cached
    out = work / "rfc-pyspf.json"
    run_child([peers_python, BENCH / "rfc_pyspf.py", CACHE / SDIST, suite, out],
              stderr=work / "rfc-pyspf.err")
    theirs: dict[str, list[str]] = json.loads(out.read_text())
    ours_ok = peer_ok = 0
    differ: list[str] = []
    all_cases = list(cases())
    for case in all_cases:
        outcome = check_identity_sync(case.host, case.mailfrom, SuiteResolver(
            case.resolver_data), helo=case.helo)
        ours = outcome.result.value
        peer, peer_exp = theirs[case.name]
        ours_ok += ours in case.results and (
            case.explanation is None or (outcome.explanation or "DEFAULT") == case.explanation)
        peer_ok += peer in case.results and (
            case.explanation is None or peer_exp == case.explanation)
        if ours != peer:
            differ.append(f"{case.name} (RFC 7208 {case.spec}; expected "
                          f"{'/'.join(case.results)}): ours {ours}, pyspf {peer}")
    n = len(all_cases)
    section.raw.update({"rfc7208_cases": n, "rfc7208_ours_pass": ours_ok,
                        "rfc7208_pyspf_pass": peer_ok, "rfc7208_differ": differ})
    real = [d for d in differ if not _both_pass(d)]
    if differ:
        section.notes.append(
            "RFC 7208 suite, cases where the two results differ (pyspf run by its own test "
            "driver, ours by tests/rfc7208_suite.py): " + "; ".join(differ) + ". "
            + ("Where both results are among those the suite accepts, the RFC leaves the "
               "choice open: that is not counted as a disagreement." if len(real) < len(differ)
               else ""))
    return Row("2. SPF evaluation",
               f"RFC 7208 test suite ({n} cases): cases passed; results that differ",
               f"{ours_ok} of {n} passed", f"{peer_ok} of {n} passed",
               f"{len(differ)} differ, {len(real)} outside what the suite accepts",
               target="no disagreement", status=verdict(not real))


def _both_pass(line: str) -> bool:
    expected = line.split("expected ", 1)[1].split(")", 1)[0].split("/")
    ours = line.split("ours ", 1)[1].split(",", 1)[0]
    peer = line.rsplit("pyspf ", 1)[1]
    return ours in expected and peer in expected
